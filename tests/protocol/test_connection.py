"""ChannelConnection driven through whole conversations with a test-side server, without sockets.

The server (fake_server.py) is built from the same protocol module's encoders, with a real RSA-1024 key: it checks
the client's link message, decrypts the ticket, and sends a stream of messages that the client must turn into the
same events however the bytes are cut.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
from fake_server import (
    SERVER_COMMON_CAPS,
    ClientFrame,
    FakeServer,
    feed_split,
    linked_connection,
    read_frames,
)

from spiceview.protocol.connection import (
    CLIENT_COMMON_CAPS,
    ChannelConnection,
    Event,
    Linked,
    MalformedMessage,
    Received,
    State,
    UnknownMessage,
)
from spiceview.protocol.constants import (
    ChannelType,
    CommonCap,
    DisplayCap,
    ImageType,
    LinkErr,
    MainCap,
    NotifySeverity,
)
from spiceview.protocol.errors import LinkError, ProtocolError
from spiceview.protocol.messages import base, display, inputs, main
from spiceview.protocol.messages import types as t
from spiceview.protocol.schema import parse_body

PASSWORD = "s3cret-pässword"
SET_ACK = base.MSG_SET_ACK.cls(generation=7, window=4)


def _bitmap_copy() -> Any:
    image = t.Image(
        id=42,
        type=ImageType.BITMAP,
        flags=0,
        width=2,
        height=2,
        bitmap=t.BitmapData(format=8, flags=4, x=2, y=2, stride=8, palette=None, data=bytes(range(16))),
    )
    return display.MSG_DRAW_COPY.cls(
        base=t.DisplayBase(surface_id=0, box=t.Rect(top=0, left=0, bottom=2, right=2), clip=t.Clip(type=0)),
        data=display.Copy(
            src_bitmap=image, src_area=t.Rect(bottom=2, right=2), rop_descriptor=8, mask=t.QMask(pos=t.Point())
        ),
    )


def _server_messages(server: FakeServer) -> tuple[bytes, list[tuple[str, Any]]]:
    """A display channel's first messages; returns the bytes and the events each should give (None: handled)."""
    heads = [t.Head(monitor_id=0, surface_id=0, width=1024, height=768, x=0, y=0, flags=0)]
    script: list[tuple[bytes, tuple[str, Any]]] = [
        (server.message(base.MSG_SET_ACK, SET_ACK), ("handled", None)),
        (
            server.message(base.MSG_PING, id=9, timestamp=0x1122334455667788, data=b"\xaa" * 40),
            ("handled", None),
        ),
        (
            server.message(
                base.MSG_NOTIFY, time_stamp=5, severity=NotifySeverity.WARN, visibility=2, what=0, message=b"hello\0"
            ),
            ("received", base.MSG_NOTIFY),
        ),
        (server.message(display.MSG_MARK), ("received", display.MSG_MARK)),
        (
            server.message(display.MSG_SURFACE_CREATE, surface_id=0, width=1024, height=768, format=32, flags=1),
            ("received", display.MSG_SURFACE_CREATE),
        ),
        (
            server.message(display.MSG_MONITORS_CONFIG, max_allowed=1, heads=heads),
            ("received", display.MSG_MONITORS_CONFIG),
        ),
        (server.frame(999, b"future message"), ("unknown", 999)),
        (server.message(display.MSG_DRAW_COPY, _bitmap_copy()), ("received", display.MSG_DRAW_COPY)),
        (
            server.frame(display.MSG_MONITORS_CONFIG.number, struct.pack("<HH", 5, 1) + bytes(28)),
            ("malformed", display.MSG_MONITORS_CONFIG),
        ),
        (
            server.message(display.MSG_STREAM_DATA, base=t.StreamDataHeader(id=1, multi_media_time=3), data=b"frame"),
            ("received", display.MSG_STREAM_DATA),
        ),
        (server.message(base.MSG_PING, id=10, timestamp=1, data=b""), ("handled", None)),
        (server.message(display.MSG_INVAL_ALL_PALETTES), ("received", display.MSG_INVAL_ALL_PALETTES)),
    ]
    return b"".join(data for data, _ in script), [what for _, what in script]


