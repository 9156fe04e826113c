"""channels/pre_connection.py without sockets: a link to a migration's destination holds what arrives until a
channel adopts it, then hands it over in order, after what must lead; a link lost meanwhile reaches someone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from spiceview.channels.pre_connection import MAX_HELD_MESSAGES, PreConnection
from spiceview.protocol.connection import ChannelConnection, Linked
from spiceview.protocol.constants import ChannelType
from spiceview.protocol.messages import main as m
from spiceview.protocol.schema import WireStruct


class InlineLoop:
    """Stands in for the link's I/O loop: queued work runs when the test says."""

    def __init__(self, conn: ChannelConnection) -> None:
        self.conn = conn
        self.queue: list[Callable[[], None]] = []
        self.stopped = False

    def call_soon(self, fn: Callable[[], None], *, first: bool = False) -> None:
        self.queue.insert(0, fn) if first else self.queue.append(fn)

    def run(self) -> None:
        queue, self.queue = self.queue, []
        for fn in queue:
            fn()

    def stop(self) -> None:
        self.stopped = True


class Recorder:
    def __init__(self) -> None:
        self.events: list[object] = []

    def on_linked(self, event: Linked) -> None:
        self.events.append("linked")

    def on_message(self, message: WireStruct, serial: int) -> None:
        self.events.append((type(message).__name__, serial))

    def on_batch_done(self) -> None:
        self.events.append("batch")

    def on_closed(self, error: BaseException | None) -> None:
        self.events.append(("closed", str(error)))


def make(failures: list[object] | None = None) -> tuple[PreConnection, InlineLoop]:
    conn = ChannelConnection(ChannelType.MAIN, 0)
    pre = PreConnection(
        conn,
        lambda: pytest.fail("no socket in this test"),
        name="main-0",
        tls=False,
        link_timeout=1.0,
        on_linked=lambda p: None,
        on_failed=lambda p, error: (failures if failures is not None else []).append(error),
        intercept=lambda message: isinstance(message, m.MSG_MIGRATE_DST_SEAMLESS_ACK.cls),
    )
    loop = InlineLoop(conn)
    pre.loop = loop  # type: ignore[assignment]
    pre.on_linked(Linked(frozenset(), frozenset({3}), True))
    return pre, loop


def test_held_messages_follow_the_lead_in_order_and_are_renumbered() -> None:
    pre, loop = make()
    pre.on_message(m.MSG_NAME.cls(name_len=1, name=b"a"), 1)
    pre.on_message(m.MSG_MIGRATE_DST_SEAMLESS_ACK.cls(), 2)  # claimed by the migration, never held
    pre.on_message(m.MSG_MOUSE_MODE.cls(supported_modes=3, current_mode=2), 3)
    target = Recorder()
    led: list[str] = []
    loop.call_soon(lambda: led.append("queued before the adoption"))
    pre.adopt(target, lambda conn: led.append("lead"), serial_base=41)
    loop.run()
    assert led == ["lead", "queued before the adoption"]  # what must lead goes first
    assert target.events == [("MsgMainName", 42), ("MsgMainMouseMode", 43), "batch"]
    pre.on_message(m.MSG_AGENT_TOKEN.cls(num_tokens=1), 4)
    assert target.events[-1] == ("MsgMainAgentToken", 4)  # straight through from now on


def test_a_link_lost_before_adoption_is_a_failure_and_after_it_the_channels() -> None:
    failures: list[object] = []
    pre, _loop = make(failures)
    pre.on_closed(ConnectionError("reset"))
    assert [str(e) for e in failures] == ["reset"]
    adopted, _loop2 = make(failures)
    target = Recorder()
    adopted.adopt(target, lambda conn: None)  # the take-over has not run yet on the link's thread
    adopted.on_closed(ConnectionError("gone"))
    assert target.events == [("closed", "gone")] and len(failures) == 1


def test_a_destination_that_floods_a_parked_link_is_dropped() -> None:
    pre, _loop = make()
    for n in range(MAX_HELD_MESSAGES):
        pre.on_message(m.MSG_AGENT_TOKEN.cls(num_tokens=1), n)
    with pytest.raises(ConnectionError, match="before the hand-over"):
        pre.on_message(m.MSG_AGENT_TOKEN.cls(num_tokens=1), MAX_HELD_MESSAGES)
    assert pre.close() is None and _loop.stopped
