"""spiceview_lab.wire_proxy: the counting TCP proxy the CPU benchmark puts between a viewer and Xspice.

A scripted fake server and client on loopback (link stage both ways, then messages cut at awkward places), the
parser fed one byte at a time, and a live run: spiceview's headless screenshot of a real Xspice through it.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from spiceview.protocol.caps import caps_to_words
from spiceview.protocol.constants import MAGIC, ChannelType, CommonCap, DisplayCap, ImageType, VideoCodecType
from spiceview.protocol.framing import FULL_HEADER, MINI_HEADER, SUB_MESSAGE
from spiceview.protocol.link import LINK_HEADER, LINK_MESS, LINK_REPLY_HEAD
from spiceview.protocol.messages import base as bmsg
from spiceview.protocol.messages import display as dmsg
from spiceview_lab import ports
from spiceview_lab.wire_proxy import UNKNOWN_CHANNEL, WireProxy, _Connection

# -- a scripted SPICE conversation ---------------------------------------------------------------------


def link_mess(ctype: int, common: set[int]) -> bytes:
    cw, chw = caps_to_words(common), caps_to_words({DisplayCap.SIZED_STREAM})
    caps = struct.pack(f"<{len(cw) + len(chw)}I", *cw, *chw)
    body = LINK_MESS.pack(0, ctype, 0, len(cw), len(chw), LINK_MESS.size) + caps
    return LINK_HEADER.pack(MAGIC, 2, 2, len(body)) + body


def link_reply(common: set[int]) -> bytes:
    cw = caps_to_words(common)
    # Caps not right after the fixed part: the offset must be honoured (relative to the body's start).
    pad = b"\xee" * 8
    body = LINK_REPLY_HEAD.pack(0, b"K" * 162, len(cw), 0, LINK_REPLY_HEAD.size + len(pad)) + pad
    body += struct.pack(f"<{len(cw)}I", *cw)
    return LINK_HEADER.pack(MAGIC, 2, 2, len(body)) + body


def frame(msg_type: int, body: bytes, mini: bool, serial: int = 1) -> bytes:
    if mini:
        return MINI_HEADER.pack(msg_type, len(body)) + body
    return FULL_HEADER.pack(serial, msg_type, len(body), 0) + body


def stream_create(codec: int) -> bytes:
    return struct.pack("<IIBB", 0, 7, 0, codec) + bytes(60)


def draw_with_image(image_type: int, payload: bytes, rects: int = 0, before: bytes = b"") -> bytes:
    """A drawing body: DisplayBase (clip NONE, or RECTS with `rects` rectangles), the draw's own fields up to
    src_bitmap (`before`), src_bitmap's offset, some fields after it, then the SpiceImage descriptor there."""
    base = struct.pack("<I4i", 0, 0, 0, 640, 480)
    base += struct.pack("<BI", 1, rects) + bytes(16 * rects) if rects else b"\x00"
    after = bytes(21)  # src_area, rop, scale mode, mask...
    offset = len(base) + len(before) + 4 + len(after)
    image = struct.pack("<QBBII", 99, image_type, 0, 640, 480) + payload
    return base + before + struct.pack("<I", offset) + after + image


def stream_data(stream_id: int, size: int) -> bytes:
    return struct.pack("<II", stream_id, 1234) + bytes(size)


def message_list(subs: list[tuple[int, bytes]]) -> bytes:
    """SPICE_MSG_LIST body: count u16, offsets u32[], then the sub-messages (type u16, size u32, body)."""
    head = 2 + 4 * len(subs)
    offsets, payload = [], b""
    for t, b in subs:
        offsets.append(head + len(payload))
        payload += SUB_MESSAGE.pack(t, len(b)) + b
    return struct.pack(f"<H{len(subs)}I", len(subs), *offsets) + payload


ALL_COMMON = {CommonCap.PROTOCOL_AUTH_SELECTION, CommonCap.AUTH_SPICE, CommonCap.MINI_HEADER}
BIG = bytes(range(256)) * 1200  # a 300 KB drawing body


