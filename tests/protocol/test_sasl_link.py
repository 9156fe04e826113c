"""The SASL link stage of the sans-IO connection with a scripted SASL client (a 2-step mechanism and a toy
security layer), the server's bytes fed cut at every boundary: mechanism choice, steps with the wire's NUL and
"no data" markers, the clear result, the wrapped link result, then wrapped messages both ways."""

from __future__ import annotations

import struct

import pytest
from fake_server import FakeServer

from spiceview.protocol.connection import ChannelConnection, Linked, Received, State
from spiceview.protocol.constants import ChannelType, CommonCap, LinkErr
from spiceview.protocol.errors import LinkError
from spiceview.protocol.messages import base as basemsg

SASL_ONLY = frozenset({CommonCap.PROTOCOL_AUTH_SELECTION, CommonCap.AUTH_SASL, CommonCap.MINI_HEADER})
KEY = 0x5A


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def wrap(data: bytes) -> bytes:
    """The toy layer: length-prefixed packets of XORed bytes."""
    return struct.pack(">I", len(data)) + bytes(b ^ KEY for b in data)


class ToyClient:
    def __init__(self, layer: bool = True) -> None:
        self.with_layer = layer
        self.steps: list[bytes | None] = []
        self._pending = bytearray()
        self.finished = False

    def start(self, mechlist: str) -> tuple[str, bytes | None]:
        assert mechlist == "TOY,OTHER"
        return "TOY", None  # no initial response: the wire's length 0

    def step(self, challenge: bytes | None) -> tuple[bytes | None, bool]:
        self.steps.append(challenge)
        return (b"answer-%d" % len(self.steps), len(self.steps) == 2)

    def finish(self) -> bool:
        self.finished = True
        return self.with_layer

    def encode(self, data: bytes) -> bytes:
        return wrap(data)

    def decode(self, data: bytes) -> bytes:
        self._pending += data
        out = bytearray()
        while len(self._pending) >= 4:
            (size,) = struct.unpack_from(">I", self._pending)
            if len(self._pending) < 4 + size:
                break
            out += bytes(b ^ KEY for b in self._pending[4 : 4 + size])
            del self._pending[: 4 + size]
        return bytes(out)


def server_bytes(server: FakeServer, layer: bool) -> bytes:
    ping = server.message(basemsg.MSG_PING, id=7, timestamp=99)
    after = wrap(u32(LinkErr.OK)) + wrap(ping[:5]) + wrap(ping[5:]) if layer else u32(LinkErr.OK) + ping
    return (
        server.link_reply()
        + u32(10)
        + b",TOY,OTHER"  # the mechanism list, with spice-server's separators
        + u32(6)
        + b"hello\0"
        + b"\0"  # first challenge, not complete
        + u32(0)
        + b"\1"  # complete, no data
        + u32(LinkErr.OK)  # the exchange's result, in clear
        + after
    )


@pytest.mark.parametrize("layer", [True, False], ids=["layer", "tls"])
def test_sasl_link_fed_in_every_cut(layer: bool) -> None:
    server = FakeServer(ChannelType.MAIN, common_caps=SASL_ONLY)
    data = server_bytes(server, layer)
    for cut in range(1, len(data)):
        toy = ToyClient(layer)
        conn = ChannelConnection(ChannelType.MAIN, sasl=lambda bits, t=toy: t)  # type: ignore[misc]
        conn.initiate()
        sent = conn.data_to_send()
        events = conn.receive_data(data[:cut])
        sent += conn.data_to_send()
        events += conn.receive_data(data[cut:])
        sent += conn.data_to_send()
        assert conn.state is State.READY, cut
        assert [type(e) for e in events] == [Linked, Received] or [type(e) for e in events] == [Linked], cut
        assert toy.steps == [b"hello", None] and toy.finished
        link_size = struct.unpack_from("<I", sent, 12)[0] + 16
        auth = sent[link_size:]
        assert auth[:4] == u32(CommonCap.AUTH_SASL)
        assert auth[4:15] == u32(3) + b"TOY" + u32(0)  # mechanism, then "no initial response"
        assert auth[15 : 15 + 13] == u32(9) + b"answer-1\0"
        # The PONG went out through the layer.
        pong = auth[28:]
        assert (pong[:4] == struct.pack(">I", len(pong) - 4)) is layer


def test_client_without_sasl_says_so() -> None:
    server = FakeServer(ChannelType.MAIN, common_caps=SASL_ONLY)
    conn = ChannelConnection(ChannelType.MAIN)
    conn.initiate()
    with pytest.raises(LinkError, match="only SASL"):
        conn.receive_data(server.link_reply())


def test_server_hanging_up_during_sasl_is_a_refused_login() -> None:
    server = FakeServer(ChannelType.MAIN, common_caps=SASL_ONLY)
    conn = ChannelConnection(ChannelType.MAIN, sasl=lambda bits: ToyClient())  # type: ignore[arg-type,return-value]
    conn.initiate()
    conn.receive_data(server.link_reply() + u32(10) + b",TOY,OTHER")
    error = conn.lost_during_link()
    assert error is not None and error.code == LinkErr.PERMISSION_DENIED and "wrong user name or password" in str(error)


def test_oversized_sasl_data_is_refused() -> None:
    server = FakeServer(ChannelType.MAIN, common_caps=SASL_ONLY)
    conn = ChannelConnection(ChannelType.MAIN, sasl=lambda bits: ToyClient())  # type: ignore[arg-type,return-value]
    conn.initiate()
    with pytest.raises(LinkError, match="too long"):
        conn.receive_data(server.link_reply() + u32(1 << 30))


@pytest.mark.parametrize("layer", [True, False], ids=["layer", "tls"])
def test_first_messages_wait_for_the_sasl_result_then_lead(layer: bool) -> None:
    """With SASL there is no ticket to send them behind: they go first once linked, inside the layer if one runs."""
    server = FakeServer(ChannelType.MAIN, common_caps=SASL_ONLY)
    data = server_bytes(server, layer)
    ping = server.message(basemsg.MSG_PING, id=7, timestamp=99)
    link_result_and_ping = wrap(u32(LinkErr.OK)) + wrap(ping[:5]) + wrap(ping[5:]) if layer else u32(LinkErr.OK) + ping
    first = basemsg.MSGC_MIGRATE_FLUSH_MARK.cls()
    toy = ToyClient(layer)
    conn = ChannelConnection(ChannelType.MAIN, sasl=lambda bits: toy, with_ticket=lambda caps: [first])  # type: ignore[arg-type,return-value]
    conn.initiate()
    sent = conn.data_to_send()
    assert conn.receive_data(data[: -len(link_result_and_ping)]) == []
    sent += conn.data_to_send()
    events = conn.receive_data(link_result_and_ping)
    assert events == [Linked(SASL_ONLY, frozenset(), True, sent_with_ticket=True)]  # the PING is answered within
    after = conn.data_to_send()
    plain = ToyClient().decode(after) if layer else after
    flush_mark = struct.pack("<HI", basemsg.MSGC_MIGRATE_FLUSH_MARK.number, 0)
    assert plain.startswith(flush_mark)  # before the PONG
    assert flush_mark not in sent
