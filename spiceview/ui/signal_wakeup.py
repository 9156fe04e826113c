"""Python signal handlers (Ctrl+C, `kill -USR1`) while Qt's event loop sleeps in C.

Python runs a handler only when the interpreter next gets control. A timer that ticks a few times a second gives it
that control, and costs an idle viewer a wake-up each time (5 a second were a third of its idle CPU). Instead the
signal itself wakes the loop: Python writes each signal's number to a socket (`signal.set_wakeup_fd`) that a
QSocketNotifier watches, and the notifier's slot lets the handler run.
"""

from __future__ import annotations

import signal
import socket

from PySide6.QtCore import QObject, QSocketNotifier


class SignalWakeup(QObject):
    """While it lives, a signal wakes Qt's event loop so that its Python handler runs at once (main thread only)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # A socket pair rather than a pipe: QSocketNotifier and set_wakeup_fd take sockets on Windows too.
        self._read, self._write = socket.socketpair()
        for sock in (self._read, self._write):
            sock.setblocking(False)
        self._previous = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    def _drain(self) -> None:
        # Back in Python: the interpreter runs the pending handlers right after this slot.
        try:
            while self._read.recv(64):
                pass
        except OSError:
            pass

    def close(self) -> None:
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous)
        self._read.close()
        self._write.close()
