"""Bounds-checked little-endian reading and writing of SPICE wire data."""

from __future__ import annotations

import struct

from .errors import ProtocolError

_U32 = struct.Struct("<I")


class Reader:
    """Reads from one message body; offsets (SPICE pointers) are relative to its start."""

    __slots__ = ("buf", "pos", "end")

    def __init__(self, buf: bytes | bytearray | memoryview, pos: int = 0, end: int | None = None) -> None:
        self.buf = memoryview(buf).cast("B") if not isinstance(buf, memoryview) else buf
        self.pos = pos
        self.end = len(self.buf) if end is None else end

    def remaining(self) -> int:
        return self.end - self.pos

    def need(self, n: int, what: str = "data") -> None:
        if n < 0 or self.pos + n > self.end:
            raise ProtocolError(f"{what}: need {n} bytes at offset {self.pos}, message has {self.end}")

    def unpack(self, st: struct.Struct, what: str = "field") -> tuple:
        self.need(st.size, what)
        values = st.unpack_from(self.buf, self.pos)
        self.pos += st.size
        return values

    def take(self, n: int, what: str = "data") -> bytes:
        self.need(n, what)
        data = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return data

    def take_view(self, n: int, what: str = "data") -> memoryview:
        """A zero-copy view; used for large payloads such as pixel data."""
        self.need(n, what)
        view = self.buf[self.pos : self.pos + n]
        self.pos += n
        return view

    def at(self, offset: int, what: str = "pointer") -> Reader:
        """A reader positioned at a pointer's target inside the same message."""
        if offset < 0 or offset >= len(self.buf):
            raise ProtocolError(f"{what}: offset {offset} outside a {len(self.buf)}-byte message")
        return Reader(self.buf, offset, len(self.buf))

    def u32(self, what: str = "field") -> int:
        return self.unpack(_U32, what)[0]


class Writer:
    """Builds one message body; pointer targets are appended after the fixed part."""

    __slots__ = ("buf", "_pending")

    def __init__(self) -> None:
        self.buf = bytearray()
        self._pending: list[tuple[int, object, object]] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.buf += data

    def pack(self, st: struct.Struct, *values: object) -> None:
        self.buf += st.pack(*values)

    def defer_pointer(self, target_type: object, value: object) -> None:
        """Reserve a 32-bit offset now; the target is written once the fixed part is done."""
        self._pending.append((len(self.buf), target_type, value))
        self.buf += b"\0\0\0\0"

    def flush_pointers(self) -> None:
        while self._pending:
            pending, self._pending = self._pending, []
            for slot, target_type, value in pending:
                _U32.pack_into(self.buf, slot, len(self.buf))
                target_type.build(self, value)  # type: ignore[attr-defined]

    def getvalue(self) -> bytes:
        self.flush_pointers()
        return bytes(self.buf)
