"""The I/O loop of one channel: one thread owns the socket and the sans-IO connection.

Reading, parsing and handling happen in the loop's thread; other threads hand it messages to send through a
queue and a wake-up socket, so a TLS socket is never used from two threads at once.
"""

from __future__ import annotations

import collections
import logging
import mmap
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Protocol

from ..protocol.connection import ChannelConnection, Linked, MalformedMessage, Received, State, UnknownMessage
from ..protocol.errors import ProtocolError
from ..protocol.schema import WireStruct
from .errors import TransportError

log = logging.getLogger(__name__)

READ_CHUNK = 1 << 18
# At most this much is read before handling events, so ACKs and PONGs go out in time.
READ_BURST = 1 << 22
# struct tcp_info (linux/tcp.h): tcpi_rtt, microseconds, after 8 one-byte fields and 15 u32 ones.
TCP_INFO_RTT_OFFSET = 68
TCP_INFO_SIZE = 104


class ChannelHandler(Protocol):
    def on_linked(self, event: Linked) -> None: ...
    def on_message(self, message: WireStruct, serial: int) -> None: ...
    def on_batch_done(self) -> None:
        """Everything that arrived together has been handled: the loop is about to wait again."""

    def on_closed(self, error: BaseException | None) -> None: ...


def _loaded_ssl_class(name: str) -> type | None:
    """A class of the ssl module, if ssl is loaded. Another channel's thread may be importing it for TLS right
    now, and a half-imported module does not have its classes yet: then this connection is not TLS (a TLS socket
    or error of our own means this thread finished importing ssl) and None is the answer."""
    found = getattr(sys.modules.get("ssl"), name, None)
    return found if isinstance(found, type) else None


