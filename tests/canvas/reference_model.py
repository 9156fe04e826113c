"""A small, slow, independent model of the reference canvas's semantics, one 32-bit pixel at a time.

It follows spice-common's canvas_base.c / sw_canvas.c as documentation (ropd_descriptor_to_rop's table of the
16 boolean raster ops, the region = box & clip & mask rule, pattern origins, colour keys, pixman's OVER with
MUL_UN8 rounding) and shares no code with spiceview.canvas.
"""

from __future__ import annotations

from collections.abc import Callable

SRC, BRUSH, DEST = 1, 2, 4  # ropd INVERS_SRC / INVERS_BRUSH / INVERS_DEST bits
PUT, OR, AND, XOR, BLACK, WHITE, INV, RES = 8, 16, 32, 64, 128, 256, 512, 1024
M = 0xFFFFFFFF

# The 16 raster ops by name, as functions of (s, d).
ROPS: dict[str, Callable[[int, int], int]] = {
    "clear": lambda s, d: 0,
    "and": lambda s, d: s & d,
    "and_reverse": lambda s, d: s & ~d & M,
    "copy": lambda s, d: s,
    "and_inverted": lambda s, d: ~s & d & M,
    "noop": lambda s, d: d,
    "xor": lambda s, d: s ^ d,
    "or": lambda s, d: s | d,
    "nor": lambda s, d: ~(s | d) & M,
    "equiv": lambda s, d: ~(s ^ d) & M,
    "invert": lambda s, d: ~d & M,
    "or_reverse": lambda s, d: (s | ~d) & M,
    "copy_inverted": lambda s, d: ~s & M,
    "or_inverted": lambda s, d: (~s | d) & M,
    "nand": lambda s, d: ~(s & d) & M,
    "set": lambda s, d: M,
}


def rop_for(desc: int, src_flag: int, dest_flag: int) -> str:
    """ropd_descriptor_to_rop, written out as its decision table."""
    inv_s = bool(desc & src_flag)
    inv_d = bool(desc & dest_flag)
    res = bool(desc & RES)
    if desc & PUT:
        return "copy" if inv_s == res else "copy_inverted"
    if desc & OR:
        table = {
            (0, 0, 0): "or",
            (1, 0, 0): "or_inverted",
            (0, 1, 0): "or_reverse",
            (1, 1, 0): "nand",
            (0, 0, 1): "nor",
            (1, 0, 1): "and_reverse",
            (0, 1, 1): "and_inverted",
            (1, 1, 1): "and",
        }
        return table[(inv_s, inv_d, res)]
    if desc & AND:
        table = {
            (0, 0, 0): "and",
            (1, 0, 0): "and_inverted",
            (0, 1, 0): "and_reverse",
            (1, 1, 0): "nor",
            (0, 0, 1): "nand",
            (1, 0, 1): "or_reverse",
            (0, 1, 1): "or_inverted",
            (1, 1, 1): "or",
        }
        return table[(inv_s, inv_d, res)]
    if desc & XOR:
        return "xor" if (inv_s ^ inv_d ^ res) == 0 else "equiv"
    if desc & BLACK:
        return "clear"
    if desc & WHITE:
        return "set"
    if desc & INV:
        return "invert"
    return "copy"


def mul_un8(a: int, b: int) -> int:
    t = a * b + 0x80
    return ((t >> 8) + t) >> 8


def over_pixel(dst: int, src: int, m: int = 255) -> int:
    """pixman OVER of premultiplied a8r8g8b8 words with an a8 mask value."""
    s = [mul_un8((src >> sh) & 0xFF, m) for sh in (0, 8, 16, 24)]
    ia = 255 - s[3]
    out = 0
    for i, sh in enumerate((0, 8, 16, 24)):
        out |= min(255, mul_un8((dst >> sh) & 0xFF, ia) + s[i]) << sh
    return out


def in_region(
    x: int,
    y: int,
    box: tuple[int, int, int, int],
    clips: list[tuple[int, int, int, int]] | None,
    mask: list[list[bool]] | None,
    mask_pos: tuple[int, int],
    invert: bool,
) -> bool:
    x0, y0, x1, y1 = box
    if not (x0 <= x < x1 and y0 <= y < y1):
        return False
    if clips is not None and not any(c[0] <= x < c[2] and c[1] <= y < c[3] for c in clips):
        return False
    if mask is not None:
        mx, my = x - x0 + mask_pos[0], y - y0 + mask_pos[1]
        inside = 0 <= my < len(mask) and 0 <= mx < len(mask[0])
        bit = mask[my][mx] if inside else False
        if invert:
            # Inversion is of the mask's own area; outside it nothing is drawn either way.
            bit = (not bit) if inside else False
        return bit
    return True
