"""The glyph mask of a DRAW_TEXT string, assembled as the reference client does (canvas_get_str_mask)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..protocol.constants import StringFlags
from ..protocol.messages.classes import RasterGlyphA1, RasterGlyphA4, RasterGlyphA8, String
from .errors import DrawError
from .geometry import Box

MAX_TEXT_PIXELS = 1 << 24
Glyph = RasterGlyphA1 | RasterGlyphA4 | RasterGlyphA8


def glyph_box(glyph: Glyph) -> Box:
    left = glyph.render_pos.x + glyph.glyph_origin.x
    top = glyph.render_pos.y + glyph.glyph_origin.y
    return left, top, left + glyph.width, top + glyph.height


def string_mask(string: String) -> tuple[np.ndarray, int, int]:
    """(uint8 alpha mask, left, top) of all glyphs; A1 glyphs give 0/255, A4 keep their high nibble (x16)."""
    glyphs: Sequence[Glyph] = string.glyphs or ()
    if not glyphs:
        raise DrawError("text without glyphs")
    if string.flags & StringFlags.RASTER_A1:
        bpp = 1
    elif string.flags & StringFlags.RASTER_A4:
        bpp = 4
    elif string.flags & StringFlags.RASTER_A8:
        bpp = 8
    else:
        raise DrawError("text with vector glyphs is not supported")
    boxes = [glyph_box(g) for g in glyphs]
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
    if (right - left) * (bottom - top) > MAX_TEXT_PIXELS:
        raise DrawError(f"text of {right - left}x{bottom - top} pixels is absurd")
    mask = np.zeros((bottom - top, right - left), dtype=np.uint8)
    for glyph, (gx0, gy0, gx1, gy1) in zip(glyphs, boxes, strict=True):
        if glyph.width == 0 or glyph.height == 0:
            continue
        pixels = _glyph_pixels(glyph, bpp)
        # Glyph rows arrive bottom-up; glyphs overlapping each other keep the larger coverage.
        area = mask[gy0 - top : gy1 - top, gx0 - left : gx1 - left]
        np.maximum(area, pixels[::-1], out=area)
    return mask, left, top


def _glyph_pixels(glyph: Glyph, bpp: int) -> np.ndarray:
    w, h = glyph.width, glyph.height
    stride = (w * bpp + 7) // 8
    rows = np.frombuffer(bytes(glyph.data), dtype=np.uint8, count=stride * h).reshape(h, stride)
    if bpp == 1:
        return np.unpackbits(rows, axis=1, bitorder="big")[:, :w] * np.uint8(255)
    if bpp == 4:
        out = np.empty((h, stride * 2), dtype=np.uint8)
        out[:, 0::2] = rows & 0xF0
        out[:, 1::2] = rows << 4
        return out[:, :w]
    return rows[:, :w]
