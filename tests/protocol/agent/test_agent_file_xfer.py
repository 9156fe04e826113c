"""File transfer into the guest: one file, many at once, cancel both ways, errors, disconnection, tokens."""

from __future__ import annotations

import io
import struct

import fake_agent as fa
import pytest
from agent_helpers import connect, feed, sent

from spiceview.protocol.agent.file_xfer import (
    FileXferFailed,
    FileXferFinished,
    FileXferProgress,
    clean_file_name,
    start_key_file,
)
from spiceview.protocol.agent.messages import FileXferStatus, GIOError
from spiceview.protocol.agent.session import AgentNotReady, AgentSession


def data_messages(msgs: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    out = []
    for t, p in msgs:
        if t == fa.FILE_XFER_DATA:
            xfer_id, size = struct.unpack_from("<IQ", p)
            assert len(p) == 12 + size
            out.append((xfer_id, p[12:]))
    return out


def test_one_file() -> None:
    s, peer, _ = connect(file_chunk_size=10_000)
    content = bytes(range(256)) * 100  # 25600 bytes: three data messages
    xfer = s.send_file("/home/me/a file.bin", len(content), io.BytesIO(content).read)
    assert sent(s, peer) == [
        (fa.FILE_XFER_START, struct.pack("<I", xfer) + b"[vdagent-file-xfer]\nname=a file.bin\nsize=25600\n\0")
    ]
    assert s.take_events() == []  # nothing before the agent says go
    events = feed(s, fa.xfer_status(xfer, fa.CAN_SEND_DATA))
    assert events == [
        FileXferProgress(xfer, 10_000, 25_600),
        FileXferProgress(xfer, 20_000, 25_600),
        FileXferProgress(xfer, 25_600, 25_600),
    ]
    got = data_messages(sent(s, peer))
    assert [i for i, _ in got] == [xfer] * 3 and b"".join(d for _, d in got) == content
    assert feed(s, fa.xfer_status(xfer, fa.SUCCESS)) == [FileXferFinished(xfer, 25_600)]
    assert s.files.transfers() == {}


def test_empty_file_sends_one_empty_data_message() -> None:
    s, peer, _ = connect()
    xfer = s.send_file("empty", 0, lambda n: pytest.fail("nothing to read"))
    feed(s, fa.xfer_status(xfer, fa.CAN_SEND_DATA))
    assert data_messages(sent(s, peer)) == [(xfer, b"")]
    assert feed(s, fa.xfer_status(xfer, fa.SUCCESS)) == [FileXferFinished(xfer, 0)]


def test_several_files_take_turns() -> None:
    s, peer, _ = connect(file_chunk_size=1000, tokens=5)  # two went on the capability exchange
    files = {name: bytes([i]) * (2500 + i) for i, name in enumerate(["a", "b", "c"])}
    ids = {name: s.send_file(name, len(data), io.BytesIO(data).read) for name, data in files.items()}
    assert len(set(ids.values())) == 3
    assert len(peer.take(s)) == 3  # three STARTs, and no tokens left
    for name in files:
        feed(s, fa.xfer_status(ids[name], fa.CAN_SEND_DATA))
    got: list[tuple[int, bytes]] = []
    for _ in range(20):
        s.on_agent_token(1)
        got += data_messages(sent(s, peer))
    for name, data in files.items():
        assert b"".join(d for i, d in got if i == ids[name]) == data
    assert [i for i, _ in got][:6] == [ids["a"], ids["b"], ids["c"]] * 2  # chunk by chunk, in turn
    finished = feed(s, *(fa.xfer_status(ids[n], fa.SUCCESS) for n in files))
    assert {e.id for e in finished if isinstance(e, FileXferFinished)} == set(ids.values())


def test_client_cancel_mid_transfer() -> None:
    s, peer, _ = connect(file_chunk_size=100, tokens=5)  # a slow link: the transfer stays in flight
    xfer = s.send_file("big", 10_000, lambda n: b"z" * n)
    feed(s, fa.xfer_status(xfer, fa.CAN_SEND_DATA))
    s.on_agent_token(3)
    assert len(data_messages(sent(s, peer))) == 5  # one per token
    assert s.cancel_file(xfer)
    assert s.take_events() == [FileXferFailed(xfer, "cancelled", FileXferStatus.CANCELLED, cancelled=True)]
    s.on_agent_token(100)
    assert sent(s, peer) == [(fa.FILE_XFER_STATUS, struct.pack("<II", xfer, fa.CANCELLED))]  # exactly 8 bytes
    assert feed(s, fa.xfer_status(xfer, fa.CANCELLED)) == []  # the agent's echo: already gone
    assert not s.cancel_file(xfer)


def test_guest_cancels_or_fails() -> None:
    s, _, _ = connect()
    a = s.send_file("a", 10, lambda n: b"a" * n)
    b = s.send_file("b", 10, lambda n: b"b" * n)
    c = s.send_file("c", 10, lambda n: b"c" * n)
    d = s.send_file("d", 10, lambda n: b"d" * n)
    events = feed(
        s,
        fa.xfer_status(a, fa.CANCELLED),
        fa.xfer_status(b, fa.ERROR, struct.pack("<BI", 0, GIOError.INVALID_FILENAME)),
        fa.xfer_status(c, fa.NOT_ENOUGH_SPACE, struct.pack("<Q", 5)),
        fa.xfer_status(d, fa.SESSION_LOCKED),
    )
    assert [(e.id, e.status, e.cancelled, e.by_guest) for e in events] == [
        (a, fa.CANCELLED, True, True),
        (b, fa.ERROR, False, True),
        (c, fa.NOT_ENOUGH_SPACE, False, True),
        (d, fa.SESSION_LOCKED, False, True),
    ]
    assert events[1].error_code == GIOError.INVALID_FILENAME and "invalid file name" in events[1].reason
    assert events[2].free_space == 5 and "5 bytes free, 10 to copy" in events[2].reason
    assert "locked" in events[3].reason


def test_generic_error_and_unknown_status() -> None:
    s, _, _ = connect()
    a = s.send_file("a", 1, lambda n: b"a")
    b = s.send_file("b", 1, lambda n: b"b")
    events = feed(s, fa.xfer_status(a, fa.ERROR), fa.xfer_status(b, 99))
    assert [e.reason for e in events] == ["the guest reported an error", "the guest reported unknown status 99"]


def test_disabled_agent_refuses_without_a_message() -> None:
    s, peer, _ = connect(caps=(*fa.VDAGENTD_CAPS, fa.CAP_XFER_DISABLED))
    xfer = s.send_file("a", 1, lambda n: b"a")
    assert s.take_events() == [FileXferFailed(xfer, "file transfer is disabled in the guest", FileXferStatus.DISABLED)]
    assert sent(s, peer) == []


def test_agent_disconnect_mid_transfer_fails_everything() -> None:
    s, peer, _ = connect(file_chunk_size=100, tokens=2)
    a = s.send_file("a", 10_000, lambda n: b"a" * n)
    b = s.send_file("b", 5, lambda n: b"b" * n)
    feed(s, fa.xfer_status(a, fa.CAN_SEND_DATA))
    events = s.on_agent_disconnected(1)
    assert [type(e).__name__ for e in events if not isinstance(e, FileXferProgress)] == [
        "FileXferFailed",
        "FileXferFailed",
        "AgentDisconnected",
    ]
    assert {e.id for e in events if isinstance(e, FileXferFailed)} == {a, b}
    assert all(e.reason == "the agent disconnected" for e in events if isinstance(e, FileXferFailed))
    assert s.take_messages() == []
    assert feed(s, fa.xfer_status(a, fa.SUCCESS))[0].reason == "agent data while no agent is connected"
    with pytest.raises(AgentNotReady):
        s.send_file("c", 1, lambda n: b"c")


def test_read_errors_and_short_files() -> None:
    s, peer, _ = connect()

    def broken(n: int) -> bytes:
        raise OSError("disk on fire")

    a = s.send_file("a", 10, broken)
    b = s.send_file("b", 10, io.BytesIO(b"12345").read)
    sent(s, peer)
    events = feed(s, fa.xfer_status(a, fa.CAN_SEND_DATA), fa.xfer_status(b, fa.CAN_SEND_DATA))
    failed = [e for e in events if isinstance(e, FileXferFailed)]
    assert [e.id for e in failed] == [a, b]
    assert "disk on fire" in failed[0].reason and "ended after 5 of 10" in failed[1].reason
    statuses = [p for t, p in sent(s, peer) if t == fa.FILE_XFER_STATUS]
    assert statuses == [struct.pack("<II", a, fa.ERROR), struct.pack("<II", b, fa.ERROR)]


def test_file_data_does_not_starve_the_clipboard() -> None:
    s, peer, _ = connect(file_chunk_size=4096, tokens=4)
    xfer = s.send_file("big", 1_000_000, lambda n: b"q" * n)
    feed(s, fa.xfer_status(xfer, fa.CAN_SEND_DATA))
    s.clipboard_grab(0, [1])
    order = [t for t, _ in sent(s, peer)]
    for _ in range(20):
        s.on_agent_token(2)
        order += [t for t, _ in sent(s, peer)]
    assert fa.CLIPBOARD_GRAB in order
    # the grab waits behind at most one file chunk
    assert order.index(fa.CLIPBOARD_GRAB) <= order.index(fa.FILE_XFER_START) + 2
    assert s.stream.client_tokens == 0  # every token was used, none overdrawn


def test_max_active_transfers_queue_the_rest() -> None:
    s, peer, _ = connect(max_active_transfers=2)
    ids = [s.send_file(f"f{i}", 1, lambda n: b"x") for i in range(4)]
    assert len(peer.of_type(fa.FILE_XFER_START)) == 0 and len(sent(s, peer)) == 2
    feed(s, fa.xfer_status(ids[0], fa.ERROR))
    assert [(t, struct.unpack_from("<I", p)[0]) for t, p in sent(s, peer)] == [(fa.FILE_XFER_START, ids[2])]
    assert s.cancel_file(ids[3])  # never started: nothing to tell the agent
    feed(s, fa.xfer_status(ids[1], fa.ERROR))
    assert sent(s, peer) == []


def test_key_file_and_names() -> None:
    assert start_key_file(" a\tb\nc\\d ", 7) == (b"[vdagent-file-xfer]\nname=\\sa\\tb\\nc\\\\d\\s\nsize=7\n\0")
    assert clean_file_name("back\\slash.txt") == "back\\slash.txt"
    assert clean_file_name("../../etc/passwd") == "passwd"
    for bad in ("", "/", "..", "a/.."):
        with pytest.raises(ValueError):
            clean_file_name(bad)
    with pytest.raises(AgentNotReady):
        AgentSession().send_file("a", 1, lambda n: b"")
    s, _, _ = connect()
    with pytest.raises(ValueError):
        s.send_file("a", -1, lambda n: b"")
