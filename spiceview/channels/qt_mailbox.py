"""The GUI thread's mailbox: signals from the channels' threads reach receivers through Qt's event loop.

Imported only once Qt is loaded (signals.py checks), so a windowless session never pays for Qt.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QThread, Signal

from .signals import Receiver


def runs_qt_application() -> bool:
    """The calling thread is the one a Q(Core)Application runs in."""
    app = QCoreApplication.instance()
    return app is not None and QThread.currentThread() is app.thread()


class QtMailbox(QObject):
    _posted = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        # Emitted from another thread, delivered by Qt on this object's thread (the GUI's), in order.
        self._posted.connect(self._deliver)

    def post(self, receiver: Receiver, args: tuple[object, ...]) -> None:
        self._posted.emit(receiver, args)

    def _deliver(self, receiver: Receiver, args: tuple[object, ...]) -> None:
        owner = getattr(receiver, "__self__", None)
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            return  # a widget deleted after the signal was sent (Qt drops such deliveries too)
        receiver(*args)

    def wait(self, timeout: float) -> None:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, max(0, int(timeout * 1000)))