def _conversation(mini: bool = True) -> tuple[FakeServer, bytes, list[tuple[str, Any]]]:
    caps = SERVER_COMMON_CAPS if mini else SERVER_COMMON_CAPS - {CommonCap.MINI_HEADER}
    server = FakeServer(ChannelType.DISPLAY, common_caps=caps, channel_caps=frozenset({DisplayCap.SIZED_STREAM}))
    server.mini = mini
    messages, script = _server_messages(server)
    return server, server.link_reply() + server.link_result() + messages, script


def _client() -> ChannelConnection:
    conn = ChannelConnection(
        ChannelType.DISPLAY,
        channel_id=0,
        connection_id=0x1234ABCD,
        password=PASSWORD,
        channel_caps=frozenset({DisplayCap.SIZED_STREAM, DisplayCap.MONITORS_CONFIG}),
    )
    conn.initiate()
    return conn


def _run(stream: bytes, cuts: list[int]) -> tuple[list[Event], bytes]:
    conn = _client()
    sent = conn.data_to_send()
    events = feed_split(conn, stream, cuts)
    return events, sent + conn.data_to_send()


def _without_ticket(sent: bytes) -> bytes:
    """The client's bytes with the 128-byte ticket cut out: OAEP is randomized, the rest must be identical."""
    link_size = 16 + struct.unpack_from("<I", sent, 12)[0]
    return sent[: link_size + 4] + sent[link_size + 4 + 128 :]


@pytest.mark.parametrize("mini", [True, False], ids=["mini-header", "full-header"])
def test_whole_conversation(mini: bool) -> None:
    server, stream, script = _conversation(mini)
    events, sent = _run(stream, [])

    # What the client said, as the server reads it.
    out = server.read_client(sent)
    assert out.link_header == (2, 2, 18 + 4 * 2)
    assert (out.link.connection_id, out.link.channel_type, out.link.channel_id) == (0x1234ABCD, 2, 0)
    assert out.link.common_caps == CLIENT_COMMON_CAPS
    assert out.link.channel_caps == {DisplayCap.SIZED_STREAM, DisplayCap.MONITORS_CONFIG}
    assert out.mechanism == CommonCap.AUTH_SPICE  # SpiceLinkAuthMechanism: the SPICE ticket
    assert len(out.ticket) == 128
    assert out.password == PASSWORD.encode() + b"\0"  # NUL-terminated, as spice-server expects

    # The events, one per message the client did not answer itself.
    assert isinstance(events[0], Linked)
    assert events[0].mini_header is mini
    assert events[0].common_caps == SERVER_COMMON_CAPS - (set() if mini else {CommonCap.MINI_HEADER})
    assert events[0].channel_caps == {DisplayCap.SIZED_STREAM}
    rest = events[1:]
    expected = [(kind, what) for kind, what in script if kind != "handled"]
    assert len(rest) == len(expected)
    serials = [n + 1 for n, (kind, _) in enumerate(script) if kind != "handled"]
    for event, (kind, what), serial in zip(rest, expected, serials, strict=True):
        if kind == "received":
            assert isinstance(event, Received) and isinstance(event.message, what.cls), event
        elif kind == "unknown":
            assert event == UnknownMessage(what, len(b"future message"), serial)
        else:
            assert isinstance(event, MalformedMessage) and event.name == what.name and event.type == what.number
        assert event.serial == serial
    notify = rest[0].message  # type: ignore[union-attr]
    assert (notify.severity, notify.message) == (NotifySeverity.WARN, b"hello\0")
    copy = rest[5].message  # type: ignore[union-attr]
    assert bytes(copy.data.src_bitmap.bitmap.data) == bytes(range(16))

    # What the client answered: ACK_SYNC, PONGs and one ACK per window of four messages (SET_ACK included).
    replies = out.messages(ChannelType.DISPLAY)
    assert replies == [
        base.MSGC_ACK_SYNC.cls(generation=7),
        base.MSGC_PONG.cls(id=9, timestamp=0x1122334455667788),
        base.MSGC_ACK.cls(),
        base.MSGC_ACK.cls(),
        base.MSGC_PONG.cls(id=10, timestamp=1),
        base.MSGC_ACK.cls(),
    ]
    if mini:
        assert all(f.serial is None for f in out.frames)
    else:
        assert [f.serial for f in out.frames] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("mini", [True, False], ids=["mini-header", "full-header"])
