"""Issue 7: the same live frame through `--renderer cairo` and `--renderer gl` (Xvfb with Mesa llvmpipe).

One Xspice guest with a few X clients on it; spiceview's window at 1:1 on an Xvfb, once per renderer. The guest's
picture must appear in the client's X screen pixel for pixel (the ground truth is the guest's `xwd -root`), so the
two presentation paths show identical pixels.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from spiceview_lab import xwd
from spiceview_lab.pixels import save_png
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.xspice, pytest.mark.xvfb]


def window_area(screen: np.ndarray, picture: np.ndarray, rows: int = 120) -> np.ndarray | None:
    """The part of the client screen that holds the guest picture (the window sits at x = 0 without a window
    manager, its picture below the menu bar), or None when no vertical offset matches exactly."""
    h, w = picture.shape[:2]
    for dy in range(min(rows, screen.shape[0] - h) + 1):
        part = screen[dy : dy + h, :w, :3]
        if np.array_equal(part, picture[..., :3]):
            return part
    return None


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray | None]:
    """Each renderer's view of one unchanging guest picture (None when it never matched the guest)."""
    require("Xspice", "spiceqxl", "Xvfb", "libgl1-mesa-dri", "xwd", "xlogo", "xclock", "xterm")
    from spiceview_lab.scenes import hide_cursor
    from spiceview_lab.xspice import XspiceServer
    from spiceview_lab.xvfb import XvfbServer

    out = tmp_path_factory.mktemp("renderers")
    results: dict[str, np.ndarray | None] = {}
    with XspiceServer() as guest:
        hide_cursor(guest.display)
        guest.run_client(["xlogo", "-geometry", "300x300+40+40"])
        guest.run_client(["xclock", "-analog", "-update", "3600", "-geometry", "240x240+400+60"])
        guest.run_client(["xterm", "-geometry", "60x12+100+420", "-e", "sh", "-c", "ls -l /usr; sleep 600"])
        time.sleep(2.0)
        truth = xwd.capture(guest.display)
        save_png(truth, out / "guest.png")
        for renderer in ("cairo", "gl"):
            with XvfbServer(1280, 1000) as client:
                log = out / f"viewer-{renderer}.log"
                viewer = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "spiceview",
                        "--debug",
                        "--renderer",
                        renderer,
                        "--scaling",
                        "1:1",
                        guest.uri,
                    ],
                    env={**client.env, "QT_QPA_PLATFORM": "xcb"},
                    stdout=subprocess.DEVNULL,
                    stderr=log.open("w"),
                )
                try:
                    found = None
                    deadline = time.monotonic() + 30
                    while found is None and time.monotonic() < deadline:
                        time.sleep(0.5)
                        screen = xwd.capture(client.display)
                        found = window_area(screen, truth)
                    save_png(screen, out / f"client-{renderer}.png")
                    results[renderer] = found
                finally:
                    viewer.terminate()
                    viewer.wait(10)
            text = log.read_text()
            if "Traceback" in text or (renderer == "gl" and "OpenGL presentation ready" not in text):
                results[renderer] = None  # a crash, or the GL path fell back to software
    print(f"renderer frames in {out}")
    return results


@pytest.mark.parametrize("renderer", ["cairo", "gl"])
def test_renderer_shows_the_guest_exactly(frames: dict[str, np.ndarray | None], renderer: str) -> None:
    assert frames[renderer] is not None, f"--renderer {renderer}: the window never equalled the guest's xwd -root"


def test_gl_and_cairo_show_identical_pixels(frames: dict[str, np.ndarray | None]) -> None:
    cairo, gl = frames["cairo"], frames["gl"]
    assert cairo is not None and gl is not None
    assert np.array_equal(cairo, gl)
