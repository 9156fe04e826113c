"""Message framing after the link: the full data header or, when both sides agree, the mini header."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .errors import ProtocolError
from .messages import base as _base
from .raw_buffer import uninitialised

FULL_HEADER = struct.Struct("<QHII")  # serial, type, size, sub_list
MINI_HEADER = struct.Struct("<HI")  # type, size
SUB_MESSAGE = struct.Struct("<HI")  # type, size
# A frame above this is hostile or broken; a 4K uncompressed bitmap is about 33 MB.
MAX_MESSAGE_SIZE = 256 << 20
# SPICE_MSG_LIST: a body that is only a sub-message list (spice-server sends it with the mini header).
MSG_LIST = _base.MSG_LIST.number
# Bodies at least this large are filled in place as they arrive (images, stream frames).
LARGE_BODY = 1 << 16

Body = bytes | memoryview  # a large body is a view of the buffer it was received into


@dataclass(slots=True)
class Frame:
    type: int
    body: Body
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
        # A large message still arriving: its header, and a buffer of its body's size that the bytes go into as
        # they arrive (the caller may receive straight into it: `receive_buffer`). The buffer is uninitialised
        # memory, so a header claiming a large size costs address space, not resident memory: pages become
        # resident as bytes arrive.
        self._large: tuple[int, int, int] | None = None  # type, serial, sub_list
        self._body: memoryview | None = None  # as long as the body: the size is len(self._body)
        self._filled = 0
        self._serial = 0
        self.messages_read = 0
        self.unattached_acks = 0

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        frames: list[Frame] = []
        if self._large is not None:
            data = self._fill_large(memoryview(data).cast("B"), frames)
            if self._large is not None:
                return frames
        self._buf += data
        header = MINI_HEADER if self.mini else FULL_HEADER
        consumed = 0
        with memoryview(self._buf) as buf:
            while len(buf) - consumed >= header.size:
                if self.mini:
                    msg_type, size = header.unpack_from(buf, consumed)
                    sub_list = 0
                    # The mini header carries no serial: both sides count messages instead.
                    serial = self._serial + 1
                else:
                    serial, msg_type, size, sub_list = header.unpack_from(buf, consumed)
                if size > MAX_MESSAGE_SIZE:
                    raise ProtocolError(f"message of {size} bytes (type {msg_type}) is larger than any real one")
                start = consumed + header.size
                if len(buf) - start < size:
                    if size >= LARGE_BODY:
                        self._body = uninitialised(size)
                        self._filled = len(buf) - start
                        self._body[: self._filled] = buf[start:]
                        self._large = (msg_type, serial, sub_list)
                        consumed = len(buf)
                    break
                consumed = start + size
                self._emit(frames, msg_type, serial, sub_list, bytes(buf[start:consumed]))
        del self._buf[:consumed]
        return frames

    def _fill_large(self, view: memoryview, frames: list[Frame]) -> memoryview:
        """Copy what belongs to the large message into its buffer; returns the bytes after it."""
        assert self._body is not None
        n = min(len(self._body) - self._filled, len(view))
        self._body[self._filled : self._filled + n] = view[:n]
        self._filled += n
        self._complete_large(frames)
        return view[n:]

    def receive_buffer(self) -> memoryview | None:
        """The part of a large body still to arrive, to receive into in place (then `received_into`); None when
        no large message is pending (then bytes go through `feed`)."""
        if self._body is None:
            return None
        return self._body[self._filled :]

    def received_into(self, n: int) -> list[Frame]:
        """`n` bytes were written at the start of `receive_buffer()`'s view: the message they complete, if any."""
        assert self._body is not None and 0 <= n <= len(self._body) - self._filled
        self._filled += n
        frames: list[Frame] = []
        self._complete_large(frames)
        return frames

    def _complete_large(self, frames: list[Frame]) -> None:
        body = self._body
        if body is None or self._filled < len(body):
            return
        assert self._large is not None  # set with the body
        msg_type, serial, sub_list = self._large
        self._large = None
        self._body = None
        self._emit(frames, msg_type, serial, sub_list, body)

    def _emit(self, frames: list[Frame], msg_type: int, serial: int, sub_list: int, body: Body) -> None:
        self._serial = serial
        self.messages_read += 1
        try:
            subs = self._sub_messages(body, 0, serial) if msg_type == MSG_LIST else []
            if sub_list:
                subs = self._sub_messages(body, sub_list, serial)
        except ProtocolError as exc:
            frames.append(Frame(msg_type, body, serial, acks=1, error=str(exc)))
            return
        if msg_type == MSG_LIST:
            if subs:
                subs[-1].acks = 1
            else:
                self.unattached_acks += 1
            frames.extend(subs)
            return
        if sub_list:
            frames.extend(subs)
            body = body[:sub_list]
        frames.append(Frame(msg_type, body, serial, acks=1))

    def continue_after(self, serial: int) -> None:
        """Number the next message serial + 1 (the mini header carries none; with the full header the wire's
        serial still wins). A seamless migration continues the source's numbering on the destination."""
        self._serial = serial

    def take_unattached_acks(self) -> int:
        """Wire messages that produced no frame (an empty list) but still count for the ACK window."""
        n, self.unattached_acks = self.unattached_acks, 0
        return n

    def _sub_messages(self, body: Body, offset: int, serial: int) -> list[Frame]:
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
        if self._large is None:
            return len(self._buf)
        return (MINI_HEADER if self.mini else FULL_HEADER).size + self._filled
