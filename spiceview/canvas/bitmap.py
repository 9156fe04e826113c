"""Uncompressed SPICE bitmaps (every SpiceBitmapFmt) to canvas pixels, vectorised with numpy."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..codecs.errors import DecodeError
from ..codecs.image import DecodedImage, PixelFormat
from ..protocol.constants import BitmapFmt

# Bits per pixel of each format.
BITS = {
    BitmapFmt.BIT1_LE: 1,
    BitmapFmt.BIT1_BE: 1,
    BitmapFmt.BIT4_LE: 4,
    BitmapFmt.BIT4_BE: 4,
    BitmapFmt.BIT8: 8,
    BitmapFmt.BIT16: 16,
    BitmapFmt.BIT24: 24,
    BitmapFmt.BIT32: 32,
    BitmapFmt.RGBA: 32,
    BitmapFmt.BIT8_A: 8,
}
PALETTED = {BitmapFmt.BIT1_LE, BitmapFmt.BIT1_BE, BitmapFmt.BIT4_LE, BitmapFmt.BIT4_BE, BitmapFmt.BIT8}
MAX_PIXELS = 1 << 28


def palette_to_bgrx(ents: list[int] | np.ndarray) -> np.ndarray:
    """(N, 4) uint8 B, G, R, 0xFF rows from 32-bit xRGB palette entries."""
    table = np.asarray(ents, dtype="<u4").view(np.uint8).reshape(-1, 4).copy()
    table[:, 3] = 0xFF
    return table


def indices(rows: np.ndarray, fmt: BitmapFmt, width: int) -> np.ndarray:
    """Palette indices (H, W) from packed rows (H, stride)."""
    if fmt is BitmapFmt.BIT8:
        return rows[:, :width]
    if fmt in (BitmapFmt.BIT1_LE, BitmapFmt.BIT1_BE):
        order: Literal["little", "big"] = "little" if fmt is BitmapFmt.BIT1_LE else "big"
        return np.unpackbits(rows, axis=1, bitorder=order)[:, :width]
    high, low = rows >> 4, rows & 0x0F
    # BE: the first pixel of a byte is its high nibble; LE: its low nibble.
    first, second = (high, low) if fmt is BitmapFmt.BIT4_BE else (low, high)
    out = np.empty((rows.shape[0], rows.shape[1] * 2), dtype=np.uint8)
    out[:, 0::2] = first
    out[:, 1::2] = second
    return out[:, :width]


def expand_555(values: np.ndarray) -> np.ndarray:
    """(H, W) 16-bit x555 values to (H, W, 4) B, G, R, 0xFF, widening 5 bits as the reference client does."""
    out = np.empty(values.shape + (4,), dtype=np.uint8)
    for channel, shift in ((2, 10), (1, 5), (0, 0)):
        v = ((values >> shift) & 0x1F).astype(np.uint8)
        out[..., channel] = (v << 3) | (v >> 2)
    out[..., 3] = 0xFF
    return out


def decode_bitmap(
    fmt: int,
    width: int,
    height: int,
    stride: int,
    data: bytes | memoryview,
    top_down: bool,
    palette: np.ndarray | None,
) -> DecodedImage:
    """Convert one uncompressed bitmap; `palette` is (N, 4) B, G, R, X for the paletted formats."""
    try:
        fmt = BitmapFmt(fmt)
        bpp = BITS[fmt]
    except (ValueError, KeyError):
        raise DecodeError(f"bitmap: unknown format {fmt}") from None
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        raise DecodeError(f"bitmap: bad size {width}x{height}")
    if stride < (width * bpp + 7) // 8:
        raise DecodeError(f"bitmap: stride {stride} too small for {width} pixels of {bpp} bits")
    if len(data) < stride * height:
        raise DecodeError(f"bitmap: {len(data)} bytes for {height} rows of {stride}")
    rows = np.frombuffer(data, dtype=np.uint8, count=stride * height).reshape(height, stride)
    if not top_down:
        rows = rows[::-1]

    if fmt in PALETTED:
        if palette is None:
            raise DecodeError("bitmap: paletted image without a palette")
        if len(palette) == 0:
            raise DecodeError("bitmap: empty palette")
        idx = indices(rows, fmt, width)
        if idx.size and int(idx.max()) >= len(palette):
            # The reference client reads past short palettes; clamp instead so nothing is out of bounds.
            idx = np.minimum(idx, len(palette) - 1)
        return DecodedImage(width, height, PixelFormat.XRGB32, palette[idx])
    if fmt is BitmapFmt.BIT8_A:
        return DecodedImage(width, height, PixelFormat.A8, np.ascontiguousarray(rows[:, :width]))
    if fmt is BitmapFmt.BIT16:
        values = rows[:, : width * 2].copy().view("<u2")
        return DecodedImage(width, height, PixelFormat.XRGB32, expand_555(values))
    if fmt is BitmapFmt.BIT24:
        out = np.empty((height, width, 4), dtype=np.uint8)
        out[..., :3] = rows[:, : width * 3].reshape(height, width, 3)
        out[..., 3] = 0xFF
        return DecodedImage(width, height, PixelFormat.XRGB32, out)
    pixels = np.ascontiguousarray(rows[:, : width * 4]).reshape(height, width, 4)
    if fmt is BitmapFmt.RGBA:
        return DecodedImage(width, height, PixelFormat.ARGB32, pixels.copy())
    out = pixels.copy()
    out[..., 3] = 0xFF
    return DecodedImage(width, height, PixelFormat.XRGB32, out)
