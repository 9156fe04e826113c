"""A connected AgentSession facing a fake agent, and a clock the tests move by hand."""

from __future__ import annotations

from typing import Any

import fake_agent as fa

from spiceview.protocol.agent.session import AgentSession


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def connect(
    caps: tuple[int, ...] | list[int] = fa.VDAGENTD_CAPS, tokens: int = 1000, **options: Any
) -> tuple[AgentSession, fa.Peer, Clock]:
    clock = Clock()
    session = AgentSession(clock=clock, **options)
    peer = fa.Peer()
    session.on_agent_connected(tokens)
    events = session.on_agent_data(fa.announce(list(caps), request=0))
    assert session.caps_received, events
    peer.take(session)
    peer.messages.clear()
    return session, peer, clock


def feed(session: AgentSession, *messages: bytes) -> list[object]:
    """Agent messages to the session, each in the 2048-byte chunks an agent sends."""
    events: list[object] = []
    for msg in messages:
        for chunk in fa.chunked(msg):
            events += session.on_agent_data(chunk)
    return events


def sent(session: AgentSession, peer: fa.Peer) -> list[tuple[int, bytes]]:
    return peer.take(session)
