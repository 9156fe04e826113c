"""The software renderer scaled (fit mode, zoom): a shrunken guest is box-filtered, as a downscaled picture must be,
and a repaint of several rectangles at a zoom paints each where it belongs."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QRegion

from spiceview.canvas.surface import Surface
from spiceview.protocol.constants import SurfaceFmt
from spiceview.ui.red_screen import RedScreen


def grab(screen: RedScreen, region: QRegion | None = None, base: np.ndarray | None = None) -> np.ndarray:
    """The widget painted into an image (only `region` of it over `base` when given), as (H, W, 3) B, G, R."""
    w, h = screen.width(), screen.height()
    image = QImage(w, h, QImage.Format.Format_RGB32)
    if base is not None:
        np.frombuffer(image.bits(), np.uint8).reshape(h, image.bytesPerLine() // 4, 4)[:, :w] = base
    region = region if region is not None else QRegion(screen.rect())
    screen.render(image, region.boundingRect().topLeft(), region)  # the region's corner lands at that offset
    return np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine() // 4, 4)[:, :w].copy()


def detailed_surface(width: int, height: int) -> Surface:
    """Fine detail a bad downscale turns to noise: one-pixel lines over a smooth gradient."""
    surface = Surface(0, width, height, SurfaceFmt.FMT_32_xRGB, primary=True)
    y, x = np.mgrid[0:height, 0:width]
    surface.pixels[..., 0] = (x * 255 // width).astype(np.uint8)
    surface.pixels[..., 1] = (y * 255 // height).astype(np.uint8)
    surface.pixels[..., 2] = np.where((x % 3 == 0) | (y % 4 == 0), 255, 40).astype(np.uint8)
    surface.pixels[..., 3] = 255
    return surface


def test_fit_mode_downscale_is_box_filtered(qt_application: object) -> None:
    surface = detailed_surface(1920, 1080)
    screen = RedScreen()
    screen.set_surface(surface)
    screen.zoom = 0.5
    screen.resize(960, 540)
    shown = grab(screen)[..., :3].astype(float)
    box = surface.pixels[..., :3].astype(float).reshape(540, 2, 960, 2, 3).mean(axis=(1, 3))
    error = np.abs(shown - box)
    assert error.mean() < 1.0 and error.max() <= 2, (error.mean(), error.max())
    nearest = surface.pixels[::2, ::2, :3].astype(float)  # what the QPainter renderer showed
    assert np.abs(nearest - box).mean() > 20  # the detail this test is about


def test_a_region_of_several_rectangles_at_a_zoom(qt_application: object) -> None:
    """Each rectangle of a repainted region at zoom 1.5 matches a whole repaint (the painter's scale used to
    compound from one rectangle to the next, drawing the second one at 2.25)."""
    surface = detailed_surface(200, 120)
    screen = RedScreen()
    screen.set_surface(surface)
    screen.zoom = 1.5
    screen.resize(300, 180)
    whole = grab(screen)
    region = QRegion(QRect(10, 10, 60, 40)) + QRegion(QRect(150, 100, 100, 60)) + QRegion(QRect(0, 170, 300, 10))
    parts = grab(screen, region, base=np.zeros_like(whole))
    for rect in region:
        x, y, w, h = rect.x(), rect.y(), rect.width(), rect.height()
        # Within rounding: pixman's fixed-point sampling phase depends a little on where a rectangle starts.
        diff = np.abs(parts[y : y + h, x : x + w].astype(int) - whole[y : y + h, x : x + w])
        assert diff.max() <= 3, (rect, diff.max())
