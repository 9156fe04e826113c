"""AGENT_DATA chunking and reassembly, token flow both ways, and what a broken byte stream does."""

from __future__ import annotations

import random

import fake_agent as fa
import pytest

from spiceview.protocol.agent.stream import (
    UNLIMITED_TOKENS,
    AgentMessage,
    AgentStream,
    SkippedMessage,
    StreamError,
    encode_message,
)


@pytest.mark.parametrize("size", [0, 1, 2027, 2028, 2029, 2048, 4075, 4076, 4077, 10_000, 65_536])
def test_chunking_at_2048(size: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    chunks = encode_message(42, payload, opaque=9)
    assert all(len(c) <= 2048 for c in chunks)
    assert all(len(c) == 2048 for c in chunks[:-1])
    assert len(chunks) == max(1, -(-(size + 20) // 2048))
    assert b"".join(chunks) == fa.HEADER.pack(1, 42, 9, size) + payload
    peer = fa.Peer()
    done = [m for c in chunks for m in peer.data(c)]  # spice-server's filter accepts them
    assert done == [(42, payload)]


def test_reassembly_split_at_every_boundary() -> None:
    msg = fa.message(4, bytes(range(256)) * 3)
    for cut in range(len(msg) + 1):
        s = AgentStream()
        got = s.feed(msg[:cut]) + s.feed(msg[cut:]) + s.feed(fa.message(9, b""))
        assert got == [AgentMessage(4, 0, msg[20:]), AgentMessage(9, 0, b"")], cut
        assert not s.in_message


def test_reassembly_random_cuts() -> None:
    rng = random.Random(5)
    msgs = [fa.message(rng.randrange(1, 17), rng.randbytes(rng.randrange(0, 5000))) for _ in range(6)]
    for _ in range(200):
        s = AgentStream()
        got = []
        for msg in msgs:  # every message starts a fresh AGENT_DATA, as agents send them
            cuts = sorted(rng.sample(range(len(msg) + 1), 2))
            for a, b in zip([0, *cuts], [*cuts, len(msg)], strict=True):
                got += s.feed(msg[a:b])
        assert [(g.type, g.payload) for g in got] == [(m[4], m[20:]) for m in msgs]
        assert not s.in_message


def test_packed_messages_and_stray_bytes() -> None:
    s = AgentStream()
    two = fa.message(3, b"\0" * 8) + fa.message(9, b"")
    assert [e.type for e in s.feed(two)] == [3, 9]  # packed behind each other: accepted, as spice-gtk does
    # More bytes than the message announced: the message, then an error for the stray bytes.
    events = s.feed(fa.message(9, b"") + b"1234567")
    assert events == [AgentMessage(9, 0, b""), StreamError("7 stray bytes after a message", 7)]
    events = s.feed(fa.message(3, b"\0" * 8) + b"x" * 30)
    assert events[0] == AgentMessage(3, 0, b"\0" * 8) and isinstance(events[1], StreamError)
    assert events[1].dropped == 30
    # A packed header claiming an absurd size is refused rather than skipped into the next AGENT_DATA.
    events = s.feed(fa.message(9, b"") + fa.message(4, b"", size=0xFFFFFFFF))
    assert isinstance(events[1], StreamError) and not s.in_message
    assert s.feed(fa.message(9, b"")) == [AgentMessage(9, 0, b"")]  # the next AGENT_DATA is clean


def test_agent_chunks_of_one_message_each() -> None:
    payload = bytes(range(256)) * 40
    s = AgentStream()
    events = []
    for chunk in fa.chunked(fa.message(4, payload)):
        events += s.feed(chunk)
    assert events == [AgentMessage(4, 0, payload)]


def test_bad_protocol_drops_rest_of_chunk_and_resyncs() -> None:
    s = AgentStream()
    bad = fa.message(4, b"abcd", protocol=2) + fa.message(3, b"\0" * 8)
    events = s.feed(bad)
    assert len(events) == 1 and isinstance(events[0], StreamError)
    assert events[0].dropped == len(bad)  # the bad header included
    assert s.feed(fa.message(3, b"\1\0\0\0\1\0\0\0")) == [AgentMessage(3, 0, b"\1\0\0\0\1\0\0\0")]


def test_oversized_message_is_skipped_not_buffered() -> None:
    s = AgentStream(max_message_size=100)
    big = fa.message(4, bytes(range(200)))
    events = []
    for chunk in fa.chunked(big, 64):
        events += s.feed(chunk)
    assert events == [SkippedMessage(4, 200, bytes(range(16)))]
    assert s.feed(fa.message(9, b"")) == [AgentMessage(9, 0, b"")]


def test_absurd_length_consumes_nothing_but_input() -> None:
    s = AgentStream()
    events = s.feed(fa.message(4, b"x" * 100, size=0xFFFFFFFF))
    assert events == [] and s.in_message
    assert s._skip_left == 0xFFFFFFFF - 100  # skipping, with no buffer grown
    assert len(s._body) == 0
    s.reset()
    assert not s.in_message


def test_send_tokens_queue_and_release() -> None:
    s = AgentStream(client_tokens=2)
    out = s.send(4, b"x" * 5000)  # three chunks
    assert len(out) == 2 and s.pending == 1 and s.client_tokens == 0
    assert s.send(9, b"") == [] and s.pending == 2
    released = s.on_tokens(1)
    assert len(released) == 1 and s.pending == 1
    assert s.on_tokens(5) == [fa.message(9, b"")]
    assert s.client_tokens == 4
    peer = fa.Peer()
    assert [t for c in out + released + [fa.message(9, b"")] for t, _ in peer.data(c)] == [4, 9]


def test_receive_tokens_returned_in_batches() -> None:
    s = AgentStream(receive_window=10)
    returned = 0
    for i in range(100):
        s.feed(fa.message(9, b""))
        n = s.tokens_to_return()
        returned += n
        outstanding = i + 1 - returned
        assert outstanding < 5  # the server never holds fewer than half its window
    assert returned + s.tokens_to_return(force=True) == 100


def test_unlimited_window_returns_nothing() -> None:
    s = AgentStream(receive_window=UNLIMITED_TOKENS)
    for _ in range(10):
        s.feed(b"")
    assert s.tokens_to_return(force=True) == 0


def test_reset_forgets_queue_and_partial_message() -> None:
    s = AgentStream(client_tokens=0)
    s.send(4, b"x" * 10)
    s.feed(fa.message(4, b"x" * 100)[:50])
    s.reset(client_tokens=3)
    assert s.pending == 0 and not s.in_message and s.client_tokens == 3
    assert s.tokens_to_return(force=True) == 0
    s.reset()
    assert s.client_tokens == 3  # None keeps the count


def test_encode_rejects_out_of_range() -> None:
    with pytest.raises(ValueError):
        encode_message(-1, b"")
    with pytest.raises(ValueError):
        AgentStream(receive_window=0)
