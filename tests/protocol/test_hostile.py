"""Hostile servers: absurd lengths and counts, wild pointers, truncated bodies, random bytes.

The client must answer each with a ProtocolError (a broken frame or link) or a MalformedMessage event (a broken
body: the connection goes on with the next message), never with another exception, a hang or a huge allocation.
"""

from __future__ import annotations

import random
import struct
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fake_server import FakeServer, linked_connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from values import ValueGen, all_messages

from spiceview.protocol import link as linkmod
from spiceview.protocol.auth import encrypt_ticket
from spiceview.protocol.connection import ChannelConnection, Linked, MalformedMessage, Received, UnknownMessage
from spiceview.protocol.constants import BrushType, ChannelType, ClipType, ImageType, LinkErr, StringFlags
from spiceview.protocol.errors import LinkError, ProtocolError
from spiceview.protocol.framing import MAX_MESSAGE_SIZE, MSG_LIST
from spiceview.protocol.messages import audio, base, cursor, display, main
from spiceview.protocol.messages.registry import SCHEMAS, schema_for
from spiceview.protocol.schema import REST, Array, Bytes, MessageDef, Pointer, Struct, Switch, Type, build_body
from spiceview.protocol.schema import parse_body as parse

MESSAGES = all_messages()
EVENT_TYPES = (Linked, Received, UnknownMessage, MalformedMessage)


@contextmanager
def allocation_limit(limit: int) -> Iterator[None]:
    """Fail if the block's peak Python allocation exceeds `limit` bytes."""
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit, f"peak allocation {peak} bytes"


def _next_is_fine(conn: ChannelConnection, server: FakeServer) -> None:
    """After a malformed message, the connection still parses the next one."""
    events = conn.receive_data(server.message(base.MSG_DISCONNECTING, time_stamp=1, reason=0))
    assert len(events) == 1 and isinstance(events[0], Received), events


# --- frame sizes -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mini", [True, False], ids=["mini-header", "full-header"])
@pytest.mark.parametrize("size", [MAX_MESSAGE_SIZE + 1, 0x7FFFFFFF, 0xFFFFFFFF])
def test_huge_frame_rejected_without_allocating(mini: bool, size: int) -> None:
    conn, _ = linked_connection(ChannelType.DISPLAY, mini=mini)
    header = struct.pack("<HI", 302, size) if mini else struct.pack("<QHII", 1, 302, size, 0)
    with allocation_limit(1 << 20), pytest.raises(ProtocolError, match="larger than any real one"):
        conn.receive_data(header + b"\0" * 64)


def test_link_reply_size_rejected_before_buffering() -> None:
    conn = ChannelConnection(ChannelType.MAIN)
    conn.initiate()
    with allocation_limit(1 << 20), pytest.raises(ProtocolError, match="absurd"):
        conn.receive_data(b"REDQ" + struct.pack("<III", 2, 2, 0xFFFFFFFF))


# --- counts beyond the message -------------------------------------------------------------------------------------


def _draw_base(clip: bytes = struct.pack("<B", ClipType.NONE)) -> bytes:
    return struct.pack("<I4i", 0, 0, 0, 10, 10) + clip


def _copy_with_image(image: bytes) -> bytes:
    fixed = 21 + 36
    return _draw_base() + struct.pack("<I4iHB", fixed, 0, 0, 1, 1, 8, 0) + struct.pack("<BiiI", 0, 0, 0, 0) + image


