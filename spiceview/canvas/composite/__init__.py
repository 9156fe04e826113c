"""X Render compositing for DRAW_COMPOSITE, giving the pixels pixman gives.

The reference client hands DRAW_COMPOSITE straight to ``pixman_image_composite32`` (spice-common canvas_base.c,
``canvas_draw_composite``), so "correct" here means "what pixman computes", rounding included. `composite` takes
pixman's arguments (operator, source and optional mask pictures with their transform, filter, repeat and
component-alpha settings, a destination block, the source and mask origins) and changes the destination in place.

How pixman computes, and what is reproduced (the Cython kernels in ``_kernels.pyx`` do the pixel work):

* Sample positions are pixel centres: destination pixel (i, j) samples the source at the transformed point of
  (src_x + i + 1/2, src_y + j + 1/2), 16.16 fixed point, rounded as pixman rounds (transform of the first pixel of
  a row, then one matrix column added per pixel). NEAREST takes the pixel containing the point (a point on an edge
  goes up-left); BILINEAR weighs the four neighbours with 7-bit weights and truncates. FAST is NEAREST, GOOD and
  BEST are BILINEAR. Repeat NONE reads transparent black outside the picture (also for x8r8g8b8), NORMAL tiles,
  PAD clamps, REFLECT mirrors.
* Formats: a8r8g8b8 (premultiplied), x8r8g8b8 (the fourth byte is ignored and read as opaque), a8 (alpha only),
  a1 (given expanded to 0 / nonzero bytes).
* Operators that need no division (CLEAR..ADD, MULTIPLY, SCREEN, OVERLAY, DARKEN, LIGHTEN, HARD_LIGHT, DIFFERENCE,
  EXCLUSION) run on 8-bit channels with pixman's rounding (x * a / 255 rounded to nearest, saturating adds).
  SATURATE, every DISJOINT_* and CONJOINT_* operator, COLOR_DODGE, COLOR_BURN, SOFT_LIGHT and the four HSL modes
  run in single-precision floats and are converted back with pixman's float-to-8-bit rule; so does BILINEAR
  sampling for those operators. The HSL modes have no component-alpha form in pixman and leave the destination
  as it is then (apart from the x8r8g8b8 fourth byte, see below); with a mask their blue channel is not masked,
  as in pixman. Also as in pixman, a transformed (or PAD / REFLECT) source is not sampled where the mask sample
  is all zero in those float operators: the value left from the row above (or zero) stands in, which only the
  HSL modes' unmasked blue lets show.
* pixman first simplifies the operator when the source (and mask) is known to be opaque (an x8r8g8b8 source that
  repeats or whose samples all land inside it): OVER becomes SRC, ATOP becomes IN, SATURATE becomes
  OVER_REVERSE, and so on; DISJOINT/CONJOINT CLEAR, SRC and DST always become CLEAR, SRC and DST. The
  simplified operator is the one computed (that matters: SATURATE is a float operator, OVER_REVERSE an 8-bit one).
* pixman refuses (draws nothing) when the source or mask is 0x7fff or more pixels wide or high, when the
  destination area moved to source or mask space does not fit in 16 bits, or when its transformed extents do not
  fit in 16.16 fixed point. So does `composite`.
* x8r8g8b8 destinations: the colour bytes are pixman's; the fourth byte is left as pixman leaves it, which depends
  on the path pixman takes: operators that do not read destination alpha (CLEAR, SRC, OVER, IN_REVERSE,
  OUT_REVERSE, ADD) compute it like an alpha channel from the byte that was there; the others write 0 there; a
  plain SRC copy between x8r8g8b8 pictures copies the source's fourth byte.

* Origins are int32 (as on the wire and in pixman's arguments); transform entries are int32 16.16.
* An empty picture (0 wide or high) reads as transparent with repeat NONE; pixman cannot sample one that repeats.

SOURCE_OPAQUE / DEST_OPAQUE (SPICE composite flags) are the caller's business: pass such a picture or destination
as "x8r8g8b8". The reference honours SOURCE_OPAQUE only for a source that is a surface, not an image.

Not supported (ValueError, the canvas logs and skips the command): CONVOLUTION and SEPARABLE_CONVOLUTION filters
(SPICE sends no filter parameters, pixman would read none), unknown operator, filter, repeat and format values,
a repeating empty picture.

Checked bit for bit against libpixman 0.42.2 (x86-64, SSE2/SSSE3 paths) by tests/canvas/test_composite.py. The
kernels assume a little-endian host (B, G, R, A bytes are the word A << 24 | R << 16 | G << 8 | B).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from spiceview.canvas.composite._kernels import run as _run

__all__ = ["Filter", "Op", "Picture", "Repeat", "composite", "pixman_op_name"]


class Op(IntEnum):
    """pixman_op_t."""

    CLEAR = 0x00
    SRC = 0x01
    DST = 0x02
    OVER = 0x03
    OVER_REVERSE = 0x04
    IN = 0x05
    IN_REVERSE = 0x06
    OUT = 0x07
    OUT_REVERSE = 0x08
    ATOP = 0x09
    ATOP_REVERSE = 0x0A
    XOR = 0x0B
    ADD = 0x0C
    SATURATE = 0x0D
    DISJOINT_CLEAR = 0x10
    DISJOINT_SRC = 0x11
    DISJOINT_DST = 0x12
    DISJOINT_OVER = 0x13
    DISJOINT_OVER_REVERSE = 0x14
    DISJOINT_IN = 0x15
    DISJOINT_IN_REVERSE = 0x16
    DISJOINT_OUT = 0x17
    DISJOINT_OUT_REVERSE = 0x18
    DISJOINT_ATOP = 0x19
    DISJOINT_ATOP_REVERSE = 0x1A
    DISJOINT_XOR = 0x1B
    CONJOINT_CLEAR = 0x20
    CONJOINT_SRC = 0x21
    CONJOINT_DST = 0x22
    CONJOINT_OVER = 0x23
    CONJOINT_OVER_REVERSE = 0x24
    CONJOINT_IN = 0x25
    CONJOINT_IN_REVERSE = 0x26
    CONJOINT_OUT = 0x27
    CONJOINT_OUT_REVERSE = 0x28
    CONJOINT_ATOP = 0x29
    CONJOINT_ATOP_REVERSE = 0x2A
    CONJOINT_XOR = 0x2B
    MULTIPLY = 0x30
    SCREEN = 0x31
    OVERLAY = 0x32
    DARKEN = 0x33
    LIGHTEN = 0x34
    COLOR_DODGE = 0x35
    COLOR_BURN = 0x36
    HARD_LIGHT = 0x37
    SOFT_LIGHT = 0x38
    DIFFERENCE = 0x39
    EXCLUSION = 0x3A
    HSL_HUE = 0x3B
    HSL_SATURATION = 0x3C
    HSL_COLOR = 0x3D
    HSL_LUMINOSITY = 0x3E


class Filter(IntEnum):
    """pixman_filter_t."""

    FAST = 0
    GOOD = 1
    BEST = 2
    NEAREST = 3
    BILINEAR = 4
    CONVOLUTION = 5
    SEPARABLE_CONVOLUTION = 6


class Repeat(IntEnum):
    """pixman_repeat_t."""

    NONE = 0
    NORMAL = 1
    PAD = 2
    REFLECT = 3


@dataclass
class Picture:
    """A pixman-like image: pixels plus how they are sampled.

    pixels: (H, W, 4) uint8 B,G,R,A (premultiplied) for "a8r8g8b8" / "x8r8g8b8"; (H, W) uint8 for "a8", and for
    "a1" with 0 for a clear bit and anything else for a set bit. Rows may be strided.
    transform: (t00, t01, t02, t10, t11, t12) in 16.16 fixed point, as SPICE sends them (values >= 2**31 are read
    as negative int32); the last row is (0, 0, 1). None for the identity. It maps destination to source space.
    """

    pixels: np.ndarray
    format: str
    transform: tuple[int, ...] | None = None
    filter: int = Filter.NEAREST
    repeat: int = Repeat.NONE
    component_alpha: bool = False


def pixman_op_name(op: int) -> str:
    try:
        return Op(op).name
    except ValueError:
        return f"0x{op:02x}"


# --------------------------------------------------------------------------------------------------------------
# What pixman decides before it touches a pixel.

_FIXED_1 = 0x10000
_KIND = {"a8r8g8b8": 0, "x8r8g8b8": 1, "a8": 2, "a1": 2}
_VALID_OPS = frozenset(op.value for op in Op)
# Operators pixman computes in floats (its "needs division" list).
_FLOAT_OPS = frozenset(
    [Op.SATURATE, Op.COLOR_DODGE, Op.COLOR_BURN, Op.SOFT_LIGHT]
    + [Op.HSL_HUE, Op.HSL_SATURATION, Op.HSL_COLOR, Op.HSL_LUMINOSITY]
    + list(range(0x10, 0x1C))
    + list(range(0x20, 0x2C))
)
# Always rewritten, whatever is opaque.
_ALWAYS: dict[int, Op] = {0x10: Op.CLEAR, 0x11: Op.SRC, 0x12: Op.DST, 0x20: Op.CLEAR, 0x21: Op.SRC, 0x22: Op.DST}
# Rewritten when source and mask are opaque (pixman never treats a destination as opaque here: its destination
# image does not repeat).
_SOURCE_OPAQUE: dict[int, Op] = {
    Op.OVER: Op.SRC,
    Op.IN_REVERSE: Op.DST,
    Op.OUT_REVERSE: Op.CLEAR,
    Op.ATOP: Op.IN,
    Op.ATOP_REVERSE: Op.OVER_REVERSE,
    Op.XOR: Op.OUT,
    Op.SATURATE: Op.OVER_REVERSE,
}
# Operators whose colour result does not depend on the destination's alpha: pixman combines these directly in
# an x8r8g8b8 destination, its fourth byte standing in for alpha.
_DEST_IN_PLACE = frozenset([Op.CLEAR, Op.SRC, Op.DST, Op.OVER, Op.IN_REVERSE, Op.OUT_REVERSE, Op.ADD])

# Fourth-byte policies for x8r8g8b8 destinations, as the kernels know them.
_X_RAW = 0  # combine in place; the byte is read and written like alpha
_X_ZERO = 1  # read as opaque, written as 0


def _int32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _is_16bit(v: int) -> bool:
    return -0x8000 <= v <= 0x7FFF


def _is_16_16(v: int) -> bool:
    return -(1 << 31) <= v <= 0x7FFFFFFF


@dataclass
class _Pic:
    """A validated picture and the facts pixman derives from its settings."""

    pixels: np.ndarray  # (H, W, C) uint8, C = 4 or 1, the last axis contiguous
    kind: int
    width: int
    height: int
    transform: tuple[int, int, int, int, int, int] | None
    bilinear: bool  # samples with the bilinear filter
    nearest_equivalent: bool  # pixman's FAST_PATH_NEAREST_FILTER
    repeat: int
    component_alpha: bool
    solid: bool  # 1x1 and repeating: pixman treats it as a solid colour
    opaque_samples: bool  # x8r8g8b8 without component alpha


def _prepare(pic: Picture, role: str) -> _Pic:
    fmt = pic.format
    if fmt not in _KIND:
        raise ValueError(f"{role}: unsupported format {fmt!r}")
    pixels = np.asarray(pic.pixels)
    if pixels.dtype != np.uint8:
        raise ValueError(f"{role}: pixels must be uint8, not {pixels.dtype}")
    if fmt in ("a8r8g8b8", "x8r8g8b8"):
        if pixels.ndim != 3 or pixels.shape[2] != 4:
            raise ValueError(f"{role}: {fmt} pixels must be (H, W, 4), not {pixels.shape}")
        if pixels.strides[2] != 1 or pixels.strides[1] != 4:
            pixels = np.ascontiguousarray(pixels)
    else:
        if pixels.ndim != 2:
            raise ValueError(f"{role}: {fmt} pixels must be (H, W), not {pixels.shape}")
        if fmt == "a1":
            pixels = np.where(pixels != 0, np.uint8(255), np.uint8(0))
        elif pixels.strides[1] != 1:
            pixels = np.ascontiguousarray(pixels)
        pixels = pixels[:, :, None]
    height, width = pixels.shape[:2]
    repeat = int(pic.repeat)
    if repeat not in (Repeat.NONE, Repeat.NORMAL, Repeat.PAD, Repeat.REFLECT):
        raise ValueError(f"{role}: unknown repeat {repeat}")
    kind = _KIND[fmt]
    if width == 0 or height == 0:
        if repeat != Repeat.NONE:
            raise ValueError(f"{role}: an empty picture cannot repeat")
        # Transparent everywhere, as pixman reads it: one clear pixel stands in for the kernels, while the
        # recorded size (0) keeps pixman's decisions about the picture.
        pixels = np.zeros((1, 1, pixels.shape[2]), dtype=np.uint8)
        kind = 0 if kind == 1 else kind

    filt = int(pic.filter)
    if filt in (Filter.CONVOLUTION, Filter.SEPARABLE_CONVOLUTION):
        raise ValueError(f"{role}: convolution filters need parameters, which SPICE does not send")
    if filt not in (Filter.FAST, Filter.GOOD, Filter.BEST, Filter.NEAREST, Filter.BILINEAR):
        raise ValueError(f"{role}: unknown filter {filt}")
    transform: tuple[int, int, int, int, int, int] | None = None
    if pic.transform is not None:
        if len(pic.transform) != 6:
            raise ValueError(f"{role}: a transform has 6 entries (t00, t01, t02, t10, t11, t12)")
        t00, t01, t02, t10, t11, t12 = (_int32(int(v)) for v in pic.transform)
        t = (t00, t01, t02, t10, t11, t12)
        if t != (_FIXED_1, 0, 0, 0, _FIXED_1, 0):  # pixman drops an identity transform
            transform = t

    bilinear = filt in (Filter.GOOD, Filter.BEST, Filter.BILINEAR)
    nearest_equivalent = not bilinear
    if bilinear:
        if transform is None:
            nearest_equivalent = True
        else:
            t00, t01, t02, t10, t11, t12 = transform
            # Every sample point is a pixel centre: integer matrix, odd (t00 + t01) and (t10 + t11).
            if (t00 | t01 | t02 | t10 | t11 | t12) & 0xFFFF == 0 and (
                (_int32((t00 + t01) & (t10 + t11)) >> 16) % 2 == 1
            ):
                limit = 30000 << 16
                if -limit <= t02 <= limit and -limit <= t12 <= limit:
                    nearest_equivalent = True

    ca = bool(pic.component_alpha)
    return _Pic(
        pixels=pixels,
        kind=kind,
        width=width,
        height=height,
        transform=transform,
        bilinear=bilinear,
        nearest_equivalent=nearest_equivalent,
        repeat=repeat,
        component_alpha=ca,
        solid=width == 1 and height == 1 and repeat != Repeat.NONE,
        opaque_samples=fmt == "x8r8g8b8" and not ca,
    )


def _transform_point(t: tuple[int, ...], x: int, y: int) -> tuple[int, int]:
    """pixman_transform_point for an affine matrix: 16.16 in, 48.16 out, rounded like pixman."""
    out = []
    for a, b, c in ((t[0], t[1], t[2]), (t[3], t[4], t[5])):
        hi = a * (x >> 16) + b * (y >> 16) + c
        lo = a * (x & 0xFFFF) + b * (y & 0xFFFF)
        out.append(hi + ((lo + 0x8000) >> 16))
    return out[0], out[1]


def _transformed_extents(
    t: tuple[int, ...] | None, x1: int, y1: int, x2: int, y2: int
) -> tuple[int, int, int, int] | None:
    """The box around the transformed centres of the corner pixels (pixman's compute_transformed_extents)."""
    fx1 = (x1 << 16) + 0x8000
    fy1 = (y1 << 16) + 0x8000
    fx2 = (x2 << 16) - 0x8000
    fy2 = (y2 << 16) - 0x8000
    if t is None:
        return fx1, fy1, fx2, fy2
    xs, ys = [], []
    for px in (fx1, fx2):
        for py in (fy1, fy2):
            tx, ty = _transform_point(t, _int32(px), _int32(py))
            if tx != _int32(tx) or ty != _int32(ty):  # pixman_transform_point fails on int32 overflow
                return None
            xs.append(tx)
            ys.append(ty)
    return min(xs), min(ys), max(xs), max(ys)


def _analyze(p: _Pic, x1: int, y1: int, x2: int, y2: int) -> tuple[bool, bool, bool]:
    """pixman's analyze_extent: (draw at all, samples cover for NEAREST, samples cover for BILINEAR)."""
    if not (_is_16bit(x1 - 1) and _is_16bit(y1 - 1) and _is_16bit(x2 + 1) and _is_16bit(y2 + 1)):
        return False, False, False
    if p.width >= 0x7FFF or p.height >= 0x7FFF:
        return False, False, False
    if p.transform is None and x1 >= 0 and y1 >= 0 and x2 <= p.width and y2 <= p.height:
        return True, True, False
    if p.bilinear:
        x_off, y_off, fw, fh = -0x8000, -0x8000, _FIXED_1, _FIXED_1
    else:
        x_off, y_off, fw, fh = -1, -1, 0, 0
    box = _transformed_extents(p.transform, x1, y1, x2, y2)
    if box is None:
        return False, False, False
    tx1, ty1, tx2, ty2 = box
    cover_nearest = (
        (tx1 - 1) >> 16 >= 0 and (ty1 - 1) >> 16 >= 0 and (tx2 - 1) >> 16 < p.width and (ty2 - 1) >> 16 < p.height
    )
    cover_bilinear = (
        (tx1 - 0x8000) >> 16 >= 0
        and (ty1 - 0x8000) >> 16 >= 0
        and (tx2 + 0x8000) >> 16 < p.width
        and (ty2 + 0x8000) >> 16 < p.height
    )
    box = _transformed_extents(p.transform, x1 - 1, y1 - 1, x2 + 1, y2 + 1)
    if box is None:
        return False, False, False
    tx1, ty1, tx2, ty2 = box
    if not (
        _is_16_16(tx1 + x_off - 8)
        and _is_16_16(ty1 + y_off - 8)
        and _is_16_16(tx2 + x_off + 8 + fw)
        and _is_16_16(ty2 + y_off + 8 + fh)
    ):
        return False, False, False
    return True, cover_nearest, cover_bilinear


def _is_opaque(p: _Pic, cover_nearest: bool, cover_bilinear: bool) -> bool:
    """pixman's FAST_PATH_IS_OPAQUE for a source or mask after analyze_extent."""
    if not p.opaque_samples:
        return False
    if p.repeat != Repeat.NONE:
        return True
    return (p.nearest_equivalent and cover_nearest) or (p.bilinear and cover_bilinear)


def _copies_source_x_byte(s: _Pic, cover_nearest: bool, cover_bilinear: bool, has_mask: bool) -> bool:
    """Whether pixman's SRC from an x8r8g8b8 source to an x8r8g8b8 destination takes a copying path.

    The copy (memcpy, tiled copy, nearest scaling, 90/270 degree rotation, SSE2 bilinear scaling) moves the source's
    fourth byte along, where the general path reads it as 0xff.
    """
    if s.solid:
        return False
    t = s.transform
    if t is None:
        return cover_nearest or (s.repeat == Repeat.NORMAL and not has_mask)
    t00, t01, _, t10, t11, _ = t
    if t01 == 0 and t10 == 0:  # scaling
        simple_repeat = t00 > 0 and s.repeat != Repeat.REFLECT
        if s.bilinear and (cover_bilinear or simple_repeat):
            return True
        return s.nearest_equivalent and (cover_nearest or simple_repeat)
    if t00 == 0 and t11 == 0 and s.nearest_equivalent and cover_nearest:
        return (t01, t10) in ((-_FIXED_1, _FIXED_1), (_FIXED_1, -_FIXED_1))
    return False


def composite(
    op: int,
    src: Picture,
    mask: Picture | None,
    dest: np.ndarray,
    dest_format: str,
    src_x: int,
    src_y: int,
    mask_x: int,
    mask_y: int,
) -> None:
    """pixman_image_composite32(op, src, mask, dest, src_x, src_y, mask_x, mask_y, 0, 0, w, h), in place.

    dest: (h, w, 4) uint8 B,G,R,A, "a8r8g8b8" or "x8r8g8b8"; any view whose pixels are 4 adjacent bytes
    (rows may be strided). Raises ValueError for what pixman would not or could not draw (see the module doc).
    """
    if sys.byteorder != "little":  # pragma: no cover - the kernels read pixels as little-endian words
        raise ValueError("compositing needs a little-endian host")
    op = int(op)
    if op not in _VALID_OPS:
        raise ValueError(f"unknown compositing operator 0x{op:02x}")
    if dest_format not in ("a8r8g8b8", "x8r8g8b8"):
        raise ValueError(f"unsupported destination format {dest_format!r}")
    if not isinstance(dest, np.ndarray) or dest.dtype != np.uint8 or dest.ndim != 3 or dest.shape[2] != 4:
        raise ValueError("dest must be an (h, w, 4) uint8 array")
    s = _prepare(src, "src")
    m = _prepare(mask, "mask") if mask is not None else None
    h, w = dest.shape[:2]
    if h == 0 or w == 0:
        return

    # Source space, then mask space, in pixman's int32 arithmetic.
    sx1, sy1 = _int32(src_x), _int32(src_y)
    sx2, sy2 = _int32(w + src_x), _int32(h + src_y)
    ok, s_cover_n, s_cover_b = _analyze(s, sx1, sy1, sx2, sy2)
    if not ok:
        return
    mask_opaque = True
    if m is not None:
        dx, dy = _int32(src_x - mask_x), _int32(src_y - mask_y)
        ok, m_cover_n, m_cover_b = _analyze(m, _int32(sx1 - dx), _int32(sy1 - dy), _int32(sx2 - dx), _int32(sy2 - dy))
        if not ok:
            return
        mask_opaque = _is_opaque(m, m_cover_n, m_cover_b)

    op = _ALWAYS.get(op, op)
    if mask_opaque and _is_opaque(s, s_cover_n, s_cover_b):
        op = _SOURCE_OPAQUE.get(op, op)
    if op == Op.DST:
        return
    if op == Op.CLEAR:
        m = None
    is_float = op in _FLOAT_OPS

    dest_x8 = dest_format == "x8r8g8b8"
    x_policy = _X_RAW
    src_raw_x = False
    if dest_x8:
        if is_float or op not in _DEST_IN_PLACE:
            x_policy = _X_ZERO
        elif op == Op.SRC and s.kind == 1 and mask_opaque:
            src_raw_x = _copies_source_x_byte(s, s_cover_n, s_cover_b, m is not None)

    # The kernels read sources while they write the destination: give them a copy of an overlapping one.
    src_pixels = s.pixels
    if np.may_share_memory(src_pixels, dest):
        src_pixels = src_pixels.copy()
    mask_pixels = None
    if m is not None:
        mask_pixels = m.pixels
        if np.may_share_memory(mask_pixels, dest):
            mask_pixels = mask_pixels.copy()

    target = dest
    if dest.strides[2] != 1 or dest.strides[1] != 4:
        target = np.ascontiguousarray(dest)

    _run(
        op,
        is_float,
        target,
        dest_x8,
        x_policy,
        src_pixels,
        0 if src_raw_x else s.kind,
        s.transform,
        s.bilinear,
        s.repeat,
        s.solid,
        _int32(src_x),
        _int32(src_y),
        mask_pixels,
        m.kind if m is not None else 0,
        m.transform if m is not None else None,
        m.bilinear if m is not None else False,
        m.repeat if m is not None else 0,
        m.solid if m is not None else False,
        m.component_alpha if m is not None else False,
        _int32(mask_x) if m is not None else 0,
        _int32(mask_y) if m is not None else 0,
    )
    if target is not dest:
        dest[...] = target
