"""SPICE ROP descriptors (the ropd flags) applied with numpy.

The semantics follow spice-common's ropd_descriptor_to_rop: the operand chosen as "source" (the image or the
brush) and the destination may each be inverted, combined with PUT/OR/AND/XOR, and the result inverted;
BLACKNESS, WHITENESS and INVERS ignore the operands; a descriptor with no operation is a plain copy.
32-bit pixels are processed as whole words, which numpy does several times faster than byte by byte.
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


def as_words(pixels: np.ndarray) -> np.ndarray | None:
    """A (H, W) uint32 view of (H, W, 4) uint8 pixels whose 4 bytes are adjacent, else None."""
    byte_pixels = pixels.ndim == 3 and pixels.shape[-1] == 4 and pixels.dtype == np.uint8
    if byte_pixels and pixels.strides[-1] == 1 and (pixels.strides[-2] == 4 or pixels.shape[-2] <= 1):
        try:
            return pixels.view(np.uint32)[..., 0]
        except ValueError:
            return None
    return None


def _operand(src: np.ndarray | int, like: np.ndarray) -> np.ndarray:
    """The source operand in the same element layout as `like` (words or bytes)."""
    s = np.asarray(src, dtype=np.uint8)
    if like.dtype == np.uint32:
        if s.ndim == 1 and s.shape == (4,):
            return s.view(np.uint32)[0:1].reshape(())
        words = as_words(s)
        if words is None:
            words = np.ascontiguousarray(s).view(np.uint32)[..., 0]
        return words
    return s


def apply_ropd(dst: np.ndarray, src: np.ndarray | int, ropd: int, src_invert: int) -> None:
    """dst = rop(src, dst) in place; `src` is an array shaped like dst or a scalar/pixel broadcast to it.

    `src_invert` names which invert flag belongs to the operand (INVERS_SRC for images, INVERS_BRUSH for brushes).
    """
    words = as_words(dst)
    target = words if words is not None else dst
    if not ropd & ANY_OP:
        target[...] = _operand(src, target)
        return
    if ropd & Ropd.OP_BLACKNESS:
        target[...] = 0
        return
    if ropd & Ropd.OP_WHITENESS:
        dst[...] = 0xFF
        return
    if ropd & Ropd.OP_INVERS:
        np.invert(target, out=target)
        return
    s = _operand(src, target)
    if ropd & src_invert:
        s = np.invert(s)
    d = np.invert(target) if ropd & Ropd.INVERS_DEST else target
    if ropd & Ropd.OP_OR:
        result = s | d
    elif ropd & Ropd.OP_AND:
        result = s & d
    elif ropd & Ropd.OP_XOR:
        result = s ^ d
    else:
        result = s
    if ropd & Ropd.INVERS_RES:
        result = np.invert(result)
    target[...] = result