def display_script(mini: bool) -> tuple[bytes, dict[str, object]]:
    """Server messages after the link result, and what the proxy must count for them."""
    msgs = [
        (bmsg.MSG_SET_ACK.number, struct.pack("<II", 1, 20)),
        (dmsg.MSG_SURFACE_CREATE.number, struct.pack("<5I", 0, 640, 480, 32, 1)),
        (dmsg.MSG_DRAW_COPY.number, draw_with_image(ImageType.GLZ_RGB, BIG, rects=3)),
        (dmsg.MSG_MARK.number, b""),  # an empty body
        (dmsg.MSG_STREAM_CREATE.number, stream_create(VideoCodecType.VP8)),
        (dmsg.MSG_STREAM_DATA.number, stream_data(7, 1000)),
        (dmsg.MSG_STREAM_DATA.number, stream_data(7, 5)),
        (dmsg.MSG_STREAM_CREATE.number, stream_create(VideoCodecType.MJPEG)),
        (dmsg.MSG_STREAM_DATA_SIZED.number, stream_data(8, 3000)),
        (dmsg.MSG_COPY_BITS.number, bytes(40)),
        (dmsg.MSG_DRAW_FILL.number, bytes(50)),
        (dmsg.MSG_DRAW_COPY.number, draw_with_image(ImageType.FROM_CACHE, b"")),
        (dmsg.MSG_DRAW_ALPHA_BLEND.number, draw_with_image(ImageType.SURFACE, bytes(4), before=b"\x01\xff")),
        (dmsg.MSG_DRAW_COMPOSITE.number, draw_with_image(ImageType.QUIC, bytes(900), rects=1, before=bytes(4))),
        (dmsg.MSG_DRAW_OPAQUE.number, struct.pack("<I4iBI", 0, 0, 0, 1, 1, 0, 0) + bytes(30)),  # no image
        (dmsg.MSG_DRAW_COPY.number, struct.pack("<I4iB", 0, 0, 0, 1, 1, 0) + b"\x02"),  # cut short: skipped
        (8, message_list([(dmsg.MSG_INVAL_LIST.number, b"\x00\x00"), (bmsg.MSG_WAIT_FOR_CHANNELS.number, b"\x00")])),
        (dmsg.MSG_STREAM_DESTROY.number, struct.pack("<I", 7)),
    ]
    data = b"".join(frame(t, b, mini, serial=i + 1) for i, (t, b) in enumerate(msgs))
    expected = {
        "messages": len(msgs),
        "draws": 8,  # DRAW_COPY x3, COPY_BITS, DRAW_FILL, ALPHA_BLEND, COMPOSITE, OPAQUE
        "stream_data": 3,
        "stream_frames": {7: 2, 8: 1},
        "images": {"glz_rgb": 1, "from_cache": 1, "surface": 1, "quic": 1},
        "codecs": [VideoCodecType.VP8, VideoCodecType.MJPEG],
        "inval_list": 1,  # counted from inside the list
    }
    return data, expected


def awkward(data: bytes) -> list[bytes]:
    """data cut at small, changing sizes (1, 2, 3, 5, 7, 11, 13 ...) and then in large pieces."""
    sizes = [1, 2, 3, 5, 7, 11, 13, 17, 4, 6, 9, 1, 1, 29]
    out, pos, i = [], 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)] if i < 200 else 65536
        out.append(data[pos : pos + n])
        pos += n
        i += 1
    return out


def send_pieces(sock: socket.socket, pieces: list[bytes]) -> None:
    for i, piece in enumerate(pieces):
        sock.sendall(piece)
        if i < 60:
            time.sleep(0.001)  # let the proxy see each small piece on its own


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(1 << 16, n - len(buf)))
        if not chunk:
            raise AssertionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


