"""RedScreen: the widget that shows one guest monitor by composing its ScreenLayers, and takes its input."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QPoint, QPointF, QRect, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QEnterEvent,
    QFocusEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QRegion,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from ..canvas.surface import Surface
from ..protocol.constants import MouseMode
from .cursor_layer import CursorLayer, local_cursor
from .input_handler import InputHandler
from .screen_layer import DisplayLayer, ScreenLayer
from .x11_shm import SharedPixels, shm_presenter

if TYPE_CHECKING:
    from ..channels.cursor_channel import CursorChannel

Box = tuple[int, int, int, int]
# Qt's backing store is left behind by boxes sent to the X server directly, and an expose (another window moved
# away) shows what it holds: it is repainted once the direct boxes pause this long, and during a video that never
# pauses at least this often.
BACKING_STORE_CATCH_UP_MS = 300
BACKING_STORE_MAX_AGE_S = 2.0


class ScreenMixin:
    """Everything a guest-monitor widget does except drawing: the layers, coordinates, input and the cursor.

    Mixed into a QWidget (software painting, RedScreen) or a QOpenGLWidget (GL painting, GLRedScreen);
    the concrete class calls `_init_screen()` after its Qt base is initialised and implements painting.
    """

    def _init_screen(self) -> None:
        self.display_layer = DisplayLayer()
        self.cursor_layer = CursorLayer()
        self.layers: list[ScreenLayer] = [self.display_layer, self.cursor_layer]
        self.overlays: list[QWidget] = []  # widgets the window shows over this one (the direct path must not)
        self.guest_size = QSize(640, 480)
        self.zoom = 1.0  # logical widget pixels per guest pixel
        self.input = InputHandler(self)
        self.cursor_channel: CursorChannel | None = None
        self.on_files_dropped = None  # callable(list[str]): files dropped on the guest go to its agent
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)

    # --- what is shown ------------------------------------------------------------------------------------

    def set_surface(self, surface: Surface | None, area: QRect | None = None) -> None:
        """Show `area` of `surface` (the whole surface by default): one guest monitor."""
        self.display_layer.set_surface(surface, area)
        if surface is not None:
            self.guest_size = self.display_layer.area.size()
            self.updateGeometry()
        self.update()

    def show_surface_boxes(self, boxes: Iterable[Box]) -> None:
        """Boxes of the surface that changed (surface coordinates): repaint the parts inside this monitor."""
        for box in boxes:
            self.invalidate_surface(*box)

    def invalidate_surface(self, x0: int, y0: int, x1: int, y1: int) -> None:
        """A changed box in surface coordinates: repaint the part inside this monitor."""
        area = self.display_layer.area
        box = QRect(x0, y0, x1 - x0, y1 - y0).intersected(area)
        if not box.isEmpty():
            self.invalidate(box.x() - area.x(), box.y() - area.y(), box.width(), box.height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(round(self.guest_size.width() * self.zoom), round(self.guest_size.height() * self.zoom))

    def invalidate(self, x: int, y: int, w: int, h: int) -> None:
        z = self.zoom
        if z == 1.0:
            self.update(x, y, w, h)  # exact: a margin would make a video's adjacent strips overlap
            return
        self.update(QRect(int(x * z), int(y * z), int(w * z) + 2, int(h * z) + 2))

    # --- coordinates --------------------------------------------------------------------------------------

    def guest_scale(self) -> float:
        return self.zoom

    def to_guest(self, pos: QPointF) -> tuple[int, int]:
        """Widget position -> guest pixel under it (clamped to the guest screen)."""
        x = int(pos.x() / self.zoom)
        y = int(pos.y() / self.zoom)
        return (min(max(x, 0), self.guest_size.width() - 1), min(max(y, 0), self.guest_size.height() - 1))

    # --- the guest cursor ---------------------------------------------------------------------------------

    def set_cursor_channel(self, channel: CursorChannel) -> None:
        self.cursor_channel = channel
        channel.shape_changed.connect(self._cursor_changed)
        channel.moved.connect(self._cursor_moved)
        self._cursor_changed()

    def _cursor_changed(self) -> None:
        if self.cursor_channel is None:
            return
        shape, position, visible = self.cursor_channel.state()
        old = self.cursor_layer.area()
        self.cursor_layer.set_shape(shape)
        self.cursor_layer.position = position
        self.cursor_layer.visible = visible
        self.update_local_cursor()
        self._repaint_cursor(old)

    def _cursor_moved(self) -> None:
        if self.cursor_channel is None:
            return
        old = self.cursor_layer.area()
        self.cursor_layer.position = self.cursor_channel.state()[1]
        self._repaint_cursor(old)

    def _repaint_cursor(self, old: QRect) -> None:
        self.cursor_layer.visible = self.cursor_layer.visible and self._draws_cursor()
        for area in (old, self.cursor_layer.area()):
            if not area.isEmpty():
                self.invalidate(area.x(), area.y(), area.width(), area.height())

    def _draws_cursor(self) -> bool:
        """In server mode the guest's pointer is drawn into the picture; in client mode it is the local one."""
        return self.input.mouse_mode == MouseMode.SERVER and self.cursor_channel is not None

    def update_local_cursor(self) -> None:
        if self.input.pointer_grabbed:
            self.setCursor(Qt.CursorShape.BlankCursor)
            return
        if self.input.mouse_mode == MouseMode.CLIENT and self.cursor_channel is not None:
            shape, _, visible = self.cursor_channel.state()
            if shape is None or not visible:
                self.setCursor(Qt.CursorShape.BlankCursor)
            else:
                self.setCursor(local_cursor(shape))
        else:
            self.unsetCursor()

    def set_mouse_mode(self, mode: int) -> None:
        self.input.set_mouse_mode(mode)
        self._cursor_changed()

    def paint_layers(self, painter: QPainter, rect: QRect) -> None:
        """Paint the layers over a widget rectangle (the painter is in widget coordinates)."""
        z = self.zoom
        if z == 1.0:
            guest = rect.intersected(QRect(0, 0, self.guest_size.width(), self.guest_size.height()))
            if not guest.isEmpty():
                for layer in self.layers:
                    layer.paint(painter, guest)
            return
        shown = QRect(0, 0, math.ceil(self.guest_size.width() * z), math.ceil(self.guest_size.height() * z))
        widget_rect = rect.intersected(shown)
        if widget_rect.isEmpty():
            return
        # The guest pixels under the rectangle, with a margin for what a filter reaches beyond them.
        guest = QRect(
            int(widget_rect.x() / z) - 1,
            int(widget_rect.y() / z) - 1,
            int(widget_rect.width() / z) + 3,
            int(widget_rect.height() / z) + 3,
        ).intersected(QRect(0, 0, self.guest_size.width(), self.guest_size.height()))
        for layer in self.layers:
            layer.paint_scaled(painter, widget_rect, guest, z)

    # --- input --------------------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if self.on_files_dropped is not None and _local_files(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt API
        if self.on_files_dropped is not None and _local_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        files = _local_files(event.mimeData())
        if files and self.on_files_dropped is not None:
            event.acceptProposedAction()
            self.on_files_dropped(files)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 - Qt API: Tab belongs to the guest
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        self.input.key_press(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        self.input.key_release(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self.input.mouse_move(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self.setFocus()
        self.input.mouse_press(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self.input.mouse_release(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        self.input.mouse_press(event)  # the guest decides what a double click is

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        self.input.wheel(event)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt API
        self.input.focus_in()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt API
        self.input.focus_out()
        super().focusOutEvent(event)

    def enterEvent(self, event: QEnterEvent) -> None:  # noqa: N802 - Qt API
        self.input.enter()
        super().enterEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        self.input.leave()
        super().leaveEvent(event)


def _local_files(mime: QMimeData) -> list[str]:
    """Regular local files in a drop (folders and remote URLs are not sent)."""
    import os

    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and os.path.isfile(u.toLocalFile())]


class RedScreen(ScreenMixin, QWidget):
    """A guest monitor painted in software (QPainter over the shared surface memory)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        QWidget.__init__(self, parent)
        self._init_screen()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._stale = QRegion()  # sent to the X server directly since Qt last painted it
        self._stale_since = 0.0
        self._catch_up = QTimer(self)
        self._catch_up.setSingleShot(True)
        self._catch_up.setInterval(BACKING_STORE_CATCH_UP_MS)
        self._catch_up.timeout.connect(self._repaint_stale)

    def show_surface_boxes(self, boxes: Iterable[Box]) -> None:
        """Changed boxes go to the X server straight from the surface's memory where that shows them exactly
        (x11_shm.py: no copy into Qt's backing store, no paint event); the others are repainted through Qt."""
        for box in self._show_directly(list(boxes)):
            self.invalidate_surface(*box)

    def _show_directly(self, boxes: list[Box]) -> list[Box]:
        """Sends what it can of `boxes`; returns the rest."""
        surface = self.display_layer.surface
        memory = surface.memory if surface is not None else None
        if (
            surface is None
            or not isinstance(memory, SharedPixels)
            or self.zoom != 1.0
            or self.devicePixelRatioF() != 1.0
            or not self.isVisible()
            or any(overlay.isVisible() for overlay in self.overlays)
        ):
            return boxes
        presenter = shm_presenter()
        top = self.window()
        if presenter is None or top.isMinimized():
            return boxes
        window = int(top.winId())
        if not presenter.can_draw_into(window):
            return boxes
        area = self.display_layer.area
        # The monitor's part of the surface, as far as it is in sight (the scroll area's viewport may show a part).
        visible = self.visibleRegion().boundingRect().intersected(QRect(0, 0, area.width(), area.height()))
        offset = self.mapTo(top, QPoint(0, 0))
        cursor = self.cursor_layer
        cursor_area = cursor.area() if cursor.visible and cursor.image is not None else QRect()
        rest: list[Box] = []
        sent = QRegion()
        with surface.lock:
            if surface.pending_picture() is not None:
                return boxes  # the picture is not in the memory yet: Qt paints it from the image
            for x0, y0, x1, y1 in boxes:
                shown = QRect(x0 - area.x(), y0 - area.y(), x1 - x0, y1 - y0).intersected(visible)
                if shown.isEmpty():
                    continue
                if shown.intersects(cursor_area):  # the guest's cursor is drawn over the picture by Qt
                    rest.append((x0, y0, x1, y1))
                    continue
                source = (area.x() + shown.x(), area.y() + shown.y())
                box = (*source, source[0] + shown.width(), source[1] + shown.height())
                at = shown.topLeft() + offset
                if presenter.put(memory, surface.width, surface.height, box, window, at.x(), at.y()):
                    sent += shown
                else:
                    rest.append((x0, y0, x1, y1))
            # The X server copies from the memory as it handles each put: done before the surface may change.
            if not sent.isEmpty() and not presenter.finish():
                return boxes
        if not sent.isEmpty():
            if self._stale.isEmpty():
                self._stale_since = time.monotonic()
            self._stale += sent
            if not self._catch_up.isActive() or time.monotonic() - self._stale_since < BACKING_STORE_MAX_AGE_S:
                self._catch_up.start()  # (again: a pause first)
        return rest

    def _repaint_stale(self) -> None:
        stale, self._stale = self._stale, QRegion()
        self.update(stale)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        # Only what is covered by an opaque picture is left unfilled: clearing the whole rectangle first would
        # write every repainted pixel twice.
        black = QRegion(event.region())
        if self.display_layer.is_opaque():
            shown = self.guest_size * self.zoom
            black -= QRegion(0, 0, int(shown.width()), int(shown.height()))
        for rect in black:
            painter.fillRect(rect, QColor(0, 0, 0))
        # Each rectangle of the region on its own: the bounding rectangle of a clock and a cursor in opposite
        # corners is the whole screen.
        for rect in event.region():
            self.paint_layers(painter, rect)
        painter.end()
