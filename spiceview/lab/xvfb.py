"""XvfbServer: a virtual X display for the client side (our viewer, remote-viewer), stopped by PID."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from spiceview.lab import procs
from spiceview.lab.ports import DisplayReservation, clean_stale_display, reserve_display
from spiceview.lab.x11 import clean_env, wait_x_ready

_ATTEMPTS = 4


class XvfbServer:
    """Xvfb on a free display (unix socket only); a context manager, or start()/stop()."""

    def __init__(
        self, width: int = 1280, height: int = 1024, depth: int = 24, extra_args: Sequence[str] = ()
    ) -> None:
        self.width, self.height, self.depth = width, height, depth
        self.extra_args = tuple(extra_args)
        self.proc: subprocess.Popen | None = None
        self.display_number: int | None = None
        self.tmpdir: Path | None = None
        self.clients: list[subprocess.Popen] = []
        self._reservation: DisplayReservation | None = None

    @property
    def display(self) -> str:
        if self.display_number is None:
            raise RuntimeError("XvfbServer not started")
        return f":{self.display_number}"

    @property
    def env(self) -> dict[str, str]:
        return {**clean_env(), "DISPLAY": self.display}

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

    def run_client(
        self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, log: Path | None = None
    ) -> subprocess.Popen:
        """Start an X client on this display (tracked: stopped by PID in stop())."""
        assert self.tmpdir is not None
        if log is None:
            log = self.tmpdir / f"client-{len(self.clients)}-{Path(argv[0]).name}.log"
        proc = procs.spawn(argv, env={**self.env, **(env or {})}, log=log)
        self.clients.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.clients:
            procs.stop_child(proc, timeout=2.0)
        self.clients.clear()
        self._stop_server()
        procs.unregister(self)
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _stop_server(self) -> None:
        if self.proc is not None:
            procs.stop_child(self.proc, timeout=5.0)
            self.proc = None
        if self.display_number is not None:
            clean_stale_display(self.display_number)
        if self._reservation is not None:
            self._reservation.release()
            self._reservation = None

    def __repr__(self) -> str:
        running = self.proc is not None and self.proc.poll() is None
        return f"<XvfbServer {self.display if running else 'stopped'} {self.width}x{self.height}>"
