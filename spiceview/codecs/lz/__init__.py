"""SPICE LZ images (LZ_RGB, LZ_PLT, and the alpha plane of JPEG_ALPHA).

A stream is a 28-byte big-endian header (magic, version, type, width, height, stride, top_down)
followed by the compressed units; RGBA streams carry a second, byte-wise pass for alpha right
after the colour pass. Rows arrive bottom-up unless top_down is set; we always return top-down.
"""

from __future__ import annotations

import numpy as np

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.image import DecodedImage, PixelFormat
from spiceview.codecs.lz._core import lz_bytes, lz_pixels
from spiceview.codecs.lz._rows import expand_palette, flip_rows
from spiceview.codecs.lz.header import (
    LZ_HEADER_SIZE,
    PALETTE_TYPES,
    LzHeader,
    LzType,
    byte_view,
    parse_lz_header,
)

__all__ = ["decode_lz", "decode_lz_alpha_into", "palette_table"]

_PALETTE_BITS = {LzType.PLT1_LE: 1, LzType.PLT1_BE: 1, LzType.PLT4_LE: 4, LzType.PLT4_BE: 4, LzType.PLT8: 8}
_MSB_FIRST = {LzType.PLT1_BE, LzType.PLT4_BE}


def palette_table(palette: np.ndarray | None, bits: int) -> np.ndarray:
    """A 2**bits lookup table of B,G,R,0xFF pixels from uint32 xRGB palette entries.

    Index i maps to entry i % len(palette), as the reference client does for 4-bit images; for
    8-bit indexes past the palette it would read out of bounds, for 1-bit ones it reads entries 0
    and 1 unconditionally, so wrapping is the safe superset of its behaviour.
    """
    if palette is None:
        raise DecodeError("palette image without a palette")
    try:
        ents = np.asarray(palette).reshape(-1).astype(np.uint32, casting="unsafe")
    except (TypeError, ValueError) as exc:
        raise DecodeError(f"bad palette: {exc}") from None
    if ents.size == 0:
        raise DecodeError("empty palette")
    ents = ents[np.arange(1 << bits) % ents.size]
    bgrx = np.empty((ents.size, 4), np.uint8)
    bgrx[:, 0] = ents & 0xFF
    bgrx[:, 1] = (ents >> 8) & 0xFF
    bgrx[:, 2] = (ents >> 16) & 0xFF
    bgrx[:, 3] = 0xFF
    return bgrx.view(np.uint32).reshape(-1)


def _decode_palette(buf: memoryview, hdr: LzHeader, palette: np.ndarray | None) -> np.ndarray:
    bits = _PALETTE_BITS[hdr.type]
    table = palette_table(palette, bits)  # before decoding: a missing palette is the cheap failure
    plane = np.empty(hdr.units, np.uint8)
    lz_bytes(buf, LZ_HEADER_SIZE, plane, 0, 1, hdr.units)
    pixels = np.empty((hdr.height, hdr.width, 4), np.uint8)
    expand_palette(
        plane, hdr.stride, bits, hdr.type in _MSB_FIRST, table, pixels.view(np.uint32).reshape(hdr.height, hdr.width)
    )
    return pixels


def _decode_rgb(buf: memoryview, hdr: LzHeader) -> np.ndarray:
    pixels = np.empty((hdr.height, hdr.width, 4), np.uint8)
    flat32 = pixels.view(np.uint32).reshape(-1)
    pos = lz_pixels(buf, LZ_HEADER_SIZE, flat32, hdr.type is LzType.RGB16)
    if hdr.type is LzType.RGBA:
        lz_bytes(buf, pos, pixels.reshape(-1), 3, 4, hdr.units)
    return pixels


def decode_lz(data: bytes | bytearray | memoryview, palette: np.ndarray | None = None) -> DecodedImage:
    """Decode an LZ_RGB or LZ_PLT image (`palette`: the message's uint32 xRGB entries, for PLT).

    RGB16/24/32 and palette images give XRGB32 with X = 0xFF, RGBA gives ARGB32 (alpha as sent),
    A8 gives an A8 plane. XXXA streams only make sense inside JPEG_ALPHA: see
    decode_lz_alpha_into.
    """
    buf = byte_view(data)
    hdr = parse_lz_header(buf)
    if hdr.type is LzType.XXXA:
        raise DecodeError("an alpha-only LZ stream is not an image")
    if hdr.type is LzType.A8:
        plane = np.empty((hdr.height, hdr.width), np.uint8)
        lz_bytes(buf, LZ_HEADER_SIZE, plane.reshape(-1), 0, 1, hdr.units)
        if not hdr.top_down:
            flip_rows(plane)
        return DecodedImage(hdr.width, hdr.height, PixelFormat.A8, plane)
    if hdr.type in PALETTE_TYPES:
        pixels = _decode_palette(buf, hdr, palette)
    else:
        pixels = _decode_rgb(buf, hdr)
    if not hdr.top_down:
        flip_rows(pixels.reshape(hdr.height, -1))
    fmt = PixelFormat.ARGB32 if hdr.type is LzType.RGBA else PixelFormat.XRGB32
    return DecodedImage(hdr.width, hdr.height, fmt, pixels)


def decode_lz_alpha_into(data: bytes | bytearray | memoryview, pixels: np.ndarray) -> None:
    """Write an alpha-only (XXXA) LZ stream into the fourth byte of (H, W, 4) uint8 `pixels`.

    The stream's own top_down flag orders its rows; `pixels` is top-down. Nothing is written
    unless the whole plane decodes.
    """
    buf = byte_view(data)
    hdr = parse_lz_header(buf)
    if hdr.type is not LzType.XXXA:
        raise DecodeError(f"expected an alpha-only LZ stream, got {hdr.type.name}")
    if (
        pixels.ndim != 3
        or pixels.shape[2] != 4
        or pixels.dtype != np.uint8
        or pixels.shape[:2] != (hdr.height, hdr.width)
    ):
        raise DecodeError(f"alpha plane {hdr.width}x{hdr.height} does not fit pixels {pixels.shape}")
    plane = np.empty((hdr.height, hdr.width), np.uint8)
    lz_bytes(buf, LZ_HEADER_SIZE, plane.reshape(-1), 0, 1, hdr.units)
    pixels[..., 3] = plane if hdr.top_down else plane[::-1]
