"""--stats-json and --record-images work in a window too (they were silently ignored there): the statistics are
written when the viewer ends, and the images received are recorded as they arrive."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spiceview_lab.requirements import require

pytestmark = [pytest.mark.xspice, pytest.mark.xvfb]


def test_a_window_writes_its_statistics_and_records_images(xspice, tmp_path: Path) -> None:
    require("Xvfb")
    from spiceview_lab.xvfb import XvfbServer

    server = xspice(image_compression="auto_glz")
    stats, images = tmp_path / "stats.json", tmp_path / "images"
    with XvfbServer(1280, 1000) as client:
        viewer = subprocess.Popen(
            [sys.executable, "-m", "spiceview", "--stats-json", str(stats), "--record-images", str(images), server.uri],
            env={**client.env, "QT_QPA_PLATFORM": "xcb"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while not (images.is_dir() and any(images.iterdir())) and time.monotonic() < deadline:
                time.sleep(0.2)
            viewer.send_signal(signal.SIGINT)  # the viewer's Ctrl+C: a normal end
            _, err = viewer.communicate(timeout=30)
        finally:
            if viewer.poll() is None:
                viewer.kill()
    assert "Traceback" not in err
    assert any(images.iterdir()), "no image recorded"
    received = json.loads(stats.read_text())
    assert received["channels"]["display-0"] and received["draw_errors"] == 0
