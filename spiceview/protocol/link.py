"""The link stage: the first bytes each channel connection exchanges, in both directions.

Client: SpiceLinkHeader + SpiceLinkMess + capability words. Server: SpiceLinkHeader + SpiceLinkReply (error,
RSA public key, capabilities). With auth selection the client then names a mechanism (4 bytes), sends the
encrypted ticket (128 bytes), and the server answers with a 4-byte SpiceLinkErr.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from .caps import caps_to_words, words_to_caps
from .constants import MAGIC, TICKET_PUBKEY_BYTES, VERSION_MAJOR, VERSION_MINOR, LinkErr
from .errors import ProtocolError

LINK_HEADER = struct.Struct("<4sIII")  # magic, major, minor, size
LINK_MESS = struct.Struct("<IBBIII")  # connection_id, channel_type, channel_id, n_common, n_channel, caps_offset
LINK_REPLY_HEAD = struct.Struct(f"<I{TICKET_PUBKEY_BYTES}sIII")  # error, pub_key, n_common, n_channel, offset
U32 = struct.Struct("<I")
# Caps words beyond this are hostile: real peers send one or two.
MAX_CAPS_WORDS = 1024
# A link reply body is about 200 bytes; refuse announcements far beyond that before buffering.
MAX_LINK_BODY = LINK_REPLY_HEAD.size + 8 * MAX_CAPS_WORDS


@dataclass(slots=True)
class LinkMess:
    connection_id: int
    channel_type: int
    channel_id: int
    common_caps: frozenset[int] = field(default_factory=frozenset)
    channel_caps: frozenset[int] = field(default_factory=frozenset)


@dataclass(slots=True)
class LinkReply:
    error: int
    pub_key: bytes
    common_caps: frozenset[int] = field(default_factory=frozenset)
    channel_caps: frozenset[int] = field(default_factory=frozenset)


def _pack_header(body_size: int, major: int = VERSION_MAJOR, minor: int = VERSION_MINOR) -> bytes:
    return LINK_HEADER.pack(MAGIC, major, minor, body_size)


def parse_link_header(data: bytes) -> tuple[int, int, int]:
    """(major, minor, body size) of a link header; ProtocolError when it is not one."""
    magic, major, minor, size = LINK_HEADER.unpack(data)
    if magic != MAGIC:
        raise ProtocolError(f"not a SPICE server (link magic {magic!r})")
    if major != VERSION_MAJOR:
        raise ProtocolError(f"server speaks SPICE protocol {major}.{minor}, spiceview speaks {VERSION_MAJOR}.x")
    if size > MAX_LINK_BODY:
        raise ProtocolError(f"link message of {size} bytes is absurd")
    return major, minor, size


def _caps_block(common: frozenset[int], channel: frozenset[int]) -> tuple[list[int], list[int], bytes]:
    cw, chw = caps_to_words(common), caps_to_words(channel)
    return cw, chw, struct.pack(f"<{len(cw) + len(chw)}I", *cw, *chw)


def _read_caps(body: bytes, offset: int, n_common: int, n_channel: int) -> tuple[frozenset[int], frozenset[int]]:
    if n_common > MAX_CAPS_WORDS or n_channel > MAX_CAPS_WORDS:
        raise ProtocolError("link message announces an absurd number of capabilities")
    end = offset + 4 * (n_common + n_channel)
    if offset < 0 or end > len(body):
        raise ProtocolError("link message capabilities lie outside the message")
    words = struct.unpack_from(f"<{n_common + n_channel}I", body, offset)
    return words_to_caps(words[:n_common]), words_to_caps(words[n_common:])


def encode_link_mess(mess: LinkMess) -> bytes:
    cw, chw, caps = _caps_block(mess.common_caps, mess.channel_caps)
    body = LINK_MESS.pack(mess.connection_id, mess.channel_type, mess.channel_id, len(cw), len(chw), LINK_MESS.size)
    return _pack_header(len(body) + len(caps)) + body + caps


def decode_link_mess_body(body: bytes) -> LinkMess:
    if len(body) < LINK_MESS.size:
        raise ProtocolError("link message too short")
    conn_id, ctype, cid, n_common, n_channel, offset = LINK_MESS.unpack_from(body)
    common, channel = _read_caps(body, offset, n_common, n_channel)
    return LinkMess(conn_id, ctype, cid, common, channel)


def encode_link_reply(reply: LinkReply) -> bytes:
    cw, chw, caps = _caps_block(reply.common_caps, reply.channel_caps)
    key = reply.pub_key.ljust(TICKET_PUBKEY_BYTES, b"\0")[:TICKET_PUBKEY_BYTES]
    body = LINK_REPLY_HEAD.pack(reply.error, key, len(cw), len(chw), LINK_REPLY_HEAD.size)
    return _pack_header(len(body) + len(caps)) + body + caps


def decode_link_reply_body(body: bytes) -> LinkReply:
    if len(body) < 4:
        raise ProtocolError("link reply too short")
    (error,) = U32.unpack_from(body)
    if error != LinkErr.OK:
        # An error reply may be cut short: the error code is all that matters.
        return LinkReply(error, b"")
    if len(body) < LINK_REPLY_HEAD.size:
        raise ProtocolError("link reply too short")
    error, key, n_common, n_channel, offset = LINK_REPLY_HEAD.unpack_from(body)
    common, channel = _read_caps(body, offset, n_common, n_channel)
    return LinkReply(error, key, common, channel)


def link_error_text(code: int) -> str:
    texts = {
        LinkErr.ERROR: "the server refused the connection",
        LinkErr.INVALID_MAGIC: "the server did not understand the link (bad magic)",
        LinkErr.INVALID_DATA: "the server rejected the link data",
        LinkErr.VERSION_MISMATCH: "protocol version mismatch",
        LinkErr.NEED_SECURED: "this channel must use TLS (the server asks for the secure port)",
        LinkErr.NEED_UNSECURED: "this channel must not use TLS",
        LinkErr.PERMISSION_DENIED: "permission denied: wrong password or ticket expired",
        LinkErr.BAD_CONNECTION_ID: "bad connection id (the session is gone)",
        LinkErr.CHANNEL_NOT_AVAILABLE: "channel not available",
    }
    try:
        return texts[LinkErr(code)]
    except (ValueError, KeyError):
        return f"link error {code}"
