"""LZ image types, limits and the LZ stream header (shared with GLZ).

Every multi-byte header field of LZ and GLZ is big-endian, unlike the rest of SPICE.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from spiceview.codecs.errors import DecodeError

LZ_MAGIC = 0x20205A4C  # ASCII "LZ  " read as a big-endian word
LZ_VERSION = 0x00010001  # major 1, minor 1

# Nothing a display needs is larger than this; it caps allocations made from header fields.
MAX_DIMENSION = 1 << 15
MAX_PIXELS = 1 << 27
# An LZ instruction never yields more than 255 output units per input byte (a run of
# 255-valued length bytes); anything claiming more is truncated, so we refuse before allocating.
MAX_UNITS_PER_BYTE = 256


class LzType(IntEnum):
    PLT1_LE = 1
    PLT1_BE = 2
    PLT4_LE = 3
    PLT4_BE = 4
    PLT8 = 5
    RGB16 = 6
    RGB24 = 7
    RGB32 = 8
    RGBA = 9
    XXXA = 10
    A8 = 11


PALETTE_TYPES = frozenset({LzType.PLT1_LE, LzType.PLT1_BE, LzType.PLT4_LE, LzType.PLT4_BE, LzType.PLT8})
PIXELS_PER_BYTE = {LzType.PLT1_LE: 8, LzType.PLT1_BE: 8, LzType.PLT4_LE: 2, LzType.PLT4_BE: 2, LzType.PLT8: 1}
BYTES_PER_PIXEL = {LzType.RGB16: 2, LzType.RGB24: 3, LzType.RGB32: 4, LzType.RGBA: 4, LzType.XXXA: 4, LzType.A8: 1}

_LZ_HEADER = struct.Struct(">IIIIIII")
LZ_HEADER_SIZE = _LZ_HEADER.size  # 28


@dataclass(frozen=True, slots=True)
class LzHeader:
    type: LzType
    width: int
    height: int
    stride: int  # bytes per encoded row
    top_down: bool
    units: int  # decoded units: pixels for RGB types, palette bytes for PLT types


def byte_view(data: bytes | bytearray | memoryview) -> memoryview:
    """A flat, contiguous view of unsigned bytes over any buffer (copying only if it must)."""
    try:
        view = memoryview(data)
        if not view.c_contiguous:
            view = memoryview(view.tobytes())
        return view.cast("B") if (view.ndim != 1 or view.format != "B") else view
    except (TypeError, ValueError) as exc:
        raise DecodeError(f"not a byte buffer: {exc}") from None


def as_type(value: int) -> LzType:
    try:
        return LzType(value)
    except ValueError:
        raise DecodeError(f"unknown LZ image type {value}") from None


def check_geometry(kind: LzType, width: int, height: int, stride: int) -> int:
    """Validate sizes against the type; return the number of decoded units.

    Palette rows are `stride` bytes (each byte carries several pixels, the last byte may be partly
    padding); RGB rows are exactly width * bytes-per-pixel, as the reference encoder writes them.
    """
    if width == 0 or height == 0:
        raise DecodeError("empty image")
    if width > MAX_DIMENSION or height > MAX_DIMENSION or width * height > MAX_PIXELS:
        raise DecodeError(f"image too large ({width}x{height})")
    if kind in PALETTE_TYPES:
        ppb = PIXELS_PER_BYTE[kind]
        if stride != -(-width // ppb):
            raise DecodeError(f"palette stride {stride} does not fit width {width}")
        return stride * height
    # GLZ headers of RGB images are trusted for width only (the reference ignores their stride).
    return width * height


def parse_lz_header(data: bytes | bytearray | memoryview) -> LzHeader:
    if len(data) < LZ_HEADER_SIZE:
        raise DecodeError("LZ header truncated")
    magic, version, kind, width, height, stride, top_down = _LZ_HEADER.unpack_from(data, 0)
    if magic != LZ_MAGIC:
        raise DecodeError("bad LZ magic")
    if version != LZ_VERSION:
        raise DecodeError(f"unsupported LZ version {version:#x}")
    kind = as_type(kind)
    if kind not in PALETTE_TYPES and stride != width * BYTES_PER_PIXEL[kind]:
        raise DecodeError(f"RGB stride {stride} != width {width} * bytes per pixel")
    units = check_geometry(kind, width, height, stride)
    check_budget(units, len(data) - LZ_HEADER_SIZE)
    return LzHeader(kind, width, height, stride, bool(top_down), units)


def check_budget(units: int, payload: int) -> None:
    """Refuse a header whose size the payload cannot possibly fill (before allocating for it)."""
    if units > payload * MAX_UNITS_PER_BYTE:
        raise DecodeError("LZ stream too short for its image size")
