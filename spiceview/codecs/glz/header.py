"""The 33-byte GLZ image header (big-endian, like LZ's, but with the type and top_down in one byte).

magic u32, version u32, type (low 4 bits) | top_down (high 4 bits) u8, width u32, height u32,
stride u32, image id u64, window-head distance u32 (how far back the encoder's window reached).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.lz.header import (
    LZ_MAGIC,
    LZ_VERSION,
    PALETTE_TYPES,
    LzType,
    as_type,
    check_budget,
    check_geometry,
)

_GLZ_HEADER = struct.Struct(">IIBIIIQI")
GLZ_HEADER_SIZE = _GLZ_HEADER.size  # 33

# GLZ_RGB images carry no palette, so palette types cannot be decoded (the reference client
# refuses them too); XXXA and A8 never travel as GLZ.
_SUPPORTED = frozenset({LzType.RGB16, LzType.RGB24, LzType.RGB32, LzType.RGBA})


@dataclass(frozen=True, slots=True)
class GlzHeader:
    type: LzType
    width: int
    height: int
    top_down: bool
    image_id: int
    win_head_dist: int

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def release_floor(self) -> int:
        """Images older than this id had left the encoder's window when this one was made."""
        return self.image_id - self.win_head_dist


def max_glz_size(hdr: GlzHeader) -> int:
    """Most bytes a well-formed GLZ stream of this image can take (all literals, ctrl bytes)."""
    per_pixel = {LzType.RGB16: 2, LzType.RGB24: 3, LzType.RGB32: 3, LzType.RGBA: 4}[hdr.type]
    ctrl = -(-hdr.pixels // 32) * (2 if hdr.type is LzType.RGBA else 1)
    return GLZ_HEADER_SIZE + hdr.pixels * per_pixel + ctrl


def parse_glz_header(data: bytes | bytearray | memoryview, payload: int | None = None) -> GlzHeader:
    """Parse and check the header; `payload`: the stream's full length if `data` is only its start."""
    if len(data) < GLZ_HEADER_SIZE:
        raise DecodeError("GLZ header truncated")
    magic, version, packed, width, height, stride, image_id, dist = _GLZ_HEADER.unpack_from(data, 0)
    if magic != LZ_MAGIC:
        raise DecodeError("bad GLZ magic")
    if version != LZ_VERSION:
        raise DecodeError(f"unsupported GLZ version {version:#x}")
    kind = as_type(packed & 0x0F)
    if kind in PALETTE_TYPES:
        raise DecodeError("GLZ palette image without a palette")
    if kind not in _SUPPORTED:
        raise DecodeError(f"GLZ cannot carry {kind.name} images")
    if dist > image_id:
        raise DecodeError("GLZ window head before the first image")
    pixels = check_geometry(kind, width, height, stride)
    check_budget(pixels, (len(data) if payload is None else payload) - GLZ_HEADER_SIZE)
    return GlzHeader(kind, width, height, bool(packed >> 4), image_id, dist)
