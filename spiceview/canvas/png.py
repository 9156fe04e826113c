"""Writing screenshots as PNG with the standard library: fast (zlib level 1) and no GUI toolkit needed."""

from __future__ import annotations

import struct
import threading
import zlib

import numpy as np

PARALLEL_MIN_BYTES = 1 << 20  # below this a second thread costs more than it saves


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _deflate(data: memoryview, level: int, last: bool) -> bytes:
    """Raw deflate of `data`; a part that is not the last ends on a byte boundary (a sync flush), so that the next
    part's blocks can follow it in the same stream."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def zlib_stream(data: bytes | memoryview, level: int = 1) -> bytes:
    """`zlib.compress(data, level)`'s format, the two halves compressed at once on two threads (zlib lets go of
    the GIL): a one-shot screenshot waits for this, ~7 ms for a 1024x768 screen on one core. The second half
    cannot refer back into the first, which costs a few bytes."""
    if len(data) < PARALLEL_MIN_BYTES:
        return zlib.compress(data, level)
    view = memoryview(data)
    half = len(data) // 2
    first: list[bytes] = []

    def deflate_first() -> None:
        try:
            first.append(_deflate(view[:half], level, False))
        except MemoryError:
            pass  # done again below, on this thread

    helper = threading.Thread(target=deflate_first, daemon=True)
    helper.start()
    second = _deflate(view[half:], level, True)
    helper.join()
    if not first:
        return zlib.compress(data, level)
    header = b"\x78\x01"  # deflate with a 32 KiB window, no preset dictionary, "fastest" (check bits make it % 31)
    return header + first[0] + second + struct.pack(">I", zlib.adler32(data))


def encode_png(rgb: np.ndarray, level: int = 1) -> bytes:
    """An (H, W, 3) uint8 R, G, B array as an opaque 8-bit PNG; level 1 trades size for speed."""
    height, width = rgb.shape[:2]
    rows = np.empty((height, 1 + width * 3), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None: screens compress well without filtering, and it is fastest
    rows[:, 1:].reshape(height, width, 3)[...] = rgb
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib_stream(rows.data.cast("B"), level)),  # no bytes copy of the rows
            _chunk(b"IEND", b""),
        ]
    )


def write_png(rgb: np.ndarray, path: str) -> None:
    with open(path, "wb") as fh:
        fh.write(encode_png(rgb))


def read_png(path: str) -> np.ndarray:
    """A PNG file of any colour type as (H, W, 3) uint8 R, G, B (transparent pixels on black), by cairo's reader.

    OSError / ValueError with the path when the file cannot be read as a PNG."""
    import cairo

    try:
        surface = cairo.ImageSurface.create_from_png(path)
    except (cairo.Error, MemoryError) as exc:
        raise ValueError(f"{path}: not a PNG picture ({exc})") from None
    width, height, stride = surface.get_width(), surface.get_height(), surface.get_stride()
    data = np.frombuffer(surface.get_data(), dtype=np.uint8).reshape(height, stride)[:, : width * 4]
    # cairo's ARGB32 is native-endian 32-bit: B, G, R, A in memory here, colour premultiplied by alpha.
    return np.ascontiguousarray(data.reshape(height, width, 4)[:, :, 2::-1])
