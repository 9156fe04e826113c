"""The window shows changed boxes straight from the surface's shared memory (ui/x11_shm.py) on a real X server,
pixel for pixel, and falls back to Qt's painting where that would be wrong (an overlay over the picture, a zoom).

The program runs in its own process: the suite's QApplication is offscreen, this one must be on Xvfb.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spiceview_lab import xwd
from spiceview_lab.pixels import save_png

pytestmark = pytest.mark.xvfb

PROGRAM = r"""
import json, sys, time
import numpy as np
from PySide6.QtWidgets import QApplication, QLabel
from PySide6.QtCore import QEventLoop

app = QApplication(["x11-shm-test", "-platform", "xcb"])
from spiceview.canvas.surface import Surface
from spiceview.protocol.constants import SurfaceFmt
from spiceview.ui.red_screen import RedScreen
from spiceview.ui.x11_shm import shm_presenter

def settle(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

def pattern(seed, h, w):
    rng = np.random.default_rng(seed)
    px = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    px[..., 3] = 255
    return px

presenter = shm_presenter()
assert presenter is not None, "no MIT-SHM presenter on Xvfb"
surface = Surface(0, 320, 200, SurfaceFmt.FMT_32_xRGB, True, presenter.allocate)
surface.pixels[...] = pattern(1, 200, 320)
screen = RedScreen()
paints = []
original_paint = screen.paintEvent
screen.paintEvent = lambda event: (paints.append(event.region().boundingRect().getRect()), original_paint(event))[1]
if sys.argv[1] == "monitor":  # the second of two guest monitors side by side on one surface
    from PySide6.QtCore import QRect
    screen.set_surface(surface, QRect(160, 40, 160, 120))
    screen.setGeometry(0, 0, 160, 120)
else:
    screen.set_surface(surface)
    screen.setGeometry(0, 0, 320, 200)
screen.show()
settle(0.5)
result = {"first_paints": len(paints)}

step = sys.argv[1]
if step in ("direct", "monitor"):
    surface.pixels[50:150, 40:300] = pattern(2, 100, 260)
    before, paints[:] = presenter.puts, []
    screen.show_surface_boxes([(40, 50, 300, 150)])
    result["puts"] = presenter.puts - before
    result["paints_at_once"] = len(paints)
    np.save(sys.argv[2], surface.pixels)
    print(json.dumps(result), flush=True)
    sys.stdin.readline()  # the test has captured the screen: before Qt's backing store catches up
    settle(1.0)  # it catches up now (Qt repaints what went past it)
    result["catch_up_paints"] = paints
elif step == "overlay":
    overlay = QLabel("statistics", screen)
    overlay.setGeometry(10, 10, 100, 30)
    overlay.show()
    screen.overlays = [overlay]
    settle(0.3)
    overlay.hide()  # hidden again before the change, then shown over it
    settle(0.3)
    overlay.show()
    surface.pixels[50:150, 40:300] = pattern(3, 100, 260)
    before = presenter.puts
    screen.show_surface_boxes([(40, 50, 300, 150)])
    settle(0.5)
    result["puts"] = presenter.puts - before
elif step == "zoom":
    screen.zoom = 2.0
    before = presenter.puts
    screen.show_surface_boxes([(0, 0, 10, 10)])
    result["puts"] = presenter.puts - before
np.save(sys.argv[2], surface.pixels)
print(json.dumps(result), flush=True)
time.sleep(30)  # the window stays on the screen until the test has captured it
"""


def run_step(step: str, xvfb, tmp_path: Path) -> tuple[dict, np.ndarray, np.ndarray]:  # noqa: ANN001
    """Runs PROGRAM's `step`: (what it printed last, the surface's pixels, the screen when it first printed)."""
    client_x = xvfb(width=400, height=300)
    expected = tmp_path / f"{step}.npy"
    proc = subprocess.Popen(
        [sys.executable, "-c", PROGRAM, step, str(expected)],
        env={**client_x.env, "QT_QPA_PLATFORM": "xcb"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()[-3000:]
        shown = xwd.capture(client_x.display)  # while the program waits, its window up
        pixels = np.load(expected)
        if step in ("direct", "monitor"):
            proc.stdin.write("captured\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            assert line, proc.stderr.read()[-3000:]
    finally:
        proc.kill()
        proc.wait(10)
    return json.loads(line), pixels, shown


def test_changed_boxes_reach_the_x_server_from_shared_memory(xvfb, tmp_path: Path, artifacts_dir: Path) -> None:  # noqa: ANN001
    result, surface, shown = run_step("direct", xvfb, tmp_path)
    save_png(shown, artifacts_dir / "screen.png")
    assert result["puts"] == 1 and result["paints_at_once"] == 0, result  # one put, no Qt paint for it
    assert np.array_equal(shown[:200, :320, :3], surface[..., :3]), "the window does not show the surface exactly"
    # Qt's backing store catches up with one repaint of what went past it.
    assert result["catch_up_paints"] == [[40, 50, 260, 100]], result


def test_an_overlay_over_the_picture_sends_it_through_qt(xvfb, tmp_path: Path) -> None:  # noqa: ANN001
    result, surface, shown = run_step("overlay", xvfb, tmp_path)
    assert result["puts"] == 0, result
    # Qt painted the change (the overlay's own corner aside).
    assert np.array_equal(shown[60:200, :320, :3], surface[60:, :, :3])


def test_a_zoomed_screen_is_painted_by_qt(xvfb, tmp_path: Path) -> None:  # noqa: ANN001
    result, _surface, _shown = run_step("zoom", xvfb, tmp_path)
    assert result["puts"] == 0, result


def test_a_monitor_shows_its_own_area_of_the_surface(xvfb, tmp_path: Path) -> None:  # noqa: ANN001
    result, surface, shown = run_step("monitor", xvfb, tmp_path)
    assert result["puts"] == 1, result
    assert np.array_equal(shown[:120, :160, :3], surface[40:160, 160:320, :3])
