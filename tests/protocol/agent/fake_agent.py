"""The server and the guest agent as a client sees them, for tests: no spiceview code on this side.

`Peer` takes the session's main-channel messages and checks every AGENT_DATA as spice-server's agent message
filter does (at most 2048 bytes, a new message starts with a whole header of protocol 1, no AGENT_DATA holds
the end of one message and the start of another), reassembles the agent messages, and counts tokens both ways.
The agent's own messages are packed here with `struct`, byte by byte as vd_agent.h lays them out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

HEADER = struct.Struct("<IIQI")
MAX_DATA = 2048

# vd_agent.h numbers, spelled out again so the tests do not trust spiceview's tables.
MOUSE_STATE, MONITORS_CONFIG, REPLY, CLIPBOARD, DISPLAY_CONFIG, ANNOUNCE_CAPABILITIES = 1, 2, 3, 4, 5, 6
CLIPBOARD_GRAB, CLIPBOARD_REQUEST, CLIPBOARD_RELEASE = 7, 8, 9
FILE_XFER_START, FILE_XFER_STATUS, FILE_XFER_DATA, CLIENT_DISCONNECTED, MAX_CLIPBOARD = 10, 11, 12, 13, 14
AUDIO_VOLUME_SYNC, GRAPHICS_DEVICE_INFO = 15, 16

CAP_MOUSE_STATE, CAP_MONITORS_CONFIG, CAP_REPLY, CAP_CLIPBOARD, CAP_DISPLAY_CONFIG = 0, 1, 2, 3, 4
CAP_BY_DEMAND, CAP_SELECTION, CAP_SPARSE, CAP_LF, CAP_CRLF, CAP_MAX_CLIPBOARD = 5, 6, 7, 8, 9, 10
CAP_VOLUME, CAP_POSITION, CAP_XFER_DISABLED, CAP_XFER_DETAILED, CAP_DEVICE_INFO = 11, 12, 13, 14, 15
CAP_NO_RELEASE_ON_REGRAB, CAP_GRAB_SERIAL = 16, 17

# What spice-vdagentd 0.22 announces (its send_capabilities()).
VDAGENTD_CAPS = (
    CAP_MOUSE_STATE,
    CAP_MONITORS_CONFIG,
    CAP_REPLY,
    CAP_BY_DEMAND,
    CAP_SELECTION,
    CAP_SPARSE,
    CAP_LF,
    CAP_MAX_CLIPBOARD,
    CAP_VOLUME,
    CAP_DEVICE_INFO,
    CAP_NO_RELEASE_ON_REGRAB,
    CAP_GRAB_SERIAL,
)

UTF8, PNG = 1, 2
CAN_SEND_DATA, CANCELLED, ERROR, SUCCESS, NOT_ENOUGH_SPACE, SESSION_LOCKED, NOT_CONNECTED, DISABLED = range(8)


def caps_words(caps: tuple[int, ...] | list[int]) -> list[int]:
    words = [0] * (max(caps, default=0) // 32 + 1)
    for cap in caps:
        words[cap // 32] |= 1 << (cap % 32)
    return words


def message(msg_type: int, payload: bytes, protocol: int = 1, size: int | None = None) -> bytes:
    return HEADER.pack(protocol, msg_type, 0, len(payload) if size is None else size) + payload


def chunked(data: bytes, size: int = MAX_DATA) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def announce(caps: tuple[int, ...] | list[int], request: int = 0) -> bytes:
    words = caps_words(caps)
    return message(ANNOUNCE_CAPABILITIES, struct.pack(f"<I{len(words)}I", request, *words))


def sel_prefix(selection: int | None) -> bytes:
    return b"" if selection is None else bytes([selection, 0, 0, 0])


def grab(types: list[int], selection: int | None = 0, serial: int | None = 0) -> bytes:
    body = sel_prefix(selection) + (b"" if serial is None else struct.pack("<I", serial))
    return message(CLIPBOARD_GRAB, body + struct.pack(f"<{len(types)}I", *types))


def request(clip_type: int, selection: int | None = 0) -> bytes:
    return message(CLIPBOARD_REQUEST, sel_prefix(selection) + struct.pack("<I", clip_type))


def release(selection: int | None = 0) -> bytes:
    return message(CLIPBOARD_RELEASE, sel_prefix(selection))


def clipboard(clip_type: int, data: bytes, selection: int | None = 0) -> bytes:
    return message(CLIPBOARD, sel_prefix(selection) + struct.pack("<I", clip_type) + data)


def xfer_status(xfer_id: int, result: int, detail: bytes = b"") -> bytes:
    return message(FILE_XFER_STATUS, struct.pack("<II", xfer_id, result) + detail)


def reply(msg_type: int, error: int) -> bytes:
    return message(REPLY, struct.pack("<II", msg_type, error))


@dataclass
class Peer:
    """What the server (and through it the agent) got from the client."""

    messages: list[tuple[int, bytes]] = field(default_factory=list)  # complete agent messages
    chunks: list[bytes] = field(default_factory=list)  # every AGENT_DATA payload
    started: list[int] = field(default_factory=list)  # AGENT_START num_tokens
    returned: int = 0  # tokens the client handed back
    _to_read: int = 0
    _current: tuple[int, bytearray] | None = None

    def take(self, session: Any) -> list[tuple[int, bytes]]:
        """Consume the session's outgoing messages; returns the agent messages they completed."""
        done: list[tuple[int, bytes]] = []
        for msg in session.take_messages():
            name = type(msg).__name__
            if name == "MsgcMainAgentStart":
                self.started.append(msg.num_tokens)
            elif name == "MsgcMainAgentToken":
                assert msg.num_tokens > 0
                self.returned += msg.num_tokens
            elif name == "MsgcMainAgentData":
                done += self.data(msg.data)
            else:
                raise AssertionError(f"unexpected main message {name}")
        self.messages += done
        return done

    def data(self, data: bytes) -> list[tuple[int, bytes]]:
        """spice-server's agent_msg_filter_process_data(), plus reassembly."""
        assert len(data) <= MAX_DATA, f"AGENT_DATA of {len(data)} bytes"
        self.chunks.append(data)
        if self._to_read:
            assert len(data) <= self._to_read, "AGENT_DATA holds more than the rest of its message"
            assert self._current is not None
            self._current[1].extend(data)
            self._to_read -= len(data)
        else:
            assert len(data) >= HEADER.size, "a message's first AGENT_DATA must hold its whole header"
            protocol, msg_type, _, size = HEADER.unpack_from(data)
            assert protocol == 1
            body = data[HEADER.size :]
            assert len(body) <= size, "AGENT_DATA holds more than its message"
            self._current = (msg_type, bytearray(body))
            self._to_read = size - len(body)
        if self._to_read == 0 and self._current is not None:
            msg_type, body = self._current
            self._current = None
            return [(msg_type, bytes(body))]
        return []

    def of_type(self, msg_type: int) -> list[bytes]:
        return [p for t, p in self.messages if t == msg_type]