def test_same_events_at_every_split(mini: bool) -> None:
    _, stream, _ = _conversation(mini)
    events, sent = _run(stream, [])
    reference = (events, _without_ticket(sent))
    for cut in range(len(stream) + 1):
        got, sent = _run(stream, [cut])
        assert (got, _without_ticket(sent)) == reference, f"cut at {cut}"
    for first in range(0, len(stream), 97):  # and a few three-piece cuts
        for second in range(first, len(stream), 89):
            got, sent = _run(stream, [first, second])
            assert (got, _without_ticket(sent)) == reference, f"cuts at {first}, {second}"


@pytest.mark.parametrize("mini", [True, False], ids=["mini-header", "full-header"])
def test_same_events_byte_by_byte(mini: bool) -> None:
    _, stream, _ = _conversation(mini)
    events, sent = _run(stream, [])
    got, sent_bytewise = _run(stream, list(range(1, len(stream))))
    assert got == events
    assert _without_ticket(sent_bytewise) == _without_ticket(sent)


# --- flow control --------------------------------------------------------------------------------------------------


def _frames(conn: ChannelConnection) -> list[ClientFrame]:
    return read_frames(conn.data_to_send(), conn.mini_header)


def _replies(conn: ChannelConnection) -> list[type]:
    """The classes of the messages the client queued since last asked."""
    return [conn.schema.client[f.type].cls for f in _frames(conn)]


def test_ack_per_window() -> None:
    """SET_ACK counts as the first message of its window, as spice-server counts it (send_set_ack zeroes
    messages_window, then sending the SET_ACK adds one). spice-gtk acks one message later; both stay within the
    2 x window the server allows in flight."""
    conn, server = linked_connection(ChannelType.DISPLAY)
    assert conn.receive_data(server.message(base.MSG_SET_ACK, generation=3, window=5)) == []
    assert _replies(conn) == [base.MSGC_ACK_SYNC.cls]
    acks_after = []
    for n in range(2, 23):  # messages 2..22 after SET_ACK (which counts as the first of its window)
        conn.receive_data(server.message(display.MSG_MARK))
        if _replies(conn) == [base.MSGC_ACK.cls]:
            acks_after.append(n)
    assert acks_after == [5, 10, 15, 20]
    assert conn.ack_window == 5


def test_a_large_body_received_in_place_gives_the_same_events_and_acks() -> None:
    """The channel loop receives the rest of a large body straight into the connection's buffer; the message,
    its serial and the ACK window come out as when the same bytes are fed."""
    data = bytes(range(256)) * 1200  # a 300 KB stream frame
    frame = display.MSG_STREAM_DATA.cls(
        base=t.StreamDataHeader.cls(id=3, multi_media_time=77), data_size=len(data), data=data
    )
    conn, server = linked_connection(ChannelType.DISPLAY)
    assert conn.receive_buffer() is None
    conn.receive_data(server.message(base.MSG_SET_ACK, generation=1, window=2))
    conn.data_to_send()
    wire = server.message(display.MSG_STREAM_DATA, frame) + server.message(display.MSG_MARK)
    events = conn.receive_data(wire[:1000])
    assert events == []
    pos = 1000
    while (target := conn.receive_buffer()) is not None:
        n = min(len(target), 65_536)
        target[:n] = wire[pos : pos + n]
        pos += n
        events += conn.received_into(n)
    assert conn.receive_buffer() is None
    events += conn.receive_data(wire[pos:])
    assert [type(e) for e in events] == [Received, Received]
    assert events[0].message == frame  # type: ignore[union-attr]
    assert [e.serial for e in events] == [2, 3]  # type: ignore[union-attr]
    assert _replies(conn) == [base.MSGC_ACK.cls]