HOSTILE_COUNTS: dict[str, tuple[MessageDef, bytes]] = {
    "clip-rects": (
        display.MSG_DRAW_FILL,
        _draw_base(struct.pack("<BI", ClipType.RECTS, 0xFFFFFFFF) + bytes(16))
        + struct.pack("<BH", 0, 0)
        + struct.pack("<BiiI", 0, 0, 0, 0),
    ),
    "clip-rects-1000": (
        display.MSG_STREAM_CREATE,
        struct.pack("<IIBBQIIII4iBI", 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, ClipType.RECTS, 1000) + bytes(16),
    ),
    "clip-rects-one-short": (
        display.MSG_STREAM_CLIP,
        struct.pack("<IBI", 1, ClipType.RECTS, 3) + bytes(2 * 16),
    ),
    "palette": (
        display.MSG_DRAW_COPY,
        _copy_with_image(
            struct.pack("<QBBII", 1, ImageType.BITMAP, 0, 1, 1)
            + struct.pack("<BBIIII", 5, 0, 1, 1, 1, 57 + 18 + 18 + 1)
            + b"\0"
            + struct.pack("<QH", 0, 0xFFFF)
            + bytes(8)
        ),
    ),
    "bitmap-pixels": (
        display.MSG_DRAW_COPY,
        _copy_with_image(
            struct.pack("<QBBII", 1, ImageType.BITMAP, 0, 1, 1) + struct.pack("<BBIIIQ", 8, 2, 1, 0xFFFF, 0xFFFF, 0)
        ),
    ),
    "image-data-size": (
        display.MSG_DRAW_COPY,
        _copy_with_image(struct.pack("<QBBIII", 1, ImageType.QUIC, 0, 1, 1, 0xFFFFFFF0) + b"QUIC"),
    ),
    "channel-list": (main.MSG_CHANNELS_LIST, struct.pack("<I", 1000) + b"\x02\x00"),
    "channel-list-absurd": (main.MSG_CHANNELS_LIST, struct.pack("<I", 0xFFFFFFFF)),
    "wait-list": (base.MSG_WAIT_FOR_CHANNELS, struct.pack("<B", 255) + bytes(10)),
    "inval-wait-list": (display.MSG_INVAL_ALL_PIXMAPS, struct.pack("<B", 2) + bytes(10)),
    "heads": (display.MSG_MONITORS_CONFIG, struct.pack("<HH", 0xFFFF, 4) + bytes(28 * 3)),
    "inval-list": (display.MSG_INVAL_LIST, struct.pack("<H", 2) + bytes(9)),
    "notify-text": (base.MSG_NOTIFY, struct.pack("<QIIII", 0, 0, 0, 0, 0xFFFFFFFF) + b"text"),
    "name": (main.MSG_NAME, struct.pack("<I", 100) + b"guest"),
    "stream-data": (display.MSG_STREAM_DATA, struct.pack("<III", 1, 0, 1 << 28)),
    "volume": (audio.MSG_PLAYBACK_VOLUME, struct.pack("<B", 8) + bytes(14)),
    "video-codecs-in-a-client-message": (display.MSGC_PREFERRED_VIDEO_CODEC_TYPE, struct.pack("<B", 3) + b"\x01"),
    "path-segments": (
        display.MSG_DRAW_STROKE,
        _draw_base()
        + struct.pack("<IBBH", 21 + 10, 0, BrushType.NONE, 0)
        + struct.pack("<H", 0)
        + struct.pack("<I", 0x00FFFFFF),
    ),
    "glyphs": (
        display.MSG_DRAW_TEXT,
        _draw_base()
        + struct.pack("<I4iBBHH", 21 + 26, 0, 0, 0, 0, 0, 0, 0, 0)
        + struct.pack("<HB", 0xFFFF, StringFlags.RASTER_A8)
        + struct.pack("<iiiiHH", 0, 0, 0, 0, 0xFFFF, 0xFFFF),
    ),
    "line-style": (
        display.MSG_DRAW_STROKE,
        # path -> an empty path after the style; style_nseg 255 but room for two
        _draw_base() + struct.pack("<IBBIBHH", 36 + 8, 8, 255, 36, BrushType.NONE, 0, 0) + bytes(8) + bytes(4),
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE_COUNTS))
def test_count_beyond_the_message(case: str) -> None:
    defn, body = HOSTILE_COUNTS[case]
    with allocation_limit(4 << 20), pytest.raises(ProtocolError):
        parse(defn.layout, body)


def _channel_of(defn: MessageDef) -> int | None:
    for channel, schema in SCHEMAS.items():
        if schema.server.get(defn.number) is defn:
            return channel
    return None


SERVER_CASES = [case for case, (defn, _) in HOSTILE_COUNTS.items() if _channel_of(defn) is not None]


@pytest.mark.parametrize("case", SERVER_CASES)
def test_count_beyond_the_message_through_the_connection(case: str) -> None:
    defn, body = HOSTILE_COUNTS[case]
    conn, server = linked_connection(_channel_of(defn))  # type: ignore[arg-type]
    events = conn.receive_data(server.frame(defn.number, body))
    assert len(events) == 1 and isinstance(events[0], MalformedMessage), events
    assert (events[0].type, events[0].name, events[0].serial) == (defn.number, defn.name, 1)
    assert events[0].error
    _next_is_fine(conn, server)


