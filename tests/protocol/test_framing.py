"""Link messages and message framing, byte for byte against spice-protocol's protocol.h."""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Callable

import pytest

from spiceview.protocol import link as linkmod
from spiceview.protocol.caps import caps_to_words, words_to_caps
from spiceview.protocol.constants import ChannelType, CommonCap, DisplayCap, LinkErr
from spiceview.protocol.errors import ProtocolError
from spiceview.protocol.framing import LARGE_BODY, MAX_MESSAGE_SIZE, Frame, FrameReader, encode_frame

# --- capabilities ----------------------------------------------------------------------------------------------------


def test_caps_words() -> None:
    assert caps_to_words([]) == []
    assert caps_to_words([0, 1, 3]) == [0b1011]
    assert caps_to_words([DisplayCap.CODEC_H265, 32, 65]) == [1 << 14, 1, 2]
    assert words_to_caps([0b1011, 0, 2]) == {0, 1, 3, 65}
    for caps in ([5], [0, 31, 32, 63, 64], list(range(40))):
        assert words_to_caps(caps_to_words(caps)) == set(caps)


# --- link stage ------------------------------------------------------------------------------------------------------


def test_link_mess_bytes() -> None:
    mess = linkmod.LinkMess(0xCAFE, ChannelType.DISPLAY, 1, frozenset({0, 1, 3}), frozenset({0, 33}))
    data = linkmod.encode_link_mess(mess)
    body = struct.pack("<IBBIII", 0xCAFE, 2, 1, 1, 2, 18) + struct.pack("<III", 0b1011, 1, 2)
    assert data == b"REDQ" + struct.pack("<III", 2, 2, len(body)) + body
    assert linkmod.decode_link_mess_body(body) == mess


def test_link_reply_bytes() -> None:
    key = bytes(range(162))
    reply = linkmod.LinkReply(LinkErr.OK, key, frozenset({0, 1, 3}), frozenset({DisplayCap.MONITORS_CONFIG}))
    data = linkmod.encode_link_reply(reply)
    body = struct.pack("<I162sIII", 0, key, 1, 1, 178) + struct.pack("<II", 0b1011, 0b10)
    assert data == b"REDQ" + struct.pack("<III", 2, 2, len(body)) + body
    assert linkmod.decode_link_reply_body(body) == reply


def test_link_reply_caps_are_found_by_their_offset() -> None:
    """caps_offset is honoured, not assumed to follow the fixed part."""
    body = struct.pack("<I162sIII", 0, b"k" * 162, 1, 0, 182) + b"\xff\xff\xff\xff" + struct.pack("<I", 0b1000)
    assert linkmod.decode_link_reply_body(body).common_caps == {CommonCap.MINI_HEADER}


def test_short_error_reply_keeps_the_code() -> None:
    assert linkmod.decode_link_reply_body(struct.pack("<I", LinkErr.NEED_SECURED)).error == LinkErr.NEED_SECURED


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (b"RED!" + struct.pack("<III", 2, 2, 10), "not a SPICE server"),
        (b"REDQ" + struct.pack("<III", 1, 3, 10), "1.3"),
        (b"REDQ" + struct.pack("<III", 3, 0, 10), "3.0"),
        (b"REDQ" + struct.pack("<III", 2, 2, linkmod.MAX_LINK_BODY + 1), "absurd"),
    ],
)
def test_link_header_errors(header: bytes, match: str) -> None:
    with pytest.raises(ProtocolError, match=match):
        linkmod.parse_link_header(header)


def test_link_header_minor_version_is_free() -> None:
    assert linkmod.parse_link_header(b"REDQ" + struct.pack("<III", 2, 1, 178)) == (2, 1, 178)


def test_link_error_texts() -> None:
    texts = {code: linkmod.link_error_text(code) for code in LinkErr if code != LinkErr.OK}
    assert len(set(texts.values())) == len(texts)  # each error says something of its own
    assert "password" in texts[LinkErr.PERMISSION_DENIED]
    assert "TLS" in texts[LinkErr.NEED_SECURED]
    assert linkmod.link_error_text(77) == "link error 77"


