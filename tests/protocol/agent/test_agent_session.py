"""AgentSession: start-up, capability exchange, token flow with the server, reconnection, hostile agents."""

from __future__ import annotations

import random
import struct

import fake_agent as fa
from agent_helpers import connect, feed, sent

from spiceview.protocol.agent import clipboard as cb
from spiceview.protocol.agent import file_xfer as fx
from spiceview.protocol.agent import session as se
from spiceview.protocol.agent import stream as st
from spiceview.protocol.agent.messages import AgentCap
from spiceview.protocol.agent.session import (
    AgentCapabilities,
    AgentConnected,
    AgentDisconnected,
    AgentIgnoredMessage,
    AgentMalformedMessage,
    AgentReply,
    AgentSession,
)

EVENT_TYPES = tuple(
    cls
    for module in (cb, fx, se, st)
    for name, cls in vars(module).items()
    if isinstance(cls, type) and cls.__module__ == module.__name__ and hasattr(cls, "__dataclass_fields__")
)


def test_start_and_announce_like_spice_gtk() -> None:
    s = AgentSession()
    peer = fa.Peer()
    assert s.on_init(False, 10) == []
    assert s.take_messages() == []
    assert s.on_agent_connected() == [AgentConnected()]  # AGENT_CONNECTED: INIT's tokens
    msgs = peer.take(s)
    assert peer.started == [64]
    assert msgs == [(fa.ANNOUNCE_CAPABILITIES, struct.pack("<II", 1, 0x00035077))]  # request=1, spice-gtk's caps
    assert s.stream.client_tokens == 9
    events = feed(s, fa.announce(fa.VDAGENTD_CAPS, request=1))
    assert events == [AgentCapabilities(frozenset(fa.VDAGENTD_CAPS), True)]
    assert [t for t, _ in peer.take(s)] == [fa.ANNOUNCE_CAPABILITIES, fa.MAX_CLIPBOARD]
    assert peer.of_type(fa.ANNOUNCE_CAPABILITIES)[1][:4] == b"\0\0\0\0"
    assert s.clipboard.available and s.caps_received
    assert AgentCap.CLIPBOARD_GRAB_SERIAL in s.agent_caps


def test_init_with_agent_starts_it() -> None:
    s = AgentSession(receive_window=st.UNLIMITED_TOKENS)
    assert s.on_init(True, 5) == [AgentConnected()]
    peer = fa.Peer()
    peer.take(s)
    assert peer.started == [0xFFFFFFFF]
    for _ in range(50):
        s.on_agent_data(fa.message(fa.REPLY, b"\1\0\0\0\1\0\0\0"))
    peer.take(s)
    assert peer.returned == 0  # nothing to return from an unlimited window


def test_tokens_to_the_server_and_back() -> None:
    s = AgentSession(receive_window=8)
    peer = fa.Peer()
    s.on_agent_connected(0)  # no tokens: the announcement waits
    peer.take(s)
    assert peer.messages == [] and s.stream.pending == 1
    s.on_agent_token(1)
    assert [t for t, _ in peer.take(s)] == [fa.ANNOUNCE_CAPABILITIES]
    feed(s, fa.announce(fa.VDAGENTD_CAPS))
    received = 1
    for _ in range(30):
        feed(s, fa.reply(fa.MONITORS_CONFIG, 1))
        received += 1
        peer.take(s)
        assert received - peer.returned < 4  # returned in batches of half the window
    assert peer.started == [8]


def test_agent_connected_tokens_resets_the_count_and_queue() -> None:
    s = AgentSession()
    peer = fa.Peer()
    s.on_init(True, 0)
    peer.take(s)  # AGENT_START went out; the announcement waits for a token
    s.clipboard_grab(0, [1])
    s.on_agent_connected(3)  # AGENT_CONNECTED_TOKENS after a quick restart of the agent
    peer.take(s)
    assert peer.started == [64, 64]
    assert [t for t, _ in peer.messages] == [fa.ANNOUNCE_CAPABILITIES]
    assert s.stream.client_tokens == 2


def test_disconnect_and_reconnect() -> None:
    s, peer, _ = connect()
    assert s.on_agent_disconnected(5) == [AgentDisconnected(5)]
    assert s.on_agent_disconnected(5) == []
    assert not s.connected and not s.caps_received and s.agent_caps == frozenset()
    assert s.on_agent_token(10) == [] and s.take_messages() == []  # no tokens returned to a gone agent
    s.on_agent_connected(10)
    feed(s, fa.announce(fa.VDAGENTD_CAPS))
    assert s.caps_received