def test_no_receive_buffer_before_the_link_is_up() -> None:
    server = FakeServer(ChannelType.DISPLAY)
    conn = ChannelConnection(ChannelType.DISPLAY)
    conn.initiate()
    assert conn.receive_buffer() is None
    conn.receive_data(server.link_reply())
    assert conn.receive_buffer() is None


def test_ack_sync_carries_the_generation_and_a_new_set_ack_restarts_the_count() -> None:
    conn, server = linked_connection(ChannelType.MAIN)
    stream = server.message(base.MSG_SET_ACK, generation=0xFFFFFFFF, window=3)
    stream += server.message(main.MSG_MULTI_MEDIA_TIME, time=1)
    stream += server.message(base.MSG_SET_ACK, generation=8, window=2)  # before the first window was full
    stream += server.message(main.MSG_MULTI_MEDIA_TIME, time=2)
    stream += server.message(main.MSG_MULTI_MEDIA_TIME, time=3)
    events = conn.receive_data(stream)
    assert [e.message.time for e in events] == [1, 2, 3]  # type: ignore[union-attr]
    frames = read_frames(conn.data_to_send(), mini=True)
    msgs = [conn.schema.client[f.type] for f in frames]
    assert msgs == [base.MSGC_ACK_SYNC, base.MSGC_ACK_SYNC, base.MSGC_ACK]
    assert struct.unpack("<I", frames[0].body) == (0xFFFFFFFF,)
    assert struct.unpack("<I", frames[1].body) == (8,)
    assert frames[2].body == b""


def test_no_ack_without_set_ack_or_with_window_zero() -> None:
    conn, server = linked_connection(ChannelType.INPUTS)
    conn.receive_data(b"".join(server.message(inputs.MSG_MOUSE_MOTION_ACK) for _ in range(50)))
    assert conn.data_to_send() == b""
    conn.receive_data(server.message(base.MSG_SET_ACK, generation=1, window=0))
    conn.receive_data(b"".join(server.message(inputs.MSG_MOUSE_MOTION_ACK) for _ in range(50)))
    assert [f.type for f in read_frames(conn.data_to_send(), mini=True)] == [base.MSGC_ACK_SYNC.number]


def test_pong_bytes() -> None:
    conn, server = linked_connection(ChannelType.CURSOR, mini=False)
    conn.receive_data(server.message(base.MSG_PING, id=0xDEADBEEF, timestamp=(1 << 64) - 1, data=bytes(1000)))
    sent = conn.data_to_send()
    # SpiceDataHeader (serial 1, type PONG 3, size 12, no sub-list), then the ping's id and timestamp, not its data.
    assert sent == struct.pack("<QHII", 1, 3, 12, 0) + struct.pack("<IQ", 0xDEADBEEF, (1 << 64) - 1)


def test_sub_messages_through_the_connection() -> None:
    conn, server = linked_connection(ChannelType.DISPLAY, mini=False)
    inval = display.MSG_INVAL_LIST
    wait = base.MSG_WAIT_FOR_CHANNELS
    subs = [
        (wait.number, FakeServer.body(wait, wait_list=[t.ChannelWait(channel_type=2, channel_id=0, message_serial=9)])),
        (inval.number, FakeServer.body(inval, resources=[t.ResourceID(type=1, id=77)])),
        (999, b"?"),
    ]
    copy = server.body(display.MSG_DRAW_COPY, _bitmap_copy())
    events = conn.receive_data(server.with_sub_messages(display.MSG_DRAW_COPY.number, copy, subs))
    assert [type(e) for e in events] == [Received, Received, UnknownMessage, Received]
    assert events[0].message.wait_list[0].message_serial == 9  # type: ignore[union-attr]
    assert events[1].message.resources[0].id == 77  # type: ignore[union-attr]
    assert events[3].message == _bitmap_copy()  # type: ignore[union-attr]
    assert {e.serial for e in events} == {1}