# --- frames ----------------------------------------------------------------------------------------------------------


def test_encode_frame_headers() -> None:
    assert encode_frame(0x1234, b"abc", mini=True) == struct.pack("<HI", 0x1234, 3) + b"abc"
    assert encode_frame(0x1234, b"abc", mini=False, serial=9) == struct.pack("<QHII", 9, 0x1234, 3, 0) + b"abc"


def _mini_stream() -> tuple[bytes, list[tuple[int, bytes]]]:
    msgs = [(101, b""), (3, struct.pack("<II", 1, 20)), (302, bytes(range(200))), (9, b"x"), (0xFFFF, b"")]
    return b"".join(encode_frame(t, b, mini=True) for t, b in msgs), msgs


def test_mini_frames_at_every_split() -> None:
    stream, msgs = _mini_stream()
    expected = [Frame(t, b, i + 1, acks=1) for i, (t, b) in enumerate(msgs)]
    for cut in range(len(stream) + 1):
        reader = FrameReader(mini=True)
        frames = reader.feed(stream[:cut]) + reader.feed(stream[cut:])
        assert frames == expected, cut
        assert reader.buffered == 0
    reader = FrameReader(mini=True)
    assert [f for i in range(len(stream)) for f in reader.feed(stream[i : i + 1])] == expected


def test_full_frames_at_every_split() -> None:
    msgs = [(101, b"abc", 1), (102, b"", 2), (103, bytes(64), 3)]
    stream = b"".join(encode_frame(t, b, mini=False, serial=s) for t, b, s in msgs)
    for cut in range(len(stream) + 1):
        reader = FrameReader(mini=False)
        frames = reader.feed(stream[:cut]) + reader.feed(memoryview(stream)[cut:])
        assert [(f.type, f.body, f.serial) for f in frames] == msgs


def test_partial_frame_is_kept() -> None:
    reader = FrameReader(mini=True)
    assert reader.feed(struct.pack("<HI", 5, 10) + b"12345") == []
    assert reader.buffered == 11
    assert reader.feed(b"67890" + b"\x01") == [Frame(5, b"1234567890", 1, acks=1)]
    assert reader.buffered == 1


def _sub_list_body(main_body: bytes, subs: list[tuple[int, bytes]]) -> tuple[bytes, int]:
    data = bytearray(main_body)
    offsets = []
    for sub_type, sub_body in subs:
        offsets.append(len(data))
        data += struct.pack("<HI", sub_type, len(sub_body)) + sub_body
    sub_list = len(data)
    data += struct.pack(f"<H{len(offsets)}I", len(offsets), *offsets)
    return bytes(data), sub_list


def test_sub_message_list_comes_before_its_message() -> None:
    """SpiceDataHeader.sub_list: the sub-messages are delivered first (as spice-gtk handles them), then the message
    itself (its body may run on over the sub-messages, which its parser ignores, as in spice-gtk)."""
    body, sub_list = _sub_list_body(b"MAIN", [(105, b"inval"), (5, b"wait-list")])
    stream = struct.pack("<QHII", 1, 302, len(body), sub_list) + body
    for cut in range(len(stream) + 1):
        reader = FrameReader(mini=False)
        frames = reader.feed(stream[:cut]) + reader.feed(stream[cut:])
        assert [(f.type, f.body) for f in frames[:2]] == [(105, b"inval"), (5, b"wait-list")]
        assert frames[2].type == 302 and frames[2].body[:4] == b"MAIN" and len(frames) == 3


