"""RedScreen: the widget that shows one guest monitor by composing its ScreenLayers."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

from ..canvas.surface import Surface
from .screen_layer import DisplayLayer, ScreenLayer


class RedScreen(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.display_layer = DisplayLayer()
        self.layers: list[ScreenLayer] = [self.display_layer]
        self.guest_size = QSize(640, 480)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def set_surface(self, surface: Surface | None) -> None:
        self.display_layer.set_surface(surface)
        if surface is not None:
            self.guest_size = QSize(surface.width, surface.height)
            self.updateGeometry()
        self.update()

    def add_layer(self, layer: ScreenLayer) -> None:
        self.layers.append(layer)
        self.layers.sort(key=lambda item: item.z_order)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return self.guest_size

    def invalidate(self, x: int, y: int, w: int, h: int) -> None:
        self.update(QRect(x, y, w, h))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        rect = event.rect()
        painter.fillRect(rect, QColor(0, 0, 0))
        guest = rect.intersected(QRect(0, 0, self.guest_size.width(), self.guest_size.height()))
        if not guest.isEmpty():
            for layer in self.layers:
                layer.paint(painter, guest)
        painter.end()
