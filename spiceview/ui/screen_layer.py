"""ScreenLayers: what a RedScreen stacks and paints, bottom to top (the display, later the cursor overlay)."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QPainter

from ..canvas.surface import Surface


class ScreenLayer:
    """One layer of a RedScreen; coordinates are guest pixels."""

    z_order = 0

    def paint(self, painter: QPainter, guest_rect: QRect) -> None:
        raise NotImplementedError


class DisplayLayer(ScreenLayer):
    """Paints one guest monitor: an area of a display channel's surface, sharing its memory (no copy per frame).

    Guest coordinates of the layer are relative to the monitor's area (x, y of the head within the surface).
    """

    z_order = 0

    def __init__(self) -> None:
        self.surface: Surface | None = None
        self.area = QRect()
        self._image: QImage | None = None

    def set_surface(self, surface: Surface | None, area: QRect | None = None) -> None:
        self.surface = surface
        self._image = None
        if surface is None:
            self.area = QRect()
            return
        self.area = area if area is not None else QRect(0, 0, surface.width, surface.height)
        if not surface.is_alpha_only:
            fmt = QImage.Format.Format_ARGB32_Premultiplied if surface.has_alpha else QImage.Format.Format_RGB32
            self._image = QImage(surface.storage.data, surface.width, surface.height, surface.stride, fmt)

    def is_opaque(self) -> bool:
        """Whether painting covers every pixel of the area with an opaque picture (so nothing need be below)."""
        surface = self.surface
        if surface is None or self._image is None or surface.has_alpha:
            return False
        return QRect(0, 0, surface.width, surface.height).contains(self.area)

    def paint(self, painter: QPainter, guest_rect: QRect) -> None:
        if self.surface is None or self._image is None:
            return
        source = guest_rect.translated(self.area.topLeft())
        with self.surface.lock:
            painter.drawImage(guest_rect, self._image, source)
