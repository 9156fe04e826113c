"""Guest media for tests and benchmarks: short clips made by ffmpeg from its built-in (lavfi) sources."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_clip(path: Path, source: str, seconds: float, *, encoder: str | None = None, timeout: float = 600) -> Path:
    """A yuv420p clip of an ffmpeg lavfi source (e.g. "testsrc2=size=320x240:rate=25"), `seconds` long."""
    argv = ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-t", str(seconds)]
    if encoder is not None:
        argv += ["-c:v", encoder]
    subprocess.run([*argv, "-pix_fmt", "yuv420p", str(path)], check=True, timeout=timeout)
    return path
