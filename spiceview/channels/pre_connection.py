"""A channel's link made before the channel takes it: to a migration's destination, before the channel moves
there; or a new session's first display, while the display's modules load (SpiceSession.link_display_early).

It runs its own I/O loop and thread like any channel connection, but until a channel adopts it nothing is
handled: messages the server sends meanwhile (SET_ACK and PING are answered by the connection itself) are
held, in order, and handed to the channel when it adopts the link. Everything about the hand-over runs on the
link's own thread, so held and new messages can never overtake each other.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

from ..protocol.connection import ChannelConnection, Linked
from ..protocol.schema import WireStruct
from ..transport.channel_loop import ChannelHandler, ChannelLoop
from ..transport.channel_thread import ChannelThread

log = logging.getLogger(__name__)
MAX_HELD_MESSAGES = 10_000  # a destination that floods a parked link is not one to move to


class PreConnection:
    """`on_linked(pre)` / `on_failed(pre, error)` run on the link's thread until a channel adopts it;
    `intercept(message)` may claim a held message (the main link's seamless ACK/NACK) before it is kept."""

    def __init__(
        self,
        conn: ChannelConnection,
        opener: Callable[[], socket.socket],
        *,
        name: str,
        purpose: str = "migrating",
        tls: bool,
        link_timeout: float,
        on_linked: Callable[[PreConnection], None],
        on_failed: Callable[[PreConnection, BaseException | None], None],
        intercept: Callable[[WireStruct], bool] = lambda _message: False,
    ) -> None:
        self.key = (conn.channel_type, conn.channel_id)
        self.name = name
        self.tls = tls
        self.linked: Linked | None = None
        self._on_linked = on_linked
        self._on_failed = on_failed
        self._intercept = intercept
        self._held: list[tuple[WireStruct, int]] = []
        self._target: ChannelHandler | None = None  # set on the link's thread only
        self._adopter: ChannelHandler | None = None  # who adopts it (set by adopt(), from any thread)
        self.loop = ChannelLoop(conn, opener, self, link_timeout=link_timeout)
        self.thread = ChannelThread(self.loop, f"{name}-{purpose}")

    @property
    def conn(self) -> ChannelConnection:
        return self.loop.conn

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        """Drop the link (a migration abandoned, or a channel the destination never asked for)."""
        if self._adopter is None:
            self.loop.stop()

    def adopt(
        self, target: ChannelHandler, first: Callable[[ChannelConnection], None], serial_base: int | None = None
    ) -> None:
        """Hand the link to a channel: on the link's thread, `first(conn)` runs (send what must lead), then the
        held messages go to `target`, then everything after. `serial_base`: number the messages from there on
        (a seamless move continues the source's count). Call once, from any thread."""
        self._adopter = target

        def take_over() -> None:
            first(self.loop.conn)
            self._target = target
            held, self._held = self._held, []
            if serial_base is not None:
                held = [(message, serial_base + n) for n, (message, _serial) in enumerate(held, 1)]
                self.loop.conn.continue_serials(serial_base + len(held))
            for message, serial in held:
                target.on_message(message, serial)
            target.on_batch_done()

        self.loop.call_soon(take_over, first=True)

    # --- ChannelHandler (the link's thread) ----------------------------------------------------------------

    def on_linked(self, event: Linked) -> None:
        self.linked = event
        self._on_linked(self)

    def on_message(self, message: WireStruct, serial: int) -> None:
        if self._target is not None:
            self._target.on_message(message, serial)
            return
        if self._intercept(message):
            return
        if len(self._held) >= MAX_HELD_MESSAGES:
            raise ConnectionError(f"the server sent {MAX_HELD_MESSAGES} messages before the hand-over")
        self._held.append((message, serial))

    def on_batch_done(self) -> None:
        if self._target is not None:
            self._target.on_batch_done()

    def on_closed(self, error: BaseException | None) -> None:
        target = self._target or self._adopter  # closed between adopt() and the take-over: the channel hears it
        if target is not None:
            target.on_closed(error)
        else:
            log.debug("%s: link made in advance closed (%s)", self.name, error or "on purpose")
            self._on_failed(self, error)
