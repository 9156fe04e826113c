"""A signal reaches its Python handler while Qt's event loop sleeps, with no timer ticking to let Python run."""

from __future__ import annotations

import os
import signal
import sys
import threading

import pytest
from PySide6.QtCore import QEventLoop, QTimer

from spiceview.ui.signal_wakeup import SignalWakeup

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no SIGUSR1 on Windows")


def test_a_signal_wakes_the_sleeping_event_loop(qt_application) -> None:  # noqa: ANN001
    loop = QEventLoop()
    fallback = QTimer()
    fallback.setSingleShot(True)
    # Straight to Qt's slot: no Python runs when the fallback fires, so a handler Python never got to run late.
    fallback.timeout.connect(loop.quit)
    handled_while_waiting: list[bool] = []

    def handler(*_args: object) -> None:
        handled_while_waiting.append(fallback.isActive())
        loop.quit()

    previous = signal.signal(signal.SIGUSR1, handler)
    wakeup = SignalWakeup()
    fallback.start(20_000)
    # From another thread, once the loop is asleep in C (poll): without the wake-up Qt would just sleep again.
    sender = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGUSR1))
    try:
        sender.start()
        loop.exec()
    finally:
        sender.cancel()
        fallback.stop()
        wakeup.close()
        signal.signal(signal.SIGUSR1, previous)
    assert handled_while_waiting == [True]


def test_closing_gives_back_the_previous_wakeup_fd(qt_application) -> None:  # noqa: ANN001
    before = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(before)
    wakeup = SignalWakeup()
    wakeup.close()
    assert signal.set_wakeup_fd(before) == before
