"""Running spiceview itself as a user would (its CLI, in a subprocess), for tests and benchmarks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spiceview_lab.pixels import compare, diff_image, load_png, save_png


@dataclass
class ViewerRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run_viewer_cli(args: list[str], timeout: float = 60.0, env: dict[str, str] | None = None) -> ViewerRun:
    """`python -m spiceview ARGS`, waited for; the wall time includes interpreter start-up."""
    full_env = dict(os.environ if env is None else env)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "spiceview", *args], capture_output=True, text=True, timeout=timeout, env=full_env
    )
    return ViewerRun(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def screenshot(target: str, out: Path, *extra: str, timeout: float = 60.0) -> tuple[np.ndarray, ViewerRun]:
    """`spiceview --screenshot OUT TARGET`; the picture as (H, W, 4) B,G,R,0xFF, or AssertionError."""
    run = run_viewer_cli(["--screenshot", str(out), *extra, target], timeout=timeout)
    if run.returncode != 0:
        raise AssertionError(f"spiceview --screenshot failed ({run.returncode}): {run.stderr.strip()}")
    return load_png(out), run


def assert_same_picture(got: np.ndarray, truth: np.ndarray, artifacts: Path, name: str = "picture") -> None:
    """Pixel-for-pixel equality; on failure both pictures and a diff image are left in `artifacts`."""
    if got.shape != truth.shape:
        save_png(got, artifacts / f"{name}-got.png")
        save_png(truth, artifacts / f"{name}-truth.png")
        raise AssertionError(f"{name}: size {got.shape[1]}x{got.shape[0]}, expected {truth.shape[1]}x{truth.shape[0]}")
    n, bbox = compare(got, truth)
    if n:
        save_png(got, artifacts / f"{name}-got.png")
        save_png(truth, artifacts / f"{name}-truth.png")
        save_png(diff_image(got, truth), artifacts / f"{name}-diff.png")
        raise AssertionError(f"{name}: {n} pixels differ within {bbox} (see {artifacts})")