def test_messages_a_client_does_not_expect() -> None:
    s, _, _ = connect()
    events = feed(s, fa.message(99, b"abc"), fa.message(fa.MONITORS_CONFIG, b"\0" * 8), fa.message(0, b""))
    assert events == [
        AgentIgnoredMessage(99, 3, "unknown message type"),
        AgentIgnoredMessage(fa.MONITORS_CONFIG, 8, "not meant for a client"),
        AgentIgnoredMessage(0, 0, "unknown message type"),
    ]


def test_malformed_messages_become_events() -> None:
    s, _, _ = connect()
    events = feed(
        s,
        fa.message(fa.REPLY, b"\1\0\0\0"),
        fa.message(fa.ANNOUNCE_CAPABILITIES, b"\1\0"),
        fa.message(fa.CLIPBOARD_GRAB, b"\0\0\0\0\0\0\0\0\1\0"),  # half a type
        fa.message(fa.CLIPBOARD_REQUEST, b"\7\0\0\0\1\0\0\0"),  # selection 7
        fa.message(fa.FILE_XFER_STATUS, b"\1\0\0\0"),
        fa.message(fa.MAX_CLIPBOARD, b""),
        fa.reply(fa.MONITORS_CONFIG, 1),
    )
    assert [type(e) for e in events] == [AgentMalformedMessage] * 6 + [AgentReply]


def _hostile_message(rng: random.Random) -> bytes:
    kind = rng.random()
    msg_type = rng.choice([*range(0, 18), 0xFFFFFFFF, rng.randrange(1 << 32)])
    payload = rng.randbytes(rng.choice([0, 1, 3, 4, 5, 8, 9, 12, 13, 20, 100, 3000]))
    if kind < 0.15:
        return rng.randbytes(rng.randrange(0, 4000))  # garbage
    if kind < 0.25:
        return fa.message(msg_type, payload, protocol=rng.randrange(1 << 32))
    if kind < 0.35:
        return fa.message(msg_type, payload, size=rng.choice([0, 1, len(payload) + 1, 0xFFFFFFFF, 200 << 20]))
    if kind < 0.45:  # well-formed clipboard traffic with random numbers
        sel = rng.choice([0, 1, 2, 3, 255])
        return rng.choice(
            [
                fa.grab([rng.randrange(8) for _ in range(rng.randrange(5))], selection=sel, serial=rng.randrange(4)),
                fa.request(rng.randrange(8), selection=sel),
                fa.release(selection=sel),
                fa.clipboard(rng.randrange(8), rng.randbytes(rng.randrange(50)), selection=sel),
            ]
        )
    if kind < 0.55:
        return fa.xfer_status(rng.randrange(5), rng.randrange(10), rng.randbytes(rng.randrange(12)))
    if kind < 0.6:
        words = [rng.randrange(1 << 32) for _ in range(rng.randrange(0, 300))]
        return fa.message(fa.ANNOUNCE_CAPABILITIES, struct.pack(f"<I{len(words)}I", rng.randrange(3), *words))
    return fa.message(msg_type, payload)


def test_hostile_agent_only_produces_events() -> None:
    for seed in range(60):
        rng = random.Random(seed)
        s, peer, clock = connect(tokens=rng.choice([0, 3, 1000]), max_clipboard=5000, file_chunk_size=512)
        s.send_file("f", 3000, lambda n: b"x" * n)
        s.clipboard_grab(0, [1, 2])
        for _ in range(80):
            data = _hostile_message(rng)
            cuts = sorted(rng.sample(range(len(data) + 1), min(len(data) + 1, rng.randrange(0, 4))))
            for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True):
                for event in s.on_agent_data(data[a:b]):
                    assert isinstance(event, EVENT_TYPES), event
            if rng.random() < 0.2:
                s.on_agent_token(rng.randrange(5))
            if rng.random() < 0.1:
                clock.now += rng.random() * 20
                s.on_timer()
            if rng.random() < 0.1:
                s.clipboard_request(rng.randrange(3), rng.randrange(4))
                s.clipboard_reply(rng.randrange(3), rng.randrange(4), rng.randbytes(rng.randrange(20)))
            if rng.random() < 0.03:
                s.on_agent_disconnected(0)
                s.on_agent_connected(rng.randrange(100))
            peer.take(s)  # whatever went out still passes spice-server's filter
        s.on_agent_token(10_000)
        peer.take(s)
        assert s.stream.pending == 0


def test_session_still_works_after_garbage() -> None:
    s, peer, _ = connect()
    feed(s, b"\xff" * 5000, fa.message(fa.REPLY, b"short", size=1 << 31))
    s.stream.reset()  # what on_agent_disconnected/connected would do after a skip that never ends
    assert feed(s, fa.reply(fa.MONITORS_CONFIG, 1)) == [AgentReply(fa.MONITORS_CONFIG, 1)]
    feed(s, fa.grab([1], serial=0))
    assert s.clipboard_request(0, 1)
    assert sent(s, peer) == [(fa.CLIPBOARD_REQUEST, fa.request(1)[20:])]
