"""ChannelLoop.hold_reads: bytes that arrive while reads are held are read when the hold ends, before the timers due
then run, and handled in that one turn of the loop (a video frame's strips: one batch, not one per strip)."""

from __future__ import annotations

import socket
import threading
import time

from fake_server import FakeServer

from spiceview.protocol.connection import ChannelConnection, Linked
from spiceview.protocol.constants import ChannelType
from spiceview.protocol.messages import inputs
from spiceview.protocol.schema import WireStruct
from spiceview.transport.channel_loop import ChannelLoop

HOLD_S = 0.2  # the second message is in the socket before the hold even begins
TIMER_S = 1.0  # without a hold: long enough that the second message is surely read before the timer is due


class Recorder:
    """Writes the second message once the first is handled, and holds reads then if asked to."""

    def __init__(self, server_side: socket.socket, second: bytes, hold: bool) -> None:
        self.server_side = server_side
        self.second = second
        self.hold = hold
        self.loop: ChannelLoop | None = None
        self.seen: list[str] = []
        self.closed = threading.Event()

    def on_linked(self, event: Linked) -> None:
        pass

    def on_message(self, message: WireStruct, serial: int) -> None:
        self.seen.append(f"modifiers {message.modifiers}")  # type: ignore[attr-defined]
        if len(self.seen) > 1:
            return
        assert self.loop is not None
        until = time.monotonic() + (HOLD_S if self.hold else TIMER_S)
        self.loop.set_timer(until, self._timer, "gather")
        if self.hold:
            self.loop.hold_reads(until)
        self.server_side.sendall(self.second)  # there before the hold ends

    def _timer(self) -> None:
        self.seen.append("timer")
        assert self.loop is not None
        self.loop.stop()

    def on_batch_done(self) -> None:
        if self.seen and self.seen[-1] != "batch":
            self.seen.append("batch")

    def on_closed(self, error: BaseException | None) -> None:
        self.closed.set()


def run(hold: bool) -> list[str]:
    ours, theirs = socket.socketpair()
    server = FakeServer(ChannelType.INPUTS)
    first = server.message(inputs.MSG_KEY_MODIFIERS, modifiers=1)
    second = server.message(inputs.MSG_KEY_MODIFIERS, modifiers=2)
    recorder = Recorder(theirs, second, hold)
    loop = ChannelLoop(ChannelConnection(ChannelType.INPUTS), lambda: ours, recorder)
    recorder.loop = loop
    theirs.sendall(server.link_reply() + server.link_result() + first)
    thread = threading.Thread(target=loop.run)
    thread.start()
    thread.join(10)
    theirs.close()
    assert not thread.is_alive() and recorder.closed.is_set()
    return recorder.seen


def test_held_bytes_are_read_when_the_hold_ends_before_its_timer_in_one_batch() -> None:
    assert run(hold=True) == ["modifiers 1", "batch", "modifiers 2", "timer", "batch"]


def test_without_a_hold_the_second_message_is_its_own_batch() -> None:
    assert run(hold=False) == ["modifiers 1", "batch", "modifiers 2", "batch", "timer", "batch"]
