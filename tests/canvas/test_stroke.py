"""DRAW_STROKE rasterisation (spiceview.canvas.stroke) against an independent oracle: the X server itself.

spice-common's lines.c is a port of the X sample server's mi line code, so a real Xvfb drawing the same integer
polylines on a pixmap must paint the same pixels:

* solid strokes: line width 0, CapNotLast, JoinMiter (fb's Bresenham with mi's clipping). Xvfb is started with
  ``-linebias 216``: mi's DEFAULTZEROLINEBIAS (octants 2-5 prefer the axial step on ties), which the reference
  hard-codes; Xvfb's own default is 0.
* dashed strokes: line width **1**, LineOnOffDash. The reference's zero-width dashed line is mi's kludge
  (miZeroDashLine sets lineWidth 1 and calls miWideDash); the X server's fb draws width-0 dashes with different
  code (fbZeroLine/fbSegment), so width 1 is the right oracle.
* GXcopy gives the pixel set; GXxor shows how often each pixel is painted (odd = once, like our span counts).
  For dashed lines GXxor is one of mi's "careful" ROPs: polylines of three or more points are painted once per
  pixel, which our spans must reproduce when called with alu=XOR.

The X protocol limits coordinates to 16 bits, and X's (and the reference's) 32-bit products overflow for dashed
segments longer than ~46000 px, so oracle comparisons stay inside those ranges; beyond them only sanity and
bounded work are checked.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from xlib_oracle import GXcopy, GXxor, XOracle

from spiceview.canvas import stroke as stroke_mod
from spiceview.canvas.stroke import (
    dash_pattern,
    is_careful_rop,
    polyline_spans,
    stroke_polylines,
    stroke_rop,
    stroke_spans,
)
from spiceview.protocol.constants import LineFlags, PathFlags, Ropd
from spiceview.protocol.messages.types import LineAttr, Path, PathSegment, PointFix
from spiceview_lab.requirements import require

BEGIN, END, CLOSE, BEZIER = int(PathFlags.BEGIN), int(PathFlags.END), int(PathFlags.CLOSE), int(PathFlags.BEZIER)
STYLED, START_WITH_GAP = int(LineFlags.STYLED), int(LineFlags.START_WITH_GAP)
SPICE_ROP_XOR = 6

Poly = Sequence[tuple[int, int]]


# --- helpers ------------------------------------------------------------------------------------------------------


def seg(flags: int, pts: Sequence[tuple[int, int]], fixed: bool = False) -> PathSegment:
    k = 1 if fixed else 16
    return PathSegment(flags=flags, count=len(pts), points=[PointFix(x=x * k, y=y * k) for x, y in pts])


def path_of(*segments: PathSegment) -> Path:
    return Path(num_segments=len(segments), segments=list(segments))


def polylines_path(polys: Sequence[Poly]) -> Path:
    return path_of(*(seg(BEGIN | END, p) for p in polys))


def solid() -> LineAttr:
    return LineAttr(flags=0)


def styled(dashes: Sequence[int], gap: bool = False, fixed: bool = False) -> LineAttr:
    k = 1 if fixed else 16
    return LineAttr(
        flags=STYLED | (START_WITH_GAP if gap else 0), style_nseg=len(dashes), style=[d * k for d in dashes]
    )


def counts(spans: np.ndarray, width: int, height: int) -> np.ndarray:
    assert spans.dtype == np.int32 and spans.ndim == 2 and spans.shape[1] == 3
    c = np.zeros((height, width), dtype=np.int64)
    for y, x0, x1 in spans.tolist():
        assert 0 <= y < height and 0 <= x0 < x1 <= width, (y, x0, x1)
        c[y, x0:x1] += 1
    return c


def ours_raw(
    polys: Sequence[Poly], width: int, height: int, dashes: bytes | None = None, offset: int = 0, careful: bool = False
) -> np.ndarray:
    """The core renderer on integer polylines with an arbitrary X-style dash offset."""
    return polyline_spans(polys, width, height, dashes, offset, careful=careful, max_spans=1 << 24, max_work=1 << 32)


# --- the oracle ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xserver() -> Iterator[object]:
    require("Xvfb")
    from spiceview_lab.xvfb import XvfbServer

    server = XvfbServer(640, 480, 24, extra_args=["-linebias", "216"])
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def oracle(xserver: object) -> Iterator:
    made: dict[tuple[int, int], XOracle] = {}

    def get(width: int, height: int) -> XOracle:
        if (width, height) not in made:
            made[(width, height)] = XOracle(xserver.display, width, height)  # type: ignore[attr-defined]
        return made[(width, height)]

    yield get
    for o in made.values():
        o.close()


def assert_same_as_x(
    get,
    polys: Sequence[Poly],
    width: int,
    height: int,
    dashes: bytes | None = None,
    offset: int = 0,
    spans_copy: np.ndarray | None = None,
    spans_xor: np.ndarray | None = None,
) -> None:
    """Pixel set (GXcopy) and paint parity (GXxor) of our spans equal the X server's."""
    o = get(width, height)
    if spans_copy is None:
        spans_copy = ours_raw(polys, width, height, dashes, offset)
    if spans_xor is None:
        spans_xor = ours_raw(polys, width, height, dashes, offset, careful=dashes is not None)
    x_copy = o.draw(polys, function=GXcopy, dashes=dashes, dash_offset=offset) != 0
    x_xor = o.draw(polys, function=GXxor, dashes=dashes, dash_offset=offset) != 0
    c = counts(spans_copy, width, height)
    x = counts(spans_xor, width, height)
    info = f"polys={list(map(list, polys))} dashes={dashes!r} offset={offset} size={width}x{height}"
    where = np.argwhere((c > 0) != x_copy)[:8].tolist()
    assert np.array_equal(c > 0, x_copy), f"GXcopy differs at {where} {info}"
    where = np.argwhere((x % 2 == 1) != x_xor)[:8].tolist()
    assert np.array_equal(x % 2 == 1, x_xor), f"GXxor differs at {where} {info}"


