"""XorgDummyServer: a client-side X server with several monitors (Xorg's dummy driver, one output per monitor).

Xvfb cannot show two monitors to Qt (its RandR monitors do not take), so multi-monitor full screen is tested on
Xorg with `xserver-xorg-video-dummy`: outputs DUMMY0, DUMMY1, ... get a mode and a position side by side, and
an optional window manager (openbox) makes full screen windows cover their screen.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from spiceview_lab import procs
from spiceview_lab.ports import reserve_display
from spiceview_lab.x11 import clean_env, wait_x_ready
from spiceview_lab.x_server import LabXServer

_CONF = """\
Section "Device"
    Identifier "dummy"
    Driver "dummy"
    VideoRam 256000
EndSection
Section "Monitor"
    Identifier "monitor"
    HorizSync 5.0-1000.0
    VertRefresh 5.0-200.0
EndSection
Section "Screen"
    Identifier "screen"
    Device "dummy"
    Monitor "monitor"
    DefaultDepth 24
    SubSection "Display"
        Depth 24
        Virtual 4096 2048
    EndSubSection
EndSection
Section "ServerFlags"
    Option "AutoAddDevices" "False"
    Option "DontVTSwitch" "True"
EndSection
"""

# 1024x768 at 60 Hz (CVT timings); the dummy driver accepts any mode inside the Monitor's wide ranges.
MODE_NAME = "1024x768_d"
MODE_LINE = ["63.50", "1024", "1072", "1176", "1328", "768", "771", "775", "798", "-hsync", "+vsync"]
MODE_SIZE = (1024, 768)


class XorgDummyServer(LabXServer):
    """Xorg + dummy driver on a free display with `monitors` outputs of 1024x768 side by side."""

    def __init__(self, monitors: int = 2, window_manager: str | None = "openbox") -> None:
        super().__init__()
        self.monitors = monitors
        self.window_manager = window_manager
        self.proc: subprocess.Popen | None = None
        self.wm: subprocess.Popen | None = None

    @property
    def size(self) -> tuple[int, int]:
        return MODE_SIZE[0] * self.monitors, MODE_SIZE[1]

    def __enter__(self) -> XorgDummyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 20.0) -> XorgDummyServer:
        for tool in ("Xorg", "xrandr", *([self.window_manager] if self.window_manager else [])):
            if shutil.which(tool) is None:
                raise procs.LabProcessError(
                    f"{tool} not found: install xserver-xorg-core xserver-xorg-video-dummy x11-xserver-utils openbox"
                )
        self.tmpdir = Path(tempfile.mkdtemp(prefix="spiceview-xorg-dummy-"))
        procs.register(self)
        try:
            self._launch(timeout)
            self._layout()
            if self.window_manager:
                self.wm = self.run_client([self.window_manager])
                time.sleep(1.0)  # let it take over the root window before clients map theirs
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, timeout: float) -> None:
        assert self.tmpdir is not None
        conf = self.tmpdir / "xorg.conf"
        conf.write_text(_CONF)
        self._reservation = reserve_display()
        self.display_number = self._reservation.number
        log = self.tmpdir / "Xorg.log"
        argv = ["Xorg", "-config", str(conf), "-noreset", "-nolisten", "tcp", "-logfile", str(log), self.display]
        self.proc = procs.spawn(argv, env=clean_env(), log=self.tmpdir / "xorg.out")
        proc = self.proc
        try:
            wait_x_ready(self.display_number, timeout=timeout, alive=lambda: proc.poll() is None)
        except procs.LabProcessError as e:
            time.sleep(0.1)
            raise procs.LabProcessError(f"{e}; log tail:\n{procs.tail(log)}") from None

    def _xrandr(self, *args: str) -> None:
        subprocess.run(["xrandr", *args], env=self.env, check=True, capture_output=True, timeout=20)

    def _layout(self) -> None:
        self._xrandr("--newmode", MODE_NAME, *MODE_LINE)
        outputs: list[str] = []
        for index in range(self.monitors):
            self._xrandr("--addmode", f"DUMMY{index}", MODE_NAME)
            outputs += ["--output", f"DUMMY{index}", "--mode", MODE_NAME, "--pos", f"{index * MODE_SIZE[0]}x0"]
        width, height = self.size
        self._xrandr(*outputs, "--fb", f"{width}x{height}")

    def stop(self) -> None:
        self._stop_clients()
        if self.proc is not None:
            procs.stop_child(self.proc, timeout=5.0)
            self.proc = None
        self._release_display()
        procs.unregister(self)
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def __repr__(self) -> str:
        running = self.proc is not None and self.proc.poll() is None
        return f"<XorgDummyServer {self.display if running else 'stopped'} x{self.monitors}>"