def test_every_array_element_has_a_size() -> None:
    """A count can never make the parser loop without consuming bytes (an element of size 0 could)."""
    seen: set[int] = set()

    def visit(typ: Type) -> None:
        if id(typ) in seen:
            return
        seen.add(id(typ))
        if isinstance(typ, Array):
            assert typ.elem.min_size > 0, typ
            visit(typ.elem)
        elif isinstance(typ, Pointer):
            visit(typ.target)
        elif isinstance(typ, Struct):
            for f in typ.fields:
                members = [m for _, _, m in f.cases] if isinstance(f, Switch) else [f[1]]
                for member in members:
                    visit(member)

    for _, _, defn in MESSAGES:
        visit(defn.layout)


# --- pointers --------------------------------------------------------------------------------------------------------


def _draw_copy_body() -> bytes:
    image = struct.pack("<QBBII", 1, ImageType.BITMAP, 0, 2, 2) + struct.pack("<BBIIIQ", 8, 2, 2, 2, 8, 0) + bytes(16)
    return _copy_with_image(image)


@pytest.mark.parametrize("offset", ["len", "len+1", 0xFFFFFFFF, 0x80000000])
def test_pointer_outside_the_message(offset: str | int) -> None:
    body = bytearray(_draw_copy_body())
    value = {"len": len(body), "len+1": len(body) + 1}.get(offset, offset)  # type: ignore[call-overload]
    struct.pack_into("<I", body, 21, value)
    with pytest.raises(ProtocolError, match="outside"):
        parse(display.MSG_DRAW_COPY.layout, bytes(body))
    conn, server = linked_connection(ChannelType.DISPLAY)
    (event,) = conn.receive_data(server.frame(display.MSG_DRAW_COPY.number, bytes(body)))
    assert isinstance(event, MalformedMessage) and "outside" in event.error
    _next_is_fine(conn, server)


def _pointer_slots() -> list[tuple[MessageDef, bytes, int]]:
    """Messages with a pointer at a known offset: (message, body, offset of the pointer)."""
    host = struct.pack("<HHII", 1, 2, 4, 20) + struct.pack("<II", 0, 0) + b"host"
    stroke = _draw_base() + struct.pack("<IBBHH", 31, 0, BrushType.NONE, 0, 0) + struct.pack("<I", 1)
    stroke += struct.pack("<BI", 1, 1) + bytes(8)
    text = _draw_base() + struct.pack("<I4iBBHH", 47, 0, 0, 0, 0, 0, 0, 0, 0)
    text += struct.pack("<HB", 1, StringFlags.RASTER_A1) + struct.pack("<iiiiHH", 0, 0, 0, 0, 8, 2) + b"\xff\x00"
    return [
        (display.MSG_DRAW_COPY, _draw_copy_body(), 21),
        (main.MSG_MIGRATE_BEGIN, host, 8),
        (display.MSG_DRAW_STROKE, stroke, 21),
        (display.MSG_DRAW_TEXT, text, 21),
    ]


@pytest.mark.parametrize("slot", range(4))
def test_pointer_to_every_offset(slot: int) -> None:
    """Pointers into the fixed part (the 'header' of the body), into other targets, to the last byte: each either
    parses or raises ProtocolError."""
    defn, body, at = _pointer_slots()[slot]
    parse(defn.layout, body)  # the unmodified message is fine
    outcomes = set()
    for offset in range(len(body) + 8):
        mutated = bytearray(body)
        struct.pack_into("<I", mutated, at, offset)
        try:
            parse(defn.layout, bytes(mutated))
            outcomes.add("parsed")
        except ProtocolError:
            outcomes.add("refused")
    assert "refused" in outcomes


def test_null_where_a_pointer_is_required() -> None:
    body = _draw_base() + struct.pack("<I4iBBHH", 0, 0, 0, 0, 0, 0, 0, 0, 0)
    with pytest.raises(ProtocolError, match="null"):
        parse(display.MSG_DRAW_TEXT.layout, body)
    host = struct.pack("<HHIIII", 1, 2, 4, 0, 0, 0)
    with pytest.raises(ProtocolError, match="null"):
        parse(main.MSG_MIGRATE_BEGIN.layout, host)


# --- truncated and padded bodies ------------------------------------------------------------------------------------


def _has_rest(typ: Type, seen: set[int] | None = None) -> bool:
    """Whether a layout holds a field that runs to the end of the message (then a shorter body may be valid)."""
    seen = set() if seen is None else seen
    if id(typ) in seen:
        return False
    seen.add(id(typ))
    if isinstance(typ, Bytes):
        return typ.size == REST
    if isinstance(typ, Array):
        return typ.count == REST or _has_rest(typ.elem, seen)
    if isinstance(typ, Pointer):
        return _has_rest(typ.target, seen)
    if isinstance(typ, Struct):
        for f in typ.fields:
            members = [m for _, _, m in f.cases] if isinstance(f, Switch) else [f[1]]
            if any(_has_rest(m, seen) for m in members):
                return True
    return False


