"""Writing screenshots as PNG with the standard library: fast (zlib level 1) and no GUI toolkit needed."""

from __future__ import annotations

import struct
import zlib

import numpy as np


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(rgb: np.ndarray, level: int = 1) -> bytes:
    """An (H, W, 3) uint8 R, G, B array as an opaque 8-bit PNG; level 1 trades size for speed."""
    height, width = rgb.shape[:2]
    rows = np.empty((height, 1 + width * 3), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None: screens compress well without filtering, and it is fastest
    rows[:, 1:] = rgb.reshape(height, width * 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)),
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
