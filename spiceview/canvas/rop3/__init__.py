"""Ternary raster operations (ROP3) for DRAW_ROP3: dst = f(brush, source, dst), bitwise, for all 256 codes.

A code is the truth table of f in the Windows GDI sense: evaluate it with P = 0xF0, S = 0xCC, D = 0xAA and the
result is the code (so SRCCOPY 0xCC is S, PATCOPY 0xF0 is P, DSTINVERT 0x55 is ~D).

Blocks are uint8 (H, W, 4) arrays of B, G, R, X pixels, already clipped and cut by the caller; the destination is
changed in place and may be any view whose last axis is contiguous (rows and pixels may be strided).

Behaviour matched to the reference client (spice-common rop3.c as called from canvas_base.c):

* Operations run on whole 32-bit pixels, so the X/alpha byte is combined like the colour bytes: with
  DSTINVERT an X byte of 0x00 becomes 0xFF, with WHITENESS every byte is 0xFF, with SRCCOPY the source's X byte is
  copied. The reference blits the result back byte for byte, so nothing restores the byte afterwards; neither do we.
* The brush colour is the 32-bit wire value, bits 0-7 blue up to bits 24-31 X, the same layout as a pixel.
* The pattern repeats from the tile coordinate that lands on dst[0, 0]. The reference computes that coordinate
  as (bbox.left - pattern.pos.x) % width in C, which goes negative (and reads outside the pattern) when the
  pattern origin lies right of or below the box; here any integers are accepted and reduced with a floor modulo.
* The reference implements only the 218 codes that depend on all three operands and aborts on the other 38
  (0x00, 0x55, 0xCC, 0xF0, ...); every code works here.
* 16-bit surfaces: the reference runs the same functions on 16-bit words with the colour truncated to 16 bits.
  Bitwise functions commute with widening 5-bit channels to 8 bits by bit replication, so a 16-bit surface kept
  as 32-bit pixels gets the same picture if the caller widens the brush colour the way it widened the pixels.
* The reference reads the source from the unchanged surface while it computes into a copy of the destination.
  When `src` or `tile` shares memory with `dst` (a ROP3 from a surface onto itself) the operand is copied first,
  so overlapping blocks see the original pixels too.
"""

from __future__ import annotations

import sys
from enum import IntEnum

import numpy as np

from spiceview.canvas.rop3._kernels import expand_tile, pattern_d, pattern_sd, solid_d, solid_sd

__all__ = [
    "Rop3Code",
    "rop3_pattern",
    "rop3_reference",
    "rop3_solid",
    "uses_dest",
    "uses_pattern",
    "uses_source",
]

_WORD = 0xFFFFFFFF


class Rop3Code(IntEnum):
    """The ternary codes GDI gives names to."""

    BLACKNESS = 0x00
    NOTSRCERASE = 0x11
    NOTSRCCOPY = 0x33
    SRCERASE = 0x44
    DSTINVERT = 0x55
    PATINVERT = 0x5A
    SRCINVERT = 0x66
    SRCAND = 0x88
    MERGEPAINT = 0xBB
    MERGECOPY = 0xC0
    SRCCOPY = 0xCC
    SRCPAINT = 0xEE
    PATCOPY = 0xF0
    PATPAINT = 0xFB
    WHITENESS = 0xFF


def _check_code(code: int) -> int:
    code = int(code)
    if not 0 <= code <= 0xFF:
        raise ValueError(f"ROP3 code {code} is not a byte")
    return code


def uses_pattern(code: int) -> bool:
    """True when the result of `code` depends on the brush (truth-table halves P=1 and P=0 differ)."""
    code = _check_code(code)
    return bool(((code >> 4) ^ code) & 0x0F)


def uses_source(code: int) -> bool:
    """True when the result of `code` depends on the source image."""
    code = _check_code(code)
    return bool(((code >> 2) ^ code) & 0x33)


def uses_dest(code: int) -> bool:
    """True when the result of `code` depends on the destination's old pixels."""
    code = _check_code(code)
    return bool(((code >> 1) ^ code) & 0x55)


def rop3_reference(d: int, s: int, p: int, code: int) -> int:
    """One 32-bit word through `code`, slowly and obviously: the OR of the minterms the code selects."""
    code = _check_code(code)
    for name, value in (("d", d), ("s", s), ("p", p)):
        if not 0 <= value <= _WORD:
            raise ValueError(f"{name}={value} is not a 32-bit word")
    result = 0
    for index in range(8):
        if (code >> index) & 1:
            term = _WORD
            term &= p if index & 4 else ~p
            term &= s if index & 2 else ~s
            term &= d if index & 1 else ~d
            result |= term
    return result & _WORD


