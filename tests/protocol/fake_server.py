"""A test-side SPICE server, sans-IO, built from spiceview's own protocol encoders.

It answers a client's link with a real RSA-1024 key, decrypts the ticket the client sends, frames server messages
with the mini or the full header (optionally with a sub-message list), and reads back what the client sent.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from spiceview.protocol import link as linkmod
from spiceview.protocol.connection import ChannelConnection, Event
from spiceview.protocol.constants import TICKET_ENCRYPTED_BYTES, CommonCap, LinkErr
from spiceview.protocol.framing import FULL_HEADER, MINI_HEADER, SUB_MESSAGE
from spiceview.protocol.messages.registry import schema_for
from spiceview.protocol.schema import MessageDef, build_body, parse_body

SERVER_COMMON_CAPS = frozenset({CommonCap.PROTOCOL_AUTH_SELECTION, CommonCap.AUTH_SPICE, CommonCap.MINI_HEADER})
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


@functools.cache
def server_key() -> rsa.RSAPrivateKey:
    """One RSA-1024 key per test session, as spice-server makes one per link."""
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def public_der(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class ClientFrame:
    type: int
    serial: int | None  # None with the mini header
    body: bytes


@dataclass
class ClientOutput:
    """Everything a client sent, cut into its parts."""

    link: linkmod.LinkMess
    link_header: tuple[int, int, int]  # major, minor, body size
    mechanism: int | None
    ticket: bytes  # the 128 encrypted bytes
    password: bytes  # the ticket decrypted (with its NUL)
    frames: list[ClientFrame]

    def messages(self, channel_type: int) -> list[Any]:
        schema = schema_for(channel_type)
        return [parse_body(schema.client[f.type].layout, f.body) for f in self.frames]


@dataclass
class FakeServer:
    channel_type: int
    common_caps: frozenset[int] = SERVER_COMMON_CAPS
    channel_caps: frozenset[int] = frozenset()
    mini: bool = True  # the header this server frames messages with (set it to what the link agreed)
    key: rsa.RSAPrivateKey = field(default_factory=server_key)
    serial: int = 0

    # --- what the server sends ------------------------------------------------------------------------------

    def link_reply(self, error: int = LinkErr.OK) -> bytes:
        reply = linkmod.LinkReply(error, public_der(self.key), self.common_caps, self.channel_caps)
        return linkmod.encode_link_reply(reply)

    @staticmethod
    def link_result(code: int = LinkErr.OK) -> bytes:
        return struct.pack("<I", code)

    def frame(self, msg_type: int, body: bytes, *, sub_list: int = 0, serial: int | None = None) -> bytes:
        self.serial += 1
        if self.mini:
            assert not sub_list, "the mini header has no sub-message list"
            return MINI_HEADER.pack(msg_type, len(body)) + body
        return FULL_HEADER.pack(self.serial if serial is None else serial, msg_type, len(body), sub_list) + body

    def message(self, defn: MessageDef, value: Any = None, **fields: Any) -> bytes:
        return self.frame(defn.number, self.body(defn, value, **fields))

    @staticmethod
    def body(defn: MessageDef, value: Any = None, **fields: Any) -> bytes:
        return build_body(defn.layout, defn.cls(**fields) if value is None else value)

    def with_sub_messages(self, msg_type: int, body: bytes, subs: list[tuple[int, bytes]]) -> bytes:
        """A full-header message whose sub-message list (SpiceSubMessageList) follows its body."""
        data = bytearray(body)
        offsets = []
        for sub_type, sub_body in subs:
            offsets.append(len(data))
            data += SUB_MESSAGE.pack(sub_type, len(sub_body)) + sub_body
        sub_list = len(data)
        data += struct.pack(f"<H{len(offsets)}I", len(offsets), *offsets)
        return self.frame(msg_type, bytes(data), sub_list=sub_list)

    # --- what the client sent -------------------------------------------------------------------------------

    def read_client(self, data: bytes, *, auth_selection: bool | None = None, mini: bool | None = None) -> ClientOutput:
        """Cut the client's bytes: link header and message, mechanism word, ticket, then frames."""
        header = linkmod.LINK_HEADER.unpack_from(data)
        magic, major, minor, size = header
        assert magic == b"REDQ", magic
        pos = linkmod.LINK_HEADER.size
        link = linkmod.decode_link_mess_body(data[pos : pos + size])
        pos += size
        if auth_selection is None:
            auth_selection = (
                CommonCap.PROTOCOL_AUTH_SELECTION in self.common_caps
                and CommonCap.PROTOCOL_AUTH_SELECTION in link.common_caps
            )
        mechanism = None
        if auth_selection:
            (mechanism,) = struct.unpack_from("<I", data, pos)
            pos += 4
        ticket = data[pos : pos + TICKET_ENCRYPTED_BYTES]
        pos += TICKET_ENCRYPTED_BYTES
        password = self.key.decrypt(ticket, OAEP) if len(ticket) == TICKET_ENCRYPTED_BYTES else b""
        if mini is None:
            mini = self.mini
        return ClientOutput(link, (major, minor, size), mechanism, ticket, password, read_frames(data[pos:], mini))


def read_frames(data: bytes, mini: bool) -> list[ClientFrame]:
    frames = []
    pos = 0
    while pos < len(data):
        if mini:
            msg_type, size = MINI_HEADER.unpack_from(data, pos)
            serial = None
            pos += MINI_HEADER.size
        else:
            serial, msg_type, size, sub_list = FULL_HEADER.unpack_from(data, pos)
            assert sub_list == 0
            pos += FULL_HEADER.size
        assert pos + size <= len(data), "client frame cut short"
        frames.append(ClientFrame(msg_type, serial, data[pos : pos + size]))
        pos += size
    return frames


def linked_connection(
    channel_type: int, *, mini: bool = True, password: str = "", **kwargs: Any
) -> tuple[ChannelConnection, FakeServer]:
    """A client connection already through the link stage, and its server (whose framing matches)."""
    caps = SERVER_COMMON_CAPS if mini else SERVER_COMMON_CAPS - {CommonCap.MINI_HEADER}
    server = FakeServer(channel_type, common_caps=caps, mini=mini)
    conn = ChannelConnection(channel_type, password=password, **kwargs)
    conn.initiate()
    events = conn.receive_data(server.link_reply() + server.link_result())
    assert len(events) == 1 and events[0].mini_header == mini  # type: ignore[union-attr]
    conn.data_to_send()
    return conn, server


def feed_split(conn: ChannelConnection, data: bytes, cuts: list[int]) -> list[Event]:
    """Feed data in pieces cut at the given offsets."""
    events: list[Event] = []
    start = 0
    for cut in [*cuts, len(data)]:
        events += conn.receive_data(data[start:cut])
        start = cut
    return events