def test_ack_counts_a_message_with_sub_messages_once() -> None:
    """spice-gtk acks per message read (spice_channel_recv_msg), and spice-server's messages_window grows by one per
    message sent: a client that counts sub-messages acks early, and spice-server's unsigned window underflows."""
    conn, server = linked_connection(ChannelType.DISPLAY, mini=False)
    conn.receive_data(server.message(base.MSG_SET_ACK, generation=1, window=3))
    conn.data_to_send()
    mark = display.MSG_MARK.number
    assert len(conn.receive_data(server.with_sub_messages(mark, b"", [(mark, b""), (mark, b"")]))) == 3
    assert _replies(conn) == []  # SET_ACK and one message: the window of three is not full yet


# --- link variants -------------------------------------------------------------------------------------------------


def test_server_without_auth_selection_gets_the_ticket_alone() -> None:
    server = FakeServer(ChannelType.MAIN, common_caps=frozenset())
    conn = ChannelConnection(ChannelType.MAIN, password="pw")
    conn.initiate()
    link = conn.data_to_send()
    events = conn.receive_data(server.link_reply())
    assert events == []
    sent = conn.data_to_send()
    assert len(sent) == 128  # no SpiceLinkAuthMechanism word
    out = server.read_client(link + sent, auth_selection=False)
    assert (out.mechanism, out.password) == (None, b"pw\0")
    events = conn.receive_data(server.link_result())
    assert events == [Linked(frozenset(), frozenset(), False)]
    assert conn.state is State.READY


def test_client_without_mini_header_uses_full_headers() -> None:
    server = FakeServer(ChannelType.MAIN, mini=False)
    conn = ChannelConnection(ChannelType.MAIN, common_caps=CLIENT_COMMON_CAPS - {CommonCap.MINI_HEADER})
    conn.initiate()
    events = conn.receive_data(server.link_reply() + server.link_result() + server.message(main.MSG_MIGRATE_END))
    assert isinstance(events[0], Linked) and events[0].mini_header is False
    assert isinstance(events[1], Received) and events[1].serial == 1


def test_main_channel_messages() -> None:
    conn, server = linked_connection(ChannelType.MAIN, channel_caps=frozenset({MainCap.NAME_AND_UUID}))
    init = main.MSG_INIT.cls(
        session_id=0xABCDEF01,
        display_channels_hint=1,
        supported_mouse_modes=3,
        current_mouse_mode=2,
        agent_connected=1,
        agent_tokens=10,
        multi_media_time=77,
        ram_hint=0,
    )
    channels = [t.ChannelId(type=2, id=0), t.ChannelId(type=3, id=0), t.ChannelId(type=4, id=0)]
    stream = server.message(main.MSG_INIT, init)
    stream += server.message(main.MSG_CHANNELS_LIST, channels=channels)
    stream += server.message(main.MSG_NAME, name=b"guest\0")
    stream += server.message(main.MSG_UUID, uuid=bytes(range(16)))
    events = conn.receive_data(stream)
    assert [type(e.message) for e in events] == [  # type: ignore[union-attr]
        main.MSG_INIT.cls,
        main.MSG_CHANNELS_LIST.cls,
        main.MSG_NAME.cls,
        main.MSG_UUID.cls,
    ]
    assert events[0].message == init  # type: ignore[union-attr]
    assert events[1].message.channels == channels  # type: ignore[union-attr]
    # The client's messages go out in its channel's numbering.
    conn.send(main.MSGC_ATTACH_CHANNELS.cls())
    conn.send(main.MSGC_CLIENT_INFO.cls(cache_size=1 << 40))
    frames = _frames(conn)
    assert [(f.type, f.body) for f in frames] == [(104, b""), (101, struct.pack("<Q", 1 << 40))]


def test_channel_without_schema_understands_the_common_messages() -> None:
    conn, server = linked_connection(ChannelType.SMARTCARD)
    events = conn.receive_data(server.message(base.MSG_PING, id=1, timestamp=2, data=b"") + server.frame(101, b"x"))
    assert events == [UnknownMessage(101, 1, 2)]
    assert [f.type for f in _frames(conn)] == [base.MSGC_PONG.number]
    assert conn.channel_name == "smartcard"
    assert ChannelConnection(99).channel_name == "channel-99"