@pytest.mark.parametrize(
    ("mangle", "match"),
    [
        (lambda body, sub_list: (body, len(body) - 1), "sub-message list outside"),
        (lambda body, sub_list: (body[:sub_list] + struct.pack("<H", 50) + body[sub_list + 2 :], sub_list), "longer"),
        (lambda body, sub_list: (body[:sub_list] + struct.pack("<HI", 1, 9999), sub_list), "sub-message outside"),
        (lambda body, sub_list: (body[:4] + struct.pack("<HI", 105, 999) + body[10:], sub_list), "longer than"),
    ],
)
def test_broken_sub_message_lists(mangle: Callable[[bytes, int], tuple[bytes, int]], match: str) -> None:
    """The frame itself is sound, so a broken list only spoils its own message: one frame with the error."""
    body, sub_list = mangle(*_sub_list_body(b"MAIN", [(105, b"x")]))
    reader = FrameReader(mini=False)
    frames = reader.feed(struct.pack("<QHII", 1, 302, len(body), sub_list) + body + encode_frame(103, b"", mini=False))
    assert len(frames) == 2 and frames[0].type == 302 and frames[0].acks == 1
    assert frames[0].error is not None and match in frames[0].error
    assert frames[1].type == 103 and frames[1].error is None


def test_msg_list_with_the_mini_header_is_expanded() -> None:
    """spice-server's display channel sends SPICE_MSG_LIST (8) with the mini header when it frees pixmap-cache items
    with a wait list (dcc-send.cpp send_free_list); spice-gtk reads the SpiceSubMessageList at offset 0 of the body
    and handles the sub-messages instead of the list (spice_channel_recv_msg)."""
    subs = [(5, struct.pack("<B", 0)), (105, struct.pack("<H", 0))]
    data = bytearray(struct.pack("<H2I", 2, 0, 0))
    offsets = []
    for sub_type, sub_body in subs:
        offsets.append(len(data))
        data += struct.pack("<HI", sub_type, len(sub_body)) + sub_body
    struct.pack_into("<2I", data, 2, *offsets)
    frames = FrameReader(mini=True).feed(encode_frame(8, bytes(data), mini=True))
    assert [(f.type, f.body) for f in frames] == subs


def test_full_header_serial_is_the_servers() -> None:
    """spice-gtk keeps the serial of the full header ("the server can sometimes skip serials"); WAIT_FOR_CHANNELS
    refers to those serials."""
    stream = encode_frame(101, b"", mini=False, serial=5) + encode_frame(101, b"", mini=False, serial=9)
    assert [f.serial for f in FrameReader(mini=False).feed(stream)] == [5, 9]


def test_huge_frame_is_refused_from_its_header() -> None:
    reader = FrameReader(mini=True)
    with pytest.raises(ProtocolError, match="larger than any real one"):
        reader.feed(struct.pack("<HI", 302, MAX_MESSAGE_SIZE + 1))
    reader = FrameReader(mini=False)
    with pytest.raises(ProtocolError, match="larger than any real one"):
        reader.feed(struct.pack("<QHII", 1, 302, 0xFFFFFFFF, 0))


def test_largest_allowed_frame_waits_for_its_body() -> None:
    reader = FrameReader(mini=True)
    assert reader.feed(struct.pack("<HI", 302, MAX_MESSAGE_SIZE) + b"abc") == []
    assert reader.buffered == 9