pytestmark = pytest.mark.timeout(300)


# --- path conversion --------------------------------------------------------------------------------------------


def test_fix_to_int_rounds_like_the_reference() -> None:
    # floor, plus one when the 1/16 fraction is above 8: +0.5 rounds down, +0.5625 up, also for negatives.
    cases = {0: 0, 8: 0, 9: 1, 15: 1, 16: 1, 24: 1, 25: 2, -1: 0, -7: 0, -8: -1, -9: -1, -16: -1, -24: -2, -23: -1}
    fixed = list(cases)
    p = path_of(seg(BEGIN | END, [(v, -v) for v in fixed], fixed=True))
    (line,) = stroke_polylines(p)
    assert line[:, 0].tolist() == [cases[v] for v in fixed]
    assert line[:, 1].tolist() == [((-v) >> 4) + (1 if ((-v) & 15) > 8 else 0) for v in fixed]


def test_path_walk_begin_end_close() -> None:
    p = path_of(
        seg(BEGIN, [(1, 1), (5, 1)]),
        seg(0, [(5, 5)]),  # continues the open polyline
        seg(END | CLOSE, [(1, 5)]),  # closes it: first point appended
        seg(0, [(9, 9), (12, 9)]),  # no BEGIN: starts a polyline of its own
        seg(BEGIN, [(20, 20), (30, 20)]),  # draws the previous one first
        seg(CLOSE, [(30, 30)]),  # CLOSE without END does nothing
    )
    got = [line.tolist() for line in stroke_polylines(p)]
    assert got == [
        [[1, 1], [5, 1], [5, 5], [1, 5], [1, 1]],
        [[9, 9], [12, 9]],
        [[20, 20], [30, 20], [30, 30]],
    ]


def test_end_close_on_empty_polyline_draws_nothing() -> None:
    # The reference appends its stale first point to an empty polyline: one point, which draws nothing.
    p = path_of(seg(BEGIN | END, [(1, 1), (8, 1)]), seg(END | CLOSE, []))
    assert [line.tolist() for line in stroke_polylines(p)] == [[[1, 1], [8, 1]]]