@pytest.mark.parametrize(("channel", "direction", "defn"), MESSAGES, ids=[f"{c}.{d}.{m.name}" for c, d, m in MESSAGES])
def test_truncated_at_every_length(channel: str, direction: str, defn: MessageDef) -> None:
    gen = ValueGen(random.Random(defn.number * 7 + len(defn.name)), null_ratio=0.1)
    tight = not _has_rest(defn.layout)
    for _ in range(3):
        value = gen.message(defn)
        body = build_body(defn.layout, value)
        for length in range(len(body)):
            try:
                parse(defn.layout, body[:length])
            except ProtocolError:
                continue
            assert not tight, f"{defn.name}: a {length}-byte prefix of a {len(body)}-byte body parsed"
        if tight:
            # Bytes after the message are ignored, as spice-common's demarshaller ignores them.
            assert parse(defn.layout, body + b"trailing junk") == value


@pytest.mark.parametrize("defn", [display.MSG_DRAW_TEXT, display.MSG_STREAM_CREATE, cursor.MSG_INIT, main.MSG_INIT])
def test_truncated_through_the_connection(defn: MessageDef) -> None:
    gen = ValueGen(random.Random(3))
    body = build_body(defn.layout, gen.message(defn))
    channel = _channel_of(defn)
    assert channel is not None
    conn, server = linked_connection(channel)
    stream = b"".join(server.frame(defn.number, body[:n]) for n in range(defn.layout.min_size))
    events = conn.receive_data(stream)
    assert len(events) == defn.layout.min_size
    assert all(isinstance(e, MalformedMessage) and e.name == defn.name for e in events)
    _next_is_fine(conn, server)


# --- the link stage --------------------------------------------------------------------------------------------------


def _reply_body(n_common: int, n_channel: int, offset: int, caps: bytes = b"") -> bytes:
    return struct.pack("<I162sIII", LinkErr.OK, bytes(162), n_common, n_channel, offset) + caps


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (_reply_body(0xFFFFFFFF, 0, 178), "absurd number of capabilities"),
        (_reply_body(0, 0xFFFFFFFF, 178), "absurd number of capabilities"),
        (_reply_body(1000, 1000, 178, bytes(8)), "outside"),
        (_reply_body(1, 0, 0xFFFFFFF0, bytes(4)), "outside"),
        (_reply_body(1, 1, 182, bytes(4)), "outside"),
        (struct.pack("<I", 0) + bytes(100), "too short"),
        (b"\0\0", "too short"),
    ],
    ids=["common-caps", "channel-caps", "caps-beyond", "caps-offset", "caps-cut", "short-reply", "tiny-reply"],
)
def test_hostile_link_reply(body: bytes, match: str) -> None:
    conn = ChannelConnection(ChannelType.MAIN)
    conn.initiate()
    with allocation_limit(1 << 20), pytest.raises(ProtocolError, match=match):
        conn.receive_data(b"REDQ" + struct.pack("<III", 2, 2, len(body)) + body)


def test_garbage_public_key() -> None:
    reply = linkmod.encode_link_reply(linkmod.LinkReply(LinkErr.OK, b"\x30\x81" + bytes(160)))
    conn = ChannelConnection(ChannelType.MAIN)
    conn.initiate()
    with pytest.raises(LinkError, match="public key"):
        conn.receive_data(reply)


