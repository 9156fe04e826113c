"""SPICE ROP descriptors (the ropd flags) applied with numpy.

The semantics follow spice-common's ropd_descriptor_to_rop: the operand chosen as "source" (the image or the
brush) and the destination may each be inverted, combined with PUT/OR/AND/XOR, and the result inverted;
BLACKNESS, WHITENESS and INVERS ignore the operands.
"""

from __future__ import annotations

import numpy as np

from ..protocol.constants import Ropd

ANY_OP = Ropd.OP_PUT | Ropd.OP_OR | Ropd.OP_AND | Ropd.OP_XOR | Ropd.OP_BLACKNESS | Ropd.OP_WHITENESS | Ropd.OP_INVERS


def is_plain_copy(ropd: int, src_invert: int) -> bool:
    """True when the descriptor just puts the operand (the common, fast case)."""
    if not ropd & ANY_OP:
        return True  # no operation at all: the reference falls back to a plain copy, inversions ignored
    if ropd & (Ropd.OP_BLACKNESS | Ropd.OP_WHITENESS | Ropd.OP_INVERS | Ropd.OP_OR | Ropd.OP_AND | Ropd.OP_XOR):
        return False
    return not (bool(ropd & src_invert) ^ bool(ropd & Ropd.INVERS_RES))


def apply_ropd(dst: np.ndarray, src: np.ndarray | int, ropd: int, src_invert: int) -> None:
    """dst = rop(src, dst) in place; `src` is an array shaped like dst or a scalar broadcast to it.

    `src_invert` names which invert flag belongs to the operand (INVERS_SRC for images, INVERS_BRUSH for brushes).
    """
    if not ropd & ANY_OP:
        dst[...] = src
        return
    if ropd & Ropd.OP_BLACKNESS:
        dst[...] = 0
        return
    if ropd & Ropd.OP_WHITENESS:
        dst[...] = 0xFF
        return
    if ropd & Ropd.OP_INVERS:
        np.invert(dst, out=dst)
        return
    s = np.asarray(src, dtype=np.uint8)
    if ropd & src_invert:
        s = np.invert(s)
    d = np.invert(dst) if ropd & Ropd.INVERS_DEST else dst
    if ropd & Ropd.OP_OR:
        result = s | d
    elif ropd & Ropd.OP_AND:
        result = s & d
    elif ropd & Ropd.OP_XOR:
        result = s ^ d
    else:
        result = np.broadcast_to(s, dst.shape)
    if ropd & Ropd.INVERS_RES:
        result = np.invert(result)
    dst[...] = result