def test_send_refuses_messages_of_another_channel() -> None:
    conn, _ = linked_connection(ChannelType.INPUTS)
    with pytest.raises(TypeError):
        conn.send(display.MSGC_INIT.cls())


# --- link failures -------------------------------------------------------------------------------------------------


def _link(server_bytes: bytes, password: str = "", **kwargs: Any) -> ChannelConnection:
    conn = ChannelConnection(ChannelType.MAIN, password=password, **kwargs)
    conn.initiate()
    conn.receive_data(server_bytes)
    return conn


@pytest.mark.parametrize("short", [True, False], ids=["error-only", "whole-reply"])
def test_error_reply(short: bool) -> None:
    server = FakeServer(ChannelType.MAIN)
    reply = server.link_reply(LinkErr.NEED_SECURED)
    if short:  # spice-server sends just the error code when it refuses the link
        reply = b"REDQ" + struct.pack("<IIII", 2, 2, 4, LinkErr.NEED_SECURED)
    conn = ChannelConnection(ChannelType.MAIN)
    conn.initiate()
    with pytest.raises(LinkError, match="TLS") as info:
        conn.receive_data(reply)
    assert info.value.code == LinkErr.NEED_SECURED
    assert conn.state is State.CLOSED
    with pytest.raises(ProtocolError, match="closed"):
        conn.receive_data(b"more")


