"""What every channel shares: its connection, its thread, message dispatch, and the common messages."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..protocol.connection import ChannelConnection, Linked
from ..protocol.constants import CHANNEL_NAMES, LinkErr, MigrateFlags, NotifySeverity
from ..protocol.errors import LinkError
from ..protocol.messages import base as basemsg
from ..protocol.messages.classes import (
    ChannelWait,
    MsgcMigrateFlushMark,
    MsgDisconnecting,
    MsgMigrate,
    MsgMigrateData,
    MsgNotify,
    MsgWaitForChannels,
)
from ..protocol.schema import MessageDef, WireStruct
from ..transport.channel_loop import ChannelLoop
from ..transport.channel_thread import ChannelThread
from ..transport.connect import open_socket
from .signals import Signal

if TYPE_CHECKING:
    from .channel_session import ChannelSession
    from .pre_connection import PreConnection

log = logging.getLogger(__name__)
# Link errors that say which port a channel belongs on: True for the TLS port.
PORT_WANTED: dict[int, bool] = {LinkErr.NEED_SECURED: True, LinkErr.NEED_UNSECURED: False}
WAIT_FOR_CHANNEL_S = 5.0  # the longest one channel holds for another (a stuck channel must not stop this one)


class ChannelBase:
    """One SPICE channel. Handlers run on the channel's thread; signals carry results to the GUI thread."""

    linked = Signal()
    closed = Signal(str)  # "" when closed on purpose, else a one-line reason
    notice = Signal(str)  # what the server says to the user (SPICE_MSG_NOTIFY)

    channel_type: int = 0

    def __init__(self, session: ChannelSession, channel_id: int = 0) -> None:
        self.session = session
        self.channel_id = channel_id
        self.name = f"{CHANNEL_NAMES.get(self.channel_type, str(self.channel_type))}-{channel_id}"
        self.log = logging.getLogger(f"spiceview.channel.{self.name}")
        self.handlers: dict[MessageDef, Callable[[Any], None]] = {
            basemsg.MSG_NOTIFY: self._on_notify,
            basemsg.MSG_DISCONNECTING: self._on_disconnecting,
            basemsg.MSG_WAIT_FOR_CHANNELS: self._on_wait_for_channels,
            basemsg.MSG_MIGRATE: self._on_migrate,
            basemsg.MSG_MIGRATE_DATA: self._on_migrate_data,
            basemsg.MSG_LIST: lambda m: None,
        }
        self.received: Counter[str] = Counter()  # messages by name, for --stats-json and tests
        self.serial_done = 0  # the last message handled (WAIT_FOR_CHANNELS of other channels wait for it)
        self.server_caps: frozenset[int] = frozenset()
        self.is_linked = False
        self.error: str | None = None
        self.failure: BaseException | None = None  # what ended the channel (None: closed on purpose)
        self._use_tls = False
        self._ports_tried: set[bool] = set()  # relinked on the TLS port (True) / plain port (False) already
        self._loop: ChannelLoop | None = None
        self._thread: ChannelThread | None = None
        self._generation = 0  # which connection is current (a reconnect makes earlier ones stale)
        self._old_threads: list[ChannelThread] = []  # replaced connections' threads, kept until they end
        self._awaiting_migrate_data = False  # a seamless migration's MIGRATE asked for data: MIGRATE_DATA comes next

    # --- what subclasses declare --------------------------------------------------------------------------

    def channel_caps(self) -> frozenset[int]:
        return frozenset()

    def link_messages(self, server_caps: frozenset[int]) -> list[WireStruct]:
        """The channel's first messages (its init), given the server's channel caps: they go right behind the
        ticket (see ChannelConnection.with_ticket), or first thing on a link made elsewhere (a migration's).
        Called on the channel thread."""
        return []

    def on_up(self) -> None:
        """Called on the channel thread once the link is up (send the channel's init message here)."""

    def on_down(self) -> None:
        """Called on the channel thread when the channel has closed."""

    def on_moved(self) -> None:
        """Called on the new connection's thread once this channel carries on over a migration's destination."""

    # --- life cycle ---------------------------------------------------------------------------------------

    @property
    def uses_tls(self) -> bool:
        """The current connection is (or is being) made over TLS."""
        return self._use_tls

    @property
    def loop(self) -> ChannelLoop | None:
        """The current connection's I/O loop (None before start): call_soon() runs work on its thread."""
        return self._loop

    def start(self, pre: PreConnection | None = None) -> None:
        """Connect; or, with `pre`, carry on over a link a migration made in advance (as if it had just linked)."""
        if pre is not None:
            self.take_over(pre, relink=True)  # a channel that starts has no connection to leave behind
            return
        self._use_tls = self.session.wants_tls(self.channel_type)
        self._start_thread()

    def start_after(self, refused: BaseException) -> None:
        """Start once a link made for this channel in advance failed with `refused`: on the port the server named,
        if it refused the link for that (NEED_SECURED / NEED_UNSECURED), else as start() does."""
        self._use_tls = self.session.wants_tls(self.channel_type)
        if not self._relink_where_the_server_wants(refused):
            self._start_thread()

    def take_over(
        self, pre: PreConnection, *, relink: bool, lead: WireStruct | None = None, keep_serials: bool = False
    ) -> ChannelLoop | None:
        """Move onto a link made in advance to a migration's destination. Returns the connection left behind,
        still open, its events ignored from now on: the caller closes it (a seamless migration keeps every
        source connection open until all channels have moved, as the source drops the whole client when one
        of them closes).

        relink: the channel starts there as on a fresh link (on_linked: its init messages); else it carries on
        (on_moved). lead: sent before anything else. keep_serials: the destination continues the source's
        message numbering (a seamless migration).
        """
        self._generation += 1
        events = _ConnectionEvents(self, self._generation)
        old_loop = self._loop
        if self._thread is not None and not self._thread.is_finished():
            self._old_threads.append(self._thread)
        self._loop, self._thread = pre.loop, pre.thread
        self._use_tls = pre.tls
        linked = pre.linked
        assert linked is not None, "only a linked pre-connection is taken over"

        def first(conn: ChannelConnection) -> None:
            if lead is not None:
                conn.send(lead)
            if relink:
                events.on_linked(linked)
            else:
                self.server_caps = linked.channel_caps
                self.on_moved()

        pre.adopt(events, first, self.serial_done if keep_serials else None)
        return old_loop if old_loop is not pre.loop else None

    def _start_thread(self) -> None:
        endpoint = self.session.endpoint_for(self.channel_type, self._use_tls)
        conn = ChannelConnection(
            self.channel_type,
            self.channel_id,
            connection_id=self.session.session_id,
            password=self.session.password,
            channel_caps=self.channel_caps(),
            sasl=self.session.sasl_factory(endpoint.host),
            with_ticket=self.link_messages,
        )
        timeout = self.session.connect_timeout
        self._generation += 1
        events = _ConnectionEvents(self, self._generation)
        self._loop = ChannelLoop(conn, lambda: open_socket(endpoint, timeout), events, link_timeout=timeout)
        if self._thread is not None and not self._thread.is_finished():
            self._old_threads.append(self._thread)
        self._thread = ChannelThread(self._loop, self.name)
        self.log.debug("connecting to %s", endpoint.describe())
        self._thread.start()

    def send(self, message: WireStruct) -> None:
        """Queue a message; safe from any thread."""
        if self._loop is not None:
            self._loop.send(message)

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.stop()

    def reconnect(self) -> None:
        """Drop this connection and open a new one (same channel object); the old one's events are ignored."""
        if self._loop is not None:
            self._loop.stop()
        self.is_linked = False
        self._start_thread()

    def wait(self, timeout_ms: int = 5000) -> bool:
        threads = [t for t in [*self._old_threads, self._thread] if t is not None]
        return all(t.wait(timeout_ms) for t in threads)

    def finished(self) -> bool:
        """The channel's threads have ended (or never started)."""
        return all(t.is_finished() for t in [*self._old_threads, self._thread] if t is not None)

    # --- ChannelHandler (called on the channel thread) -------------------------------------------------------

    def on_linked(self, event: Linked) -> None:
        self.server_caps = event.channel_caps
        self.is_linked = True
        self.log.debug("linked (server caps %s, mini header %s)", sorted(event.channel_caps), event.mini_header)
        if not event.sent_with_ticket:
            for message in self.link_messages(event.channel_caps):
                self.send(message)
        self.on_up()
        self.linked.emit()

    def on_message(self, message: WireStruct, serial: int) -> None:
        defn = type(message).__spice_message__
        if defn is None:  # a structure, not a message: the connection never hands those out
            return
        self.received[defn.name] += 1
        handler = self.handlers.get(defn)
        if handler is None:
            self.log.debug("unhandled %s", type(message).__name__)
        else:
            handler(message)
        self.serial_done = serial
        if self.session.serial_waiters:  # another channel waits for this one (WAIT_FOR_CHANNELS)
            self.session.channel_progressed()

    def on_batch_done(self) -> None:
        """Called on the channel thread once the messages that arrived together are handled."""

    def on_closed(self, error: BaseException | None) -> None:
        if self._relink_where_the_server_wants(error):
            return
        self.is_linked = False
        self.failure = error
        self.error = str(error) if error is not None else None
        if error is not None:
            self.log.info("closed: %s", error)
        self.on_down()
        self.closed.emit(self.error or "")

    def _relink_where_the_server_wants(self, error: BaseException | None) -> bool:
        """A link refused with NEED_SECURED / NEED_UNSECURED names the port this channel belongs on: link there,
        once, when that port is known. spice-gtk goes only towards TLS; the other way keeps a channel the server
        keeps plain (QEMU plaintext-channel=inputs) when the client asked for TLS everywhere."""
        want_tls = PORT_WANTED.get(error.code) if isinstance(error, LinkError) and error.code is not None else None
        if want_tls is None or want_tls == self._use_tls or want_tls in self._ports_tried:
            return False
        if not (self.session.can_use_tls() if want_tls else self.session.can_use_plain()):
            return False
        self.log.info(
            "server asks for TLS; reconnecting on the TLS port"
            if want_tls
            else "server wants this channel without TLS; reconnecting on the plain port"
        )
        self._ports_tried.add(want_tls)
        self._use_tls = want_tls
        self._start_thread()
        return True

    # --- common messages ----------------------------------------------------------------------------------

    def _on_notify(self, msg: MsgNotify) -> None:
        # For -v and the `notice` signal, not stderr: QEMU and Xspice say "keyboard channel is insecure" on every
        # plain connection, and a warning printed each time teaches users to ignore warnings.
        text = bytes(msg.message).rstrip(b"\0").decode("utf-8", "replace")
        self.log.info("server notice%s: %s", " (warning)" if msg.severity >= NotifySeverity.WARN else "", text)
        self.notice.emit(text)

    def _on_disconnecting(self, msg: MsgDisconnecting) -> None:
        self.log.info("server is disconnecting this channel (reason %d)", msg.reason)

    def _on_wait_for_channels(self, msg: MsgWaitForChannels) -> None:
        self.wait_for_channels(msg.wait_list)

    def wait_for_channels(self, wait_list: list[ChannelWait]) -> None:
        """Hold this channel until each listed channel has handled the listed message: the server orders what
        depends on another channel (an image one display channel caches and another draws) so."""
        for wait in wait_list:
            if (wait.channel_type, wait.channel_id) == (self.channel_type, self.channel_id):
                continue  # this channel's own earlier messages are handled already
            if not self.session.wait_for_channel(wait.channel_type, wait.channel_id, wait.message_serial):
                self.log.info(
                    "waited %.0f s for %d-%d to reach message %d; going on",
                    WAIT_FOR_CHANNEL_S,
                    wait.channel_type,
                    wait.channel_id,
                    wait.message_serial,
                )

    # --- a seamless migration's hand-over, channel by channel -----------------------------------------------

    def _on_migrate(self, msg: MsgMigrate) -> None:
        """The VM has moved: flush if asked, wait for the state to hand over if asked, then move."""
        if not self.session.seamless_move_ready():
            self.log.info("MIGRATE (flags %#x) ignored: no seamless migration is under way", msg.flags)
            return
        if msg.flags & MigrateFlags.NEED_FLUSH:
            self.send(MsgcMigrateFlushMark())
        if msg.flags & MigrateFlags.NEED_DATA_TRANSFER:
            self._awaiting_migrate_data = True
            return
        self.session.move_channel(self, None)

    def _on_migrate_data(self, msg: MsgMigrateData) -> None:
        if not self._awaiting_migrate_data:
            self.log.info("MIGRATE_DATA without a MIGRATE asking for it: ignored")
            return
        self._awaiting_migrate_data = False
        self.session.move_channel(self, bytes(msg.data))


class _ConnectionEvents:
    """Hands one connection's events to its channel, as long as that connection is the channel's current one."""

    def __init__(self, channel: ChannelBase, generation: int) -> None:
        self.channel = channel
        self.generation = generation

    def _current(self) -> bool:
        return self.channel._generation == self.generation

    def on_linked(self, event: Linked) -> None:
        if self._current():
            self.channel.on_linked(event)

    def on_message(self, message: WireStruct, serial: int) -> None:
        if self._current():
            self.channel.on_message(message, serial)

    def on_batch_done(self) -> None:
        if self._current():
            self.channel.on_batch_done()

    def on_closed(self, error: BaseException | None) -> None:
        if self._current():
            self.channel.on_closed(error)
        else:
            self.channel.log.debug("earlier connection closed (%s)", error or "on purpose")
