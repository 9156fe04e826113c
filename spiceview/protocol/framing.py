"""Message framing after the link: the full data header or, when both sides agree, the mini header."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import ProtocolError

FULL_HEADER = struct.Struct("<QHII")  # serial, type, size, sub_list
MINI_HEADER = struct.Struct("<HI")  # type, size
SUB_MESSAGE = struct.Struct("<HI")  # type, size
# A frame above this is hostile or broken; a 4K uncompressed bitmap is about 33 MB.
MAX_MESSAGE_SIZE = 256 << 20
# SPICE_MSG_LIST: a body that is only a sub-message list (spice-server sends it with the mini header).
MSG_LIST = 8


@dataclass(slots=True)
class Frame:
    type: int
    body: bytes
    serial: int = 0
    # 1 on the last frame of each wire message: the ACK window counts wire messages, not sub-messages.
    acks: int = 0
    # Set when the frame was sound but its sub-message list was not: the message is skipped, not fatal.
    error: str | None = None


def encode_frame(msg_type: int, body: bytes, *, mini: bool, serial: int = 0) -> bytes:
    if mini:
        return MINI_HEADER.pack(msg_type, len(body)) + body
    return FULL_HEADER.pack(serial, msg_type, len(body), 0) + body


class FrameReader:
    """Accumulates received bytes and cuts them into frames; sub-message lists are expanded in order.

    `messages_read` counts wire messages (what the ACK window counts), however many frames they expand to.
    """

    def __init__(self, mini: bool) -> None:
        self.mini = mini
        self._buf = bytearray()
        self._serial = 0
        self.messages_read = 0
        self.unattached_acks = 0

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        self._buf += data
        frames: list[Frame] = []
        header = MINI_HEADER if self.mini else FULL_HEADER
        while len(self._buf) >= header.size:
            if self.mini:
                msg_type, size = header.unpack_from(self._buf)
                sub_list = 0
                # The mini header carries no serial: both sides count messages instead.
                serial = self._serial + 1
            else:
                serial, msg_type, size, sub_list = header.unpack_from(self._buf)
            if size > MAX_MESSAGE_SIZE:
                raise ProtocolError(f"message of {size} bytes (type {msg_type}) is larger than any real one")
            if len(self._buf) < header.size + size:
                break
            body = bytes(self._buf[header.size : header.size + size])
            del self._buf[: header.size + size]
            self._serial = serial
            self.messages_read += 1
            try:
                subs = self._sub_messages(body, 0, serial) if msg_type == MSG_LIST else []
                if sub_list:
                    subs = self._sub_messages(body, sub_list, serial)
            except ProtocolError as exc:
                frames.append(Frame(msg_type, body, serial, acks=1, error=str(exc)))
                continue
            if msg_type == MSG_LIST:
                if subs:
                    subs[-1].acks = 1
                else:
                    self.unattached_acks += 1
                frames.extend(subs)
                continue
            if sub_list:
                frames.extend(subs)
                body = body[:sub_list]
            frames.append(Frame(msg_type, body, serial, acks=1))
        return frames

    def take_unattached_acks(self) -> int:
        """Wire messages that produced no frame (an empty list) but still count for the ACK window."""
        n, self.unattached_acks = self.unattached_acks, 0
        return n

    def _sub_messages(self, body: bytes, offset: int, serial: int) -> list[Frame]:
        if offset + 2 > len(body):
            raise ProtocolError("sub-message list outside its message")
        (count,) = struct.unpack_from("<H", body, offset)
        if offset + 2 + 4 * count > len(body):
            raise ProtocolError("sub-message list longer than its message")
        offsets = struct.unpack_from(f"<{count}I", body, offset + 2)
        frames = []
        for sub in offsets:
            if sub + SUB_MESSAGE.size > len(body):
                raise ProtocolError("sub-message outside its message")
            msg_type, size = SUB_MESSAGE.unpack_from(body, sub)
            start = sub + SUB_MESSAGE.size
            if start + size > len(body):
                raise ProtocolError("sub-message longer than its message")
            frames.append(Frame(msg_type, body[start : start + size], serial))
        return frames

    @property
    def buffered(self) -> int:
        return len(self._buf)
