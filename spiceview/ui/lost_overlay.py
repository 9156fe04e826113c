"""What a window shows over its last picture while the session is lost: the picture dimmed, what happened and
what comes next (a countdown), and the buttons Reconnect now and Close."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

DIM = QColor(0, 0, 0, 150)
# The buttons draw themselves: over a dimmed picture the style's own (often transparent) look can vanish.
BUTTON_STYLE = (
    "QPushButton { color: black; background: #e8e8e8; border: 1px solid #888; border-radius: 3px;"
    " padding: 5px 14px; font-size: 13px } QPushButton:hover { background: white }"
)


class LostOverlay(QWidget):
    """Covers its parent (the window's scroll area) and follows its size."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: white; font-size: 15px; background: transparent")
        self.reconnect_button = QPushButton("Reconnect now")
        self.close_button = QPushButton("Close")
        for button in (self.reconnect_button, self.close_button):
            button.setStyleSheet(BUTTON_STYLE)
        self._on_reconnect: Callable[[], None] = lambda: None
        self._on_close: Callable[[], None] = lambda: None
        self.reconnect_button.clicked.connect(lambda: self._on_reconnect())
        self.close_button.clicked.connect(lambda: self._on_close())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.reconnect_button)
        buttons.addWidget(self.close_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addStretch(1)
        parent.installEventFilter(self)
        self.hide()

    def present(
        self, text: str, can_retry: bool, on_reconnect: Callable[[], None], on_close: Callable[[], None]
    ) -> None:
        self._on_reconnect, self._on_close = on_reconnect, on_close
        self.message.setText(text)
        self.reconnect_button.setVisible(True)
        self.reconnect_button.setText("Reconnect now" if can_retry else "Try again")
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        if not self.isVisible():
            self.show()
            self.raise_()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), DIM)
        painter.end()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())  # type: ignore[union-attr]
        return super().eventFilter(watched, event)
