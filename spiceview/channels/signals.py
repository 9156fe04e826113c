"""Signals from the channels' threads to whoever listens, without Qt unless the listener lives in Qt.

A channel emits on its own I/O thread. As with Qt's queued connections, a receiver is called on the thread that
connected it: at once when that is the emitting thread, else later, through that thread's mailbox. A thread
running a Qt event loop (the GUI) gets a mailbox that posts to Qt (qt_mailbox.py, imported only when Qt already
is); any other thread (a script, a headless screenshot) gets a queue it empties with `wait_for_events()`.
So a windowless session never loads Qt, and a window's widgets are only ever called on the GUI thread.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from typing import Protocol, overload

Receiver = Callable[..., object]


class Mailbox(Protocol):
    def post(self, receiver: Receiver, args: tuple[object, ...]) -> None: ...
    def wait(self, timeout: float) -> None:
        """Run what was posted, waiting up to `timeout` seconds for the first delivery."""


class QueueMailbox:
    """For a thread without a Qt event loop: deliveries wait in a queue until the thread asks for them."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Receiver, tuple[object, ...]]] = queue.SimpleQueue()

    def post(self, receiver: Receiver, args: tuple[object, ...]) -> None:
        self._queue.put((receiver, args))

    def move_to(self, other: Mailbox) -> None:
        while True:
            try:
                other.post(*self._queue.get_nowait())
            except queue.Empty:
                return

    def wait(self, timeout: float) -> None:
        try:
            receiver, args = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
        except queue.Empty:
            return
        receiver(*args)
        while True:
            try:
                receiver, args = self._queue.get_nowait()
            except queue.Empty:
                return
            receiver(*args)


_mailboxes: dict[int, Mailbox] = {}
_mailboxes_lock = threading.Lock()


def mailbox(thread: int | None = None) -> Mailbox:
    """A thread's mailbox (the caller's by default), made on first use; a thread that has started running a
    Qt application since it got a queue gets a Qt mailbox, and what waited in the queue moves there."""
    tid = threading.get_ident() if thread is None else thread
    box = _mailboxes.get(tid)
    if box is None or (isinstance(box, QueueMailbox) and thread is None and "PySide6.QtCore" in sys.modules):
        with _mailboxes_lock:
            old = _mailboxes.get(tid)
            if old is None or isinstance(old, QueueMailbox):
                qt = _qt_mailbox() if thread is None else None
                if qt is not None or old is None:
                    _mailboxes[tid] = qt or QueueMailbox()
                    if qt is not None and old is not None:
                        old.move_to(qt)
            box = _mailboxes[tid]
    return box


def _qt_mailbox() -> Mailbox | None:
    """A Qt mailbox when this thread runs Qt's application loop (Qt is never imported here for the asking)."""
    if "PySide6.QtCore" not in sys.modules:
        return None
    from .qt_mailbox import QtMailbox, runs_qt_application

    return QtMailbox() if runs_qt_application() else None


def wait_for_events(timeout: float) -> None:
    """Deliver what other threads emitted to this thread's receivers, waiting up to `timeout` seconds."""
    mailbox().wait(timeout)


class BoundSignal:
    __slots__ = ("_receivers", "_lock")

    def __init__(self) -> None:
        self._receivers: list[tuple[Receiver, int]] = []  # receiver, the thread that connected it
        self._lock = threading.Lock()

    def connect(self, receiver: Receiver) -> None:
        with self._lock:
            mailbox()  # made now, on the receiving thread (a Qt mailbox must belong to it)
            self._receivers = [*self._receivers, (receiver, threading.get_ident())]

    def disconnect(self, receiver: Receiver | None = None) -> None:
        """Forget `receiver` (every receiver when None); deliveries already posted to it still happen."""
        with self._lock:
            self._receivers = [r for r in self._receivers if receiver is not None and r[0] != receiver]

    def emit(self, *args: object) -> None:
        here = threading.get_ident()
        for receiver, thread in self._receivers:  # the list is replaced, never changed: no lock needed
            if thread == here:
                receiver(*args)
            else:
                _mailboxes[thread].post(receiver, args)


class Signal:
    """Declared on a class like Qt's Signal (`dirty = Signal()`); each instance gets its own BoundSignal."""

    def __init__(self, *types: object) -> None:
        self.types = types  # what emit() carries, for the reader

    def __set_name__(self, owner: type, name: str) -> None:
        self._attr = f"_signal_{name}"

    @overload
    def __get__(self, obj: None, objtype: type) -> Signal: ...
    @overload
    def __get__(self, obj: object, objtype: type) -> BoundSignal: ...
    def __get__(self, obj: object | None, objtype: type) -> Signal | BoundSignal:
        if obj is None:
            return self
        bound: BoundSignal | None = obj.__dict__.get(self._attr)
        if bound is None:
            bound = obj.__dict__.setdefault(self._attr, BoundSignal())
        return bound
