"""WireProxy: a TCP proxy between a SPICE client and a server that counts what the server sends, per channel.

The client connects to the proxy (127.0.0.1, a free port); each accepted connection is forwarded to the real
server's host:port. The proxy reads the link stage in both directions (spice-protocol's spice/protocol.h):

- client: SpiceLinkHeader ("REDQ", major, minor, size) + SpiceLinkMess (connection_id u32, channel_type u8,
  channel_id u8, num_common_caps u32, num_channel_caps u32, caps_offset u32, caps) gives the channel type;
- server: SpiceLinkHeader + SpiceLinkReply (error u32, 162-byte public key, num_common_caps, num_channel_caps,
  caps_offset from the reply body's start, caps); then, after the client's auth mechanism (with
  PROTOCOL_AUTH_SELECTION) and 128-byte ticket, the server's 4-byte link result.

After that every server->client message has the mini header (type u16, size u32) when both sides offered
SPICE_COMMON_CAP_MINI_HEADER, else the full one (serial u64, type u16, size u32, sub_list u32). Per channel type
the proxy counts bytes both ways, server messages by type and, on the display channel, stream frames
(STREAM_DATA, STREAM_DATA_SIZED) per stream id, drawing messages (every DRAW_* and COPY_BITS), the SpiceImage type
of each drawing's source image (GLZ_RGB, QUIC, FROM_CACHE, SURFACE...) and the codec of every STREAM_CREATE
(layouts from spice-common's spice.proto); only those few fields are read, other bodies are skipped without
being buffered. A SPICE_MSG_LIST's sub-messages are counted by type too (spice-server sends one with the mini
header for its invalidate + wait pair); a full header's sub_list is not opened (it rides on another message).
A connection that does not start with "REDQ", or one that chooses SASL, is forwarded and counted in bytes only.

`snapshot()` copies the counters; the difference of two snapshots is what crossed the wire in between:

    with WireProxy(server.port) as proxy:
        run_client(proxy.uri)
        before = proxy.snapshot()
        time.sleep(20)
        window = proxy.snapshot() - before
        print(window.display.stream_data, window.display.bytes_to_client)

The proxy runs in one background thread (selectors, non-blocking sockets, bounded buffers so a slow reader
slows its writer down, as a direct connection would); close() stops it and closes every socket.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from spiceview.protocol.caps import words_to_caps
from spiceview.protocol.constants import (
    MAGIC,
    ChannelType,
    ClipType,
    CommonCap,
    ImageType,
    LinkErr,
    VideoCodecType,
)
from spiceview.protocol.framing import FULL_HEADER, MINI_HEADER, MSG_LIST, SUB_MESSAGE
from spiceview.protocol.link import LINK_HEADER, LINK_MESS, LINK_REPLY_HEAD, MAX_CAPS_WORDS, U32
from spiceview.protocol.messages import display as dmsg
from spiceview_lab.ports import HOST, listen_on_free_port

# Display messages the proxy looks at (spice.proto's DisplayChannel, spiceview.protocol.messages.display).
STREAM_DATA_TYPES = frozenset({dmsg.MSG_STREAM_DATA.number, dmsg.MSG_STREAM_DATA_SIZED.number})
DRAW_TYPES = frozenset(
    {
        dmsg.MSG_COPY_BITS.number,
        dmsg.MSG_DRAW_FILL.number,
        dmsg.MSG_DRAW_OPAQUE.number,
        dmsg.MSG_DRAW_COPY.number,
        dmsg.MSG_DRAW_BLEND.number,
        dmsg.MSG_DRAW_BLACKNESS.number,
        dmsg.MSG_DRAW_WHITENESS.number,
        dmsg.MSG_DRAW_INVERS.number,
        dmsg.MSG_DRAW_ROP3.number,
        dmsg.MSG_DRAW_STROKE.number,
        dmsg.MSG_DRAW_TEXT.number,
        dmsg.MSG_DRAW_TRANSPARENT.number,
        dmsg.MSG_DRAW_ALPHA_BLEND.number,
        dmsg.MSG_DRAW_COMPOSITE.number,
    }
)
STREAM_CREATE = dmsg.MSG_STREAM_CREATE.number
# STREAM_CREATE starts surface_id u32, id u32, flags u8, codec_type u8.
_STREAM_CREATE_HEAD = struct.Struct("<IIBB")
# Drawing messages with a source image: bytes of their own fields between DisplayBase and src_bitmap (a u32
# offset from the body's start to a SpiceImage, whose descriptor starts id u64, type u8).
IMAGE_DRAWS = {
    dmsg.MSG_DRAW_OPAQUE.number: 0,
    dmsg.MSG_DRAW_COPY.number: 0,
    dmsg.MSG_DRAW_BLEND.number: 0,
    dmsg.MSG_DRAW_ROP3.number: 0,
    dmsg.MSG_DRAW_TRANSPARENT.number: 0,
    dmsg.MSG_DRAW_ALPHA_BLEND.number: 2,  # alpha_flags u8, alpha u8
    dmsg.MSG_DRAW_COMPOSITE.number: 4,  # flags u32
}
_BASE_HEAD = struct.Struct("<I4iB")  # DisplayBase up to the clip's type
_IMAGE_HEAD = struct.Struct("<QB")
AUTH_SASL = CommonCap.AUTH_SASL  # an auth mechanism number is its common cap's number
_MAX_LIST_BODY = 1 << 20  # a SPICE_MSG_LIST body larger than this is not opened
_CHUNK = 256 * 1024
_HIGH_WATER = 4 << 20  # stop reading from a side while this much waits to be written to the other
UNKNOWN_CHANNEL = 0  # the channel type of connections that never linked as SPICE


def codec_name(codec: int) -> str:
    try:
        return VideoCodecType(codec).name.lower()
    except ValueError:
        return f"codec-{codec}"


def image_name(image_type: int) -> str:
    try:
        return ImageType(image_type).name.lower()
    except ValueError:
        return f"image-{image_type}"


def channel_name(channel_type: int) -> str:
    try:
        return ChannelType(channel_type).name.lower()
    except ValueError:
        return "unknown" if channel_type == UNKNOWN_CHANNEL else f"channel-{channel_type}"


@dataclass
class ChannelCounters:
    """What crossed the wire on the connections of one channel type (all of them, summed)."""

    connections: int = 0
    bytes_to_client: int = 0
    bytes_to_server: int = 0
    messages: int = 0  # server->client wire messages after the link
    by_type: Counter[int] = field(default_factory=Counter)  # server message type -> count (list members too)
    stream_data: int = 0  # display: STREAM_DATA + STREAM_DATA_SIZED
    draws: int = 0  # display: DRAW_* + COPY_BITS
    stream_codecs: list[int] = field(default_factory=list)  # display: codec of every STREAM_CREATE, in order
    stream_frames: Counter[int] = field(default_factory=Counter)  # display: stream id -> stream frames
    image_types: Counter[int] = field(default_factory=Counter)  # display: SpiceImage type of drawn images
    mini_header: bool | None = None  # of the last connection that linked
    client_caps: frozenset[int] = frozenset()  # the channel caps the last connection's client offered

    def copy(self) -> ChannelCounters:
        return ChannelCounters(
            self.connections,
            self.bytes_to_client,
            self.bytes_to_server,
            self.messages,
            Counter(self.by_type),
            self.stream_data,
            self.draws,
            list(self.stream_codecs),
            Counter(self.stream_frames),
            Counter(self.image_types),
            self.mini_header,
            self.client_caps,
        )

    def __sub__(self, earlier: ChannelCounters) -> ChannelCounters:
        by_type = Counter(self.by_type)
        by_type.subtract(earlier.by_type)
        return ChannelCounters(
            self.connections - earlier.connections,
            self.bytes_to_client - earlier.bytes_to_client,
            self.bytes_to_server - earlier.bytes_to_server,
            self.messages - earlier.messages,
            +by_type,
            self.stream_data - earlier.stream_data,
            self.draws - earlier.draws,
            self.stream_codecs[len(earlier.stream_codecs) :],
            self.stream_frames - earlier.stream_frames,
            self.image_types - earlier.image_types,
            self.mini_header,
            self.client_caps,
        )

    @property
    def codecs(self) -> Counter[str]:
        """STREAM_CREATE codecs by name ("mjpeg", "vp8", "h264"...)."""
        return Counter(codec_name(c) for c in self.stream_codecs)

    @property
    def images(self) -> Counter[str]:
        """Drawn images by SpiceImage type name ("glz_rgb", "quic", "from_cache", "surface"...)."""
        return Counter({image_name(t): n for t, n in self.image_types.items()})


@dataclass
class WireSnapshot:
    """A copy of the proxy's counters (or, from `later - earlier`, what crossed in between)."""

    seconds: float  # monotonic time of the snapshot; for a difference, the seconds between the two
    channels: dict[int, ChannelCounters] = field(default_factory=dict)

    def __getitem__(self, channel_type: int) -> ChannelCounters:
        return self.channels.get(channel_type, ChannelCounters())

    @property
    def display(self) -> ChannelCounters:
        return self[ChannelType.DISPLAY]

    @property
    def main(self) -> ChannelCounters:
        return self[ChannelType.MAIN]

    def __sub__(self, earlier: WireSnapshot) -> WireSnapshot:
        keys = set(self.channels) | set(earlier.channels)
        return WireSnapshot(self.seconds - earlier.seconds, {k: self[k] - earlier[k] for k in sorted(keys)})

    def summary(self) -> str:
        parts = []
        for ctype, c in self.channels.items():
            extra = ""
            if ctype == ChannelType.DISPLAY:
                extra = (
                    f", {c.draws} draws (images {dict(c.images)}), {c.stream_data} stream frames of"
                    f" {len(c.stream_frames)} streams, codecs {dict(c.codecs)}"
                )
            parts.append(f"{channel_name(ctype)}: {c.bytes_to_client} B in {c.messages} msgs{extra}")
        return "; ".join(parts)


