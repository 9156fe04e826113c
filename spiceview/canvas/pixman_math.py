"""pixman's 8-bit arithmetic in numpy, for the few blends the canvas does itself (OVER with a constant or
glyph mask). Matching its rounding keeps results identical to the reference client's pixman canvas."""

from __future__ import annotations

import numpy as np


def mul_un8(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """a * b / 255 rounded the way pixman's MUL_UN8 does; uint16 in, uint16 out."""
    t = a.astype(np.uint32) * b + 0x80
    return ((t + (t >> 8)) >> 8).astype(np.uint16)


def over(dst: np.ndarray, src: np.ndarray, mask: np.ndarray | int | None = None) -> None:
    """dst = (src IN mask) OVER dst, in place; B,G,R,A uint8 premultiplied; mask: uint8 alpha per pixel or one."""
    s = src.astype(np.uint16)
    if mask is not None:
        m = mask[..., None] if isinstance(mask, np.ndarray) else mask
        s = mul_un8(s, m)
    inv_alpha = 255 - s[..., 3:4]
    result = mul_un8(dst.astype(np.uint16), inv_alpha) + s
    np.minimum(result, 255, out=result)
    dst[...] = result.astype(np.uint8)