def _ref_subdivide(out: list, p0, p1, p2, p3, ancestors: tuple = ()) -> None:
    """A plain recursive transcription of the reference's subdivide_bezier (for checking the iterative one).

    Only addition: a piece equal to one of its ancestors (where the reference recurses until its stack
    overflows) is taken as flat.
    """

    def dot(ax, ay, bx, by):
        return (ax * bx + ay * by) >> 4

    def half(v):
        return -((-v) // 2) if v < 0 else v // 2

    def fix(v):
        return (v >> 4) + (1 if (v & 15) > 8 else 0)

    a2 = dot(p1[0] - p0[0], p1[1] - p0[1], p1[0] - p0[0], p1[1] - p0[1])
    b2 = dot(p3[0] - p0[0], p3[1] - p0[1], p3[0] - p0[0], p3[1] - p0[1])
    c2 = dot(p2[0] - p3[0], p2[1] - p3[1], p2[0] - p3[0], p2[1] - p3[1])
    ab = dot(p1[0] - p0[0], p1[1] - p0[1], p3[0] - p0[0], p3[1] - p0[1])
    cb = dot(p2[0] - p3[0], p2[1] - p3[1], p0[0] - p3[0], p0[1] - p3[1])
    h1 = (a2 * b2 - ab * ab) >> 3
    h2 = (c2 * b2 - cb * cb) >> 3
    me = (p0, p1, p2, p3)
    if (h1 < b2 and h2 < b2) or me in ancestors:
        out.append((fix(p3[0]), fix(p3[1])))
        return

    def mid(a, b):
        return (half(a[0] + b[0]), half(a[1] + b[1]))

    p01, p12, p23 = mid(p0, p1), mid(p1, p2), mid(p2, p3)
    p012, p123 = mid(p01, p12), mid(p12, p23)
    p0123 = mid(p012, p123)
    _ref_subdivide(out, p0, p01, p012, p0123, ancestors + (me,))
    _ref_subdivide(out, p0123, p123, p23, p3, ancestors + (me,))


def test_bezier_flattening_matches_the_reference_recursion() -> None:
    rng = random.Random(11)
    for i in range(400):
        scale = rng.choice([4, 40, 400, 4000, 60000])
        start = (rng.randint(-200, 200), rng.randint(-200, 200))
        ctrl = [
            (rng.randint(-scale, scale) + start[0] * 16, rng.randint(-scale, scale) + start[1] * 16) for _ in range(3)
        ]
        if i % 7 == 0:
            ctrl = [(start[0] * 16, start[1] * 16)] * 3  # degenerate: the reference never returns
        p = path_of(seg(BEGIN, [start]), seg(BEZIER | END, ctrl, fixed=True))
        (line,) = stroke_polylines(p)
        expect: list = [start]
        _ref_subdivide(expect, (start[0] * 16, start[1] * 16), *ctrl)
        assert [tuple(v) for v in line.tolist()] == expect


def test_bezier_segments_continue_from_the_last_pixel() -> None:
    # Beziers start at the last pixel (rounded), not at the last fixed-point coordinate.
    p = path_of(
        PathSegment(flags=BEGIN, count=1, points=[PointFix(x=10 * 16 + 8, y=10 * 16 + 9)]),  # -> (10, 11)
        PathSegment(
            flags=BEZIER,
            count=6,
            points=[
                PointFix(x=x * 16, y=y * 16) for x, y in [(20, 0), (40, 0), (50, 30), (60, 60), (80, 60), (90, 40)]
            ],
        ),
        seg(END, [(100, 100)]),
    )
    (line,) = stroke_polylines(p)
    expect: list = [(10, 11)]
    _ref_subdivide(expect, (160, 176), (320, 0), (640, 0), (800, 480))
    p0 = (expect[-1][0] * 16, expect[-1][1] * 16)
    _ref_subdivide(expect, p0, (960, 960), (1280, 960), (1440, 640))
    expect.append((100, 100))
    assert [tuple(v) for v in line.tolist()] == expect


def test_begin_and_bezier_in_one_segment() -> None:
    # BEGIN takes the segment's first point; the remaining three are one cubic.
    ctrl = [(30, 0), (60, 40), (90, 10)]
    p = path_of(seg(BEGIN | BEZIER | END, [(5, 5), *ctrl]))
    (line,) = stroke_polylines(p)
    expect: list = [(5, 5)]
    _ref_subdivide(expect, (80, 80), *[(x * 16, y * 16) for x, y in ctrl])
    assert [tuple(v) for v in line.tolist()] == expect and len(expect) > 4


def test_bezier_count_not_multiple_of_three_stops_like_the_reference() -> None:
    # The reference returns from canvas_draw_stroke: finished polylines stay drawn, the rest does not.
    p = path_of(
        seg(BEGIN | END, [(0, 0), (10, 0)]),
        seg(BEGIN, [(0, 5), (10, 5)]),
        seg(BEZIER, [(1, 1), (2, 2)]),
        seg(BEGIN | END, [(0, 9), (10, 9)]),
    )
    assert [line.tolist() for line in stroke_polylines(p)] == [[[0, 0], [10, 0]]]
    spans = stroke_spans(p, solid(), 20, 20)
    assert spans.tolist() == [[0, 0, 10]]


@pytest.mark.parametrize(
    "path",
    [
        path_of(seg(BEGIN | END, [])),  # BEGIN reads a point the segment does not have
        path_of(seg(BEZIER | END, [(1, 1), (2, 2), (3, 3)])),  # no current point: the reference reads points[-1]
        path_of(seg(BEGIN | END, [(0, 0), (1, 1)]), seg(BEZIER, [(1, 1), (2, 2), (3, 3)])),
    ],
)
def test_paths_the_reference_cannot_read_are_refused(path: Path) -> None:
    with pytest.raises(ValueError):
        stroke_spans(path, solid(), 50, 50)


def test_dash_conversion() -> None:
    assert dash_pattern(solid()) is None
    # fix_to_int, then kept to 8 bits like the reference's unsigned char dash list.
    assert dash_pattern(styled([3, 5])) == (bytes([3, 5]), 0)
    style = [3 * 16 + 9, 5 * 16 + 8, 256 * 16 + 2 * 16, -16]
    assert dash_pattern(styled(style, fixed=True)) == (bytes([4, 5, 2, 255]), 0)
    # START_WITH_GAP: rotated left by one, offset = the new first entry.
    assert dash_pattern(styled([3, 5, 7, 9], gap=True)) == (bytes([5, 7, 9, 3]), 5)
    assert dash_pattern(styled([3], gap=True)) == (bytes([3]), 3)
    with pytest.raises(ValueError):
        dash_pattern(LineAttr(flags=STYLED, style_nseg=0, style=[]))


def test_stroke_rop_matches_ropd_descriptor_to_rop() -> None:
    put, o_or, o_and, o_xor = Ropd.OP_PUT, Ropd.OP_OR, Ropd.OP_AND, Ropd.OP_XOR
    ib, idst, ires = Ropd.INVERS_BRUSH, Ropd.INVERS_DEST, Ropd.INVERS_RES
    table = {
        put: 3,
        put | ib: 12,
        put | ires: 12,
        put | ib | ires: 3,
        put | idst: 3,
        o_or: 7,
        o_or | ires: 8,
        o_or | ib: 13,
        o_or | idst: 11,
        o_or | ib | idst | ires: 1,
        o_and: 1,
        o_and | ires: 14,
        o_and | ib: 4,
        o_and | idst: 2,
        o_and | ib | idst: 8,
        o_xor: 6,
        o_xor | ires: 9,
        o_xor | ib: 9,
        o_xor | ib | idst: 6,
        Ropd.OP_BLACKNESS: 0,
        Ropd.OP_WHITENESS: 15,
        Ropd.OP_INVERS: 10,
        0: 3,
        Ropd.INVERS_SRC | put: 3,  # the source invert bit means nothing for a brush
    }
    for mode, rop in table.items():
        assert stroke_rop(int(mode)) == rop, hex(mode)
    assert [r for r in range(16) if is_careful_rop(r)] == [2, 6, 8, 9, 10, 11, 14]


# --- span order and multiplicity --------------------------------------------------------------------------------


def test_solid_spans_come_segment_by_segment_in_walk_order() -> None:
    spans = stroke_spans(polylines_path([[(10, 10), (20, 10), (20, 20), (10, 10)]]), solid(), 40, 40)
    expect = [[10, 10, 20]]  # X-major: one span per row, last pixel (20, 10) left to the next segment
    expect += [[y, 20, 21] for y in range(10, 20)]  # vertical, without (20, 20)
    expect += [[y, y, y + 1] for y in range(20, 10, -1)]  # diagonal walked from (20, 20) up, without (10, 10)
    assert spans.tolist() == expect


def test_leftward_x_major_spans_start_at_their_leftmost_pixel() -> None:
    spans = stroke_spans(polylines_path([[(30, 3), (0, 0)]]), solid(), 40, 10)
    assert spans.tolist() == [[3, 25, 31], [2, 15, 25], [1, 5, 15], [0, 1, 5]]


def test_crossing_segments_paint_twice_and_careful_dashes_once() -> None:
    cross = [[(0, 0), (20, 20), (20, 0), (0, 20)]]
    c = counts(stroke_spans(polylines_path(cross), solid(), 30, 30), 30, 30)
    assert c.max() == 2 and c[10, 10] == 2
    attr = styled([200, 1])
    c = counts(stroke_spans(polylines_path(cross), attr, 30, 30, alu=SPICE_ROP_XOR), 30, 30)
    assert c.max() == 1
    spans = stroke_spans(polylines_path(cross), attr, 30, 30, alu=SPICE_ROP_XOR)
    assert spans[:, 0].tolist() == sorted(spans[:, 0].tolist())
    c = counts(stroke_spans(polylines_path(cross), attr, 30, 30), 30, 30)  # COPY: no union
    assert c.max() == 2


def test_single_points_and_zero_length_segments_draw_nothing(oracle) -> None:
    polys = [[(5, 5)], [(7, 7), (7, 7)], [(9, 9), (9, 9), (9, 9)]]
    assert stroke_spans(polylines_path(polys), solid(), 20, 20).shape == (0, 3)
    assert stroke_spans(polylines_path(polys), styled([2, 2]), 20, 20).shape == (0, 3)
    assert_same_as_x(oracle, polys, 20, 20)
    assert_same_as_x(oracle, polys, 20, 20, dashes=bytes([2, 2]))


# --- solid lines against X ----------------------------------------------------------------------------------------


def test_all_octants_against_x(oracle) -> None:
    w = h = 64
    c = (31, 29)
    ring = [(c[0] + dx, c[1] + dy) for r in (1, 2, 3, 7, 20, 29) for dx in range(-r, r + 1) for dy in (-r, r)]
    ring += [(c[0] + dx, c[1] + dy) for r in (1, 2, 3, 7, 20, 29) for dy in range(-r + 1, r) for dx in (-r, r)]
    for p in ring:
        for line in ([c, p], [p, c]):
            spans = stroke_spans(polylines_path([line]), solid(), w, h)
            assert_same_as_x(oracle, [line], w, h, spans_copy=spans, spans_xor=spans)


def test_lines_partly_and_wholly_off_surface_against_x(oracle) -> None:
    rng = random.Random(5)
    for size in ((64, 48), (7, 300), (1, 1), (300, 2)):
        for _ in range(150):
            r = rng.choice([10, 100, 1000, 32000])
            line = [(rng.randint(-r, size[0] + r), rng.randint(-r, size[1] + r)) for _ in range(2)]
            spans = stroke_spans(polylines_path([line]), solid(), *size)
            assert_same_as_x(oracle, [line], *size, spans_copy=spans, spans_xor=spans)


def test_random_polylines_against_x(oracle) -> None:
    rng = random.Random(7)
    for _ in range(300):
        size = rng.choice([(64, 48), (120, 90)])
        polys = []
        for _ in range(rng.randint(1, 3)):
            r = rng.choice([5, 50, 500, 30000])
            poly = [(rng.randint(-r, size[0] + r), rng.randint(-r, size[1] + r)) for _ in range(rng.randint(2, 8))]
            if rng.random() < 0.3:
                poly.append(poly[0])
            polys.append(poly)
        spans = stroke_spans(polylines_path(polys), solid(), *size)
        assert_same_as_x(oracle, polys, *size, spans_copy=spans, spans_xor=spans)


def test_closed_paths_against_x(oracle) -> None:
    star = [(32, 2), (50, 60), (4, 22), (60, 22), (14, 60)]
    p = path_of(seg(BEGIN | END | CLOSE, star))
    for attr, dashes in ((solid(), None), (styled([5, 3]), bytes([5, 3])), (styled([1, 1]), bytes([1, 1]))):
        closed = star + [star[0]]
        assert_same_as_x(
            oracle,
            [closed],
            64,
            64,
            dashes=dashes,
            spans_copy=stroke_spans(p, attr, 64, 64),
            spans_xor=stroke_spans(p, attr, 64, 64, alu=SPICE_ROP_XOR),
        )


def test_bezier_paths_against_x(oracle) -> None:
    rng = random.Random(3)
    for i in range(60):
        pts = [(rng.randint(-20, 100), rng.randint(-20, 80)) for _ in range(7)]
        p = path_of(seg(BEGIN, pts[:1]), seg(BEZIER | END | (CLOSE if i % 2 else 0), pts[1:]))
        lines = stroke_polylines(p)
        polys = [[tuple(v) for v in line.tolist()] for line in lines]
        attr, dashes = (solid(), None) if i % 3 else (styled([4, 2]), bytes([4, 2]))
        assert_same_as_x(
            oracle,
            polys,
            80,
            60,
            dashes=dashes,
            spans_copy=stroke_spans(p, attr, 80, 60),
            spans_xor=stroke_spans(p, attr, 80, 60, alu=SPICE_ROP_XOR),
        )


# --- dashed lines against X -------------------------------------------------------------------------------------


def test_dashed_random_polylines_against_x(oracle) -> None:
    rng = random.Random(9)
    for _ in range(400):
        size = rng.choice([(64, 48), (120, 90), (9, 200)])
        polys = []
        for _ in range(rng.randint(1, 3)):
            r = rng.choice([5, 50, 500, 16000])
            poly = [(rng.randint(-r, size[0] + r), rng.randint(-r, size[1] + r)) for _ in range(rng.randint(1, 7))]
            if rng.random() < 0.3:
                poly.append(poly[0])
            polys.append(poly)
        top = rng.choice([1, 3, 12, 255])
        dashes = bytes(rng.randint(1, top) for _ in range(rng.choice([2, 4, 6])))
        offset = rng.randint(0, 600)
        assert_same_as_x(oracle, polys, *size, dashes=dashes, offset=offset)


def test_dashed_joins_against_x(oracle) -> None:
    # Sharp turns (miter limit -> bevel), right angles, reversals, vertices on dash boundaries.
    shapes = [
        [(5, 30), (55, 32), (5, 34)],
        [(5, 5), (40, 5), (40, 40), (5, 40), (5, 5)],
        [(10, 10), (50, 50), (10, 12)],
        [(30, 5), (30, 50), (31, 5)],
        [(5, 20), (25, 20), (5, 20)],
        [(4, 4), (20, 30), (36, 4), (52, 30)],
    ]
    for shape in shapes:
        for dashes in (bytes([1, 1]), bytes([2, 1]), bytes([5, 5]), bytes([20, 3]), bytes([255, 1])):
            for offset in range(0, sum(dashes) + 1, max(1, sum(dashes) // 7)):
                assert_same_as_x(oracle, [shape], 60, 60, dashes=dashes, offset=offset)


def test_start_with_gap_against_x(oracle) -> None:
    rng = random.Random(2)
    for _ in range(60):
        style = [rng.randint(1, 9) for _ in range(rng.choice([2, 4]))]
        poly = [(rng.randint(-10, 70), rng.randint(-10, 50)) for _ in range(rng.randint(2, 5))]
        p = polylines_path([poly])
        for gap in (False, True):
            attr = styled(style, gap=gap)
            dashes, offset = dash_pattern(attr)
            assert_same_as_x(
                oracle,
                [poly],
                64,
                48,
                dashes=dashes,
                offset=offset,
                spans_copy=stroke_spans(p, attr, 64, 48),
                spans_xor=stroke_spans(p, attr, 64, 48, alu=SPICE_ROP_XOR),
            )


def test_odd_dash_lists_are_not_doubled(oracle) -> None:
    # The reference keeps an odd list as is (dash i is "on" when i is even), so the last and first entries make
    # one longer dash; X doubles odd lists, so the oracle gets the merged even list. Axis-aligned segments keep
    # every dash boundary exact, so splitting a dash in two cannot move a pixel.
    rng = random.Random(4)
    for _ in range(200):
        d = [rng.randint(1, 9) for _ in range(rng.choice([3, 5]))]
        a = (rng.randint(-20, 80), rng.randint(-20, 80))
        b = (rng.randint(-20, 80), a[1]) if rng.random() < 0.5 else (a[0], rng.randint(-20, 80))
        offset = rng.randint(0, sum(d) - 1)
        ours = counts(ours_raw([[a, b]], 64, 64, bytes(d), offset), 64, 64) > 0
        merged = bytes([d[-1] + d[0]] + d[1:-1])
        x = oracle(64, 64).draw([[a, b]], dashes=merged, dash_offset=offset + d[-1]) != 0
        assert np.array_equal(ours, x), (a, b, d, offset)
    # A single entry is "on" all the time.
    full = counts(ours_raw([[(2, 5), (40, 5)]], 64, 64, bytes([3]), 0), 64, 64)
    assert full[5, 2:40].all() and full.sum() == 38


# --- hostile input ----------------------------------------------------------------------------------------------


BIG = (1 << 27) - 1  # pixels; 28.4 values near +-2^31


# Cheap: bounded by pytest-timeout (a blow-up takes minutes), never by a timed assert on a shared machine.
@pytest.mark.timeout(120)
@pytest.mark.parametrize("attr", [solid(), styled([1, 1]), styled([1, 0, 0, 0]), styled([255, 1])])
def test_absurd_coordinates_are_cheap_and_sane(attr: LineAttr) -> None:
    lines = [
        [(-BIG, -BIG), (BIG, BIG)],
        [(-BIG, 500), (BIG, 600)],
        [(BIG, BIG), (-BIG, BIG - 3)],
        [(-BIG, -BIG), (BIG, -BIG), (BIG, BIG), (-BIG, BIG), (-BIG, -BIG)],
        [(7, -BIG), (7, BIG), (9, -BIG)],
    ]
    for line in lines:
        spans = stroke_spans(polylines_path([line]), attr, 1920, 1080)
        counts(spans, 1920, 1080)  # in bounds
    # The horizontal-ish line crosses the surface around y = 550 and covers the full width (when solid).
    spans = stroke_spans(polylines_path([[(-BIG, 500), (BIG, 600)]]), solid(), 1920, 1080)
    assert spans.tolist() == [[550, 0, 1920]]
    # Raw 28.4 extremes, also as Bezier control points.
    ext = [(-(1 << 31), -(1 << 31)), ((1 << 31) - 1, (1 << 31) - 1), (-(1 << 31), (1 << 31) - 1)]
    p = path_of(seg(BEGIN, [(0, 0)]), seg(BEZIER | END, ext, fixed=True), seg(BEGIN | END, ext, fixed=True))
    counts(stroke_spans(p, attr, 640, 480), 640, 480)


def test_long_dashed_lines_far_off_surface_keep_their_phase() -> None:
    # Dash periods that cannot reach the surface are stepped over; the phase on the surface must not change.
    # A horizontal line: exact arithmetic, so the long line equals the clipped-by-a-period-multiple one.
    dashes = bytes([3, 2, 1, 4])
    far = ours_raw([[(-10_000_000, 7), (500, 7)]], 300, 20, dashes, 0)
    near = ours_raw([[(-10_000_000 + 10 * 999_990, 7), (500, 7)]], 300, 20, dashes, 0)
    assert far.tolist() == near.tolist() and len(far) > 10


def test_zero_dash_lists() -> None:
    p = polylines_path([[(0, 0), (50, 40), (10, 30)]])
    with pytest.raises(ValueError):
        stroke_spans(p, styled([0, 0]), 64, 64)  # the reference loops forever
    with pytest.raises(ValueError):
        stroke_spans(p, styled([256, 512]), 64, 64)  # 8-bit wrap makes these zero too
    # Zero entries among others are fine and finite.
    for style in ([0, 3], [3, 0], [0, 0, 2, 0], [1, 0, 0, 0]):
        counts(stroke_spans(p, styled(style), 64, 64), 64, 64)
        counts(stroke_spans(p, styled(style, gap=True), 64, 64, alu=SPICE_ROP_XOR), 64, 64)


def test_degenerate_beziers_terminate() -> None:
    rng = random.Random(1)
    for _ in range(300):
        base = (rng.randint(-100, 1000), rng.randint(-100, 1000))
        pts = [(base[0] + rng.randint(0, 4), base[1] + rng.randint(0, 4)) for _ in range(3)]
        start = PointFix(x=base[0] + rng.randint(0, 4) * 16, y=base[1])
        p = path_of(
            PathSegment(flags=BEGIN, count=1, points=[start]),
            PathSegment(flags=BEZIER | END, count=3, points=[PointFix(x=x, y=y) for x, y in pts]),
        )
        stroke_polylines(p)
        stroke_spans(p, solid(), 100, 100)


def test_caps_turn_into_value_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    many = polylines_path([[(i % 97, (i * 7) % 89) for i in range(5000)]])
    with pytest.raises(ValueError):
        stroke_spans(many, solid(), 100, 100, max_spans=1000)
    with pytest.raises(ValueError):
        stroke_spans(many, styled([1, 1]), 100, 100, max_work=10_000)
    monkeypatch.setattr(stroke_mod, "MAX_POINTS", 1000)
    with pytest.raises(ValueError):
        stroke_spans(many, solid(), 100, 100)


@pytest.mark.timeout(120)
def test_many_points_and_empty_surfaces() -> None:
    rng = random.Random(8)
    pts = [(rng.randint(-50, 150), rng.randint(-50, 150)) for _ in range(20000)]
    p = polylines_path([pts])
    for attr in (solid(), styled([2, 3])):
        counts(stroke_spans(p, attr, 100, 100), 100, 100)
    for w, h in ((0, 10), (10, 0), (-5, -5)):
        assert stroke_spans(p, solid(), w, h).shape == (0, 3)
    assert stroke_spans(path_of(), solid(), 10, 10).shape == (0, 3)


def test_parsed_wire_structures_work() -> None:
    from spiceview.protocol.messages import display
    from spiceview.protocol.messages import types as t
    from spiceview.protocol.schema import build_body, parse_body

    p = path_of(seg(BEGIN | END | CLOSE, [(1, 1), (30, 4), (12, 25)]))
    a = styled([4, 2], gap=True)
    brush = t.Brush(type=1, color=0xFFFFFF)
    data = display.Stroke(path=p, attr=a, brush=brush, fore_mode=int(Ropd.OP_PUT), back_mode=0)
    base = t.DisplayBase(surface_id=0, box=t.Rect(top=0, left=0, bottom=40, right=40), clip=t.Clip(type=0))
    msg = display.MSG_DRAW_STROKE.cls(base=base, data=data)
    parsed = parse_body(display.MSG_DRAW_STROKE.layout, build_body(display.MSG_DRAW_STROKE.layout, msg)).data
    got = stroke_spans(parsed.path, parsed.attr, 40, 40, alu=stroke_rop(parsed.fore_mode))
    assert got.tolist() == stroke_spans(p, a, 40, 40).tolist()
    assert len(got) > 0