class ChannelLoop:
    def __init__(
        self,
        conn: ChannelConnection,
        opener: Callable[[], socket.socket],
        handler: ChannelHandler,
        link_timeout: float = 10.0,
    ) -> None:
        self.conn = conn
        self.opener = opener
        self.handler = handler
        self.link_timeout = link_timeout
        self._lock = threading.Lock()
        self._queue: collections.deque[Callable[[], None]] = collections.deque()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stopping = False
        self._sock: socket.socket | None = None
        self._timers: dict[str, tuple[float, Callable[[], None]]] = {}  # by name: each user keeps its own
        self._hold_until: float | None = None  # see hold_reads
        self._out = bytearray()  # bytes the socket has not taken yet
        self._read_view: memoryview | None = None  # see _read_buffer
        self._loop_thread: int | None = None
        self.bytes_in = 0
        self.bytes_out = 0
        self._tls = False
        # What a non-blocking read or write raises when it would wait (TLS adds its own two).
        self._would_block: tuple[type[OSError], ...] = (BlockingIOError,)

    # --- called from any thread -----------------------------------------------------------------------------

    def send(self, message: WireStruct) -> None:
        self.call_soon(lambda: self.conn.send(message))

    def call_soon(self, fn: Callable[[], None], *, first: bool = False) -> None:
        """Run fn on the loop thread, after what is queued (`first`: before it; a channel taking over this
        connection must send its lead message before anything queued meanwhile)."""
        with self._lock:
            if first:
                self._queue.appendleft(fn)
            else:
                self._queue.append(fn)
        # From the loop's own thread (a handler replying) the queue runs before the loop sleeps again: waking it
        # through the socket pair would cost three system calls and an extra turn per reply.
        if threading.get_ident() != self._loop_thread:
            self._wake()

    def set_timer(self, deadline: float | None, fn: Callable[[], None], name: str = "") -> None:
        """Run fn on the loop thread at time.monotonic() >= deadline (one timer per name; None cancels it).

        Call from the loop thread (handlers), or through call_soon.
        """
        if deadline is None:
            self._timers.pop(name, None)
        else:
            self._timers[name] = (deadline, fn)

    def hold_reads(self, deadline: float) -> None:
        """Leave the socket unread until time.monotonic() >= deadline, then read what arrived before running the
        timers due then (call from the loop thread). A burst that arrives over a few milliseconds (a video
        frame's strips) is then read and handled in one turn of the loop, not one turn per piece."""
        self._hold_until = deadline

    def stop(self) -> None:
        self._stopping = True
        self._wake()

    def tcp_rtt_ms(self) -> float | None:
        """The kernel's smoothed round-trip time of this connection's TCP socket (Linux TCP_INFO), to the next
        hop: through a proxy that is the proxy. None where the platform does not say."""
        sock = self._sock
        if sock is None or not hasattr(socket, "TCP_INFO"):
            return None
        try:
            info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_SIZE)
        except (OSError, ValueError):
            return None
        if len(info) < TCP_INFO_RTT_OFFSET + 4:
            return None
        return int.from_bytes(info[TCP_INFO_RTT_OFFSET : TCP_INFO_RTT_OFFSET + 4], "little") / 1000.0

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # already awake, or shutting down

    # --- the loop ---------------------------------------------------------------------------------------------

    def run(self) -> None:
        self._loop_thread = threading.get_ident()
        error: BaseException | None = None
        try:
            self._sock = self.opener()
            self._run_connected(self._sock)
        except (TransportError, ProtocolError) as exc:
            error = exc
        except OSError as exc:
            ssl_error = _loaded_ssl_class("SSLError")
            if ssl_error is not None and isinstance(exc, ssl_error):
                error = TransportError(f"TLS error: {getattr(exc, 'reason', None) or exc}")
            else:
                error = TransportError(f"connection lost: {exc.strerror or exc}")
        except Exception as exc:  # noqa: BLE001 - a handler bug must end this channel, not the program
            log.exception("%s channel failed", self.conn.channel_name)
            error = exc
        finally:
            if self._sock is not None:
                try:
                    self._sock.close()
                except OSError:
                    pass
            self._wake_r.close()
            self._wake_w.close()
        if self._stopping and isinstance(error, (TransportError, OSError)):
            error = None
        self.handler.on_closed(error)

    def _run_connected(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        # A TLS socket exists only once connect.py has loaded ssl: a plain session never imports it.
        ssl_socket = _loaded_ssl_class("SSLSocket")
        if ssl_socket is not None and isinstance(sock, ssl_socket):
            import ssl  # loaded in full by this thread, which made the TLS socket: a lookup, not an import

            assert isinstance(sock, ssl.SSLSocket)
            self._tls = True
            self._would_block = (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
            cipher = sock.cipher()
            self.conn.tls_bits = cipher[2] if cipher else 0
        self.conn.initiate()
        out = self._out
        out += self.conn.data_to_send()
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ)
        sel.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + self.link_timeout
        linked = False
        watched = selectors.EVENT_READ  # what the selector watches the socket for (0: not registered)
        try:
            while not self._stopping:
                hold = self._hold_until
                mask = (selectors.EVENT_READ if hold is None else 0) | (selectors.EVENT_WRITE if out else 0)
                if mask != watched:
                    if not watched:
                        sel.register(sock, mask)
                    elif not mask:
                        sel.unregister(sock)
                    else:
                        sel.modify(sock, mask)
                    watched = mask
                timeout = max(0.0, deadline - time.monotonic()) if not linked else None
                soonest = min((when for when, _fn in self._timers.values()), default=hold)
                if soonest is not None:
                    if hold is not None:
                        soonest = min(soonest, hold)
                    until_timer = max(0.0, soonest - time.monotonic())
                    timeout = until_timer if timeout is None else min(timeout, until_timer)
                ready = sel.select(timeout)
                if not linked and not ready and time.monotonic() >= deadline:
                    raise TransportError("the server did not complete the link in time")
                if hold is not None and time.monotonic() >= hold:
                    self._hold_until = None
                    linked = self._read(sock) or linked  # before the timer that waited for these bytes
                if self._timers:
                    self._run_due_timers(time.monotonic())
                for key, events in ready:
                    if key.fileobj is self._wake_r:
                        self._drain_wake()
                    elif events & selectors.EVENT_READ:
                        linked = self._read(sock) or linked
                self._run_queue()
                self.handler.on_batch_done()
                out += self.conn.data_to_send()
                if out:
                    self._write(sock, out)
        finally:
            sel.close()

    def _run_due_timers(self, now: float) -> None:
        for name, (when, fn) in list(self._timers.items()):
            if when <= now and self._timers.get(name) == (when, fn):
                del self._timers[name]
                fn()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _run_queue(self) -> None:
        # Messages queued before the link is up wait for it.
        while self.conn.state is State.READY:
            with self._lock:
                if not self._queue:
                    return
                fn = self._queue.popleft()
            fn()

    def _read(self, sock: socket.socket) -> bool:
        """Read what is available (TLS may hold more than select reports) and handle it."""
        linked = False
        total = 0
        # A plain socket that returned less than asked has nothing more for now: asking again would only raise
        # BlockingIOError (an exception and a system call per wake-up). TLS may hold decrypted bytes the kernel
        # does not know of, so it reads until it would block.
        plain = not self._tls
        would_block = self._would_block
        while total < READ_BURST:
            # Straight into the body of a large message still arriving (no pieces to join), else into this
            # loop's read buffer, which the connection copies from: `recv` would allocate a fresh 256 KB bytes
            # object per call (an mmap, page faults and an munmap each time) for reads of a few kilobytes.
            target = self.conn.receive_buffer()
            into_body = target is not None
            if target is None:
                target = self._read_buffer()
            try:
                n = sock.recv_into(target)
            except would_block:
                break
            if not n:
                if self.conn.state is not State.READY:
                    raise self.conn.lost_during_link() or TransportError(
                        "the server closed the connection during the link"
                    )
                raise TransportError("the server closed the connection")
            total += n
            self.bytes_in += n
            drained = plain and n < len(target)
            events = self.conn.received_into(n) if into_body else self.conn.receive_data(target[:n])
            # ACKs (and PONGs) out before handling: the server stops sending once a window of messages is
            # unacknowledged, and decoding a burst of stream frames first made it drop frames for this client.
            self._out += self.conn.data_to_send()
            if self._out:
                self._write(sock, self._out)
            for event in events:
                if isinstance(event, Received):
                    self._dispatch(event)
                elif isinstance(event, Linked):
                    linked = True
                    self.handler.on_linked(event)
                elif isinstance(event, MalformedMessage):
                    log.warning("%s: malformed %s message skipped: %s", self.conn.channel_name, event.name, event.error)
                elif isinstance(event, UnknownMessage):
                    log.debug(
                        "%s: unknown message type %d (%d bytes) ignored", self.conn.channel_name, event.type, event.size
                    )
            if drained:
                break
        return linked

    def _read_buffer(self) -> memoryview:
        if self._read_view is None:
            # Anonymous memory: pages become resident only as far as reads reach.
            self._read_view = memoryview(mmap.mmap(-1, READ_CHUNK))
        return self._read_view

    def _dispatch(self, event: Received) -> None:
        try:
            self.handler.on_message(event.message, event.serial)
        except Exception:  # noqa: BLE001 - one bad message must not end the session
            log.exception("%s: handling %s failed", self.conn.channel_name, type(event.message).__name__)

    def _write(self, sock: socket.socket, out: bytearray) -> None:
        while out:
            try:
                n = sock.send(out)
            except self._would_block:
                return
            self.bytes_out += n
            del out[:n]