def test_bad_magic() -> None:
    with pytest.raises(ProtocolError, match="not a SPICE server") as info:
        _link(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    assert not isinstance(info.value, LinkError)


def test_protocol_version_one() -> None:
    server = FakeServer(ChannelType.MAIN)
    reply = bytearray(server.link_reply())
    struct.pack_into("<II", reply, 4, 1, 3)
    with pytest.raises(ProtocolError, match=r"protocol 1\.3"):
        _link(bytes(reply))


def test_permission_denied_after_the_ticket() -> None:
    server = FakeServer(ChannelType.MAIN)
    with pytest.raises(LinkError, match="permission denied") as info:
        _link(server.link_reply() + server.link_result(LinkErr.PERMISSION_DENIED), password="wrong")
    assert info.value.code == LinkErr.PERMISSION_DENIED


def test_sasl_only_server() -> None:
    server = FakeServer(
        ChannelType.MAIN, common_caps=frozenset({CommonCap.PROTOCOL_AUTH_SELECTION, CommonCap.AUTH_SASL})
    )
    conn = ChannelConnection(ChannelType.MAIN)
    conn.initiate()
    conn.data_to_send()
    with pytest.raises(LinkError, match="SASL"):
        conn.receive_data(server.link_reply())
    assert conn.data_to_send() == b""  # neither a mechanism nor a ticket went out
    assert conn.state is State.CLOSED


@pytest.mark.parametrize(
    ("password", "ok"),
    [("", True), ("x" * 60, True), ("x" * 61, False), ("é" * 30, True), ("é" * 30 + "x", False)],
    ids=["empty", "60-bytes", "61-bytes", "60-utf8-bytes", "61-utf8-bytes"],
)
def test_password_length(password: str, ok: bool) -> None:
    server = FakeServer(ChannelType.MAIN)
    conn = ChannelConnection(ChannelType.MAIN, password=password)
    if not ok:
        # Refused before anything is sent: no point in connecting with a password SPICE cannot carry.
        with pytest.raises(LinkError, match="60 bytes"):
            conn.initiate()
        return
    conn.initiate()
    link = conn.data_to_send()
    conn.receive_data(server.link_reply())
    out = server.read_client(link + conn.data_to_send())
    assert out.password == password.encode() + b"\0"


def test_link_result_cut_anywhere() -> None:
    server = FakeServer(ChannelType.MAIN)
    stream = server.link_reply() + server.link_result(LinkErr.BAD_CONNECTION_ID)
    for cut in range(len(stream)):
        conn = ChannelConnection(ChannelType.MAIN)
        conn.initiate()
        assert conn.receive_data(stream[:cut]) == []
        with pytest.raises(LinkError, match="connection id"):
            conn.receive_data(stream[cut:])


def test_misuse() -> None:
    conn = ChannelConnection(ChannelType.MAIN)
    with pytest.raises(RuntimeError):
        conn.receive_data(b"x")
    with pytest.raises(RuntimeError):
        conn.send(base.MSGC_ACK.cls())
    conn.initiate()
    with pytest.raises(RuntimeError):
        conn.initiate()
    with pytest.raises(RuntimeError):
        conn.send(base.MSGC_ACK.cls())
    conn.close()
    with pytest.raises(ProtocolError):
        conn.receive_data(b"")


# --- the channel's first messages, sent with the ticket ----------------------------------------------------------


def _display_init() -> Any:
    return display.MSGC_INIT.cls(
        pixmap_cache_id=1, pixmap_cache_size=1000, glz_dictionary_id=1, glz_dictionary_window_size=2000
    )


@pytest.mark.parametrize("mini", [True, False], ids=["mini", "full"])
def test_first_messages_go_right_behind_the_ticket(mini: bool) -> None:
    """spice-server's display thread looks for DISPLAY_INIT once as the link completes, then sleeps 10 ms: the init
    is queued with the ticket, framed with the header the server's caps settle, before the link result."""
    caps = CLIENT_COMMON_CAPS if mini else CLIENT_COMMON_CAPS - {CommonCap.MINI_HEADER}
    server = FakeServer(ChannelType.DISPLAY, channel_caps=frozenset({DisplayCap.PREF_COMPRESSION}), mini=mini)
    asked: list[frozenset[int]] = []

    def first(server_caps: frozenset[int]) -> list[Any]:
        asked.append(server_caps)
        return [_display_init(), display.MSGC_PREFERRED_COMPRESSION.cls(image_compression=1)]

    conn = ChannelConnection(ChannelType.DISPLAY, password=PASSWORD, common_caps=caps, with_ticket=first)
    conn.initiate()
    link = conn.data_to_send()
    assert conn.receive_data(server.link_reply()) == []
    out = server.read_client(link + conn.data_to_send(), mini=mini)
    assert out.password == PASSWORD.encode() + b"\0"
    assert asked == [frozenset({DisplayCap.PREF_COMPRESSION})]
    assert [f.type for f in out.frames] == [display.MSGC_INIT.number, display.MSGC_PREFERRED_COMPRESSION.number]
    assert [f.serial for f in out.frames] == ([None, None] if mini else [1, 2])
    assert parse_body(display.MSGC_INIT.cls.__spice_struct__, out.frames[0].body) == _display_init()
    events = conn.receive_data(server.link_result())
    assert events == [Linked(server.common_caps, server.channel_caps, mini, sent_with_ticket=True)]
    assert conn.data_to_send() == b""  # not again
    conn.send(display.MSGC_PREFERRED_COMPRESSION.cls(image_compression=2))
    assert [f.serial for f in _frames(conn)] == [None if mini else 3]


def test_without_first_messages_the_link_says_none_were_sent() -> None:
    """A link made without them (a migration's destination): the channel sends its init itself."""
    server = FakeServer(ChannelType.DISPLAY)
    conn = ChannelConnection(ChannelType.DISPLAY)
    conn.initiate()
    conn.data_to_send()
    conn.receive_data(server.link_reply())
    assert len(conn.data_to_send()) == 4 + 128  # mechanism and ticket only
    assert conn.receive_data(server.link_result()) == [Linked(server.common_caps, frozenset(), True)]


def test_first_messages_are_not_sent_when_the_link_is_refused() -> None:
    server = FakeServer(ChannelType.DISPLAY)
    conn = ChannelConnection(ChannelType.DISPLAY, with_ticket=lambda caps: pytest.fail("asked for them"))
    conn.initiate()
    with pytest.raises(LinkError):
        conn.receive_data(server.link_reply(LinkErr.NEED_SECURED))
