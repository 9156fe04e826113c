"""The window of one guest monitor: its RedScreen, menus, and a status line while connecting or on failure."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QResizeEvent, QScreen
from PySide6.QtWidgets import QLabel, QMainWindow, QScrollArea, QToolButton

from ..canvas.surface import Surface
from .lost_overlay import LostOverlay
from .red_screen import RedScreen
from .stats_overlay import StatsOverlay


def make_screen(renderer: str) -> RedScreen:
    """The widget of a guest monitor: software painting, or OpenGL when asked for and available."""
    if renderer == "gl":
        try:
            from .gl_screen import GLRedScreen

            return GLRedScreen()  # type: ignore[return-value]
        except ImportError:
            pass
    return RedScreen()


class MainWindow(QMainWindow):
    closed = Signal()
    resized = Signal()

    def __init__(self, title: str | None = None, monitor_id: int = 0, renderer: str = "cairo") -> None:
        super().__init__()
        self.fixed_title = title
        self.monitor_id = monitor_id
        self.server_name = ""
        self.scaling = "1:1"
        self.user_zoom = 1.0
        self.guest_follows = False
        self._normal_geometry: QRect | None = None
        self.screen_widget = make_screen(renderer)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.screen_widget)
        self.scroll.setWidgetResizable(False)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setStyleSheet("background: black")
        # Fitting follows the viewport itself: hiding the menu bar (full screen) or a scroll bar coming and going
        # changes it without resizing the window.
        self.scroll.viewport().installEventFilter(self)
        self.setCentralWidget(self.scroll)
        self.lost_overlay = LostOverlay(self.scroll)
        self.stats_overlay = StatsOverlay(self.scroll)
        self.screen_widget.overlays = [self.lost_overlay, self.stats_overlay]
        self.status = QLabel()
        self.statusBar().addWidget(self.status, 1)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.clicked.connect(lambda: self.cancel_transfers())
        self.cancel_button.hide()
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.cancel_transfers: Callable[[], None] = lambda: None
        self.actions_by_name: dict[str, object] = {}
        self._build_menus()
        self._update_title()
        self.resize(800, 600)
        self._fitted = False
        self.follow_guest_size = True  # 1:1: the window takes the guest's new size when it changes resolution
        self._guest_size: tuple[int, int] | None = None

    # --- menus --------------------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        # remote-viewer's order: File, View, Send key; the viewer adds Displays and Sound after them.
        self.menuBar().addMenu("&File")
        self.view_menu = self.menuBar().addMenu("&View")
        send = self.menuBar().addMenu("&Send key")
        combos = [("Ctrl+Alt+Del", ["ctrl", "alt", "delete"]), ("Ctrl+Alt+Backspace", ["ctrl", "alt", "backspace"])]
        combos += [(f"Ctrl+Alt+F{n}", ["ctrl", "alt", f"f{n}"]) for n in range(1, 13)]
        combos += [("PrintScreen", ["print"])]
        for label, names in combos:
            action = send.addAction(label)
            action.triggered.connect(lambda _=False, keys=names: self.screen_widget.input.send_keys(keys))
        release = self.view_menu.addAction("Release cursor")
        release.triggered.connect(self.screen_widget.input.release_grabs)

    def add_action(self, menu_name: str, label: str, handler: Callable[[], None], name: str) -> object:
        """Menu entries the viewer adds (full screen, zoom, screenshot ...); kept by name for hotkeys and tests."""
        menu = self.view_menu if menu_name == "view" else self._menu(menu_name)
        action = menu.addAction(label)
        action.triggered.connect(lambda _=False: handler())
        self.actions_by_name[name] = action
        return action

    def _menu(self, name: str):  # noqa: ANN202
        for action in self.menuBar().actions():
            if action.text().replace("&", "").lower() == name:
                return action.menu()
        return self.menuBar().addMenu(name.capitalize())

    # --- what the window shows ----------------------------------------------------------------------------

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.statusBar().setVisible(bool(text))

    def show_lost(
        self, text: str, can_retry: bool, on_reconnect: Callable[[], None], on_close: Callable[[], None]
    ) -> None:
        """The session is lost: the last picture dimmed under `text` and the buttons. Not in the status line: a
        status line appearing would shrink the view, and a fitted picture would jump."""
        self.lost_overlay.present(text, can_retry, on_reconnect, on_close)
        self.lost_overlay.setToolTip(text)

    def hide_lost(self) -> None:
        self.lost_overlay.hide()

    def set_transfer_status(self, text: str, busy: bool) -> None:
        self.set_status(text)
        self.cancel_button.setVisible(busy)

    def set_server_name(self, name: str) -> None:
        self.server_name = name
        self._update_title()

    def _update_title(self) -> None:
        base = self.fixed_title or (f"{self.server_name} - spiceview" if self.server_name else "spiceview")
        suffix = f" (monitor {self.monitor_id + 1})" if self.monitor_id else ""
        self.setWindowTitle(base + suffix)

    def show_monitor(self, surface: Surface | None, area: QRect | None = None) -> None:
        self.screen_widget.set_surface(surface, area)
        if surface is None:
            return
        self.screen_widget.resize(self.screen_widget.sizeHint())
        self.set_status("")
        self._apply_scaling()
        size = (surface.width, surface.height) if area is None else (area.width(), area.height())
        new_size = size != self._guest_size
        self._guest_size = size
        # 1:1 windows follow the guest's size, as remote-viewer does; when the guest follows the window (resize
        # mode) the window must not follow back, or each would chase the other.
        follows = self.scaling == "1:1" and new_size and self.follow_guest_size
        if self.isFullScreen() or (self._fitted and not follows):
            return
        self._fitted = True
        self.fit_to_guest()

    def fit_to_guest(self) -> None:
        """Show the guest 1:1 when the screen has room; otherwise as large as the screen allows (scrolling)."""
        guest = self.screen_widget.guest_size
        hint = QSize(round(guest.width() * self.user_zoom), round(guest.height() * self.user_zoom))
        screen = self.screen() or QGuiApplication.primaryScreen()
        avail = screen.availableGeometry() if screen is not None else None
        # From the bars' own heights, not window minus viewport: a bar just hidden (the status line once
        # connected) still takes room until the layout runs again, which would leave black bands around the guest.
        chrome_h = sum(bar.sizeHint().height() for bar in (self.menuBar(), self.statusBar()) if bar.isVisibleTo(self))
        frame = 2 * self.scroll.frameWidth()
        w, h = hint.width() + frame, hint.height() + chrome_h + frame
        if avail is not None:
            w, h = min(w, avail.width()), min(h, avail.height())
        self.resize(w, h)

    # --- zoom, scaling, full screen ------------------------------------------------------------------------

    def set_zoom(self, zoom: float) -> None:
        """The user's zoom: leaves fitting, and sizes the window for the zoomed guest."""
        self.scaling = "1:1" if self.scaling == "fit" else self.scaling
        self.user_zoom = zoom
        self._set_screen_zoom(zoom)
        if not self.isFullScreen():
            self.fit_to_guest()

    def _set_screen_zoom(self, zoom: float) -> None:
        if self.screen_widget.zoom != zoom:
            self.screen_widget.zoom = zoom
            self.screen_widget.resize(self.screen_widget.sizeHint())
            self.screen_widget.update()

    def set_scaling(self, mode: str) -> None:
        self.scaling = mode
        self._apply_scaling()

    def set_guest_follows(self, follows: bool) -> None:
        """Whether the guest resizes itself to the window (an agent is there to ask)."""
        self.guest_follows = follows
        self._apply_scaling()

    def _apply_scaling(self) -> None:
        # Resize-guest without an agent to ask falls back to fitting the picture, as remote-viewer does.
        fit = self.scaling == "fit" or (self.scaling == "resize-guest" and not self.guest_follows)
        # A fitted picture never needs scroll bars; one shown for a moment would shrink the fit for good.
        policy = Qt.ScrollBarPolicy.ScrollBarAlwaysOff if fit else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        self.scroll.setHorizontalScrollBarPolicy(policy)
        self.scroll.setVerticalScrollBarPolicy(policy)
        if not fit:
            self._set_screen_zoom(self.user_zoom)
            return
        # Fit keeping the aspect ratio: the zoom that makes the guest just fill the viewport.
        guest = self.screen_widget.guest_size
        view = self.scroll.viewport().size()
        if guest.width() <= 0 or guest.height() <= 0 or view.width() <= 0 or view.height() <= 0:
            return
        zoom = min(view.width() / guest.width(), view.height() / guest.height())
        if abs(zoom - self.user_zoom) < 0.005:
            zoom = self.user_zoom  # a window sized for the guest shows it as zoomed, pixel exact at 1:1
        self._set_screen_zoom(zoom)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._apply_scaling()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._apply_scaling()
        self.resized.emit()

    def enter_fullscreen(self, screen: QScreen | None, hide_menus: bool = True) -> None:
        if not self.isFullScreen():
            self._normal_geometry = self.geometry()
        if hide_menus:
            self.menuBar().hide()
            self.statusBar().hide()
        if screen is not None:
            # Move first: a window goes full screen on the screen it is on.
            self.setScreen(screen)
            self.setGeometry(screen.geometry())
        self.showFullScreen()

    def leave_fullscreen(self, show_menus: bool = True) -> None:
        if not self.isFullScreen():
            return
        self.showNormal()
        if show_menus:
            self.menuBar().show()
        if self._normal_geometry is not None:
            self.setGeometry(self._normal_geometry)

    def save_screenshot(self, path: str) -> None:
        """The guest monitor's own pixels (not the scaled window) as PNG."""
        from ..canvas.png import write_png

        layer = self.screen_widget.display_layer
        if layer.surface is None:
            return
        area = layer.area
        rgb = layer.surface.rgb_copy()[area.y() : area.y() + area.height(), area.x() : area.x() + area.width()]
        write_png(rgb, path)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.closed.emit()
        super().closeEvent(event)
