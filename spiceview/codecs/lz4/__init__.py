"""SPICE LZ4 images: a top_down byte, a bitmap-format byte, then LZ4 blocks of raw rows.

Each block is a big-endian u32 size and an LZ4 block that may reference up to 64 KiB of the
output decoded before it (the server compresses with one LZ4 stream across blocks), so each
block is decoded with the preceding output as its dictionary. Rows are packed width * bytes per
pixel, bottom-up unless top_down.
"""

from __future__ import annotations

import lz4.block
import numpy as np

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.image import DecodedImage, PixelFormat
from spiceview.codecs.lz._rows import flip_rows
from spiceview.codecs.lz.header import MAX_DIMENSION, MAX_PIXELS, byte_view

__all__ = ["decode_lz4"]

# SpiceBitmapFmt values LZ4 images may carry, and their bytes per pixel.
FMT_16BIT = 6
FMT_24BIT = 7
FMT_32BIT = 8
FMT_RGBA = 9
_BYTES_PER_PIXEL = {FMT_16BIT: 2, FMT_24BIT: 3, FMT_32BIT: 4, FMT_RGBA: 4}
_HISTORY = 64 * 1024  # LZ4's largest match distance
# LZ4 cannot expand one input byte into more than 255 output bytes (plus a little per block).
_MAX_RATIO = 256


def _inflate(data: memoryview, total: int) -> np.ndarray:
    out = np.empty(total, np.uint8)
    produced = 0
    pos = 2
    while True:
        if len(data) - pos < 4:
            raise DecodeError("LZ4 block header truncated")
        size = int.from_bytes(data[pos : pos + 4], "big")
        pos += 4
        if size == 0 or size > len(data) - pos:
            raise DecodeError("LZ4 block size out of range")
        history = out[max(0, produced - _HISTORY) : produced].tobytes()  # bytes: far faster than a view here
        # A block cannot grow past ~255x its size: asking for no more keeps each allocation small.
        limit = min(total - produced, size * _MAX_RATIO + 64)
        try:
            chunk = lz4.block.decompress(data[pos : pos + size], uncompressed_size=limit, dict=history)
        except (lz4.block.LZ4BlockError, ValueError, MemoryError) as exc:
            raise DecodeError(f"LZ4 block corrupt: {exc}") from None
        if not chunk:
            raise DecodeError("empty LZ4 block")
        out[produced : produced + len(chunk)] = np.frombuffer(chunk, np.uint8)
        produced += len(chunk)
        pos += size
        if pos >= len(data):
            break
    if produced != total:
        raise DecodeError(f"LZ4 data gives {produced} bytes, the image needs {total}")
    return out


def _widen_555(words: np.ndarray) -> np.ndarray:
    """x1r5g5b5 to B,G,R,0xFF, each 5-bit channel widened as (c << 3) | (c >> 2)."""
    pixels = np.empty(words.shape + (4,), np.uint8)
    for i, shift in enumerate((0, 5, 10)):
        c = ((words >> shift) & 31).astype(np.uint8)
        pixels[..., i] = (c << 3) | (c >> 2)
    pixels[..., 3] = 0xFF
    return pixels


def decode_lz4(data: bytes | bytearray | memoryview, width: int, height: int) -> DecodedImage:
    """Decode an LZ4 image of the size its descriptor gives (the stream itself has no size).

    16/24/32-bit images give XRGB32 with X = 0xFF, RGBA gives ARGB32 (alpha as sent).
    """
    if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION) or width * height > MAX_PIXELS:
        raise DecodeError(f"bad LZ4 image size {width}x{height}")
    buf = byte_view(data)
    if len(buf) < 2:
        raise DecodeError("LZ4 header truncated")
    top_down, fmt = buf[0] != 0, buf[1]
    bpp = _BYTES_PER_PIXEL.get(fmt)
    if bpp is None:
        raise DecodeError(f"unsupported LZ4 bitmap format {fmt}")
    total = width * height * bpp
    if total > (len(buf) - 2) * _MAX_RATIO:
        raise DecodeError("LZ4 data too short for its image size")
    raw = _inflate(buf, total)
    if fmt == FMT_16BIT:
        pixels = _widen_555(raw.view("<u2").reshape(height, width))
    elif fmt == FMT_24BIT:
        pixels = np.empty((height, width, 4), np.uint8)
        pixels[..., :3] = raw.reshape(height, width, 3)
        pixels[..., 3] = 0xFF
    else:
        pixels = raw.reshape(height, width, 4)
        if fmt == FMT_32BIT:
            pixels[..., 3] = 0xFF
    if not top_down:
        flip_rows(pixels.reshape(height, -1))
    fmt_out = PixelFormat.ARGB32 if fmt == FMT_RGBA else PixelFormat.XRGB32
    return DecodedImage(width, height, fmt_out, pixels)
