"""Channel signals reach the GUI thread through Qt's event loop, as Qt's own queued connections would."""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QObject

from spiceview.channels.signals import Signal, wait_for_events


class Emitter:
    changed = Signal(int)


class Widgetish(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.got: list[tuple[int, int]] = []

    def on_changed(self, value: int) -> None:
        self.got.append((value, threading.get_ident()))


def test_emitted_on_a_channel_thread_delivered_on_the_gui_thread(qt_application) -> None:  # noqa: ANN001
    emitter, receiver = Emitter(), Widgetish()
    emitter.changed.connect(receiver.on_changed)
    worker = threading.Thread(target=lambda: [emitter.changed.emit(i) for i in range(50)])
    worker.start()
    worker.join()
    for _ in range(20):
        QCoreApplication.processEvents()
    assert [v for v, _ in receiver.got] == list(range(50))
    assert {t for _, t in receiver.got} == {threading.get_ident()}


def test_a_deleted_receiver_is_skipped(qt_application) -> None:  # noqa: ANN001
    emitter, receiver = Emitter(), Widgetish()
    emitter.changed.connect(receiver.on_changed)
    worker = threading.Thread(target=lambda: emitter.changed.emit(1))
    worker.start()
    worker.join()
    import shiboken6

    shiboken6.delete(receiver)
    wait_for_events(0.05)  # must not raise "Internal C++ object already deleted"