def test_large_bodies_are_joined_whatever_the_cuts_and_buffers() -> None:
    """Bodies of LARGE_BODY and more are copied into a buffer of their size as they arrive; a caller's
    bytearray may be reused after feed() returns."""
    big = bytes(range(256)) * ((LARGE_BODY * 3) // 256 + 1)
    wire = (
        encode_frame(304, big, mini=True)
        + encode_frame(302, b"small", mini=True)
        + encode_frame(123, big[: LARGE_BODY + 7], mini=True)
    )
    for step in (1 << 12, 65_537, 262_144, len(wire)):
        reader = FrameReader(mini=True)
        frames = []
        scratch = bytearray(step)
        for pos in range(0, len(wire), step):
            piece = wire[pos : pos + step]
            if pos % (2 * step):
                scratch[: len(piece)] = piece
                frames += reader.feed(memoryview(scratch)[: len(piece)])
                scratch[:] = bytes(len(scratch))  # the caller reuses its buffer
            else:
                frames += reader.feed(piece)
        assert [(f.type, f.body, f.serial) for f in frames] == [
            (304, big, 1),
            (302, b"small", 2),
            (123, big[: LARGE_BODY + 7], 3),
        ]
        assert reader.buffered == 0 and reader.messages_read == 3


def _read_like_the_channel_loop(reader: FrameReader, wire: bytes, step: int) -> list[Frame]:
    """What the channel loop does: a large body still arriving is received straight into its buffer (at most
    `step` bytes a read), everything else is fed from a reused read buffer."""
    frames: list[Frame] = []
    scratch = bytearray(step)
    pos = 0
    while pos < len(wire):
        target = reader.receive_buffer()
        if target is not None:
            n = min(step, len(target), len(wire) - pos)
            target[:n] = wire[pos : pos + n]
            frames += reader.received_into(n)
        else:
            n = min(step, len(wire) - pos)
            scratch[:n] = wire[pos : pos + n]
            frames += reader.feed(memoryview(scratch)[:n])
            scratch[:] = bytes(step)  # reused for the next read: nothing may still point into it
        pos += n
    return frames


@pytest.mark.parametrize("step", [1, 7, 4096, 65_537, 262_144, 1 << 20])
def test_large_bodies_received_in_place_whatever_the_cuts(step: int) -> None:
    big = bytes(range(256)) * ((LARGE_BODY * 3) // 256 + 1)
    subs = struct.pack("<HI", 1, LARGE_BODY + 1 + 6) + struct.pack("<HI", 302, 3) + b"sub"  # count, offset
    with_list = big[: LARGE_BODY + 1] + subs
    wire = (
        encode_frame(304, big, mini=False, serial=1)
        + encode_frame(302, b"small", mini=False, serial=2)
        + struct.pack("<QHII", 3, 304, len(with_list), LARGE_BODY + 1)
        + with_list
        + encode_frame(123, big[: LARGE_BODY + 7], mini=False, serial=4)
    )
    reader = FrameReader(mini=False)
    frames = _read_like_the_channel_loop(reader, wire, step)
    assert [(f.type, bytes(f.body), f.serial) for f in frames] == [
        (304, big, 1),
        (302, b"small", 2),
        (302, b"sub", 3),
        (304, big[: LARGE_BODY + 1], 3),
        (123, big[: LARGE_BODY + 7], 4),
    ]
    assert reader.receive_buffer() is None
    assert reader.buffered == 0 and reader.messages_read == 4


def test_receive_buffer_is_the_rest_of_the_body() -> None:
    reader = FrameReader(mini=True)
    assert reader.receive_buffer() is None
    assert reader.feed(struct.pack("<HI", 304, LARGE_BODY) + b"ab") == []
    target = reader.receive_buffer()
    assert target is not None and len(target) == LARGE_BODY - 2
    target[:10] = b"0123456789"
    assert reader.received_into(10) == []
    assert reader.buffered == 6 + 12
    rest = reader.receive_buffer()
    assert rest is not None and len(rest) == LARGE_BODY - 12
    rest[:] = bytes(len(rest))
    (frame,) = reader.received_into(len(rest))
    assert bytes(frame.body[:12]) == b"ab0123456789" and len(frame.body) == LARGE_BODY
    assert reader.receive_buffer() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_a_claimed_size_costs_no_memory_until_its_bytes_arrive() -> None:
    """The body buffer is allocated at the header's size, but a hostile header claiming the largest size and
    then sending nothing must not make the viewer resident at that size."""

    def resident_mb() -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    before = resident_mb()
    readers = [FrameReader(mini=True) for _ in range(4)]
    for reader in readers:
        reader.feed(struct.pack("<HI", 302, MAX_MESSAGE_SIZE) + b"abc")
    assert resident_mb() - before < 64  # four claims of 256 MB each