class FakeServer:
    """Accepts connections; each links as a SPICE server would, then sends its script in awkward pieces."""

    def __init__(self, scripts: list[bytes], server_common: set[int]) -> None:
        self.listener = socket.create_server((ports.HOST, 0))
        self.port = self.listener.getsockname()[1]
        self.scripts = scripts
        self.server_common = server_common
        self.received: list[bytes] = []
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for script in self.scripts:
                conn, _ = self.listener.accept()
                with conn:
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    head = recv_exactly(conn, LINK_HEADER.size)
                    size = LINK_HEADER.unpack(head)[3]
                    mess = recv_exactly(conn, size)
                    send_pieces(conn, awkward(link_reply(self.server_common)))
                    auth = recv_exactly(conn, 4 + 128)  # mechanism + encrypted ticket
                    self.received.append(head + mess + auth)
                    send_pieces(conn, awkward(struct.pack("<I", 0) + script))
                    conn.shutdown(socket.SHUT_WR)
                    self.received[-1] += drain(conn)
        except BaseException as e:  # reported by the test
            self.errors.append(e)

    def close(self) -> None:
        self.listener.close()
        self.thread.join(5)


def drain(sock: socket.socket) -> bytes:
    out = bytearray()
    while chunk := sock.recv(1 << 16):
        out += chunk
    return bytes(out)