def _check_block(name: str, block: np.ndarray, shape: tuple[int, ...] | None = None) -> None:
    if not isinstance(block, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, not {type(block).__name__}")
    if block.dtype != np.uint8 or block.ndim != 3 or block.shape[2] != 4:
        raise ValueError(f"{name} must be a uint8 (H, W, 4) array, got {block.dtype} {block.shape}")
    if shape is not None and block.shape != shape:
        raise ValueError(f"{name} has shape {block.shape}, the destination {shape}")


def _overlaps(dst: np.ndarray, other: np.ndarray) -> bool:
    """True when writing dst could change `other` before it is read (the exact same pixels are harmless)."""
    if not np.may_share_memory(dst, other):
        return False
    same_layout = (
        dst.__array_interface__["data"][0] == other.__array_interface__["data"][0] and dst.strides == other.strides
    )
    if same_layout:
        return False
    try:
        return bool(np.shares_memory(dst, other, max_work=100_000))  # type: ignore[arg-type]
    except np.exceptions.TooHardError:
        return True


def _source_for(dst: np.ndarray, src: np.ndarray | None, code: int) -> np.ndarray | None:
    """The source block the kernels may read, or None when the code ignores it."""
    if not uses_source(code):
        if src is not None:
            _check_block("src", src, dst.shape)
        return None
    if src is None:
        raise ValueError(f"ROP3 code 0x{code:02X} uses the source, but no source was given")
    _check_block("src", src, dst.shape)
    if src.size and (src.strides[2] != 1 or _overlaps(dst, src)):
        src = np.array(src, order="C")
    return src


def _check_dst(dst: np.ndarray) -> None:
    _check_block("dst", dst)
    if dst.size and dst.strides[2] != 1:
        raise ValueError("dst must have its 4 bytes of a pixel next to each other (last axis contiguous)")
    if not dst.flags.writeable:
        raise ValueError("dst is read-only")


def _native_word(color: int) -> int:
    """The wire colour as the native-order word of its B, G, R, X bytes, the way the kernels load pixels."""
    color = int(color)
    if not 0 <= color <= _WORD:
        raise ValueError(f"brush colour {color} is not a 32-bit word")
    return int.from_bytes(color.to_bytes(4, "little"), sys.byteorder)


def rop3_solid(dst: np.ndarray, src: np.ndarray | None, color: int, code: int) -> None:
    """dst = code(P=color, S=src, D=dst) in place, the brush being one 32-bit colour (X in bits 24-31).

    `src` (same shape as dst) may be None only when the code ignores the source; otherwise ValueError.
    """
    code = _check_code(code)
    _check_dst(dst)
    word = _native_word(color)
    source = _source_for(dst, src, code)
    if dst.shape[0] == 0 or dst.shape[1] == 0:
        return
    if source is None:
        solid_d(dst, word, code)
    else:
        solid_sd(dst, source, word, code)


def rop3_pattern(
    dst: np.ndarray, src: np.ndarray | None, tile: np.ndarray, tile_x: int, tile_y: int, code: int
) -> None:
    """dst = code(P=tiled pattern, S=src, D=dst) in place.

    `tile` is a (th, tw, 4) pattern repeated over dst so that its pixel (tile_y, tile_x) lands on dst[0, 0];
    the coordinates may be any integers, negative included: they are reduced modulo the tile size here.
    `src` may be None only when the code ignores the source; otherwise ValueError.
    """
    code = _check_code(code)
    _check_dst(dst)
    _check_block("tile", tile)
    th, tw = tile.shape[0], tile.shape[1]
    if th == 0 or tw == 0:
        raise ValueError(f"empty pattern tile {tile.shape}")
    source = _source_for(dst, src, code)
    h, w = dst.shape[0], dst.shape[1]
    if h == 0 or w == 0:
        return
    if not uses_pattern(code):
        # The brush cannot change the result: skip laying out the pattern.
        if source is None:
            solid_d(dst, 0, code)
        else:
            solid_sd(dst, source, 0, code)
        return
    words = np.ascontiguousarray(tile).view(np.uint32).reshape(th, tw)
    # One dst-wide row per distinct tile row (at most h); the kernels take row y % len(rows). The expansion is a
    # fresh array, so a tile cut from the destination surface is read before anything is written.
    rows = expand_tile(words, int(tile_x) % tw, int(tile_y) % th, min(th, h), w)
    if source is None:
        pattern_d(dst, rows, code)
    else:
        pattern_sd(dst, source, rows, code)