def _small_rsa_key_der() -> bytes:
    """A 162-byte SubjectPublicKeyInfo holding a 528-bit RSA key (a large exponent fills the space)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    rng = random.Random(5)
    n = rng.getrandbits(528) | (1 << 527) | 1
    e = rng.getrandbits(520) | (1 << 519) | 1
    der = (
        rsa.RSAPublicNumbers(e, n)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert len(der) == 162
    return der


def test_key_too_small_for_the_password() -> None:
    """A server key too short for RSA-OAEP of a 60-byte password: the client must say so as a LinkError."""
    with pytest.raises(LinkError):
        encrypt_ticket(_small_rsa_key_der(), "x" * 60)


# --- random bytes ----------------------------------------------------------------------------------------------------

CHANNELS = [*SCHEMAS, ChannelType.SMARTCARD]  # and one channel spiceview has no schema for
FUZZ = settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def _feed_until_error(conn: ChannelConnection, data: bytes, cuts: list[int]) -> list[Any]:
    """Feed the pieces; only events or a ProtocolError may come out (after which the stream is dead)."""
    events: list[Any] = []
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        try:
            events += conn.receive_data(data[start:cut])
        except ProtocolError:
            return events
        start = cut
    return events


@FUZZ
@given(
    channel=st.sampled_from(CHANNELS),
    mini=st.booleans(),
    data=st.binary(max_size=3000),
    cuts=st.lists(st.integers(0, 3000), max_size=6),
)
def test_random_bytes_after_the_link(channel: int, mini: bool, data: bytes, cuts: list[int]) -> None:
    conn, _ = linked_connection(channel, mini=mini)
    events = _feed_until_error(conn, data, [c for c in cuts if c <= len(data)])
    assert all(isinstance(e, EVENT_TYPES) for e in events)


def _frames_strategy(channel: int) -> st.SearchStrategy[list[tuple[int, bytes]]]:
    # SPICE_MSG_LIST (8) expands to any number of events; its own tests are in test_framing.py.
    numbers = sorted(n for n in schema_for(channel).server if n != MSG_LIST)
    msg_type = st.one_of(st.sampled_from(numbers), st.integers(0, 0xFFFF).filter(lambda n: n != MSG_LIST))
    return st.lists(st.tuples(msg_type, st.binary(max_size=300)), max_size=12)


@FUZZ
@given(data=st.data(), channel=st.sampled_from(CHANNELS), mini=st.booleans())
def test_random_bodies_in_valid_frames(data: st.DataObject, channel: int, mini: bool) -> None:
    """With sound framing the connection never raises: one event per message, bar SET_ACK and PING it answers."""
    frames = data.draw(_frames_strategy(channel))
    conn, server = linked_connection(channel, mini=mini)
    events = conn.receive_data(b"".join(server.frame(t, b) for t, b in frames))
    expected_serials = [n + 1 for n, (t, b) in enumerate(frames) if not _answered_by_the_client(t, b)]
    assert [e.serial for e in events] == expected_serials
    assert all(isinstance(e, EVENT_TYPES) for e in events)


def _answered_by_the_client(msg_type: int, body: bytes) -> bool:
    for defn in (base.MSG_SET_ACK, base.MSG_PING):
        if msg_type == defn.number:
            try:
                parse(defn.layout, body)
            except ProtocolError:
                return False
            return True
    return False


HOSTILE_WORDS = [0, 1, 0x7F, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


@FUZZ
@given(
    index=st.integers(0, len(MESSAGES) - 1),
    seed=st.integers(0, 2**32 - 1),
    edits=st.lists(
        st.tuples(st.sampled_from(["byte", "word", "cut", "grow"]), st.integers(0, 10**6), st.integers(0, 255)),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_messages(index: int, seed: int, edits: list[tuple[str, int, int]]) -> None:
    """Valid messages with bytes flipped, hostile words written at random places, cut or grown: ProtocolError or a
    value, nothing else."""
    _, _, defn = MESSAGES[index]
    body = bytearray(build_body(defn.layout, ValueGen(random.Random(seed)).message(defn)))
    for kind, where, what in edits:
        if kind == "byte" and body:
            body[where % len(body)] = what
        elif kind == "word" and len(body) >= 4:
            struct.pack_into("<I", body, where % (len(body) - 3), HOSTILE_WORDS[what % len(HOSTILE_WORDS)])
        elif kind == "cut":
            del body[where % (len(body) + 1) :]
        elif kind == "grow":
            body += bytes([what]) * (where % 64)
    try:
        parse(defn.layout, bytes(body))
    except ProtocolError:
        pass


@FUZZ
@given(
    size=st.integers(0, 600),
    body=st.binary(max_size=600),
    error=st.sampled_from([0, 0, 0, 7, 0xFFFFFFFF]),
    version=st.sampled_from([(2, 2), (2, 0), (1, 3)]),
    result=st.binary(min_size=0, max_size=8),
)
def test_random_link_replies(size: int, body: bytes, error: int, version: tuple[int, int], result: bytes) -> None:
    conn = ChannelConnection(ChannelType.DISPLAY, password="pw")
    conn.initiate()
    reply = b"REDQ" + struct.pack("<III", *version, size) + struct.pack("<I", error) + body
    try:
        events = conn.receive_data(reply + result)
    except ProtocolError:
        return
    assert all(isinstance(e, EVENT_TYPES) for e in events)
