"""ScreenLayers: what a RedScreen stacks and paints, bottom to top (the display, later the cursor overlay)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QPainter

from ..canvas.surface import Surface

if TYPE_CHECKING:
    import cairo
    import numpy as np


class ScreenLayer:
    """One layer of a RedScreen; coordinates are guest pixels."""

    z_order = 0

    def paint(self, painter: QPainter, guest_rect: QRect) -> None:
        raise NotImplementedError

    def paint_scaled(self, painter: QPainter, widget_rect: QRect, guest_rect: QRect, zoom: float) -> None:
        """Paint at `zoom` widget pixels per guest pixel: `widget_rect` is what is repainted, `guest_rect` the
        guest pixels under it. By default the painter scales (right for small overlays such as the cursor)."""
        painter.save()
        painter.scale(zoom, zoom)
        self.paint(painter, guest_rect)
        painter.restore()


class DisplayLayer(ScreenLayer):
    """Paints one guest monitor: an area of a display channel's surface, sharing its memory (no copy per frame).

    Guest coordinates of the layer are relative to the monitor's area (x, y of the head within the surface).
    """

    z_order = 0

    def __init__(self) -> None:
        self.surface: Surface | None = None
        self.area = QRect()
        self._image: QImage | None = None
        self._scratch: cairo.ImageSurface | None = None  # scaled repaints, reused while big enough
        self._picture: tuple[np.ndarray, QImage] | None = None  # the last pending picture shown, and its QImage

    def set_surface(self, surface: Surface | None, area: QRect | None = None) -> None:
        self.surface = surface
        self._image = None
        self._picture = None
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
            pending = self.surface.pending_picture()
            if pending is not None and not pending[0].flags.c_contiguous:
                self.surface.pixels  # noqa: B018  # draws it into the surface: QImage wants whole rows
                pending = None
            image = self._image if pending is None else self._picture_image(pending[0])
            painter.drawImage(guest_rect, image, source)

    def _picture_image(self, picture: np.ndarray) -> QImage:
        """A QImage over a whole-surface picture not drawn into the surface yet (Canvas.copy defers it).

        RGB32 ignores the X byte, which such a picture may not have set: Qt reads RGB32 pixels as opaque."""
        cached = self._picture
        if cached is not None and cached[0] is picture:
            return cached[1]
        h, w = picture.shape[:2]
        image = QImage(picture.data, w, h, w * 4, QImage.Format.Format_RGB32)
        self._picture = (picture, image)  # the array outlives the QImage that reads it
        return image

    def paint_scaled(self, painter: QPainter, widget_rect: QRect, guest_rect: QRect, zoom: float) -> None:
        """Scaled by Cairo into an image of the repainted rectangle, then drawn 1:1.

        Cairo's GOOD filter averages every guest pixel a shrunken window covers (a box filter), where QPainter
        samples one pixel in each (fit mode turned text to noise) or, smoothed, interpolates between four;
        and it is the faster of the two (1.6 against 3.3 ms for a 1920x1080 picture halved). Enlarged by a
        fraction it interpolates linearly, by a whole number it repeats pixels, as the GL renderer does.
        """
        surface = self.surface
        if surface is None or self._image is None or widget_rect.isEmpty():
            return
        import cairo  # only for zoomed windows: a 1:1 viewer need not map it

        w, h = widget_rect.width(), widget_rect.height()
        scratch = self._scratch
        if scratch is None or scratch.get_width() < w or scratch.get_height() < h:
            scratch = self._scratch = cairo.ImageSurface(cairo.FORMAT_RGB24, w, h)
        cr = cairo.Context(scratch)
        cr.rectangle(0, 0, w, h)
        cr.clip()
        cr.translate(-widget_rect.x(), -widget_rect.y())
        cr.scale(zoom, zoom)
        with surface.lock:
            source = surface.cairo_surface()
            source.mark_dirty()  # numpy wrote the pixels since Cairo last looked
            cr.set_source_surface(source, -self.area.x(), -self.area.y())
            pattern = cr.get_source()
            # Whole-number enlargements stay crisp blocks, as the GL renderer shows them.
            whole = zoom >= 1 and zoom == int(zoom)
            pattern.set_filter(cairo.FILTER_NEAREST if whole else cairo.FILTER_GOOD)
            pattern.set_extend(cairo.EXTEND_PAD)  # edge pixels, not black, at the picture's border
            cr.set_operator(cairo.OPERATOR_SOURCE)
            cr.paint()
        scratch.flush()
        image = QImage(scratch.get_data(), scratch.get_width(), scratch.get_height(), scratch.get_stride(),
                       QImage.Format.Format_RGB32)  # fmt: skip
        painter.drawImage(widget_rect.topLeft(), image, QRect(0, 0, w, h))
