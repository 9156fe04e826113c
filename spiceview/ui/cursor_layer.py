"""The guest's cursor, as a local pointer shape (client mouse mode) or drawn over the display (server mode)."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QCursor, QImage, QPainter, QPixmap

from ..canvas.cursors import CursorShape
from .screen_layer import ScreenLayer


def shape_image(shape: CursorShape) -> QImage:
    argb = shape.argb
    image = QImage(argb.data, shape.width, shape.height, argb.strides[0], QImage.Format.Format_ARGB32_Premultiplied)
    return image.copy()  # own the pixels: the numpy array may go away


def local_cursor(shape: CursorShape) -> QCursor:
    return QCursor(QPixmap.fromImage(shape_image(shape)), shape.hot_x, shape.hot_y)


class CursorLayer(ScreenLayer):
    """Draws the guest cursor at the guest's pointer position; used while the local pointer is hidden."""

    z_order = 10

    def __init__(self) -> None:
        self.shape: CursorShape | None = None
        self.image: QImage | None = None
        self.position = (0, 0)
        self.visible = False

    def set_shape(self, shape: CursorShape | None) -> None:
        self.shape = shape
        self.image = shape_image(shape) if shape is not None else None

    def area(self) -> QRect:
        if self.shape is None:
            return QRect()
        x, y = self.position
        return QRect(x - self.shape.hot_x, y - self.shape.hot_y, self.shape.width, self.shape.height)

    def paint(self, painter: QPainter, guest_rect: QRect) -> None:
        if not self.visible or self.image is None:
            return
        area = self.area()
        if area.intersects(guest_rect):
            painter.drawImage(area.topLeft(), self.image)