class _Reader:
    """Cuts a byte stream into items of known length, fed in pieces of any size.

    `skip(n)` drops the next n bytes (nothing is buffered, so large message bodies cost nothing but the
    counting); `expect(n, then)` asks for the n bytes after any skip as one item, passed to then().
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._need = 0
        self._skip = 0
        self._then: Callable[[bytes], None] | None = None
        self.dead = False

    def expect(self, n: int, then: Callable[[bytes], None]) -> None:
        self._need, self._then = n, then

    def skip(self, n: int) -> None:
        self._skip += n

    def stop(self) -> None:
        self.dead = True
        self._buf.clear()

    def feed(self, data: memoryview) -> None:
        pos, end = 0, len(data)
        while pos < end and not self.dead:
            if self._skip:
                n = min(self._skip, end - pos)
                self._skip -= n
                pos += n
                continue
            if self._then is None:
                return
            n = min(self._need - len(self._buf), end - pos)
            self._buf += data[pos : pos + n]
            pos += n
            if len(self._buf) == self._need:
                item, then = bytes(self._buf), self._then
                self._buf.clear()
                self._then = None
                then(item)
        # Zero-length items (an empty message body) are due without more bytes.
        while not self.dead and not self._skip and self._then is not None and self._need == 0:
            then, self._then = self._then, None
            then(b"")


class _Connection:
    """One client connection and its server connection, with the link state read from both."""

    def __init__(self, proxy: WireProxy, client: socket.socket, server: socket.socket) -> None:
        self.proxy = proxy
        self.client, self.server = client, server
        self.to_server = bytearray()  # read from the client, not yet written to the server
        self.to_client = bytearray()
        self.client_eof = self.server_eof = False
        self.closed = False
        self.counters: ChannelCounters | None = None
        self.channel_type: int | None = None
        self.pending_to_server = 0  # client bytes before the channel type is known
        self.client_common: frozenset[int] = frozenset()
        self.server_common: frozenset[int] | None = None
        self.mini = False
        self.sasl = False
        self._size = self._left = 0  # the server message being read: its body size, bytes not yet taken
        self.up = _Reader()  # client -> server
        self.down = _Reader()  # server -> client
        self.up.expect(LINK_HEADER.size, self._client_link_header)
        self.down.expect(LINK_HEADER.size, self._server_link_header)

    # -- client -> server ----------------------------------------------------------------------------

    def _client_link_header(self, data: bytes) -> None:
        magic, _major, _minor, size = LINK_HEADER.unpack(data)
        if magic != MAGIC or size < LINK_MESS.size or size > 1 << 16:
            self._identify(UNKNOWN_CHANNEL)
            self.up.stop()
            self.down.stop()
            return
        self.up.expect(size, self._client_link_mess)

    def _client_link_mess(self, body: bytes) -> None:
        _conn_id, ctype, _cid, n_common, n_channel, offset = LINK_MESS.unpack_from(body)
        self.client_common = _caps(body, offset, n_common)
        self._identify(ctype)
        channel_caps = _caps(body, offset + 4 * n_common, n_channel)
        self._record(lambda c: setattr(c, "client_caps", channel_caps))
        # Next: the auth mechanism (4 bytes) if both offer auth selection, then the ticket; the server's reply
        # comes first, so its caps are known when those bytes arrive.
        self.up.expect(4, self._client_after_link)

    def _client_after_link(self, data: bytes) -> None:
        common = self.client_common & (self.server_common or frozenset())
        if CommonCap.PROTOCOL_AUTH_SELECTION in common and U32.unpack(data)[0] == AUTH_SASL:
            self.sasl = True
        self.up.stop()  # nothing more from the client is read

    def _identify(self, ctype: int) -> None:
        self.channel_type = ctype
        with self.proxy._lock:
            self.counters = self.proxy._channel(ctype)
            self.counters.connections += 1
            self.counters.bytes_to_server += self.pending_to_server
        self.pending_to_server = 0

    # -- server -> client ----------------------------------------------------------------------------

    def _server_link_header(self, data: bytes) -> None:
        magic, _major, _minor, size = LINK_HEADER.unpack(data)
        if magic != MAGIC or size > 1 << 16:
            self.down.stop()
            return
        self.down.expect(size, self._server_link_reply)

    def _server_link_reply(self, body: bytes) -> None:
        if len(body) < LINK_REPLY_HEAD.size or U32.unpack_from(body)[0] != LinkErr.OK:
            self.down.stop()  # an error reply: the server closes
            return
        _err, _key, n_common, _n_channel, offset = LINK_REPLY_HEAD.unpack_from(body)
        self.server_common = _caps(body, offset, n_common)
        self.mini = CommonCap.MINI_HEADER in self.client_common and CommonCap.MINI_HEADER in self.server_common
        self.down.expect(4, self._server_link_result)

    def _server_link_result(self, data: bytes) -> None:
        if self.sasl or U32.unpack(data)[0] != LinkErr.OK:
            self.down.stop()  # SASL: its exchange comes first and is not parsed; an error: the server closes
            return
        if self.counters is not None:
            with self.proxy._lock:
                self.counters.mini_header = self.mini
        self._next_header()

    def _next_header(self) -> None:
        self.down.expect((MINI_HEADER if self.mini else FULL_HEADER).size, self._server_header)

    def _server_header(self, data: bytes) -> None:
        if self.mini:
            msg_type, size = MINI_HEADER.unpack(data)
        else:
            _serial, msg_type, size, _sub_list = FULL_HEADER.unpack(data)
        c = self.counters
        assert c is not None
        display = self.channel_type == ChannelType.DISPLAY
        with self.proxy._lock:
            c.messages += 1
            c.by_type[msg_type] += 1
            if display:
                if msg_type in STREAM_DATA_TYPES:
                    c.stream_data += 1
                elif msg_type in DRAW_TYPES:
                    c.draws += 1
        self._size = self._left = size
        if display and msg_type == STREAM_CREATE:
            self._want(_STREAM_CREATE_HEAD.size, self._stream_create)
        elif display and msg_type in STREAM_DATA_TYPES:
            self._want(4, self._stream_data)  # StreamDataHeader: stream id u32, multi_media_time u32
        elif display and msg_type in IMAGE_DRAWS:
            self._want(_BASE_HEAD.size, lambda head: self._draw_base(head, IMAGE_DRAWS[msg_type]))
        elif msg_type == MSG_LIST and size <= _MAX_LIST_BODY:
            self._want(size, self._message_list)
        else:
            self._finish()

    # A message body is read through these: _want(n) the next n bytes (or, past the end, the rest is skipped
    # and the next header read), _skip(n) within the body, _finish() skips what is left of it.

    def _want(self, n: int, then: Callable[[bytes], None]) -> None:
        if n > self._left:
            self._finish()
            return
        self._left -= n
        self.down.expect(n, then)

    def _skip(self, n: int) -> bool:
        if n > self._left:
            self._finish()
            return False
        self._left -= n
        self.down.skip(n)
        return True

    def _finish(self) -> None:
        self.down.skip(self._left)
        self._left = 0
        self._next_header()

    def _record(self, update: Callable[[ChannelCounters], None]) -> None:
        assert self.counters is not None
        with self.proxy._lock:
            update(self.counters)

    def _stream_create(self, head: bytes) -> None:
        codec = _STREAM_CREATE_HEAD.unpack(head)[3]
        self._record(lambda c: c.stream_codecs.append(codec))
        self._finish()

    def _stream_data(self, head: bytes) -> None:
        (stream_id,) = U32.unpack(head)
        self._record(lambda c: c.stream_frames.update((stream_id,)))
        self._finish()

    def _draw_base(self, head: bytes, before_image: int) -> None:
        # DisplayBase: surface_id u32, box (4 x i32), clip type u8 (+ num_rects u32 and the rects for RECTS).
        if head[-1] == ClipType.RECTS:
            self._want(4, lambda n: self._clip_rects(U32.unpack(n)[0], before_image))
        else:
            self._image_pointer(before_image)

    def _clip_rects(self, count: int, before_image: int) -> None:
        if self._skip(16 * count):
            self._image_pointer(before_image)

    def _image_pointer(self, before_image: int) -> None:
        # The draw's fields before src_bitmap, then src_bitmap: an offset from the body's start (0: none).
        self._want(before_image + 4, lambda b: self._image_at(U32.unpack_from(b, before_image)[0]))

    def _image_at(self, offset: int) -> None:
        here = self._size - self._left
        if offset == 0 or offset < here or not self._skip(offset - here):
            self._finish()
            return
        self._want(_IMAGE_HEAD.size, self._image)

    def _image(self, head: bytes) -> None:
        image_type = _IMAGE_HEAD.unpack(head)[1]
        self._record(lambda c: c.image_types.update((image_type,)))
        self._finish()

    def _message_list(self, body: bytes) -> None:
        # SpiceSubMessageList: count u16, then that many u32 offsets of SpiceSubMessage (type u16, size u32).
        if len(body) >= 2:
            (count,) = struct.unpack_from("<H", body)
            if 2 + 4 * count <= len(body):
                types = []
                for (offset,) in struct.iter_unpack("<I", body[2 : 2 + 4 * count]):
                    if offset + SUB_MESSAGE.size <= len(body):
                        types.append(SUB_MESSAGE.unpack_from(body, offset)[0])
                self._record(lambda c: c.by_type.update(types))
        self._finish()

    # -- bytes ---------------------------------------------------------------------------------------

    def from_client(self, data: memoryview) -> None:
        if self.counters is None:
            self.pending_to_server += len(data)
        else:
            with self.proxy._lock:
                self.counters.bytes_to_server += len(data)
        self.up.feed(data)
        if self.counters is None and self.up.dead:
            self._identify(UNKNOWN_CHANNEL)

    def from_server(self, data: memoryview) -> None:
        with self.proxy._lock:
            c = self.counters if self.counters is not None else self.proxy._channel(UNKNOWN_CHANNEL)
            c.bytes_to_client += len(data)
        if self.counters is not None:
            self.down.feed(data)
        else:
            self.down.stop()  # the server spoke before the client linked: not SPICE as we know it


def _caps(body: bytes, offset: int, n_words: int) -> frozenset[int]:
    """The capability bits of the first n_words words at offset (words outside the body are ignored)."""
    n = max(0, min(n_words, (len(body) - offset) // 4, MAX_CAPS_WORDS)) if offset >= 0 else 0
    return words_to_caps(struct.unpack_from(f"<{n}I", body, offset)) if n else frozenset()


class WireProxy:
    """Forward 127.0.0.1:`port` to target_host:target_port, counting the SPICE traffic (see the module doc)."""

    def __init__(self, target_port: int, target_host: str = HOST, *, listen_host: str = HOST) -> None:
        self.target = (target_host, target_port)
        self.listen_host = listen_host
        self.port: int | None = None
        self._lock = threading.Lock()
        self._channels: dict[int, ChannelCounters] = {}
        self._conns: list[_Connection] = []
        self._listener: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._sel: selectors.DefaultSelector | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._cut = threading.Event()  # set: the network is down (nothing crosses, nothing is accepted)
        self.errors: list[str] = []  # connections that failed (upstream refused, reset...)

    # -- public --------------------------------------------------------------------------------------

    @property
    def uri(self) -> str:
        if self.port is None:
            raise RuntimeError("WireProxy not started")
        return f"spice://{self.listen_host}:{self.port}"

    def start(self) -> WireProxy:
        if self._thread is not None:
            raise RuntimeError("WireProxy already started")
        listener = listen_on_free_port(self.listen_host, blocking=False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._sel = selectors.DefaultSelector()
        self._sel.register(listener, selectors.EVENT_READ, "accept")
        self._sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._run, name=f"WireProxy:{self.port}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread and close every socket. Idempotent."""
        self._stopping = True
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        for conn in list(self._conns):
            self._close_conn(conn)
        for s in (self._listener, self._wake_r, self._wake_w):
            if s is not None:
                s.close()
        self._listener = self._wake_r = self._wake_w = None
        if self._sel is not None:
            self._sel.close()
            self._sel = None

    def __enter__(self) -> WireProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cut(self) -> None:
        """The network goes down: from now on nothing crosses either way and new connections hang (the kernel
        still accepts them into the backlog), as when a cable is pulled; no socket is closed."""
        self._cut.set()
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")

    def restore(self) -> None:
        """The network is back: what waited in the buffers goes on, as TCP would retransmit it."""
        self._cut.clear()
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")

    def snapshot(self) -> WireSnapshot:
        with self._lock:
            return WireSnapshot(time.monotonic(), {k: c.copy() for k, c in sorted(self._channels.items())})

    @property
    def open_connections(self) -> int:
        return sum(not c.closed for c in self._conns)

    def wait_until(self, condition: Callable[[WireSnapshot], bool], timeout: float, poll: float = 0.05) -> bool:
        """Poll snapshots until condition(snapshot) holds; False after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            if condition(self.snapshot()):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(poll)

    # -- the thread ----------------------------------------------------------------------------------

    def _channel(self, ctype: int) -> ChannelCounters:
        c = self._channels.get(ctype)
        if c is None:
            c = self._channels[ctype] = ChannelCounters()
        return c

    def _run(self) -> None:
        assert self._sel is not None
        while not self._stopping:
            if self._cut.is_set():
                time.sleep(0.02)
                continue
            for key, events in self._sel.select(timeout=1.0):
                if key.data == "wake":
                    with contextlib.suppress(OSError):
                        key.fileobj.recv(64)  # type: ignore[union-attr]
                elif key.data == "accept":
                    self._accept()
                else:
                    conn, side = key.data
                    if not conn.closed:
                        self._service(conn, side, events)

    def _accept(self) -> None:
        assert self._listener is not None and self._sel is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            try:
                server = socket.create_connection(self.target, timeout=5.0)
            except OSError as e:
                self.errors.append(f"connect to {self.target}: {e}")
                client.close()
                continue
            for s in (client, server):
                s.setblocking(False)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, client, server)
            self._conns = [c for c in self._conns if not c.closed] + [conn]
            self._sel.register(client, selectors.EVENT_READ, (conn, "client"))
            self._sel.register(server, selectors.EVENT_READ, (conn, "server"))

    def _service(self, conn: _Connection, side: str, events: int) -> None:
        sock = conn.client if side == "client" else conn.server
        try:
            if events & selectors.EVENT_WRITE:
                self._flush(conn, side)
            if events & selectors.EVENT_READ:
                self._read(conn, side, sock)
        except OSError as e:
            if e.errno not in (errno.ECONNRESET, errno.EPIPE):
                self.errors.append(f"{side}: {e}")
            self._close_conn(conn)
            return
        if conn.closed:
            return
        # Both ways ended and flushed: done.
        if conn.client_eof and conn.server_eof and not conn.to_client and not conn.to_server:
            self._close_conn(conn)
            return
        self._update_interest(conn)

    def _read(self, conn: _Connection, side: str, sock: socket.socket) -> None:
        out = conn.to_server if side == "client" else conn.to_client
        if len(out) >= _HIGH_WATER:
            return
        try:
            data = sock.recv(_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        if not data:
            if side == "client":
                conn.client_eof = True
            else:
                conn.server_eof = True
            self._flush(conn, "server" if side == "client" else "client")
            return
        view = memoryview(data)
        if side == "client":
            conn.from_client(view)
        else:
            conn.from_server(view)
        out += data
        self._flush(conn, "server" if side == "client" else "client")

    def _flush(self, conn: _Connection, to: str) -> None:
        """Write what waits for side `to`; after its source's EOF and an empty buffer, pass the EOF on."""
        sock, buf = (conn.server, conn.to_server) if to == "server" else (conn.client, conn.to_client)
        while buf:
            try:
                n = sock.send(buf)
            except (BlockingIOError, InterruptedError):
                return
            del buf[:n]
        src_eof = conn.client_eof if to == "server" else conn.server_eof
        if src_eof:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_WR)

    def _update_interest(self, conn: _Connection) -> None:
        assert self._sel is not None
        for side, sock, incoming, outgoing, eof in (
            ("client", conn.client, conn.to_server, conn.to_client, conn.client_eof),
            ("server", conn.server, conn.to_client, conn.to_server, conn.server_eof),
        ):
            events = 0
            if not eof and len(incoming) < _HIGH_WATER:
                events |= selectors.EVENT_READ
            if outgoing:
                events |= selectors.EVENT_WRITE
            try:
                if events:
                    self._sel.modify(sock, events, (conn, side))
                else:
                    self._sel.unregister(sock)
            except KeyError:
                if events:
                    self._sel.register(sock, events, (conn, side))

    def _close_conn(self, conn: _Connection) -> None:
        if conn.closed:
            return
        conn.closed = True
        for s in (conn.client, conn.server):
            if self._sel is not None:
                with contextlib.suppress(KeyError, ValueError):
                    self._sel.unregister(s)
            with contextlib.suppress(OSError):
                s.close()

    def __repr__(self) -> str:
        state = f"127.0.0.1:{self.port}" if self._thread is not None else "stopped"
        return f"<WireProxy {state} -> {self.target[0]}:{self.target[1]}>"
