"""The window shows a picture the canvas has not drawn into the screen's memory yet (Canvas.copy defers a picture
covering the whole primary surface): the same pixels as once it is drawn, its undefined X bytes ignored."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from spiceview.canvas.surface import Surface
from spiceview.protocol.constants import SurfaceFmt
from spiceview.ui.red_screen import RedScreen


def grab(screen: RedScreen) -> np.ndarray:
    """What the widget paints, as (H, W, 4) B, G, R, X."""
    image = screen.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return rows[:, : image.width()].copy()


def test_the_window_paints_a_pending_picture_as_the_drawn_one(qt_application: object) -> None:
    w, h = 64, 48
    surface = Surface(0, w, h, SurfaceFmt.FMT_32_xRGB, primary=True)
    screen = RedScreen()
    screen.set_surface(surface)
    screen.resize(w, h)
    picture = np.random.default_rng(3).integers(0, 256, (h, w, 4), dtype=np.uint8)
    picture[..., 3] = 0  # GLZ leaves X as the wire had it
    surface.defer_picture(picture, set_x=True)
    pending_shown = grab(screen)[..., :3]
    assert np.array_equal(pending_shown, picture[..., :3])
    assert surface.pending_picture() is not None  # painting did not draw it into the surface
    # Another pending picture: the window follows it (not a stale QImage of the first).
    second = np.ascontiguousarray(picture[::-1])
    surface.defer_picture(second, set_x=True)
    assert np.array_equal(grab(screen)[..., :3], second[..., :3])
    # Once drawn into the surface (any look at its pixels), the window shows the surface's memory again.
    assert (surface.pixels[..., 3] == 0xFF).all() and surface.pending_picture() is None
    surface.pixels[:8, :8] = (1, 2, 3, 255)
    shown = grab(screen)[..., :3]
    assert tuple(shown[0, 0]) == (1, 2, 3) and np.array_equal(shown[8:, 8:], second[8:, 8:, :3])