def client_session(port: int, ctype: int, common: set[int], tail: bytes = b"") -> bytes:
    """Link as a client would (mechanism SPICE, a 128-byte ticket), send tail, return all the server sent."""
    with socket.create_connection((ports.HOST, port), timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        send_pieces(s, awkward(link_mess(ctype, common)))
        head = recv_exactly(s, LINK_HEADER.size)
        reply = recv_exactly(s, LINK_HEADER.unpack(head)[3])
        send_pieces(s, awkward(struct.pack("<I", CommonCap.AUTH_SPICE) + b"T" * 128 + tail))
        s.shutdown(socket.SHUT_WR)
        return head + reply + drain(s)


# -- tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mini", [True, False], ids=["mini-header", "full-header"])
def test_fake_server_and_client_through_the_proxy(mini: bool) -> None:
    script, expected = display_script(mini)
    main_script = frame(bmsg.MSG_SET_ACK.number, struct.pack("<II", 1, 20), mini) + frame(4, bytes(12), mini)
    # The server always offers the mini header; the client decides (as spice-server does).
    server = FakeServer([main_script, script], ALL_COMMON)
    client_common = ALL_COMMON if mini else ALL_COMMON - {CommonCap.MINI_HEADER}
    try:
        with WireProxy(server.port) as proxy:
            assert proxy.uri == f"spice://127.0.0.1:{proxy.port}"
            start = proxy.snapshot()
            got_main = client_session(proxy.port, ChannelType.MAIN, client_common, tail=b"client says hi")
            got_display = client_session(proxy.port, ChannelType.DISPLAY, client_common)
            assert proxy.wait_until(lambda s: s.display.messages == expected["messages"], 5)
            assert proxy.wait_until(lambda s: s.display.bytes_to_server > 0, 5)
            snap = proxy.snapshot() - start
            assert not proxy.errors
        assert not server.errors, server.errors
    finally:
        server.close()

    # Forwarded unchanged both ways.
    assert got_main == link_reply(ALL_COMMON) + struct.pack("<I", 0) + main_script
    assert got_display == link_reply(ALL_COMMON) + struct.pack("<I", 0) + script
    sent_main = link_mess(ChannelType.MAIN, client_common) + struct.pack("<I", 1) + b"T" * 128 + b"client says hi"
    assert server.received[0] == sent_main

    d, m = snap.display, snap.main
    assert (d.connections, m.connections) == (1, 1)
    assert d.mini_header is mini and m.mini_header is mini
    assert d.client_caps == {DisplayCap.SIZED_STREAM}
    assert d.bytes_to_client == len(got_display)
    assert m.bytes_to_client == len(got_main)
    assert m.bytes_to_server == len(sent_main)
    assert d.messages == expected["messages"]
    assert d.draws == expected["draws"]
    assert d.stream_data == expected["stream_data"]
    assert d.stream_codecs == expected["codecs"]
    assert dict(d.codecs) == {"vp8": 1, "mjpeg": 1}
    assert d.by_type[dmsg.MSG_INVAL_LIST.number] == expected["inval_list"]
    assert d.stream_frames == expected["stream_frames"]
    assert d.images == expected["images"]
    assert d.by_type[dmsg.MSG_DRAW_COPY.number] == 3 and d.by_type[8] == 1
    assert (m.messages, m.draws, m.stream_data) == (2, 0, 0)  # draws are counted on the display channel only
    assert snap.seconds > 0


def test_parser_fed_one_byte_at_a_time() -> None:
    script, expected = display_script(True)
    proxy = WireProxy(1)  # never started: only its counters are used
    conn = _Connection(proxy, None, None)  # type: ignore[arg-type]
    for b in link_mess(ChannelType.DISPLAY, ALL_COMMON) + struct.pack("<I", 1):
        conn.from_client(memoryview(bytes([b])))
    down = link_reply(ALL_COMMON) + struct.pack("<I", 0) + script
    for i in range(len(down)):
        conn.from_server(memoryview(down[i : i + 1]))
    d = proxy.snapshot().display
    assert (d.messages, d.draws, d.stream_data) == (expected["messages"], expected["draws"], expected["stream_data"])
    assert d.stream_codecs == expected["codecs"] and d.bytes_to_client == len(down)
    assert d.stream_frames == expected["stream_frames"] and d.images == expected["images"]


def test_snapshot_difference_is_the_window() -> None:
    proxy = WireProxy(1)
    conn = _Connection(proxy, None, None)  # type: ignore[arg-type]
    conn.from_client(memoryview(link_mess(ChannelType.DISPLAY, ALL_COMMON) + struct.pack("<I", 1)))
    conn.from_server(memoryview(link_reply(ALL_COMMON) + struct.pack("<I", 0)))
    one = frame(dmsg.MSG_STREAM_CREATE.number, stream_create(VideoCodecType.H264), True)
    one += frame(dmsg.MSG_STREAM_DATA.number, stream_data(3, 10), True)
    conn.from_server(memoryview(one))
    before = proxy.snapshot()
    two = frame(dmsg.MSG_STREAM_CREATE.number, stream_create(VideoCodecType.VP8), True)
    two += frame(dmsg.MSG_STREAM_DATA.number, stream_data(3, 10), True) * 3
    two += frame(dmsg.MSG_STREAM_DATA.number, stream_data(4, 10), True)
    conn.from_server(memoryview(two))
    window = proxy.snapshot() - before
    d = window.display
    assert (d.stream_data, d.messages, d.bytes_to_client) == (4, 5, len(two))
    assert d.stream_codecs == [VideoCodecType.VP8]
    assert d.stream_frames == {3: 3, 4: 1}
    assert window[ChannelType.CURSOR].messages == 0  # a channel never seen reads as zeros


def test_not_spice_is_forwarded_and_counted_as_unknown() -> None:
    echo = socket.create_server((ports.HOST, 0))

    def serve() -> None:
        conn, _ = echo.accept()
        with conn:
            conn.sendall(drain(conn).upper())

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        with WireProxy(echo.getsockname()[1]) as proxy:
            with socket.create_connection((ports.HOST, proxy.port), timeout=5) as s:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n" * 3)
                s.shutdown(socket.SHUT_WR)
                assert drain(s) == b"GET / HTTP/1.0\r\n\r\n".upper() * 3
            assert proxy.wait_until(lambda s: s[UNKNOWN_CHANNEL].bytes_to_client == 54, 5)
            snap = proxy.snapshot()
            assert snap[UNKNOWN_CHANNEL].bytes_to_server == 54 and snap[UNKNOWN_CHANNEL].connections == 1
            assert snap.display.connections == 0
            assert proxy.wait_until(lambda s: proxy.open_connections == 0, 5)
    finally:
        echo.close()
        t.join(5)


def test_close_stops_the_thread_and_frees_the_port() -> None:
    proxy = WireProxy(ports.free_port()).start()
    port, thread = proxy.port, proxy._thread
    assert thread is not None and thread.is_alive() and ports.port_accepts(port)
    proxy.close()
    proxy.close()  # idempotent
    assert not thread.is_alive()
    assert not ports.port_accepts(port)
    assert not any(t.name == f"WireProxy:{port}" for t in threading.enumerate())


def test_upstream_refused_closes_the_client() -> None:
    with WireProxy(ports.free_port()) as proxy, socket.create_connection((ports.HOST, proxy.port), timeout=5) as s:
        assert s.recv(10) == b""  # closed: nobody listens upstream
    assert proxy.errors and "connect to" in proxy.errors[0]
