"""Follows one live migration for a SpiceSession: links every channel to the destination in advance, answers the
source, and moves the channels over when the VM has moved (protocol/migration.py decides; this does the I/O).

Threads: the source's main channel starts it and delivers MIGRATE_END, CANCEL and SWITCH_HOST; each link to the
destination reports from its own thread; each channel moves from its own thread (seamless). One lock keeps the
plan and the links consistent; messages go out through the channels' queues, which any thread may use.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..protocol.connection import ChannelConnection
from ..protocol.constants import MainCap
from ..protocol.messages.classes import (
    MsgcMainMigrateConnected,
    MsgcMainMigrateConnectedSeamless,
    MsgcMainMigrateConnectError,
    MsgcMainMigrateDstDoSeamless,
    MsgcMainMigrateEnd,
    MsgcMigrateData,
    MsgMainMigrateDstSeamlessAck,
    MsgMainMigrateDstSeamlessNack,
)
from ..protocol.migration import MAIN_KEY, ChannelKey, MigrationPlan, Phase, Reply
from ..protocol.schema import WireStruct
from ..transport.channel_loop import ChannelLoop
from ..transport.connect import open_socket
from .pre_connection import PreConnection

if TYPE_CHECKING:
    from .channel_base import ChannelBase
    from .spice_session import SpiceSession

log = logging.getLogger("spiceview.migration")
MOVE_WITHIN_S = 10.0  # seamless: once the first channel moved, the others are told to within this (or never)
REPLIES: dict[Reply, type[WireStruct]] = {
    Reply.CONNECTED: MsgcMainMigrateConnected,
    Reply.CONNECTED_SEAMLESS: MsgcMainMigrateConnectedSeamless,
    Reply.CONNECT_ERROR: MsgcMainMigrateConnectError,
}


@dataclass(frozen=True)
class Destination:
    """Where the VM moves to (the source's MIGRATE_BEGIN). A port is 0 when the destination has none."""

    host: str
    port: int
    sport: int
    subject: str | None

    def describe(self) -> str:
        return f"{self.host} (port {self.port}, TLS port {self.sport})"


class Migration:
    def __init__(
        self, session: SpiceSession, destination: Destination, *, seamless_offered: bool, src_version: int
    ) -> None:
        self.session = session
        self.destination = destination
        self.src_version = src_version
        self._clock = time.monotonic
        keys = frozenset(key for key, channel in session.channels_by_key().items() if channel.is_linked)
        self.plan = MigrationPlan(seamless_offered, keys, started=self._clock())
        self.links: dict[ChannelKey, PreConnection] = {}
        self._left_behind: list[ChannelLoop] = []  # source connections of moved channels, closed at the end
        self._lock = threading.RLock()

    @property
    def phase(self) -> Phase:
        return self.plan.phase

    def start(self) -> None:
        log.info(
            "the VM is migrating to %s; linking every channel there in advance (%s offered)",
            self.destination.describe(),
            "seamless" if self.plan.seamless_offered else "semi-seamless",
        )
        with self._lock:
            self._link(MAIN_KEY)

    # --- linking to the destination ------------------------------------------------------------------------

    def _channel(self, key: ChannelKey) -> ChannelBase | None:
        return self.session.main if key == MAIN_KEY else self.session.channels_by_key().get(key)

    def _link(self, key: ChannelKey) -> None:
        channel = self._channel(key)
        if channel is None:  # gone since the plan was made
            self._on_failed_key(key, "the channel closed meanwhile")
            return
        dest = self.destination
        tls = bool(dest.sport) and (channel.uses_tls or not dest.port)
        endpoint = self.session.endpoint_at((dest.host, dest.port, dest.sport, dest.subject), key[0], tls)
        conn = ChannelConnection(
            key[0],
            key[1],
            connection_id=self.session.session_id,  # the destination knows the session by the source's id
            password=self.session.password,
            channel_caps=channel.channel_caps(),
            sasl=self.session.sasl_factory(endpoint.host),
        )
        timeout = self.session.connect_timeout
        pre = PreConnection(
            conn,
            lambda: open_socket(endpoint, timeout),
            name=channel.name,
            tls=tls,
            link_timeout=timeout,
            on_linked=self._on_linked,
            on_failed=self._on_failed,
            intercept=self._intercept if key == MAIN_KEY else lambda _message: False,
        )
        self.links[key] = pre
        pre.start()

    def _on_linked(self, pre: PreConnection) -> None:
        assert pre.linked is not None
        with self._lock:
            if self.links.get(pre.key) is not pre:
                pre.close()
                return
            now = self._clock()
            if pre.key != MAIN_KEY:
                self._answer(self.plan.channel_up(now, pre.key))
                return
            if self.plan.main_up(now, MainCap.SEAMLESS_MIGRATE in pre.linked.channel_caps):
                pre.conn.send(MsgcMainMigrateDstDoSeamless(src_version=self.src_version))
            for key in sorted(self.plan.channels):
                self._link(key)
            self._answer(self.plan.answer_if_ready(now))

    def _intercept(self, message: WireStruct) -> bool:
        """The destination's answer to MIGRATE_DST_DO_SEAMLESS arrives on its parked main link."""
        if not isinstance(message, (MsgMainMigrateDstSeamlessAck, MsgMainMigrateDstSeamlessNack)):
            return False
        with self._lock:
            accepted = isinstance(message, MsgMainMigrateDstSeamlessAck)
            log.info("the destination %s a seamless hand-over", "accepts" if accepted else "refuses")
            self._answer(self.plan.seamless_answer(self._clock(), accepted))
        return True

    def _on_failed(self, pre: PreConnection, error: BaseException | None) -> None:
        with self._lock:
            if self.links.get(pre.key) is pre:
                del self.links[pre.key]
                self._on_failed_key(pre.key, f"{pre.name}: {error or 'the destination closed the link'}")

    def _on_failed_key(self, key: ChannelKey, why: str) -> None:
        reply = self.plan.failed(self._clock(), f"linking to the destination failed ({why})")
        if self.plan.phase is Phase.FAILED:
            log.info("migration: %s", self.plan.reason)
            self._drop_links()
        self._answer(reply)

    def poll(self) -> None:
        """On the source's main thread, at the plan's deadline."""
        with self._lock:
            reply = self.plan.poll(self._clock())
            if reply is not None:
                log.info("migration: %s", self.plan.reason)
                self._drop_links()
            self._answer(reply)

    def _answer(self, reply: Reply | None) -> None:
        if reply is None:
            return
        log.info("migration: answering the source %s", reply.value)
        self.session.main.send(REPLIES[reply]())

    def _drop_links(self) -> None:
        links, self.links = list(self.links.values()), {}
        for pre in links:
            pre.close()

    # --- what the source says next ---------------------------------------------------------------------------

    def cancel(self, why: str) -> None:
        with self._lock:
            if self.plan.cancelled(self._clock(), why):
                log.info("migration abandoned: %s", why)
                self._drop_links()
        self._close_sources()

    def end_semi_seamless(self) -> bool:
        """MIGRATE_END (on the source's main thread): main moves now and tells the destination; the others move
        on the destination's INIT (take). False: nothing to move to (the caller reconnects instead)."""
        with self._lock:
            pre = self.links.pop(MAIN_KEY, None)
            if pre is None or not self.plan.end_semi_seamless(self._clock()):
                if pre is not None:
                    self.links[MAIN_KEY] = pre
                return False
        log.info("migration: the VM runs on the destination; moving the session (semi-seamless)")
        self.session.restart_at(self._redirect())
        left = self.session.main.take_over(pre, relink=False, lead=MsgcMainMigrateEnd())
        if left is not None:
            left.stop()
        return True

    def awaiting_init(self) -> bool:
        """Semi-seamless: main has moved; the destination's INIT is what the others move on."""
        return self.plan.phase is Phase.MOVING and not self.plan.seamless

    def waiting_links(self) -> list[ChannelKey]:
        with self._lock:
            return sorted(self.links)

    def take(self, key: ChannelKey) -> PreConnection | None:
        """Semi-seamless: the link made in advance for a channel the destination lists (None: link afresh)."""
        with self._lock:
            if self.plan.seamless or not self.plan.channel_moves(self._clock(), key):
                return None
            return self.links.pop(key, None)

    def listed(self) -> None:
        """Semi-seamless: every waiting link has moved; any left over is dropped."""
        with self._lock:
            if self.plan.phase is not Phase.MOVING or self.plan.seamless:
                return
            self.plan.listed(self._clock())
            self._drop_links()
        self._finished()

    def seamless_ready(self) -> bool:
        return self.plan.seamless and self.plan.phase in (Phase.CONNECTED, Phase.MOVING)

    def move(self, channel: ChannelBase, migrate_data: bytes | None) -> None:
        """Seamless, on the channel's thread: its source connection has said all it will; carry on at the
        destination, handing over the source's state first."""
        key = (channel.channel_type, channel.channel_id)
        with self._lock:
            first = self.plan.phase is Phase.CONNECTED
            pre = self.links.pop(key, None) if self.plan.channel_moves(self._clock(), key) else None
            done = self.plan.phase is Phase.DONE
        if first:
            log.info("migration: the VM runs on the destination; moving every channel (seamless)")
            self.session.redirect = self._redirect()  # from now on every (re)link goes to the destination
            timer = threading.Timer(MOVE_WITHIN_S, self._stop_waiting)
            timer.daemon = True
            timer.start()
        if pre is None:
            channel.log.info("no link to the destination was made for this channel; linking there afresh")
            channel.reconnect()
        else:
            lead = MsgcMigrateData(data=migrate_data) if migrate_data is not None else None
            left = channel.take_over(pre, relink=False, lead=lead, keep_serials=True)
            if left is not None:
                with self._lock:
                    self._left_behind.append(left)
        if done:
            self._finished()

    def _stop_waiting(self) -> None:
        with self._lock:
            if not self.plan.give_up_waiting(self._clock()):
                return
            log.info("migration: %s", self.plan.reason)
            self._drop_links()
        self._finished()

    def _redirect(self) -> tuple[str, int, int, str | None]:
        dest = self.destination
        return (dest.host, dest.port, dest.sport, dest.subject)

    def _close_sources(self) -> None:
        with self._lock:
            left, self._left_behind = self._left_behind, []
        for loop in left:
            loop.stop()

    def _finished(self) -> None:
        self._close_sources()
        log.info("migration complete (%s): %s", self.plan.mode, self.plan.describe())
        self.session.migration_finished(self)

    def describe(self) -> dict[str, object]:
        with self._lock:
            return {"destination": f"{self.destination.host}:{self.destination.port}", **self.plan.describe()}
