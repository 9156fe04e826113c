# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The raster core of DRAW_STROKE: path flattening, zero-width solid lines and one-pixel dashed lines.

Everything here reproduces the pixel rules of the reference client (spice-common canvas_base.c and lines.c, which
carry the X sample server's mi line code); the rules are described in spiceview/canvas/stroke/__init__.py. The
arithmetic is done in 64-bit integers and doubles where the reference uses 32-bit ints, so results agree with it
wherever its ints do not overflow and stay sane where they would.

All loops run without the GIL. Errors are reported through Sink.err and turned into ValueError by the callers.
"""

from libc.math cimport hypot
from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport free, malloc, qsort, realloc

import numpy as np

ctypedef long long ll

# --- errors -----------------------------------------------------------------------------------------------------

cdef enum:
    ERR_NONE = 0
    ERR_SPANS = 1       # more spans than the caller allows
    ERR_MEMORY = 2
    ERR_WORK = 3        # more loop steps than the caller allows
    ERR_POINTS = 4      # more polyline points than the caller allows

_MESSAGES = {
    ERR_SPANS: "stroke produces more spans than allowed",
    ERR_MEMORY: "out of memory while rasterising a stroke",
    ERR_WORK: "stroke needs more work than allowed",
    ERR_POINTS: "stroke path has more points than allowed",
}

# --- span sink ----------------------------------------------------------------------------------------------------

cdef struct Sink:
    int32_t *buf        # spans as (y, x0, x1) triples
    Py_ssize_t n        # spans held
    Py_ssize_t cap
    Py_ssize_t limit    # most spans allowed
    ll work
    ll work_limit
    ll w
    ll h
    int err


cdef inline bint sink_work(Sink *s, ll steps) noexcept nogil:
    s.work += steps
    if s.work > s.work_limit:
        if not s.err:
            s.err = ERR_WORK
        return False
    return True


cdef bint sink_grow(Sink *s) noexcept nogil:
    cdef Py_ssize_t cap = s.cap * 2 if s.cap else 256
    cdef int32_t *nb = <int32_t *> realloc(s.buf, cap * 3 * sizeof(int32_t))
    if nb == NULL:
        s.err = ERR_MEMORY
        return False
    s.buf = nb
    s.cap = cap
    return True


cdef inline void sink_push(Sink *s, ll y, ll x0, ll x1) noexcept nogil:
    """Append the span [x0, x1) of row y, clipped to the surface."""
    if s.err or y < 0 or y >= s.h:
        return
    if x0 < 0:
        x0 = 0
    if x1 > s.w:
        x1 = s.w
    if x0 >= x1:
        return
    if s.n >= s.limit:
        s.err = ERR_SPANS
        return
    if s.n == s.cap and not sink_grow(s):
        return
    s.buf[3 * s.n] = <int32_t> y
    s.buf[3 * s.n + 1] = <int32_t> x0
    s.buf[3 * s.n + 2] = <int32_t> x1
    s.n += 1


cdef int span_cmp(const void *a, const void *b) noexcept nogil:
    cdef const int32_t *p = <const int32_t *> a
    cdef const int32_t *q = <const int32_t *> b
    if p[0] != q[0]:
        return -1 if p[0] < q[0] else 1
    if p[1] != q[1]:
        return -1 if p[1] < q[1] else 1
    return 0


cdef void sink_unique(Sink *s, Py_ssize_t start) noexcept nogil:
    """Replace spans [start:] by their union: rows ascending, runs left to right, touching runs merged.

    This is what mi's span groups (miFillUniqueSpanGroup) hand to FillSpans; clipping before or after the union
    gives the same runs.
    """
    cdef Py_ssize_t count = s.n - start, i, out
    cdef int32_t *b = s.buf + 3 * start
    if count <= 1:
        return
    qsort(b, count, 3 * sizeof(int32_t), span_cmp)
    out = 0
    for i in range(1, count):
        if b[3 * i] == b[3 * out] and b[3 * i + 1] <= b[3 * out + 2]:
            if b[3 * i + 2] > b[3 * out + 2]:
                b[3 * out + 2] = b[3 * i + 2]
        else:
            out += 1
            b[3 * out] = b[3 * i]
            b[3 * out + 1] = b[3 * i + 1]
            b[3 * out + 2] = b[3 * i + 2]
    s.n = start + out + 1


# --- fixed point and Bezier flattening ----------------------------------------------------------------------------

cdef inline ll fix_to_int(ll v) noexcept nogil:
    """28.4 to int as the reference rounds: floor, plus one when the fraction is above one half (9/16 and up)."""
    return (v >> 4) + (1 if (v & 15) > 8 else 0)


cdef inline ll half(ll v) noexcept nogil:
    """C's v / 2 (rounds toward zero)."""
    return v / 2


cdef struct Points:
    ll *xy              # interleaved x, y
    Py_ssize_t n
    Py_ssize_t cap
    Py_ssize_t limit
    int err


cdef bint points_push(Points *p, ll x, ll y) noexcept nogil:
    cdef Py_ssize_t cap
    cdef ll *nb
    if p.err:
        return False
    if p.n >= p.limit:
        p.err = ERR_POINTS
        return False
    if p.n == p.cap:
        cap = p.cap * 2 if p.cap else 64
        nb = <ll *> realloc(p.xy, cap * 2 * sizeof(ll))
        if nb == NULL:
            p.err = ERR_MEMORY
            return False
        p.xy = nb
        p.cap = cap
    p.xy[2 * p.n] = x
    p.xy[2 * p.n + 1] = y
    p.n += 1
    return True


cdef struct Curve:
    ll x[4]
    ll y[4]
    int depth


cdef enum:
    BEZIER_MAX_DEPTH = 96
    TINY_EXTENT = 8     # 28.4 units; subdivision cycles only occur among curves this small


cdef inline ll curve_extent(Curve *c) noexcept nogil:
    cdef ll x0 = c.x[0], x1 = c.x[0], y0 = c.y[0], y1 = c.y[0]
    cdef int i
    for i in range(1, 4):
        if c.x[i] < x0:
            x0 = c.x[i]
        if c.x[i] > x1:
            x1 = c.x[i]
        if c.y[i] < y0:
            y0 = c.y[i]
        if c.y[i] > y1:
            y1 = c.y[i]
    return x1 - x0 if x1 - x0 > y1 - y0 else y1 - y0


cdef inline ll dot16(ll ax, ll ay, ll bx, ll by) noexcept nogil:
    return (ax * bx + ay * by) >> 4


cdef bint flat_enough(Curve *c) noexcept nogil:
    """The reference's test: both inner control points within about 0.7 px of the chord (and a chord of 1/4 px)."""
    cdef ll ax = c.x[1] - c.x[0], ay = c.y[1] - c.y[0]
    cdef ll bx = c.x[3] - c.x[0], by = c.y[3] - c.y[0]
    cdef ll cx = c.x[2] - c.x[3], cy = c.y[2] - c.y[3]
    cdef ll lim = 1 << 17
    cdef ll A2, B2, C2, AB, CB, h1, h2
    cdef double fa, fb, fc, cross1, cross2, fB2
    if (-lim < ax < lim and -lim < ay < lim and -lim < bx < lim and -lim < by < lim
            and -lim < cx < lim and -lim < cy < lim):
        # Exactly the reference's 64-bit arithmetic (it cannot overflow at these sizes).
        A2 = dot16(ax, ay, ax, ay)
        B2 = dot16(bx, by, bx, by)
        C2 = dot16(cx, cy, cx, cy)
        AB = dot16(ax, ay, bx, by)
        CB = dot16(cx, cy, -bx, -by)
        h1 = (A2 * B2 - AB * AB) >> 3
        h2 = (C2 * B2 - CB * CB) >> 3
        return h1 < B2 and h2 < B2
    # Control points more than 8192 px apart: the reference's int64 products overflow there. Use the same
    # criterion in floating point: A2*B2 - AB^2 = cross(a, b)^2 / 256.
    cross1 = <double> ax * <double> by - <double> ay * <double> bx
    cross2 = <double> cx * <double> by - <double> cy * <double> bx
    fB2 = (<double> bx * <double> bx + <double> by * <double> by) / 16.0
    return cross1 * cross1 / 2048.0 < fB2 and cross2 * cross2 / 2048.0 < fB2


cdef bint flatten_bezier(Points *out, ll x0, ll y0, ll x1, ll y1, ll x2, ll y2, ll x3, ll y3,
                         ll *work, ll work_limit) noexcept nogil:
    """Append the reference's flattening (subdivide_bezier) of one cubic: the end point of every flat piece.

    Depth first, first half before second half, midpoints rounded toward zero. Where the reference would recurse
    forever (a piece that reappears among its own descendants: tiny curves whose chord rounds to zero length) the
    piece is taken as flat instead.
    """
    cdef Curve stack[BEZIER_MAX_DEPTH + 2]
    cdef Curve path[BEZIER_MAX_DEPTH + 2]   # path[d]: the ancestor at depth d of the curve being examined
    cdef int sp = 0, i, d
    cdef Curve c
    cdef Curve *left
    cdef Curve *right
    cdef ll x01, y01, x12, y12, x23, y23, x012, y012, x123, y123, xm, ym
    cdef bint leaf, cycle
    stack[0].x[0] = x0; stack[0].x[1] = x1; stack[0].x[2] = x2; stack[0].x[3] = x3
    stack[0].y[0] = y0; stack[0].y[1] = y1; stack[0].y[2] = y2; stack[0].y[3] = y3
    stack[0].depth = 0
    sp = 1
    while sp > 0:
        sp -= 1
        c = stack[sp]
        work[0] += 1
        if work[0] > work_limit:
            out.err = ERR_WORK
            return False
        path[c.depth] = c
        leaf = flat_enough(&c)
        if not leaf:
            if c.depth >= BEZIER_MAX_DEPTH:
                leaf = True
            elif curve_extent(&c) <= TINY_EXTENT:
                # Extents never grow from parent to child, so equal ancestors are among the tiny tail of the path.
                cycle = False
                d = c.depth - 1
                while d >= 0 and not cycle and curve_extent(&path[d]) <= TINY_EXTENT:
                    cycle = True
                    for i in range(4):
                        if path[d].x[i] != c.x[i] or path[d].y[i] != c.y[i]:
                            cycle = False
                            break
                    d -= 1
                leaf = cycle
        if leaf:
            if not points_push(out, fix_to_int(c.x[3]), fix_to_int(c.y[3])):
                return False
            continue
        x01 = half(c.x[0] + c.x[1]); y01 = half(c.y[0] + c.y[1])
        x12 = half(c.x[1] + c.x[2]); y12 = half(c.y[1] + c.y[2])
        x23 = half(c.x[2] + c.x[3]); y23 = half(c.y[2] + c.y[3])
        x012 = half(x01 + x12); y012 = half(y01 + y12)
        x123 = half(x12 + x23); y123 = half(y12 + y23)
        xm = half(x012 + x123); ym = half(y012 + y123)
        # Push the second half first so the first half is flattened first.
        right = &stack[sp]
        right.x[0] = xm; right.x[1] = x123; right.x[2] = x23; right.x[3] = c.x[3]
        right.y[0] = ym; right.y[1] = y123; right.y[2] = y23; right.y[3] = c.y[3]
        right.depth = c.depth + 1
        left = &stack[sp + 1]
        left.x[0] = c.x[0]; left.x[1] = x01; left.x[2] = x012; left.x[3] = xm
        left.y[0] = c.y[0]; left.y[1] = y01; left.y[2] = y012; left.y[3] = ym
        left.depth = c.depth + 1
        sp += 2
    return True


# Path segment flags (spice.proto PathFlags).
cdef enum:
    PATH_BEGIN = 1
    PATH_END = 2
    PATH_CLOSE = 8
    PATH_BEZIER = 16


def build_polylines(list segments, Py_ssize_t max_points, ll max_work):
    """Walk the path the way canvas_draw_stroke does and return the integer polylines it draws.

    segments: list of (flags, int64 array (n, 2) of 28.4 coordinates already reduced to int32).
    Returns (points int64 (N, 2), starts int64 (M + 1,), stopped): polyline i is points[starts[i]:starts[i+1]].
    stopped is True when a BEZIER segment's point count is not a multiple of 3: the reference stops drawing
    there (polylines finished before it stay drawn, the one under construction and the rest of the path do not).
    """
    cdef Points pts
    cdef list starts = [0]
    cdef Py_ssize_t cur = 0, i, m, k
    cdef int flags
    cdef ll[:, ::1] seg
    cdef ll work = 0
    cdef bint stopped = False, ok
    pts.xy = NULL
    pts.n = 0
    pts.cap = 0
    pts.limit = max_points
    pts.err = ERR_NONE
    try:
        for flags, arr in segments:
            seg = arr
            m = seg.shape[0]
            i = 0
            if flags & PATH_BEGIN:
                if pts.n > cur:
                    starts.append(pts.n)
                    cur = pts.n
                if m == 0:
                    raise ValueError("stroke path: BEGIN segment without points")
                points_push(&pts, fix_to_int(seg[0, 0]), fix_to_int(seg[0, 1]))
                i = 1
            if flags & PATH_BEZIER:
                if (m - i) % 3 != 0:
                    stopped = True
                    break
                if m - i > 0 and pts.n == cur:
                    raise ValueError("stroke path: Bezier segment without a current point")
                with nogil:
                    k = i
                    while k + 2 < m:
                        ok = flatten_bezier(&pts, pts.xy[2 * pts.n - 2] * 16, pts.xy[2 * pts.n - 1] * 16,
                                            seg[k, 0], seg[k, 1], seg[k + 1, 0], seg[k + 1, 1],
                                            seg[k + 2, 0], seg[k + 2, 1], &work, max_work)
                        if not ok:
                            break
                        k += 3
            else:
                with nogil:
                    for k in range(i, m):
                        if not points_push(&pts, fix_to_int(seg[k, 0]), fix_to_int(seg[k, 1])):
                            break
            if pts.err:
                raise ValueError(_MESSAGES[pts.err])
            if flags & PATH_END:
                if flags & PATH_CLOSE and pts.n > cur:
                    points_push(&pts, pts.xy[2 * cur], pts.xy[2 * cur + 1])
                if pts.n > cur:
                    starts.append(pts.n)
                    cur = pts.n
        if pts.err:
            raise ValueError(_MESSAGES[pts.err])
        if stopped:
            pts.n = cur
        elif pts.n > cur:
            starts.append(pts.n)
        out = np.empty((pts.n, 2), dtype=np.int64)
        for i in range(pts.n):
            out[i, 0] = pts.xy[2 * i]
            out[i, 1] = pts.xy[2 * i + 1]
        return out, np.asarray(starts, dtype=np.int64), stopped
    finally:
        free(pts.xy)


# --- zero-width solid lines (miZeroLine with CapNotLast) ----------------------------------------------------------

cdef enum:
    OUT_LEFT = 8
    OUT_RIGHT = 4
    OUT_ABOVE = 2
    OUT_BELOW = 1
    XDECREASING = 4
    YDECREASING = 2
    YMAJOR = 1
    # Octants that prefer the axial step when the error term is exactly zero: X's default zero-line bias,
    # OCTANT2 | OCTANT3 | OCTANT4 | OCTANT5 with OCTANTn = 1 << (its octant bits).
    ZERO_LINE_BIAS = (1 << (YDECREASING | YMAJOR)) | (1 << (XDECREASING | YDECREASING | YMAJOR)) \
        | (1 << (XDECREASING | YDECREASING)) | (1 << XDECREASING)

# Terms of the clipping equations (see mi's miZeroClipLine): which of 2*M*dy or 2*N*dx, +/- dx or dy,
# -bias or bias-1, divided by 2dx or 2dy, plus one.
cdef enum:
    T_2NDX = 1
    T_DXNOTY = 2
    T_SUBDXORY = 4
    T_BIASSUBONE = 8
    T_DIV2DX = 16
    T_ADDONE = 32
    EQN1 = T_DXNOTY | T_DIV2DX
    EQN1B = T_DXNOTY | T_DIV2DX
    EQN2 = T_DXNOTY | T_BIASSUBONE | T_DIV2DX
    EQN2B = T_DXNOTY | T_BIASSUBONE | T_DIV2DX
    EQN3 = T_SUBDXORY | T_BIASSUBONE | T_DIV2DX | T_ADDONE
    EQN3B = T_BIASSUBONE | T_DIV2DX
    EQN4 = T_SUBDXORY | T_DIV2DX | T_ADDONE
    EQN4B = T_DIV2DX
    EQN5 = T_2NDX | T_DXNOTY | T_SUBDXORY | T_BIASSUBONE | T_ADDONE
    EQN5B = T_2NDX | T_DXNOTY | T_BIASSUBONE
    EQN6 = T_2NDX | T_DXNOTY | T_SUBDXORY | T_ADDONE
    EQN6B = T_2NDX | T_DXNOTY
    EQN7 = T_2NDX
    EQN7B = T_2NDX
    EQN8 = T_2NDX | T_BIASSUBONE
    EQN8B = T_2NDX | T_BIASSUBONE


cdef inline int outcode(ll x, ll y, ll xmin, ll ymin, ll xmax, ll ymax) noexcept nogil:
    cdef int oc = 0
    if x < xmin:
        oc |= OUT_LEFT
    if x > xmax:
        oc |= OUT_RIGHT
    if y < ymin:
        oc |= OUT_ABOVE
    if y > ymax:
        oc |= OUT_BELOW
    return oc


cdef inline ll floor_div(ll a, ll b) noexcept nogil:
    cdef ll q = a / b
    if (a % b != 0) and ((a < 0) != (b < 0)):
        q -= 1
    return q


cdef int zero_clip(ll xmin, ll ymin, ll xmax, ll ymax, ll *nx1, ll *ny1, ll *nx2, ll *ny2,
                   ll adx, ll ady, int *pt1_clipped, int *pt2_clipped, int octant, int oc1, int oc2) noexcept nogil:
    """Clip a Bresenham line to the box so that it keeps exactly the pixels it has inside (mi's equations).

    Returns 1 (accepted, end points moved) or -1 (nothing inside).
    """
    cdef int swapped = 0, clip1 = 0, clip2 = 0, t, it, done = -1
    cdef ll x1 = nx1[0], y1 = ny1[0], x2 = nx2[0], y2 = ny2[0]
    cdef ll x1o = x1, y1o = y1, x2o = x2, y2o = y2, lt
    cdef bint xmajor = not (octant & YMAJOR)
    cdef int negslope = 0
    cdef ll anchor = 0, utmp = 0
    cdef int eqn = 0
    cdef ll bias = (ZERO_LINE_BIAS >> octant) & 1
    for it in range(32):
        if oc1 & oc2:
            done = -1
            clip1 = oc1
            clip2 = oc2
            break
        if (oc1 | oc2) == 0:
            done = 1
            if swapped:
                lt = x1; x1 = x2; x2 = lt
                lt = y1; y1 = y2; y2 = lt
                t = clip1; clip1 = clip2; clip2 = t
            break
        if oc1 == 0:
            lt = x1; x1 = x2; x2 = lt
            lt = y1; y1 = y2; y2 = lt
            lt = x1o; x1o = x2o; x2o = lt
            lt = y1o; y1o = y2o; y2o = lt
            t = oc1; oc1 = oc2; oc2 = t
            t = clip1; clip1 = clip2; clip2 = t
            swapped = not swapped
        clip1 |= oc1
        if oc1 & OUT_LEFT:
            negslope = (octant & YDECREASING) != 0
            utmp = xmin - x1o
            if 0 <= utmp <= 32767:
                if xmajor:
                    eqn = EQN2 if swapped else EQN1
                else:
                    eqn = EQN4 if swapped else EQN3
                anchor = y1o
            else:
                utmp = x2o - xmin
                if xmajor:
                    eqn = EQN1B if swapped else EQN2B
                else:
                    eqn = EQN3B if swapped else EQN4B
                anchor = y2o
                negslope = not negslope
            x1 = xmin
        elif oc1 & OUT_ABOVE:
            negslope = (octant & XDECREASING) != 0
            utmp = ymin - y1o
            if 0 <= utmp <= 32767:
                if xmajor:
                    eqn = EQN6 if swapped else EQN5
                else:
                    eqn = EQN8 if swapped else EQN7
                anchor = x1o
            else:
                utmp = y2o - ymin
                if xmajor:
                    eqn = EQN5B if swapped else EQN6B
                else:
                    eqn = EQN7B if swapped else EQN8B
                anchor = x2o
                negslope = not negslope
            y1 = ymin
        elif oc1 & OUT_RIGHT:
            negslope = (octant & YDECREASING) != 0
            utmp = x1o - xmax
            if 0 <= utmp <= 32767:
                if xmajor:
                    eqn = EQN2 if swapped else EQN1
                else:
                    eqn = EQN4 if swapped else EQN3
                anchor = y1o
            else:
                utmp = xmax - x2o
                if xmajor:
                    eqn = EQN1B if swapped else EQN2B
                else:
                    eqn = EQN3B if swapped else EQN4B
                anchor = y2o
                negslope = not negslope
            x1 = xmax
        elif oc1 & OUT_BELOW:
            negslope = (octant & XDECREASING) != 0
            utmp = y1o - ymax
            if 0 <= utmp <= 32767:
                if xmajor:
                    eqn = EQN6 if swapped else EQN5
                else:
                    eqn = EQN8 if swapped else EQN7
                anchor = x1o
            else:
                utmp = ymax - y2o
                if xmajor:
                    eqn = EQN5B if swapped else EQN6B
                else:
                    eqn = EQN7B if swapped else EQN8B
                anchor = x2o
                negslope = not negslope
            y1 = ymax
        if swapped:
            negslope = not negslope
        utmp <<= 1
        if eqn & T_2NDX:
            utmp = utmp * adx
        else:
            utmp = utmp * ady
        if eqn & T_DXNOTY:
            if eqn & T_SUBDXORY:
                utmp -= adx
            else:
                utmp += adx
        else:
            if eqn & T_SUBDXORY:
                utmp -= ady
            else:
                utmp += ady
        if eqn & T_BIASSUBONE:
            utmp += bias - 1
        else:
            utmp -= bias
        if eqn & T_DIV2DX:
            utmp = floor_div(utmp, adx << 1)
        else:
            utmp = floor_div(utmp, ady << 1)
        if eqn & T_ADDONE:
            utmp += 1
        if negslope:
            utmp = -utmp
        if eqn & T_2NDX:
            x1 = anchor + utmp
        else:
            y1 = anchor + utmp
        oc1 = outcode(x1, y1, xmin, ymin, xmax, ymax)
    nx1[0] = x1
    ny1[0] = y1
    nx2[0] = x2
    ny2[0] = y2
    pt1_clipped[0] = clip1
    pt2_clipped[0] = clip2
    return done


cdef inline ll iabs(ll v) noexcept nogil:
    return -v if v < 0 else v


cdef void zero_polyline(Sink *s, const ll *xy, Py_ssize_t npt) noexcept nogil:
    """miZeroLine, CapNotLast: every segment without its last pixel, spans flushed segment by segment."""
    cdef ll xleft = 0, ytop = 0, xright = s.w - 1, ybottom = s.h - 1
    cdef ll x1, y1, x2, y2, nx1, ny1, nx2, ny2, adx, ady, e, e1, e2, e3, length, x, y, clipdx, clipdy
    cdef ll sx, sy, span_y = 0, span_x = 0, span_w = 0
    cdef int oc1, oc2, octant, pt1c, pt2c
    cdef Py_ssize_t i
    cdef bint have_span
    if npt < 2 or xright < 0 or ybottom < 0:
        return
    x2 = xy[0]
    y2 = xy[1]
    oc2 = outcode(x2, y2, xleft, ytop, xright, ybottom)
    for i in range(1, npt):
        if s.err:
            return
        x1 = x2
        y1 = y2
        oc1 = oc2
        x2 = xy[2 * i]
        y2 = xy[2 * i + 1]
        oc2 = outcode(x2, y2, xleft, ytop, xright, ybottom)
        octant = 0
        sx = 1
        sy = 1
        adx = x2 - x1
        if adx < 0:
            adx = -adx
            sx = -1
            octant |= XDECREASING
        ady = y2 - y1
        if ady < 0:
            ady = -ady
            sy = -1
            octant |= YDECREASING
        if adx <= ady:
            octant |= YMAJOR
        if adx > ady:
            e1 = ady << 1
            e2 = e1 - (adx << 1)
            e = e1 - adx
            length = adx
        else:
            e1 = adx << 1
            e2 = e1 - (ady << 1)
            e = e1 - ady
            length = ady
        e -= (ZERO_LINE_BIAS >> octant) & 1
        nx1 = x1
        ny1 = y1
        nx2 = x2
        ny2 = y2
        if oc1 | oc2:
            if zero_clip(xleft, ytop, xright, ybottom, &nx1, &ny1, &nx2, &ny2, adx, ady,
                         &pt1c, &pt2c, octant, oc1, oc2) == -1:
                continue
            length = iabs(nx2 - nx1) if adx > ady else iabs(ny2 - ny1)
            if pt2c:
                length += 1
            if pt1c:
                clipdx = iabs(nx1 - x1)
                clipdy = iabs(ny1 - y1)
                if adx > ady:
                    e += clipdy * e2 + (clipdx - clipdy) * e1
                else:
                    e += clipdx * e2 + (clipdy - clipdx) * e1
        if not sink_work(s, length + 1):
            return
        x = nx1
        y = ny1
        e3 = e2 - e1
        e = e - e1
        have_span = False
        if adx > ady:
            while length > 0:
                length -= 1
                if have_span and y == span_y:
                    if x < span_x:
                        span_x = x
                    span_w += 1
                else:
                    if have_span:
                        sink_push(s, span_y, span_x, span_x + span_w)
                    have_span = True
                    span_y = y
                    span_x = x
                    span_w = 1
                e += e1
                if e >= 0:
                    y += sy
                    e += e3
                x += sx
        else:
            while length > 0:
                length -= 1
                if have_span and y == span_y:
                    if x < span_x:
                        span_x = x
                    span_w += 1
                else:
                    if have_span:
                        sink_push(s, span_y, span_x, span_x + span_w)
                    have_span = True
                    span_y = y
                    span_x = x
                    span_w = 1
                e += e1
                if e >= 0:
                    x += sx
                    e += e3
                y += sy
        if have_span:
            sink_push(s, span_y, span_x, span_x + span_w)


# --- one-pixel dashed lines (miWideDash, lineWidth 1, LineOnOffDash, CapNotLast, JoinMiter) -----------------------

cdef struct Vertex:
    double x
    double y

cdef struct Slope:
    ll dx
    ll dy
    double k            # x0 * dy - y0 * dx

cdef struct Edge:
    ll height
    ll x
    ll stepx
    ll signdx
    ll e
    ll dy
    ll dx

cdef struct Face:
    double xa
    double ya
    ll dx
    ll dy
    ll x
    ll y
    double k

cdef struct DashState:
    const unsigned char *dash
    int ndash
    ll period
    int index
    ll offset


cdef double SQSECANT = 108.856472512142  # 1/sin^2(11/2): the miter limit


cdef inline ll iceil(double v) noexcept nogil:
    cdef ll t
    if v != v:
        return 0
    if v > 4.0e18:
        v = 4.0e18
    elif v < -4.0e18:
        v = -4.0e18
    t = <ll> v
    if v == <double> t or v < 0.0:
        return t
    return t + 1


cdef ll build_edge(double y0, double k, ll dx, ll dy, ll xi, ll yi, int left, Edge *edge) noexcept nogil:
    """miPolyBuildEdge: the first scanline at or below y0 and the Bresenham state of the edge there."""
    cdef ll x, y, e, xady
    if dy < 0:
        dy = -dy
        dx = -dx
        k = -k
    y = iceil(y0)
    xady = iceil(k) + y * dx
    if xady <= 0:
        x = -((-xady) / dy) - 1
    else:
        x = (xady - 1) / dy
    e = xady - x * dy
    if dx >= 0:
        edge.signdx = 1
        edge.stepx = dx / dy
        edge.dx = dx % dy
    else:
        edge.signdx = -1
        edge.stepx = -((-dx) / dy)
        edge.dx = (-dx) % dy
        e = dy - e + 1
    edge.dy = dy
    edge.x = x + left + xi
    edge.e = e - dy
    return y + yi


cdef inline int step_around(int v, int incr, int count) noexcept nogil:
    if v + incr < 0:
        return count - 1
    if v + incr == count:
        return 0
    return v + incr


cdef ll build_poly(Vertex *vertices, Slope *slopes, int count, ll xi, ll yi, Edge *left, Edge *right,
                   int *pnleft, int *pnright, ll *h) noexcept nogil:
    """miPolyBuildPoly: split a convex polygon into left and right edge lists from its top vertex."""
    cdef int top = 0, bottom = 0, i, j, s, clockwise = 1, slopeoff = 0, nright = 0, nleft = 0
    cdef double miny = vertices[0].y, maxy = vertices[0].y
    cdef ll y, lasty = 0, bottomy, topy = 0
    for i in range(1, count):
        if vertices[i].y < miny:
            top = i
            miny = vertices[i].y
        if vertices[i].y >= maxy:
            bottom = i
            maxy = vertices[i].y
    i = top
    j = step_around(top, -1, count)
    if slopes[j].dy * slopes[i].dx > slopes[i].dy * slopes[j].dx:
        clockwise = -1
        slopeoff = -1
    bottomy = iceil(maxy) + yi
    s = step_around(top, slopeoff, count)
    i = top
    while i != bottom:
        if slopes[s].dy != 0:
            y = build_edge(vertices[i].y, slopes[s].k, slopes[s].dx, slopes[s].dy, xi, yi, 0, &right[nright])
            if nright != 0:
                right[nright - 1].height = y - lasty
            else:
                topy = y
            nright += 1
            lasty = y
        i = step_around(i, clockwise, count)
        s = step_around(s, clockwise, count)
    if nright != 0:
        right[nright - 1].height = bottomy - lasty
    slopeoff = -1 if slopeoff == 0 else 0
    s = step_around(top, slopeoff, count)
    i = top
    while i != bottom:
        if slopes[s].dy != 0:
            y = build_edge(vertices[i].y, slopes[s].k, slopes[s].dx, slopes[s].dy, xi, yi, 1, &left[nleft])
            if nleft != 0:
                left[nleft - 1].height = y - lasty
            nleft += 1
            lasty = y
        i = step_around(i, -clockwise, count)
        s = step_around(s, -clockwise, count)
    if nleft != 0:
        left[nleft - 1].height = bottomy - lasty
    pnleft[0] = nleft
    pnright[0] = nright
    h[0] = bottomy - topy
    return topy


cdef void fill_poly(Sink *s, ll y, Edge *left, Edge *right, int left_count, int right_count) noexcept nogil:
    """miFillPolyHelper: one span per scanline between the left and right edges."""
    cdef ll left_x = 0, left_e = 0, left_stepx = 0, left_signdx = 0, left_dy = 0, left_dx = 0
    cdef ll right_x = 0, right_e = 0, right_stepx = 0, right_signdx = 0, right_dy = 0, right_dx = 0
    cdef ll height, left_height = 0, right_height = 0
    while (left_count or left_height) and (right_count or right_height):
        if not left_height and left_count:
            left_height = left.height
            left_x = left.x
            left_stepx = left.stepx
            left_signdx = left.signdx
            left_e = left.e
            left_dy = left.dy
            left_dx = left.dx
            left_count -= 1
            left += 1
        if not right_height and right_count:
            right_height = right.height
            right_x = right.x
            right_stepx = right.stepx
            right_signdx = right.signdx
            right_e = right.e
            right_dy = right.dy
            right_dx = right.dx
            right_count -= 1
            right += 1
        height = left_height
        if height > right_height:
            height = right_height
        left_height -= height
        right_height -= height
        if height > 0 and not sink_work(s, height):
            return
        while height > 0:
            height -= 1
            if right_x >= left_x:
                sink_push(s, y, left_x, right_x + 1)
            y += 1
            left_x += left_stepx
            left_e += left_dx
            if left_e > 0:
                left_x += left_signdx
                left_e -= left_dy
            right_x += right_stepx
            right_e += right_dx
            if right_e > 0:
                right_x += right_signdx
                right_e -= right_dy


cdef void fill_convex(Sink *s, Vertex *vertices, Slope *slopes, int count, ll xi, ll yi) noexcept nogil:
    cdef Edge left[4]
    cdef Edge right[4]
    cdef int nleft, nright
    cdef ll h, y
    y = build_poly(vertices, slopes, count, xi, yi, left, right, &nleft, &nright, &h)
    fill_poly(s, y, left, right, nleft, nright)


cdef void line_join(Sink *s, bint span_data, Face *pLeft, Face *pRight) noexcept nogil:
    """miLineJoin with JoinMiter (bevel past the miter limit), line width 1."""
    cdef double mx = 0, my = 0, denom = 0.0, scale, ddx, ddy, adx, ady
    cdef Vertex vertices[4]
    cdef Slope slopes[4]
    cdef int edgecount
    cdef bint swapslopes = False, miter = True
    if not span_data:
        # See if one of the lines will draw the joining pixel.
        if pLeft.dx > 0 or (pLeft.dx == 0 and pLeft.dy > 0):
            return
        if pRight.dx > 0 or (pRight.dx == 0 and pRight.dy > 0):
            return
    denom = -(<double> pLeft.dx) * <double> pRight.dy + (<double> pRight.dx) * <double> pLeft.dy
    if denom == 0.0:
        return
    if denom > 0:
        pLeft.xa = -pLeft.xa
        pLeft.ya = -pLeft.ya
        pLeft.dx = -pLeft.dx
        pLeft.dy = -pLeft.dy
    else:
        swapslopes = True
        pRight.xa = -pRight.xa
        pRight.ya = -pRight.ya
        pRight.dx = -pRight.dx
        pRight.dy = -pRight.dy
    vertices[0].x = pRight.xa
    vertices[0].y = pRight.ya
    slopes[0].dx = -pRight.dy
    slopes[0].dy = pRight.dx
    slopes[0].k = 0
    vertices[1].x = 0
    vertices[1].y = 0
    slopes[1].dx = pLeft.dy
    slopes[1].dy = -pLeft.dx
    slopes[1].k = 0
    vertices[2].x = pLeft.xa
    vertices[2].y = pLeft.ya
    my = (<double> pLeft.dy * (pRight.xa * <double> pRight.dy - pRight.ya * <double> pRight.dx)
          - <double> pRight.dy * (pLeft.xa * <double> pLeft.dy - pLeft.ya * <double> pLeft.dx)) / denom
    if pLeft.dy != 0:
        mx = pLeft.xa + (my - pLeft.ya) * <double> pLeft.dx / <double> pLeft.dy
    else:
        mx = pRight.xa + (my - pRight.ya) * <double> pRight.dx / <double> pRight.dy
    if (mx * mx + my * my) * 4 > SQSECANT:
        miter = False
    if miter:
        slopes[2].dx = pLeft.dx
        slopes[2].dy = pLeft.dy
        slopes[2].k = pLeft.k
        if swapslopes:
            slopes[2].dx = -slopes[2].dx
            slopes[2].dy = -slopes[2].dy
            slopes[2].k = -slopes[2].k
        vertices[3].x = mx
        vertices[3].y = my
        slopes[3].dx = pRight.dx
        slopes[3].dy = pRight.dy
        slopes[3].k = pRight.k
        if swapslopes:
            slopes[3].dx = -slopes[3].dx
            slopes[3].dy = -slopes[3].dy
            slopes[3].k = -slopes[3].k
        edgecount = 4
    else:
        ddx = pRight.xa - pLeft.xa
        ddy = pRight.ya - pLeft.ya
        adx = -ddx if ddx < 0 else ddx
        ady = -ddy if ddy < 0 else ddy
        scale = adx if adx > ady else ady
        if scale == 0:
            return
        slopes[2].dx = <ll> ((ddx * 65536) / scale)
        slopes[2].dy = <ll> ((ddy * 65536) / scale)
        slopes[2].k = ((pLeft.xa + pRight.xa) * <double> slopes[2].dy
                       - (pLeft.ya + pRight.ya) * <double> slopes[2].dx) / 2.0
        edgecount = 3
    fill_convex(s, vertices, slopes, edgecount, pLeft.x, pLeft.y)


cdef enum:
    V_TOP = 0
    V_RIGHT = 1
    V_BOTTOM = 2
    V_LEFT = 3
    WINDOW_MARGIN = 4           # px around the surface within which a dash can still reach it
    PREFIX_SKIP_MIN_STEPS = 65536


cdef bint segment_window(ll x1, ll y1, ll dx, ll dy, double L, ll w, ll h, double *tlo, double *thi) noexcept nogil:
    """The distances along the segment at which its centre line is within WINDOW_MARGIN px of the surface."""
    cdef double lo = 0.0, hi = L, a, b, t, u
    cdef double xmin = -WINDOW_MARGIN, xmax = <double> (w - 1 + WINDOW_MARGIN)
    cdef double ymin = -WINDOW_MARGIN, ymax = <double> (h - 1 + WINDOW_MARGIN)
    if dx == 0:
        if x1 < xmin or x1 > xmax:
            return False
    else:
        u = <double> dx / L
        a = (xmin - x1) / u
        b = (xmax - x1) / u
        if a > b:
            t = a; a = b; b = t
        if a > lo:
            lo = a
        if b < hi:
            hi = b
    if dy == 0:
        if y1 < ymin or y1 > ymax:
            return False
    else:
        u = <double> dy / L
        a = (ymin - y1) / u
        b = (ymax - y1) / u
        if a > b:
            t = a; a = b; b = t
        if a > lo:
            lo = a
        if b < hi:
            hi = b
    if lo > hi:
        return False
    tlo[0] = lo
    thi[0] = hi
    return True


cdef inline ll whole_periods_below(double remain, ll period) noexcept nogil:
    """The largest n >= 0 with n * period < remain."""
    cdef double q = remain / <double> period
    cdef ll n
    if q <= 0:
        return 0
    if q > 4.0e15:
        q = 4.0e15
    n = <ll> q
    while n > 0 and <double> (n * period) >= remain:
        n -= 1
    while <double> ((n + 1) * period) < remain:
        n += 1
    return n


cdef void dash_segment(Sink *s, DashState *st, ll x1, ll y1, ll x2, ll y2, Face *leftFace,
                       Face *rightFace) noexcept nogil:
    """miWideDashSegment for LineOnOffDash, width 1, no projecting or round caps."""
    cdef const unsigned char *dash = st.dash
    cdef int dashIndex = st.index
    cdef ll dx = x2 - x1, dy = y2 - y1
    cdef ll dashRemain = dash[dashIndex] - st.offset, n
    cdef double L, l = 0.5, r, rdx, rdy, k, LRemain, dashDx, dashDy, pos, tlo = 0, thi = -1, d
    cdef Vertex vertices[4]
    cdef Slope slopes[4]
    cdef bint first = True, window
    if dx == 0:
        L = <double> dy
        rdx = 0
        rdy = l
        if dy < 0:
            L = <double> -dy
            rdy = -l
    elif dy == 0:
        L = <double> dx
        rdx = l
        rdy = 0
        if dx < 0:
            L = <double> -dx
            rdx = -l
    else:
        L = hypot(<double> dx, <double> dy)
        r = l / L
        rdx = r * <double> dx
        rdy = r * <double> dy
    k = l * L
    LRemain = L
    slopes[V_TOP].dx = dx
    slopes[V_TOP].dy = dy
    slopes[V_TOP].k = k
    slopes[V_RIGHT].dx = -dy
    slopes[V_RIGHT].dy = dx
    slopes[V_RIGHT].k = 0
    slopes[V_BOTTOM].dx = -dx
    slopes[V_BOTTOM].dy = -dy
    slopes[V_BOTTOM].k = k
    slopes[V_LEFT].dx = dy
    slopes[V_LEFT].dy = -dx
    slopes[V_LEFT].k = 0
    vertices[V_TOP].x = rdy
    vertices[V_RIGHT].x = rdy
    vertices[V_TOP].y = -rdx
    vertices[V_RIGHT].y = -rdx
    vertices[V_BOTTOM].x = -rdy
    vertices[V_LEFT].x = -rdy
    vertices[V_BOTTOM].y = rdx
    vertices[V_LEFT].y = rdx
    window = segment_window(x1, y1, dx, dy, L, s.w, s.h, &tlo, &thi)
    while LRemain > dashRemain:
        if s.err:
            return
        if not first:
            # Whole dash periods that cannot reach the surface are stepped over at once. Past the surface this
            # is exact (the lengths are integers subtracted from L); before it only for absurdly long stretches,
            # since the reference accumulates the dash vertices step by step in floating point.
            pos = L - LRemain
            n = 0
            if not window or pos > thi + 1.0:
                n = whole_periods_below(LRemain, st.period)
            elif pos + <double> st.period < tlo - 1.0:
                n = whole_periods_below(tlo - 1.0 - pos, st.period)
                if n * st.ndash < PREFIX_SKIP_MIN_STEPS:
                    n = 0
                if n > 0 and <double> (n * st.period) >= LRemain:
                    n = whole_periods_below(LRemain, st.period)
            if n > 0:
                LRemain -= <double> (n * st.period)
                d = L - LRemain
                vertices[V_TOP].x = rdy + d * <double> dx / L
                vertices[V_TOP].y = -rdx + d * <double> dy / L
                vertices[V_LEFT].x = -rdy + d * <double> dx / L
                vertices[V_LEFT].y = rdx + d * <double> dy / L
                vertices[V_RIGHT] = vertices[V_TOP]
                vertices[V_BOTTOM] = vertices[V_LEFT]
                slopes[V_LEFT].k = -(vertices[V_TOP].x * <double> dx + vertices[V_TOP].y * <double> dy)
                if not (LRemain > dashRemain):
                    break
        if not sink_work(s, 1):
            return
        dashDx = (<double> (dashRemain * dx)) / L
        dashDy = (<double> (dashRemain * dy)) / L
        vertices[V_RIGHT].x += dashDx
        vertices[V_RIGHT].y += dashDy
        vertices[V_BOTTOM].x += dashDx
        vertices[V_BOTTOM].y += dashDy
        slopes[V_RIGHT].k = vertices[V_RIGHT].x * <double> dx + vertices[V_RIGHT].y * <double> dy
        if not (dashIndex & 1):
            fill_convex(s, vertices, slopes, 4, x1, y1)
        LRemain -= <double> dashRemain
        dashIndex += 1
        if dashIndex == st.ndash:
            dashIndex = 0
        dashRemain = dash[dashIndex]
        vertices[V_TOP] = vertices[V_RIGHT]
        vertices[V_LEFT] = vertices[V_BOTTOM]
        slopes[V_LEFT].k = -slopes[V_RIGHT].k
        first = False
    if not (dashIndex & 1):
        vertices[V_TOP].x -= <double> dx
        vertices[V_TOP].y -= <double> dy
        vertices[V_LEFT].x -= <double> dx
        vertices[V_LEFT].y -= <double> dy
        vertices[V_RIGHT].x = rdy
        vertices[V_RIGHT].y = -rdx
        vertices[V_BOTTOM].x = -rdy
        vertices[V_BOTTOM].y = rdx
        slopes[V_RIGHT].k = 0
        slopes[V_LEFT].k += <double> (dx * dx + dy * dy)
        fill_convex(s, vertices, slopes, 4, x2, y2)
    dashRemain = <ll> ((<double> dashRemain) - LRemain)
    if dashRemain == 0:
        dashIndex += 1
        if dashIndex == st.ndash:
            dashIndex = 0
        dashRemain = dash[dashIndex]
    leftFace.x = x1
    leftFace.y = y1
    leftFace.dx = dx
    leftFace.dy = dy
    leftFace.xa = rdy
    leftFace.ya = -rdx
    leftFace.k = k
    rightFace.x = x2
    rightFace.y = y2
    rightFace.dx = -dx
    rightFace.dy = -dy
    rightFace.xa = -rdy
    rightFace.ya = rdx
    rightFace.k = k
    st.index = dashIndex
    st.offset = dash[dashIndex] - dashRemain


cdef void step_dash(ll dist, int *pindex, const unsigned char *dash, int ndash, ll period, ll *poffset) noexcept nogil:
    """miStepDash: advance the dash position by dist pixels (period > 0)."""
    cdef int index = pindex[0]
    cdef ll offset = poffset[0]
    if dist < dash[index] - offset:
        poffset[0] = offset + dist
        return
    dist -= dash[index] - offset
    index += 1
    if index == ndash:
        index = 0
    if period <= dist:
        dist = dist % period
    while dist >= dash[index]:
        dist -= dash[index]
        index += 1
        if index == ndash:
            index = 0
    pindex[0] = index
    poffset[0] = dist


cdef void dash_polyline(Sink *s, const ll *xy, Py_ssize_t npt, const unsigned char *dash, int ndash, ll period,
                        ll gc_offset, bint careful) noexcept nogil:
    """miWideDash for one polyline (CoordModeOrigin)."""
    cdef ll x1, y1, x2, y2
    cdef Face leftFace, rightFace, prevRightFace, firstFace
    cdef DashState st
    cdef bint first = True, something = False, selfJoin = False, span_data
    cdef bint endIsFg = False, startIsFg = False, firstIsFg = False, prevIsFg = False
    cdef int prevDashIndex
    cdef Py_ssize_t i, group_start = s.n
    if npt == 0:
        return
    span_data = careful and npt >= 3
    x2 = xy[0]
    y2 = xy[1]
    if x2 == xy[2 * (npt - 1)] and y2 == xy[2 * (npt - 1) + 1]:
        selfJoin = True
    st.dash = dash
    st.ndash = ndash
    st.period = period
    st.index = 0
    st.offset = 0
    step_dash(gc_offset, &st.index, dash, ndash, period, &st.offset)
    for i in range(1, npt):
        if s.err:
            return
        x1 = x2
        y1 = y2
        x2 = xy[2 * i]
        y2 = xy[2 * i + 1]
        if x1 != x2 or y1 != y2:
            something = True
            prevDashIndex = st.index
            dash_segment(s, &st, x1, y1, x2, y2, &leftFace, &rightFace)
            startIsFg = not (prevDashIndex & 1)
            endIsFg = ((st.index & 1) != 0) != (st.offset != 0)
            if startIsFg:
                if first or not prevIsFg:
                    if first and selfJoin:
                        firstFace = leftFace
                        firstIsFg = startIsFg
                else:
                    line_join(s, span_data, &leftFace, &prevRightFace)
            prevRightFace = rightFace
            prevIsFg = endIsFg
            first = False
        if i == npt - 1 and something:
            if endIsFg and selfJoin and firstIsFg:
                line_join(s, span_data, &firstFace, &rightFace)
    if span_data and not s.err:
        sink_unique(s, group_start)


# --- entry point ------------------------------------------------------------------------------------------------

def render(ll[:, ::1] points, ll[::1] starts, ll width, ll height, dashes, ll dash_offset, bint careful,
           Py_ssize_t max_spans, ll max_work):
    """Rasterise the polylines (points[starts[i]:starts[i+1]]) in order; spans (y, x0, x1) clipped to the surface.

    dashes: None for solid zero-width lines, else bytes (the GC dash list, each 0..255, total > 0) with the GC
    dash offset. careful: the foreground ROP is one mi paints each pixel at most once for (dashed polylines of
    three or more points then come out as the union of their spans, sorted by row).
    """
    cdef Sink s
    cdef const unsigned char *dash = NULL
    cdef int ndash = 0
    cdef ll period = 0
    cdef Py_ssize_t i, npoly = starts.shape[0] - 1, a, b
    cdef bytes dash_bytes
    cdef const ll *base
    cdef int err
    if points.shape[0] == 0 or npoly <= 0 or width <= 0 or height <= 0:
        return np.zeros((0, 3), dtype=np.int32)
    if dashes is not None:
        dash_bytes = bytes(dashes)
        ndash = len(dash_bytes)
        if ndash == 0:
            raise ValueError("empty dash list")
        dash = <const unsigned char *> dash_bytes
        for i in range(ndash):
            period += dash[i]
        if period == 0:
            raise ValueError("dash list of zero total length")
    base = &points[0, 0]
    s.buf = NULL
    s.n = 0
    s.cap = 0
    s.limit = max_spans
    s.work = 0
    s.work_limit = max_work
    s.w = width
    s.h = height
    s.err = ERR_NONE
    try:
        with nogil:
            for i in range(npoly):
                a = starts[i]
                b = starts[i + 1]
                if a < 0 or b > points.shape[0] or b <= a:
                    continue
                if dash == NULL:
                    zero_polyline(&s, base + 2 * a, b - a)
                else:
                    dash_polyline(&s, base + 2 * a, b - a, dash, ndash, period, dash_offset, careful)
                if s.err:
                    break
        err = s.err
        if err:
            raise ValueError(_MESSAGES[err])
        if s.n == 0:
            return np.zeros((0, 3), dtype=np.int32)
        return np.asarray(<int32_t[:s.n * 3]> s.buf).copy().reshape(s.n, 3)
    finally:
        free(s.buf)
