"""XvfbServer: a virtual X display for the client side (our viewer, remote-viewer), stopped by PID."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from spiceview_lab import procs
from spiceview_lab.ports import reserve_display
from spiceview_lab.x11 import clean_env, wait_x_ready
from spiceview_lab.x_server import LabXServer

_ATTEMPTS = 4


class XvfbServer(LabXServer):
    """Xvfb on a free display (unix socket only); a context manager, or start()/stop()."""

    def __init__(self, width: int = 1280, height: int = 1024, depth: int = 24, extra_args: Sequence[str] = ()) -> None:
        super().__init__()
        self.width, self.height, self.depth = width, height, depth
        self.extra_args = tuple(extra_args)
        self.proc: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "xvfb.log"

    def __enter__(self) -> XvfbServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 15.0) -> XvfbServer:
        if shutil.which("Xvfb") is None:
            raise procs.LabProcessError("Xvfb not found: install the Debian/Ubuntu package xvfb")
        self.tmpdir = Path(tempfile.mkdtemp(prefix="spiceview-xvfb-"))
        procs.register(self)
        try:
            for attempt in range(_ATTEMPTS):
                try:
                    self._launch(timeout)
                    return self
                except procs.LabProcessError as e:
                    self._stop_server()
                    if attempt + 1 == _ATTEMPTS or "already active" not in str(e):
                        raise
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, timeout: float) -> None:
        self._reservation = reserve_display()
        self.display_number = self._reservation.number
        screen = f"{self.width}x{self.height}x{self.depth}"
        argv = ["Xvfb", self.display, "-screen", "0", screen, "-nolisten", "tcp", "-noreset"]
        argv += self.extra_args
        self.proc = procs.spawn(argv, env=clean_env(), log=self.log_path)
        proc = self.proc
        try:
            wait_x_ready(self.display_number, timeout=timeout, alive=lambda: proc.poll() is None)
        except procs.LabProcessError as e:
            time.sleep(0.1)  # let the log flush
            raise procs.LabProcessError(f"{e}; log tail:\n{procs.tail(self.log_path)}") from None

    def stop(self) -> None:
        self._stop_clients()
        self._stop_server()
        procs.unregister(self)
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _stop_server(self) -> None:
        if self.proc is not None:
            procs.stop_child(self.proc, timeout=5.0)
            self.proc = None
        self._release_display()

    def __repr__(self) -> str:
        running = self.proc is not None and self.proc.poll() is None
        return f"<XvfbServer {self.display if running else 'stopped'} {self.width}x{self.height}>"
