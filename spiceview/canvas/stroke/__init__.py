"""Which pixels DRAW_STROKE paints, span by span, in the order the reference client paints them.

The reference (spice-common canvas_base.c ``canvas_draw_stroke`` with lines.c, a port of the X sample server's mi
line code) draws every path as zero-width lines:

Path to polylines
    Points are 28.4 fixed point, turned into pixels by ``fix_to_int``: floor, plus one when the fraction is above
    one half (so x.5 rounds down, x.5625 up). A BEGIN segment first draws the polyline collected so far and starts
    a new one at its first point. Plain segments append their points; BEZIER segments append, for every three
    points, the flattening of the cubic that starts at the last pixel (times 16): depth-first halving with C's
    truncating ``/ 2`` until both inner control points lie within about 0.7 px of the chord, each flat piece
    contributing its rounded end point. END (with CLOSE: after appending the polyline's first point again) draws
    the polyline; so does the end of the path. A BEZIER segment whose point count is not a multiple of three makes
    the reference give up: polylines finished before it stay drawn, the rest is not drawn. Same here.
Solid (attr without STYLED)
    Each polyline is drawn with miZeroLine, CapNotLast, JoinMiter: Bresenham per segment with X's octant bias,
    each segment without its last pixel (so joints are painted once, crossings twice), clipped to the surface with
    mi's exact clipping equations. Spans come segment by segment, one per run of pixels on a row.
Dashed (STYLED)
    The dash list is ``fix_to_int(style[i])`` kept to 8 bits (unsigned char). With START_WITH_GAP the list is
    rotated left by one and the dash offset is the new first entry (``fix_to_int(style[1])``). Odd-length lists are
    NOT doubled the way the X server's SetDashes doubles them: dash i is "on" when i is even, whatever the length.
    The reference's zero-width dashed line is mi's kludge: the *wide* dashed line code (miWideDash) with line
    width 1, so dashes are one-pixel-wide polygons, miter joins where an "on" dash crosses a vertex, and the dash
    pattern restarts at every polyline. For a foreground ROP that must not touch a pixel twice (XOR, EQUIV,
    INVERT, AND_REVERSE, NOR, OR_REVERSE, NAND: mi's "careful" ROPs) the spans of a polyline of three or more
    points are collected and painted once, as their union sorted by row; pass ``alu`` for that.

Where this differs from the reference
    Coordinates and error terms are 64-bit here. The reference's 32-bit ints overflow on lines tens of thousands
    of pixels long, where it draws wrong pixels or can loop forever; here such lines stay straight. Bezier pieces
    whose control points are more than 8192 px apart are tested for flatness with the same criterion in floating
    point (the reference's 64-bit products overflow from about 13000 px). Inputs on which the reference reads
    memory it does not own (BEGIN on a segment without points, a Bezier without a current point, STYLED with no
    dash entries) raise ValueError, and so do inputs on which it never finishes (a dash list of zero total
    length). A tiny Bezier piece that the reference would subdivide forever (its chord rounds to zero and its
    halves reproduce it: a stack overflow there) is taken as flat. Work is bounded: segments are clipped before
    they are walked, whole dash periods that cannot reach the surface are stepped over, and ``max_spans`` /
    ``max_work`` / ``MAX_POINTS`` cap the rest (ValueError beyond).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...protocol.constants import LineFlags, Ropd
from ...protocol.messages.classes import LineAttr, PointFix
from ...protocol.messages.classes import Path as LinePath
from ._mi import build_polylines, render

__all__ = [
    "MAX_POINTS",
    "MAX_SPANS",
    "MAX_WORK",
    "SPICE_ROP_COPY",
    "dash_pattern",
    "is_careful_rop",
    "polyline_spans",
    "stroke_polylines",
    "stroke_rop",
    "stroke_spans",
]

SPICE_ROP_COPY = 3
MAX_POINTS = 1 << 22  # polyline points after Bezier flattening
MAX_SPANS = 1 << 23
MAX_WORK = 1 << 28  # pixel steps, dash steps and flattening steps


def _int32(v: int) -> int:
    return ((int(v) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _segments(path: LinePath) -> list[tuple[int, np.ndarray]]:
    segments = []
    total = 0
    for seg in getattr(path, "segments", None) or ():
        pts: Sequence[PointFix] = seg.points or ()
        total += len(pts)
        if total > MAX_POINTS:
            raise ValueError("stroke path has more points than allowed")
        arr = np.array([(_int32(p.x), _int32(p.y)) for p in pts], dtype=np.int64).reshape(-1, 2)
        segments.append((int(seg.flags) & 0xFF, np.ascontiguousarray(arr)))
    return segments


def dash_pattern(attr: LineAttr) -> tuple[bytes, int] | None:
    """The GC dash list and dash offset the reference derives from a LineAttr; None for solid lines."""
    flags = int(getattr(attr, "flags", 0) or 0)
    if not flags & LineFlags.STYLED:
        return None
    style = [_int32(v) for v in (getattr(attr, "style", None) or ())]
    nseg = getattr(attr, "style_nseg", None)
    if nseg is not None and int(nseg) != len(style):
        raise ValueError(f"line style: style_nseg {nseg} but {len(style)} entries")
    if not style:
        raise ValueError("line style: STYLED without dash entries")
    ints = [((v >> 4) + (1 if (v & 15) > 8 else 0)) & 0xFF for v in style]
    if flags & LineFlags.START_WITH_GAP:
        ints = ints[1:] + ints[:1]
        return bytes(ints), ints[0]
    return bytes(ints), 0


def is_careful_rop(alu: int) -> bool:
    """mi's miSpansCarefulRop: ROPs for which painting a pixel twice differs from painting it once."""
    return (alu & 0xC) == 0x8 or (alu & 0x3) == 0x2


