"""XspiceServer: a real SPICE server (Xorg + spiceqxl) on 127.0.0.1, started and stopped by PID."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from spiceview_lab import procs, xwd
from spiceview_lab.certs import X509Dir, make_x509_dir
from spiceview_lab.ports import (
    free_ports,
    port_accepts,
    reserve_display,
)
from spiceview_lab.vdagent import Vdagent
from spiceview_lab.x11 import clean_env, wait_x_ready
from spiceview_lab.x_server import LabXServer
from spiceview_lab.xspice_conf import VdagentPaths, xorg_conf, xorg_shim

ImageCompression = Literal["off", "auto_glz", "auto_lz", "quic", "glz", "lz"]
WanCompression = Literal["auto", "never", "always"]
StreamingVideo = Literal["off", "all", "filter"]

IMAGE_COMPRESSIONS = ("off", "auto_glz", "auto_lz", "quic", "glz", "lz")
WAN_COMPRESSIONS = ("auto", "never", "always")
STREAMING_VIDEO = ("off", "all", "filter")

# Log lines meaning "someone took our display or port between our check and Xorg's bind": just retry.
_RETRYABLE = ("already active for display", "binding socket to", "Address already in use")
_ATTEMPTS = 4


class XspiceError(procs.LabProcessError):
    """Xspice would not start (the message carries the log tail)."""


def _choice(name: str, value: str | None, allowed: Sequence[str]) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(allowed)}")


class XspiceServer(LabXServer):
    """An Xspice X server that is a SPICE server on 127.0.0.1, for tests, benchmarks and the demo.

    Use as a context manager or call start()/stop(). After start(): `display` (":N"), `port` (plain TCP,
    None if plaintext=False), `tls_port` (None without TLS), `password`, `ca_file` (the CA a TLS client
    must trust), `uri`, `env` (for X clients), `transfer_dir` (vdagent file transfers), `audio_fifo_dir`.
    """

    def __init__(
        self,
        *,
        image_compression: ImageCompression | None = None,
        jpeg_wan_compression: WanCompression | None = None,
        zlib_glz_wan_compression: WanCompression | None = None,
        streaming_video: StreamingVideo | None = None,
        video_codecs: str | None = None,
        deferred_fps: int | None = None,
        password: str | None = None,
        tls: bool = False,
        plaintext: bool = True,
        x509_dir: X509Dir | None = None,
        numheads: int = 1,
        vdagent: bool = False,
        audio: bool = False,
        size: tuple[int, int] | None = None,
        framebuffer_mb: int = 16,
        startup_timeout: float = 20.0,
        extra_args: Sequence[str] = (),
        keep_files: bool = False,
        port: int | None = None,
    ) -> None:
        _choice("image_compression", image_compression, IMAGE_COMPRESSIONS)
        _choice("jpeg_wan_compression", jpeg_wan_compression, WAN_COMPRESSIONS)
        _choice("zlib_glz_wan_compression", zlib_glz_wan_compression, WAN_COMPRESSIONS)
        _choice("streaming_video", streaming_video, STREAMING_VIDEO)
        if not (plaintext or tls):
            raise ValueError("need a plaintext port, a TLS port or both")
        if numheads < 1:
            raise ValueError("numheads must be >= 1")
        self.image_compression = image_compression
        self.jpeg_wan_compression = jpeg_wan_compression
        self.zlib_glz_wan_compression = zlib_glz_wan_compression
        self.streaming_video = streaming_video
        self.video_codecs = video_codecs
        self.deferred_fps = deferred_fps
        self.password = password
        self.tls = tls
        self.plaintext = plaintext
        self.x509: X509Dir | None = x509_dir
        self.numheads = numheads
        self.use_vdagent = vdagent
        self.audio = audio
        self.size = size
        self.framebuffer_mb = framebuffer_mb
        self.startup_timeout = startup_timeout
        self.extra_args = tuple(extra_args)
        self.keep_files = keep_files
        self.wanted_port = port  # a fixed plaintext port (a server coming back where a client reconnects)

        super().__init__()
        self.port: int | None = None
        self.tls_port: int | None = None
        self.wrapper: subprocess.Popen | None = None  # the Xspice python wrapper (our child)
        self.xorg_pid: int | None = None  # Xorg, the wrapper's child
        self._xorg_started: int | None = None  # its start time, so a reused PID is never signalled
        self.vdagent: Vdagent | None = None
        self.startup_seconds: float | None = None

    # -- public properties -------------------------------------------------------------------------

    @property
    def uri(self) -> str:
        """spice://127.0.0.1:PORT (plus ?tls-port=T with TLS); the password is not in it."""
        if self.port is None and self.tls_port is None:
            raise RuntimeError("XspiceServer not started")
        base = f"spice://127.0.0.1:{self.port}" if self.port is not None else "spice://127.0.0.1"
        return base if self.tls_port is None else f"{base}?tls-port={self.tls_port}"

    @property
    def ca_file(self) -> Path | None:
        return self.x509.ca_file if self.tls and self.x509 is not None else None

    @property
    def transfer_dir(self) -> Path | None:
        return self.vdagent.transfer_dir if self.vdagent is not None else None

    @property
    def audio_fifo_dir(self) -> Path | None:
        return self.tmpdir / "audio" if self.audio and self.tmpdir is not None else None

    @property
    def log_path(self) -> Path:
        """Wrapper + Xorg stdout/stderr (spice-server warnings land here)."""
        assert self.tmpdir is not None
        return self.tmpdir / "xspice.log"

    @property
    def xorg_log_path(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "Xorg.log"

    # -- lifecycle ---------------------------------------------------------------------------------

    def __enter__(self) -> XspiceServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> XspiceServer:
        if self.wrapper is not None:
            raise RuntimeError("XspiceServer already started")
        if shutil.which("Xspice") is None:
            raise XspiceError("Xspice not found: install the Debian/Ubuntu package xserver-xspice")
        t0 = time.monotonic()
        self.tmpdir = Path(tempfile.mkdtemp(prefix="spiceview-xspice-"))
        procs.register(self)
        try:
            if self.tls and self.x509 is None:
                self.x509 = make_x509_dir(self.tmpdir / "x509")
            if self.audio:
                (self.tmpdir / "audio").mkdir()  # empty: FIFOs must be made after start
            for attempt in range(_ATTEMPTS):
                try:
                    self._launch()
                    break
                except XspiceError as e:
                    retry = attempt + 1 < _ATTEMPTS and any(s in str(e) for s in _RETRYABLE)
                    self._stop_server()
                    if not retry:
                        raise
            if self.size is not None:
                self.set_size(*self.size)
            if self.use_vdagent:
                assert self.vdagent is not None
                self.vdagent.start(self.env, self.alive, timeout=self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _launch(self) -> None:
        """One attempt: fresh display and ports, our xorg.conf, the wrapper; wait for SPICE and X."""
        assert self.tmpdir is not None
        self._reservation = reserve_display()
        self.display_number = self._reservation.number
        ports = free_ports(int(self.plaintext) + int(self.tls))
        if self.wanted_port is not None and self.plaintext:
            ports[0] = self.wanted_port
        if any(port_accepts(p) for p in ports):  # taken since: its listener would fake our readiness
            raise XspiceError(f"port {ports} taken before Xspice started: Address already in use")
        self.port = ports.pop(0) if self.plaintext else None
        self.tls_port = ports.pop(0) if self.tls else None

        vd_paths = None
        if self.use_vdagent:
            vd_dir = self.tmpdir / "vdagent"
            shutil.rmtree(vd_dir, ignore_errors=True)  # the driver's paths must not pre-exist
            vd_dir.mkdir()
            vd_paths = VdagentPaths(vd_dir / "virtio", vd_dir / "uinput", os.getuid(), os.getgid())
            self.vdagent = Vdagent(vd_paths, vd_dir, self.display)
        conf = self.tmpdir / "xorg.conf"
        conf.write_text(
            xorg_conf(
                numheads=self.numheads,
                framebuffer_mb=self.framebuffer_mb,
                vdagent=vd_paths,
                audio_fifo_dir=self.audio_fifo_dir,
            )
        )
        argv = ["Xspice", "--config", str(conf), *self._wrapper_flags()]
        if vd_paths is not None:
            # The wrapper exports XSPICE_VDAGENT_ENABLED=0 (its --vdagent crashes): a shim re-exports 1.
            shim = self.tmpdir / "xorg-shim.sh"
            xorg = shutil.which("Xorg") or "/usr/bin/Xorg"
            shim.write_text(xorg_shim(xorg, {"XSPICE_VDAGENT_ENABLED": "1"}))
            shim.chmod(0o755)
            argv[1:1] = ["--xorg", str(shim)]
        argv += [*self.extra_args, "-nolisten", "tcp", "-logfile", str(self.xorg_log_path), self.display]
        # XSPICE_ADDR: belt and braces with SpiceAddr; the wrapper has no listen-address flag.
        env = {**clean_env(), "XSPICE_ADDR": "127.0.0.1"}
        for log in (self.log_path, self.xorg_log_path):
            if log.exists():  # a failed attempt's log: keep it aside, the new one must start empty
                log.rename(log.with_suffix(f".{time.monotonic_ns()}.failed"))
        self.log_path.write_text(f"--- {' '.join(argv)}\n")
        self.wrapper = procs.spawn(argv, env=env, log=self.log_path)
        deadline = time.monotonic() + self.startup_timeout
        spice_port = self.port if self.port is not None else self.tls_port
        assert spice_port is not None
        try:
            procs.wait_for_port(
                spice_port,
                timeout=self.startup_timeout,
                alive=self._alive_starting,
                what="Xspice",
                log=self.log_path,
            )
            if self.tls_port is not None and self.port is not None:
                procs.wait_for_port(
                    self.tls_port,
                    timeout=self.startup_timeout,
                    alive=self._alive_starting,
                    what="Xspice TLS",
                    log=self.log_path,
                )
            self._find_xorg(deadline)
            wait_x_ready(self.display_number, timeout=max(1.0, deadline - time.monotonic()), alive=self.alive)
        except procs.LabProcessError as e:
            msg = str(e)
            if "log tail" not in msg:
                msg += f"; log tail:\n{procs.tail(self.log_path)}"
            raise XspiceError(msg) from None

    def _wrapper_flags(self) -> list[str]:
        flags: list[str] = []
        if self.port is not None:
            flags += ["--port", str(self.port)]
        if self.tls_port is not None:
            assert self.x509 is not None
            flags += ["--tls-port", str(self.tls_port), "--x509-dir", str(self.x509.path)]
        if self.password is not None:
            flags += ["--password", self.password]
        else:
            flags.append("--disable-ticketing")
        if self.numheads != 1:
            flags += ["--numheads", str(self.numheads)]
        for flag, value in (
            ("--image-compression", self.image_compression),
            ("--jpeg-wan-compression", self.jpeg_wan_compression),
            ("--zlib-glz-wan-compression", self.zlib_glz_wan_compression),
            ("--streaming-video", self.streaming_video),
            ("--video-codecs", self.video_codecs),
            ("--deferred-fps", None if self.deferred_fps is None else str(self.deferred_fps)),
        ):
            if value is not None:
                flags += [flag, value]
        return flags

    def _alive_starting(self) -> bool:
        if self.wrapper is None or self.wrapper.poll() is not None:
            return False
        if self.xorg_pid is None:
            kids = procs.children(self.wrapper.pid)
            if kids:
                self.xorg_pid, self._xorg_started = kids[0], procs.start_time(kids[0])
        if self.xorg_pid is not None and not procs.is_running(self.xorg_pid, self._xorg_started):
            return False  # the wrapper sleeps 2 s before noticing: don't wait for it
        return "Fatal server error" not in procs.tail(self.log_path, 200)

    def _find_xorg(self, deadline: float) -> None:
        while self.xorg_pid is None:
            if not self._alive_starting():
                raise procs.LabProcessError(f"Xorg died; log tail:\n{procs.tail(self.log_path)}")
            if time.monotonic() > deadline:
                raise procs.LabProcessError("Xspice wrapper started no Xorg")
            time.sleep(0.02)

    def alive(self) -> bool:
        """True while the wrapper and its Xorg run."""
        return (
            self.wrapper is not None
            and self.wrapper.poll() is None
            and self.xorg_pid is not None
            and procs.is_running(self.xorg_pid, self._xorg_started)
        )

    def stop(self) -> None:
        """Stop X clients, the agent, Xorg, then the wrapper, all by PID; remove our files. Idempotent."""
        self._stop_clients()
        if self.vdagent is not None:
            self.vdagent.stop()
        self._stop_server()
        procs.unregister(self)
        if self.x509 is not None and self.tmpdir is not None and self.x509.path.is_relative_to(self.tmpdir):
            self.x509 = None  # made for this run: a restart makes a new one
        if self.tmpdir is not None and not self.keep_files:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _stop_server(self) -> None:
        if self.wrapper is not None and self.wrapper.poll() is None and self.xorg_pid is None:
            # Xorg not seen yet: freeze the wrapper so it cannot start one behind our back, then look.
            self.wrapper.send_signal(signal.SIGSTOP)
            kids = procs.children(self.wrapper.pid)
            if kids:
                self.xorg_pid, self._xorg_started = kids[0], procs.start_time(kids[0])
            else:
                procs.stop_child(self.wrapper, timeout=1.0, sig=signal.SIGKILL)
        # Xorg first: the wrapper can hang in its own SIGTERM handler, but exits by itself once Xorg is gone.
        if self.xorg_pid is not None:
            procs.stop_pid(self.xorg_pid, started=self._xorg_started, timeout=5.0)
        if self.wrapper is not None and self.wrapper.poll() is None:
            self.wrapper.send_signal(signal.SIGCONT)
            try:
                self.wrapper.wait(0.15)
            except subprocess.TimeoutExpired:
                # It sleeps 2 s after starting Xorg before it looks again. Xorg is its zombie child now: its
                # SIGTERM handler's Popen.kill() polls first and so reaps it (no hang: the main thread is
                # not inside xorg.wait()); then SIGKILL skips the rest of the sleep. PID 1 reaps otherwise.
                self.wrapper.send_signal(signal.SIGTERM)
                deadline = time.monotonic() + 0.5
                while self.xorg_pid is not None and Path(f"/proc/{self.xorg_pid}").exists():
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.01)
                procs.stop_child(self.wrapper, timeout=1.0, sig=signal.SIGKILL)
        self._release_display()  # lock files only if their PID is gone
        self.wrapper = None
        self.xorg_pid = self._xorg_started = None

    # -- things to do with a running server --------------------------------------------------------

    def run(self, argv: Sequence[str], timeout: float = 30.0) -> subprocess.CompletedProcess:
        """Run a short X command on this display to completion (xrandr, xdotool...); raises on failure."""
        return subprocess.run(list(argv), env=self.env, capture_output=True, text=True, timeout=timeout, check=True)

    def set_size(self, width: int, height: int) -> None:
        """Resize the first head with xrandr, adding a mode if Xspice lacks that size."""
        try:
            self.run(["xrandr", "-s", f"{width}x{height}"])
            return
        except subprocess.CalledProcessError as e:
            if "not found" not in (e.stderr or "") + (e.stdout or ""):
                raise
        name = f"{width}x{height}_lab"
        with contextlib.suppress(subprocess.CalledProcessError):  # already added by an earlier call
            self.run(["xrandr", "--newmode", name, "60", *[str(width)] * 4, *[str(height)] * 4])
        with contextlib.suppress(subprocess.CalledProcessError):
            self.run(["xrandr", "--addmode", "qxl-0", name])
        self.run(["xrandr", "--output", "qxl-0", "--mode", name])

    def new_audio_fifo(self, name: str = "playback") -> Path:
        """Make a FIFO in the audio dir (only after start: pre-existing FIFOs are never opened).

        Write raw S16LE stereo 48 kHz into it; each FIFO is used once (dropped when its writer closes).
        """
        if self.audio_fifo_dir is None or not self.alive():
            raise RuntimeError("start an XspiceServer(audio=True) first")
        path = self.audio_fifo_dir / name
        os.mkfifo(path)
        return path

    def screenshot(self) -> np.ndarray:
        """Ground truth: the root window via xwd, as an (H, W, 4) uint8 B,G,R,0xFF array."""
        return xwd.capture(self.display)

    def __repr__(self) -> str:
        if self.display_number is None or not self.alive():
            return "<XspiceServer stopped>"
        return f"<XspiceServer {self.display} {self.uri}>"
