"""In server mouse mode the guest's cursor is drawn over the display by a ScreenLayer (offscreen Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from spiceview.canvas.cursors import CursorShape
from spiceview.canvas.surface import Surface
from spiceview.protocol.constants import MouseMode, SurfaceFmt


@pytest.fixture(scope="module")
def app():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["test", "-platform", "offscreen"])


class FakeCursorChannel:
    def __init__(self, shape: CursorShape, position: tuple[int, int]) -> None:
        self.shape, self.position = shape, position
        from PySide6.QtCore import QObject, Signal

        class Signals(QObject):
            shape_changed = Signal()
            moved = Signal()

        self.signals = Signals()
        self.shape_changed = self.signals.shape_changed
        self.moved = self.signals.moved

    def state(self):  # noqa: ANN201
        return self.shape, self.position, True


def grab_pixels(widget) -> np.ndarray:  # noqa: ANN001
    from PySide6.QtGui import QImage

    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)


def test_server_mode_draws_the_guest_cursor(app) -> None:
    from spiceview.ui.red_screen import RedScreen

    surface = Surface(0, 64, 48, SurfaceFmt.FMT_32_xRGB, primary=True)
    surface.pixels[...] = [10, 20, 30, 255]
    argb = np.zeros((8, 8, 4), np.uint8)
    argb[2:6, 2:6] = [0, 0, 255, 255]  # a red square, opaque, in premultiplied B,G,R,A
    shape = CursorShape(8, 8, 2, 2, argb, None, None)
    screen = RedScreen()
    screen.set_surface(surface)
    screen.resize(64, 48)
    channel = FakeCursorChannel(shape, (30, 20))
    screen.set_cursor_channel(channel)  # type: ignore[arg-type]
    screen.set_mouse_mode(MouseMode.SERVER)
    pixels = grab_pixels(screen)
    # hot spot (2, 2) at (30, 20): the square covers (30..33, 20..23)
    assert pixels[21, 31, :3].tolist() == [0, 0, 255]
    assert pixels[10, 10, :3].tolist() == [10, 20, 30]
    screen.set_mouse_mode(MouseMode.CLIENT)  # client mode: the local pointer shows it, not the picture
    assert grab_pixels(screen)[21, 31, :3].tolist() == [10, 20, 30]
