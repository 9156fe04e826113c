"""Issue 7: QEMU with two qxl cards and no guest: two display channels, only the first ever gets a surface.

spiceview must link both channels, show SeaBIOS in one window, and open no empty or broken window for the second
card. The picture is checked against QEMU's own `screendump` of the first card; SeaBIOS's blinking text cursor
makes 0 or 18 pixels differ between any two captures (see LAB.md), so that many are allowed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from spiceview_lab import xwd
from spiceview_lab.pixels import rgb_from_bgrx, save_png
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.xvfb]

CURSOR_BLINK_PIXELS = 18


def read_ppm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    fields = data.split(maxsplit=4)
    assert fields[0] == b"P6", fields[0]
    width, height = int(fields[1]), int(fields[2])
    return np.frombuffer(fields[4][: width * height * 3], np.uint8).reshape(height, width, 3)


def differing_pixels_at_best_offset(screen: np.ndarray, picture: np.ndarray, rows: int = 120) -> int:
    """Fewest differing pixels of `picture` against the client screen, over the first `rows` vertical offsets at
    x = 0 (no window manager: the window sits at the top left, below its menu bar)."""
    h, w = picture.shape[:2]
    best = h * w
    for dy in range(min(rows, screen.shape[0] - h) + 1):
        diff = int(np.any(screen[dy : dy + h, :w] != picture, axis=2).sum())
        best = min(best, diff)
    return best


def test_two_qxl_heads_one_window(xvfb, artifacts_dir: Path) -> None:
    require("qemu-system-x86_64", "xdotool", "xwd")
    from spiceview_lab.qemu import QemuServer

    client = xvfb(width=1280, height=800)
    log_path = artifacts_dir / "viewer.log"
    with QemuServer(heads=2) as server:
        viewer = subprocess.Popen(
            [sys.executable, "-m", "spiceview", "--debug", "--scaling", "1:1", server.uri],
            env={**client.env, "QT_QPA_PLATFORM": "xcb"},
            stdout=subprocess.DEVNULL,
            stderr=log_path.open("w"),
        )
        try:
            deadline = time.monotonic() + 30
            best = -1
            while time.monotonic() < deadline:
                time.sleep(1.0)
                reference = server.qmp.screendump(artifacts_dir / "qemu.ppm")
                screen = rgb_from_bgrx(xwd.capture(client.display))
                best = differing_pixels_at_best_offset(screen, read_ppm(reference))
                if best <= CURSOR_BLINK_PIXELS:
                    break
            save_png(screen, artifacts_dir / "client.png")
            assert best <= CURSOR_BLINK_PIXELS, f"SeaBIOS not shown: {best} pixels differ from QEMU's screendump"
            time.sleep(2.0)  # time for a wrong second window to show up
            windows = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--pid", str(viewer.pid)],
                env=client.env,
                capture_output=True,
                text=True,
            ).stdout.split()
            assert len(windows) == 1, f"expected one window, found {windows}"
        finally:
            viewer.terminate()
            viewer.wait(10)
    log = log_path.read_text()
    assert "display-0 DEBUG: linked" in log and "display-1 DEBUG: linked" in log, "both display channels linked"
    assert "Traceback" not in log
