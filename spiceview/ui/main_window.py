"""The window that shows one guest monitor, with a status line while connecting and on failure."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QLabel, QMainWindow, QScrollArea

from ..canvas.surface import Surface
from ..channels.display_channel import DisplayChannel
from .red_screen import RedScreen


class MainWindow(QMainWindow):
    def __init__(self, title: str | None = None) -> None:
        super().__init__()
        self.fixed_title = title
        self.screen_widget = RedScreen()
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.screen_widget)
        self.scroll.setWidgetResizable(False)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setStyleSheet("background: black")
        self.setCentralWidget(self.scroll)
        self.status = QLabel()
        self.statusBar().addWidget(self.status, 1)
        self.display: DisplayChannel | None = None
        self._build_menus()
        self.setWindowTitle(title or "spiceview")
        self.resize(800, 600)

    def _build_menus(self) -> None:
        send = self.menuBar().addMenu("&Send key")
        combos = [("Ctrl+Alt+Del", ["ctrl", "alt", "delete"]), ("Ctrl+Alt+Backspace", ["ctrl", "alt", "backspace"])]
        combos += [(f"Ctrl+Alt+F{n}", ["ctrl", "alt", f"f{n}"]) for n in range(1, 13)]
        combos += [("PrintScreen", ["print"])]
        for label, names in combos:
            action = send.addAction(label)
            action.triggered.connect(lambda _=False, keys=names: self.screen_widget.input.send_keys(keys))
        view = self.menuBar().addMenu("&View")
        release = view.addAction("Release cursor")
        release.triggered.connect(self.screen_widget.input.release_grabs)

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        if text:
            self.statusBar().show()

    def set_server_name(self, name: str) -> None:
        if not self.fixed_title and name:
            self.setWindowTitle(f"{name} - spiceview")

    def attach_channel(self, channel: object) -> None:
        """Inputs and cursor channels drive this window's screen (one guest monitor for now)."""
        from ..channels.cursor_channel import CursorChannel
        from ..channels.inputs_channel import InputsChannel

        if isinstance(channel, InputsChannel):
            self.screen_widget.input.set_inputs(channel)
        elif isinstance(channel, CursorChannel) and channel.channel_id == 0:
            self.screen_widget.set_cursor_channel(channel)

    def set_mouse_mode(self, mode: int) -> None:
        self.screen_widget.set_mouse_mode(mode)

    def attach_display(self, display: DisplayChannel) -> None:
        self.display = display
        display.primary_created.connect(self._on_primary)
        display.primary_destroyed.connect(lambda _id: self.screen_widget.set_surface(None))
        display.dirty.connect(self._on_dirty)
        if display.primary is not None:
            self._on_primary(display.primary)

    def _on_primary(self, surface: Surface) -> None:
        self.screen_widget.set_surface(surface)
        self.screen_widget.resize(self.screen_widget.sizeHint())
        self.set_status("")
        self.statusBar().hide()
        hint = self.screen_widget.sizeHint()
        self._fit_to_guest(hint.width(), hint.height())

    def _fit_to_guest(self, width: int, height: int) -> None:
        # Show the guest 1:1 when the screen has room; otherwise as large as the screen allows (scrolling).
        screen = self.screen() or QGuiApplication.primaryScreen()
        avail = screen.availableGeometry() if screen is not None else None
        chrome_h = self.height() - self.scroll.viewport().height()
        chrome_w = self.width() - self.scroll.viewport().width()
        w, h = width + chrome_w, height + chrome_h
        if avail is not None:
            w, h = min(w, avail.width()), min(h, avail.height())
        self.resize(w, h)

    def _on_dirty(self) -> None:
        if self.display is None:
            return
        surface = self.screen_widget.display_layer.surface
        for surface_id, (x0, y0, x1, y1) in self.display.take_dirty().items():
            if surface is not None and surface.id == surface_id:
                self.screen_widget.invalidate(x0, y0, x1 - x0, y1 - y0)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        super().closeEvent(event)