def stroke_rop(mode: int) -> int:
    """The SpiceROP / GX function code of a stroke's fore_mode (ropd_descriptor_to_rop with the brush as source)."""
    s_inv = bool(mode & Ropd.INVERS_BRUSH)
    d_inv = bool(mode & Ropd.INVERS_DEST)
    r_inv = bool(mode & Ropd.INVERS_RES)
    if mode & Ropd.OP_PUT:

        def op(s: bool, d: bool) -> bool:
            return (s != s_inv) != r_inv
    elif mode & (Ropd.OP_OR | Ropd.OP_AND | Ropd.OP_XOR):
        kind = Ropd.OP_OR if mode & Ropd.OP_OR else Ropd.OP_AND if mode & Ropd.OP_AND else Ropd.OP_XOR

        def op(s: bool, d: bool) -> bool:
            a, b = s != s_inv, d != d_inv
            r = (a or b) if kind == Ropd.OP_OR else (a and b) if kind == Ropd.OP_AND else (a != b)
            return r != r_inv
    elif mode & Ropd.OP_BLACKNESS:
        return 0
    elif mode & Ropd.OP_WHITENESS:
        return 15
    elif mode & Ropd.OP_INVERS:
        return 10
    else:
        return SPICE_ROP_COPY
    # GX codes are truth tables: bit ((not src) << 1 | (not dst)) holds f(src, dst).
    return sum(1 << ((0 if s else 2) | (0 if d else 1)) for s in (True, False) for d in (True, False) if op(s, d))


def stroke_polylines(path: LinePath) -> list[np.ndarray]:
    """The integer polylines the reference draws for a path, in order (each an int64 (n, 2) array)."""
    points, starts, _stopped = build_polylines(_segments(path), MAX_POINTS, MAX_WORK)
    return [points[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]


def polyline_spans(
    polylines: Sequence[np.ndarray],
    width: int,
    height: int,
    dashes: bytes | None = None,
    dash_offset: int = 0,
    *,
    careful: bool = False,
    max_spans: int = MAX_SPANS,
    max_work: int = MAX_WORK,
) -> np.ndarray:
    """Spans for integer polylines, drawn one after the other like the reference draws a path's polylines.

    dashes/dash_offset are an X-style GC dash list (entries 0..255) and offset; careful: a careful ROP.
    """
    arrs = [np.asarray(p, dtype=np.int64).reshape(-1, 2) for p in polylines]
    if sum(len(a) for a in arrs) > MAX_POINTS:
        raise ValueError("stroke path has more points than allowed")
    points = np.ascontiguousarray(np.concatenate(arrs)) if arrs else np.zeros((0, 2), dtype=np.int64)
    starts = np.cumsum([0] + [len(a) for a in arrs]).astype(np.int64)
    dash = None if dashes is None else bytes(dashes)
    return render(
        points, starts, int(width), int(height), dash, int(dash_offset), bool(careful), int(max_spans), int(max_work)
    )


def stroke_spans(
    path: LinePath,
    attr: LineAttr,
    width: int,
    height: int,
    *,
    alu: int = SPICE_ROP_COPY,
    max_spans: int = MAX_SPANS,
    max_work: int = MAX_WORK,
) -> np.ndarray:
    """Spans (N, 3) int32 of [y, x_start, x_end) in painting order, clipped to 0..width x 0..height.

    ``alu`` is the foreground ROP as a SpiceROP code (``stroke_rop(stroke.fore_mode)``); it only matters for
    dashed lines, where careful ROPs make mi paint each pixel of a polyline once. Raises ValueError for inputs the
    reference cannot draw (see the module docstring) and beyond the work caps.
    """
    dashes = dash_pattern(attr)
    width, height = int(width), int(height)
    if width <= 0 or height <= 0:
        return np.zeros((0, 3), dtype=np.int32)
    points, starts, _stopped = build_polylines(_segments(path), MAX_POINTS, int(max_work))
    if dashes is None:
        return render(points, starts, width, height, None, 0, False, int(max_spans), int(max_work))
    dash, offset = dashes
    return render(points, starts, width, height, dash, offset, is_careful_rop(alu), int(max_spans), int(max_work))
