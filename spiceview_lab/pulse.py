"""PulseNullSink: a private PulseAudio with a null sink, so a machine without a sound card plays and records.

Whatever a client plays into it (through PortAudio/ALSA's pulse plugin, or pacat) can be recorded back from
the sink's monitor; `env` is what a child process needs to use it. Started in the foreground, stopped by PID.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from spiceview_lab import procs
from spiceview_lab.requirements import require

SINK = "vsink"
RATE = 48000


class Recording:
    """parec's output, read as it comes: a pipe left unread fills after a third of a second and parec stalls."""

    def __init__(self, proc: subprocess.Popen, channels: int) -> None:
        self.proc, self.channels = proc, channels
        self.chunks: list[tuple[float, bytes]] = []  # (time.monotonic() when read, data)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while data := self.proc.stdout.read1(1 << 16):
            self.chunks.append((time.monotonic(), data))

    def stop(self) -> np.ndarray:
        self.proc.terminate()
        self.proc.wait(10)
        self._reader.join(10)
        data = b"".join(chunk for _, chunk in self.chunks)
        usable = len(data) - len(data) % (2 * self.channels)
        return np.frombuffer(data[:usable], dtype="<i2").reshape(-1, self.channels)


class PulseNullSink:
    def __init__(self, rate: int = RATE, channels: int = 2) -> None:
        self.rate, self.channels = rate, channels
        self.proc: subprocess.Popen | None = None
        self.runtime_dir: Path | None = None

    @property
    def socket(self) -> Path:
        assert self.runtime_dir is not None
        return self.runtime_dir / "pulse" / "native"

    @property
    def env(self) -> dict[str, str]:
        """Environment for a client of this PulseAudio (its ALSA default device goes there too)."""
        assert self.runtime_dir is not None
        return {
            **os.environ,
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_SINK": SINK,
        }

    def start(self) -> PulseNullSink:
        require("pulseaudio", "pactl", "parec")
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="spiceview-pulse-"))
        argv = [
            "pulseaudio",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "-n",  # no default.pa: only the modules below
            "--load=module-native-protocol-unix",
            f"--load=module-null-sink sink_name={SINK} rate={self.rate} channels={self.channels}",
        ]
        self.proc = procs.spawn(argv, env=self.env, log=self.runtime_dir / "pulse.log")
        deadline = time.monotonic() + 15
        while not self._ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = procs.tail(self.runtime_dir / "pulse.log")
                self.stop()
                raise procs.LabProcessError(f"PulseAudio did not start:\n{log}")
            time.sleep(0.1)
        return self

    def _ready(self) -> bool:
        if not self.socket.exists():
            return False
        done = subprocess.run(["pactl", "info"], env=self.env, capture_output=True, timeout=10)
        return done.returncode == 0

    def record(self) -> Recording:
        """Start recording the sink's monitor as raw S16LE; end it with :meth:`stop_recording`."""
        proc = subprocess.Popen(
            [
                "parec",
                f"--device={SINK}.monitor",
                "--format=s16le",
                f"--rate={self.rate}",
                f"--channels={self.channels}",
                "--raw",
                "--latency-msec=20",
            ],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        return Recording(proc, self.channels)

    def stop_recording(self, recording: Recording) -> np.ndarray:
        """End a recording; what the sink played meanwhile, shaped (frames, channels)."""
        return recording.stop()

    def stop(self) -> None:
        if self.proc is not None:
            procs.stop_child(self.proc)
            self.proc = None
        if self.runtime_dir is not None:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
            self.runtime_dir = None

    def __enter__(self) -> PulseNullSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
