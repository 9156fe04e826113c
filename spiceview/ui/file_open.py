"""Targets the platform hands over as events: on macOS, a .vv file or a spice:// link opened from Finder (or a
browser) starts the application and sends a QFileOpenEvent instead of passing an argument."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication


class FileOpenTargets(QObject):
    """Collects the targets of file-open events; one arriving while a modal dialog (the connect dialog) is open
    closes it, so the caller takes the target instead of the dialog's answer."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.targets: list[str] = []
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            target = event.file() or event.url().toString()
            if target:
                self.targets.append(target)
                dialog = QApplication.activeModalWidget()
                if dialog is not None:
                    dialog.close()
                return True
        return False

    def take(self) -> str | None:
        """The latest target not taken yet."""
        if not self.targets:
            return None
        target = self.targets[-1]
        self.targets.clear()
        return target
