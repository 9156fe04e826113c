# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Pixel loops of spiceview.canvas.composite: sampling, the combining operators, and the row driver.

The Python side (spiceview.canvas.composite) has already decided everything pixman decides before it touches a
pixel: whether anything is drawn, the simplified operator, 8-bit or float arithmetic, and how an x8r8g8b8
destination's fourth byte is treated. This module only computes.

Pixels travel as native 32-bit words A << 24 | R << 16 | G << 8 | B (the B,G,R,A bytes of a little-endian
pixel). Per row: the source and mask rows are sampled into buffers (or read in place when they can be), the
destination row is combined in place (or through a buffer), and written back.

8-bit arithmetic: mul(x, a) = x * a / 255 rounded to nearest (t = x * a + 128; (t + (t >> 8)) >> 8), add is
saturating; both are done two channels at a time in the 0x00ff00ff lanes of a word, which is exact per channel.
Float arithmetic is single precision, in the order pixman evaluates its expressions; values enter as v * (1/255)
and leave through pixman's float-to-8-bit rule: clamp to [0, 1], u = (int)(f * 256), u - (u >> 8).
"""

from libc.stdint cimport uint8_t, uint32_t, int32_t, int64_t, uintptr_t
from libc.string cimport memcpy, memset
from libc.stdlib cimport calloc, malloc, free
from libc.math cimport sqrtf
from libc.float cimport FLT_MIN



cdef enum:
    K_ARGB = 0
    K_XRGB = 1
    K_A8 = 2

cdef enum:
    R_NONE = 0
    R_NORMAL = 1
    R_PAD = 2
    R_REFLECT = 3

cdef enum:
    OP_CLEAR = 0x00
    OP_SRC = 0x01
    OP_DST = 0x02
    OP_OVER = 0x03
    OP_OVER_REVERSE = 0x04
    OP_IN = 0x05
    OP_IN_REVERSE = 0x06
    OP_OUT = 0x07
    OP_OUT_REVERSE = 0x08
    OP_ATOP = 0x09
    OP_ATOP_REVERSE = 0x0A
    OP_XOR = 0x0B
    OP_ADD = 0x0C
    OP_SATURATE = 0x0D
    OP_DISJOINT_CLEAR = 0x10
    OP_DISJOINT_SRC = 0x11
    OP_DISJOINT_DST = 0x12
    OP_DISJOINT_OVER = 0x13
    OP_DISJOINT_OVER_REVERSE = 0x14
    OP_DISJOINT_IN = 0x15
    OP_DISJOINT_IN_REVERSE = 0x16
    OP_DISJOINT_OUT = 0x17
    OP_DISJOINT_OUT_REVERSE = 0x18
    OP_DISJOINT_ATOP = 0x19
    OP_DISJOINT_ATOP_REVERSE = 0x1A
    OP_DISJOINT_XOR = 0x1B
    OP_CONJOINT_CLEAR = 0x20
    OP_CONJOINT_SRC = 0x21
    OP_CONJOINT_DST = 0x22
    OP_CONJOINT_OVER = 0x23
    OP_CONJOINT_OVER_REVERSE = 0x24
    OP_CONJOINT_IN = 0x25
    OP_CONJOINT_IN_REVERSE = 0x26
    OP_CONJOINT_OUT = 0x27
    OP_CONJOINT_OUT_REVERSE = 0x28
    OP_CONJOINT_ATOP = 0x29
    OP_CONJOINT_ATOP_REVERSE = 0x2A
    OP_CONJOINT_XOR = 0x2B
    OP_MULTIPLY = 0x30
    OP_SCREEN = 0x31
    OP_OVERLAY = 0x32
    OP_DARKEN = 0x33
    OP_LIGHTEN = 0x34
    OP_COLOR_DODGE = 0x35
    OP_COLOR_BURN = 0x36
    OP_HARD_LIGHT = 0x37
    OP_SOFT_LIGHT = 0x38
    OP_DIFFERENCE = 0x39
    OP_EXCLUSION = 0x3A
    OP_HSL_HUE = 0x3B
    OP_HSL_SATURATION = 0x3C
    OP_HSL_COLOR = 0x3D
    OP_HSL_LUMINOSITY = 0x3E

# x8r8g8b8 destination: combine in place (fourth byte read and written as alpha), or read as opaque, write 0.
cdef enum:
    X_RAW = 0
    X_ZERO = 1

cdef enum:
    RB = 0x00ff00ff


# ----------------------------------------------------------------------------------------------------------------
# 8-bit channel arithmetic

cdef inline uint32_t mul1(uint32_t x, uint32_t a) noexcept nogil:
    """One channel: x * a / 255, rounded."""
    cdef uint32_t t = x * a + 0x80
    return (t + (t >> 8)) >> 8


cdef inline uint32_t mul4(uint32_t x, uint32_t a) noexcept nogil:
    """Every channel of x times the 8-bit scalar a, / 255 rounded."""
    cdef uint32_t lo = (x & RB) * a + 0x00800080u
    cdef uint32_t hi = ((x >> 8) & RB) * a + 0x00800080u
    lo = ((lo + ((lo >> 8) & RB)) >> 8) & RB
    hi = (hi + ((hi >> 8) & RB)) & 0xff00ff00u
    return lo | hi


cdef inline uint32_t mul44(uint32_t x, uint32_t a) noexcept nogil:
    """Channel by channel: x_c * a_c / 255, rounded."""
    cdef uint32_t lo = (x & 0xff) * (a & 0xff) | (x & 0xff0000u) * ((a >> 16) & 0xff)
    cdef uint32_t hi = ((x >> 8) & 0xff) * ((a >> 8) & 0xff) | ((x >> 8) & 0xff0000u) * (a >> 24)
    lo += 0x00800080u
    hi += 0x00800080u
    lo = ((lo + ((lo >> 8) & RB)) >> 8) & RB
    hi = (hi + ((hi >> 8) & RB)) & 0xff00ff00u
    return lo | hi


cdef inline uint32_t add44(uint32_t x, uint32_t y) noexcept nogil:
    """Channel by channel: min(x_c + y_c, 255)."""
    cdef uint32_t lo = (x & RB) + (y & RB)
    cdef uint32_t hi = ((x >> 8) & RB) + ((y >> 8) & RB)
    lo |= 0x01000100u - ((lo >> 8) & RB)
    hi |= 0x01000100u - ((hi >> 8) & RB)
    return (lo & RB) | ((hi & RB) << 8)


cdef inline uint32_t spread(uint32_t a) noexcept nogil:
    """An 8-bit value in all four channels."""
    return a * 0x01010101u


# ----------------------------------------------------------------------------------------------------------------
# Pictures and sampling

ctypedef struct Pic:
    const uint8_t* data
    Py_ssize_t stride      # bytes from one row to the next
    int w
    int h
    int kind               # K_ARGB, K_XRGB (read with alpha 0xff), K_A8
    int transformed
    int64_t t00, t01, t02, t10, t11, t12
    int bilinear
    int repeat
    int solid


cdef inline uint32_t pix(const Pic* p, int x, int y) noexcept nogil:
    cdef const uint8_t* row = p.data + y * p.stride
    cdef uint32_t v
    if p.kind == K_A8:
        return (<uint32_t>row[x]) << 24
    memcpy(&v, row + 4 * x, 4)
    if p.kind == K_XRGB:
        v |= 0xff000000u
    return v


cdef inline int floor_mod(int a, int b) noexcept nogil:
    cdef int r = a % b
    if r < 0:
        r += b
    return r


cdef inline int wrap(int repeat, int c, int size) noexcept nogil:
    """The coordinate a repeat mode reads for c, or -1 (transparent) for NONE outside the picture."""
    if repeat == R_NONE:
        return c if 0 <= c < size else -1
    if repeat == R_NORMAL:
        return floor_mod(c, size)
    if repeat == R_PAD:
        return 0 if c < 0 else (size - 1 if c >= size else c)
    c = floor_mod(c, 2 * size)
    if c >= size:
        c = 2 * size - c - 1
    return c


cdef inline uint32_t pix_at(const Pic* p, int x, int y) noexcept nogil:
    """The pixel a repeat mode gives at integer (x, y)."""
    x = wrap(p.repeat, x, p.w)
    y = wrap(p.repeat, y, p.h)
    if x < 0 or y < 0:
        return 0
    return pix(p, x, y)


cdef inline void affine_start(const Pic* p, int X, int Y, int64_t* fx, int64_t* fy) noexcept nogil:
    """The transformed centre of pixel (X, Y), 16.16, rounded as pixman_transform_point_3d rounds."""
    fx[0] = p.t00 * X + p.t01 * Y + p.t02 + ((p.t00 * 0x8000 + p.t01 * 0x8000 + 0x8000) >> 16)
    fy[0] = p.t10 * X + p.t11 * Y + p.t12 + ((p.t10 * 0x8000 + p.t11 * 0x8000 + 0x8000) >> 16)


cdef inline uint32_t bilerp(uint32_t tl, uint32_t tr, uint32_t bl, uint32_t br, int dx, int dy) noexcept nogil:
    """7-bit weights (scaled to 8), four products per channel, truncated."""
    cdef uint32_t wx = dx << 1, wy = dy << 1
    cdef uint32_t w11 = wx * wy
    cdef uint32_t w10 = wx * (256 - wy)
    cdef uint32_t w01 = (256 - wx) * wy
    cdef uint32_t w00 = (256 - wx) * (256 - wy)
    cdef uint32_t out = 0, c
    cdef int sh
    for sh in range(0, 32, 8):
        c = (((tl >> sh) & 0xff) * w00 + ((tr >> sh) & 0xff) * w10
             + ((bl >> sh) & 0xff) * w01 + ((br >> sh) & 0xff) * w11)
        out |= (c >> 16) << sh
    return out


cdef inline void corners(const Pic* p, int64_t fx, int64_t fy, uint32_t* q, int* dx, int* dy) noexcept nogil:
    """The four neighbours of a bilinear sample and its 7-bit weights."""
    cdef int32_t x1f = <int32_t>(fx - 0x8000)
    cdef int32_t y1f = <int32_t>(fy - 0x8000)
    cdef int x1 = x1f >> 16, y1 = y1f >> 16
    cdef int x2 = x1 + 1, y2 = y1 + 1
    dx[0] = (x1f >> 9) & 0x7f
    dy[0] = (y1f >> 9) & 0x7f
    q[0] = pix_at(p, x1, y1)
    q[1] = pix_at(p, x2, y1)
    q[2] = pix_at(p, x1, y2)
    q[3] = pix_at(p, x2, y2)


cdef inline uint32_t sample(const Pic* p, int64_t fx, int64_t fy) noexcept nogil:
    cdef uint32_t q[4]
    cdef int dx, dy, x1, y1
    cdef int32_t x1f, y1f
    if not p.bilinear:
        return pix_at(p, <int>((fx - 1) >> 16), <int>((fy - 1) >> 16))
    x1f = <int32_t>(fx - 0x8000)
    y1f = <int32_t>(fy - 0x8000)
    x1 = x1f >> 16
    y1 = y1f >> 16
    if 0 <= x1 and x1 + 1 < p.w and 0 <= y1 and y1 + 1 < p.h:
        # All four neighbours inside: no repeat to apply.
        return bilerp(pix(p, x1, y1), pix(p, x1 + 1, y1), pix(p, x1, y1 + 1), pix(p, x1 + 1, y1 + 1),
                      (x1f >> 9) & 0x7f, (y1f >> 9) & 0x7f)
    corners(p, fx, fy, q, &dx, &dy)
    return bilerp(q[0], q[1], q[2], q[3], dx, dy)


cdef void fetch_row(const Pic* p, int X, int Y, int n, uint32_t* out) noexcept nogil:
    """n samples for destination pixels whose source coordinates start at (X, Y)."""
    cdef int i, y, x, run, k
    cdef int64_t fx, fy
    cdef const uint8_t* row
    if p.solid:
        out[0] = pix(p, 0, 0)
        for i in range(1, n):
            out[i] = out[0]
        return
    if p.transformed:
        affine_start(p, X, Y, &fx, &fy)
        for i in range(n):
            out[i] = sample(p, fx, fy)
            fx += p.t00
            fy += p.t10
        return
    # Untransformed: every filter samples the pixel itself.
    y = wrap(p.repeat, Y, p.h)
    if y < 0:
        memset(out, 0, n * 4)
        return
    row = p.data + y * p.stride
    if p.repeat == R_NONE or p.repeat == R_NORMAL:
        # Runs of consecutive source pixels.
        i = 0
        while i < n:
            x = wrap(p.repeat, X + i, p.w)
            if x < 0:
                out[i] = 0
                i += 1
                continue
            run = p.w - x
            if run > n - i:
                run = n - i
            if p.kind == K_A8:
                for k in range(run):
                    out[i + k] = (<uint32_t>row[x + k]) << 24
            else:
                memcpy(out + i, row + 4 * x, run * 4)
                if p.kind == K_XRGB:
                    for k in range(i, i + run):
                        out[k] |= 0xff000000u
            i += run
        return
    for i in range(n):
        x = wrap(p.repeat, X + i, p.w)
        out[i] = pix(p, x, y)


cdef const uint32_t* row_in_place(const Pic* p, int X, int Y, int n) noexcept nogil:
    """A pointer straight into an a8r8g8b8 picture when the row is inside it, untransformed and aligned."""
    cdef const uint8_t* q
    if p.kind != K_ARGB or p.transformed or p.solid:
        return NULL
    if Y < 0 or Y >= p.h or X < 0 or X + n > p.w:
        return NULL
    q = p.data + Y * p.stride + 4 * X
    if (<uintptr_t>q) & 3:
        return NULL
    return <const uint32_t*>q


cdef const uint8_t* alpha_row(const Pic* p, int X, int Y, int n, uint32_t* tmp, uint8_t* out) noexcept nogil:
    """The alpha of n mask samples: in place for an untransformed a8 row inside the picture, else in out."""
    cdef int i
    if p.kind == K_A8 and not p.transformed and not p.solid and 0 <= Y < p.h and X >= 0 and X + n <= p.w:
        return p.data + Y * p.stride + X
    fetch_row(p, X, Y, n, tmp)
    for i in range(n):
        out[i] = tmp[i] >> 24
    return out


# ----------------------------------------------------------------------------------------------------------------
# 8-bit operators, unified alpha: s has been multiplied by the mask already

cdef inline uint32_t div_one(uint32_t x) noexcept nogil:
    return (x + 0x80 + ((x + 0x80) >> 8)) >> 8


cdef inline int32_t blend8(int op, int32_t d, int32_t ad, int32_t s, int32_t sa) noexcept nogil:
    """The separable PDF blend terms of pixman's 8-bit combiners (results may be negative)."""
    cdef int32_t a, b
    if op == OP_SCREEN:
        return s * ad + d * sa - s * d
    if op == OP_OVERLAY:
        if 2 * d < ad:
            return 2 * s * d
        return sa * ad - 2 * (ad - d) * (sa - s)
    if op == OP_DARKEN:
        a = ad * s
        b = sa * d
        return b if a > b else a
    if op == OP_LIGHTEN:
        a = ad * s
        b = sa * d
        return a if a > b else b
    if op == OP_HARD_LIGHT:
        if 2 * s < sa:
            return 2 * s * d
        return sa * ad - 2 * (ad - d) * (sa - s)
    if op == OP_DIFFERENCE:
        a = d * sa
        b = s * ad
        return a - b if b < a else b - a
    # EXCLUSION
    return s * ad + d * sa - 2 * d * s


cdef inline uint32_t pdf_channel(uint32_t total) noexcept nogil:
    # pixman clamps an unsigned sum: a negative one has wrapped around and clamps to the top.
    if total > 255 * 255:
        total = 255 * 255
    return div_one(total)


cdef inline uint32_t pdf8(int op, uint32_t s, uint32_t d, uint32_t m, int ca) noexcept nogil:
    """SCREEN .. EXCLUSION; for component alpha s and m went through the CA mask step already."""
    cdef uint32_t sa = s >> 24, da = d >> 24, ida = 255 - da
    cdef uint32_t ra, out, isx, sx, dx, mx
    cdef int sh
    ra = da * 0xff + sa * 0xff - sa * da
    out = pdf_channel(ra) << 24
    for sh in range(0, 24, 8):
        sx = (s >> sh) & 0xff
        dx = (d >> sh) & 0xff
        mx = ((m >> sh) & 0xff) if ca else sa
        isx = 255 - mx
        out |= pdf_channel(isx * dx + ida * sx + <uint32_t>blend8(op, dx, da, sx, mx)) << sh
    return out


cdef inline uint32_t op8(int op, uint32_t s, uint32_t d) noexcept nogil:
    """One pixel of an 8-bit operator with unified alpha."""
    cdef uint32_t sa = s >> 24, da = d >> 24
    if op == OP_CLEAR:
        return 0
    if op == OP_SRC:
        return s
    if op == OP_OVER:
        return add44(mul4(d, 255 - sa), s)
    if op == OP_OVER_REVERSE:
        return add44(mul4(s, 255 - da), d)
    if op == OP_IN:
        return mul4(s, da)
    if op == OP_IN_REVERSE:
        return mul4(d, sa)
    if op == OP_OUT:
        return mul4(s, 255 - da)
    if op == OP_OUT_REVERSE:
        return mul4(d, 255 - sa)
    if op == OP_ATOP:
        return add44(mul4(s, da), mul4(d, 255 - sa))
    if op == OP_ATOP_REVERSE:
        return add44(mul4(s, 255 - da), mul4(d, sa))
    if op == OP_XOR:
        return add44(mul4(s, 255 - da), mul4(d, 255 - sa))
    if op == OP_ADD:
        return add44(s, d)
    if op == OP_MULTIPLY:
        return add44(mul44(d, s), add44(mul4(s, 255 - da), mul4(d, 255 - sa)))
    if op >= OP_SCREEN and op <= OP_EXCLUSION:
        return pdf8(op, s, d, 0, 0)
    return d


# The hot operators on bytes: the same arithmetic per channel, written so that the C compiler vectorises it
# (no branches, no packed-lane tricks, 64-bit indices: Python builds with -fwrapv, under which int index
# arithmetic may wrap and defeats the vectoriser). Pixels are B, G, R, A bytes; byte 3 is alpha.

cdef inline uint32_t mulb(uint32_t x, uint32_t a) noexcept nogil:
    cdef uint32_t t = x * a + 0x80
    return (t + (t >> 8)) >> 8


cdef void over_bytes(uint8_t* d, const uint8_t* s, Py_ssize_t n) noexcept nogil:
    # The inverse alphas go through a small array first: the compiler vectorises that shape far better than
    # one that picks every fourth source byte inside the channel loop.
    cdef Py_ssize_t base, k, i, c
    cdef uint32_t t
    cdef uint8_t ia[64]
    cdef const uint8_t* sp
    cdef uint8_t* dp
    for base in range(0, n, 64):
        k = n - base if n - base < 64 else 64
        sp = s + 4 * base
        dp = d + 4 * base
        for i in range(k):
            ia[i] = 255 - sp[4 * i + 3]
        for i in range(k):
            for c in range(4):
                t = mulb(dp[4 * i + c], ia[i]) + sp[4 * i + c]
                dp[4 * i + c] = 255 if t > 255 else t


cdef void over_bytes_masked(uint8_t* d, const uint8_t* s, const uint8_t* m, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, c
    cdef uint32_t ia, t, mv
    cdef uint32_t sc[4]
    for i in range(n):
        mv = m[i]
        for c in range(4):
            sc[c] = mulb(s[4 * i + c], mv)
        ia = 255 - sc[3]
        for c in range(4):
            t = mulb(d[4 * i + c], ia) + sc[c]
            d[4 * i + c] = 255 if t > 255 else t


cdef void add_bytes(uint8_t* d, const uint8_t* s, const uint8_t* m, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, c
    cdef uint32_t t
    if m == NULL:
        for i in range(4 * n):
            t = <uint32_t>d[i] + s[i]
            d[i] = 255 if t > 255 else t
        return
    for i in range(n):
        for c in range(4):
            t = d[4 * i + c] + mulb(s[4 * i + c], m[i])
            d[4 * i + c] = 255 if t > 255 else t


cdef void src_bytes_masked(uint8_t* d, const uint8_t* s, const uint8_t* m, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, c
    for i in range(n):
        for c in range(4):
            d[4 * i + c] = mulb(s[4 * i + c], m[i])


cdef void combine8(int op, uint32_t* d, const uint32_t* s, const uint8_t* m, int n) noexcept nogil:
    cdef int i
    cdef uint32_t sv, mv
    if op == OP_OVER:
        if m == NULL:
            over_bytes(<uint8_t*>d, <const uint8_t*>s, n)
        else:
            over_bytes_masked(<uint8_t*>d, <const uint8_t*>s, m, n)
        return
    if op == OP_SRC:
        if m == NULL:
            memcpy(d, s, n * 4)
        else:
            src_bytes_masked(<uint8_t*>d, <const uint8_t*>s, m, n)
        return
    if op == OP_CLEAR:
        memset(d, 0, n * 4)
        return
    if op == OP_ADD:
        add_bytes(<uint8_t*>d, <const uint8_t*>s, m, n)
        return
    if m == NULL:
        for i in range(n):
            d[i] = op8(op, s[i], d[i])
    else:
        for i in range(n):
            mv = m[i]
            sv = 0 if mv == 0 else mul4(s[i], mv)
            d[i] = op8(op, sv, d[i])


# ----------------------------------------------------------------------------------------------------------------
# 8-bit operators, component alpha

cdef inline void ca_mask(uint32_t* s, uint32_t* m) noexcept nogil:
    """s = s IN m per channel, m = m IN alpha(s) per channel (pixman's combine_mask_ca)."""
    cdef uint32_t a = m[0], x = s[0], xa
    if a == 0:
        s[0] = 0
        return
    if a == 0xffffffffu:
        m[0] = spread(x >> 24)
        return
    xa = x >> 24
    s[0] = mul44(x, a)
    m[0] = mul4(a, xa)


cdef inline uint32_t ca_value(uint32_t s, uint32_t m) noexcept nogil:
    if m == 0:
        return 0
    if m == 0xffffffffu:
        return s
    return mul44(s, m)


cdef inline uint32_t ca_alpha(uint32_t s, uint32_t m) noexcept nogil:
    """The mask scaled by the source alpha, per channel (pixman's combine_mask_alpha_ca)."""
    cdef uint32_t x
    if m == 0:
        return 0
    x = s >> 24
    if x == 0xff:
        return m
    if m == 0xffffffffu:
        return spread(x)
    return mul4(m, x)


cdef inline uint32_t op8_ca(int op, uint32_t s, uint32_t m, uint32_t d) noexcept nogil:
    cdef uint32_t da = d >> 24, r
    if op == OP_CLEAR:
        return 0
    if op == OP_SRC:
        return ca_value(s, m)
    if op == OP_OVER:
        ca_mask(&s, &m)
        return add44(mul44(d, ~m), s)
    if op == OP_OVER_REVERSE:
        return add44(mul4(mul44(s, m), 255 - da), d)
    if op == OP_IN:
        return mul4(ca_value(s, m), da)
    if op == OP_IN_REVERSE:
        return mul44(d, ca_alpha(s, m))
    if op == OP_OUT:
        return mul4(ca_value(s, m), 255 - da)
    if op == OP_OUT_REVERSE:
        return mul44(d, ~ca_alpha(s, m))
    if op == OP_ATOP:
        ca_mask(&s, &m)
        return add44(mul44(d, ~m), mul4(s, da))
    if op == OP_ATOP_REVERSE:
        ca_mask(&s, &m)
        return add44(mul44(d, m), mul4(s, 255 - da))
    if op == OP_XOR:
        ca_mask(&s, &m)
        return add44(mul44(d, ~m), mul4(s, 255 - da))
    if op == OP_ADD:
        return add44(ca_value(s, m), d)
    if op == OP_MULTIPLY:
        ca_mask(&s, &m)
        r = add44(mul44(d, ~m), mul4(s, 255 - da))
        return add44(r, mul44(d, s))
    if op >= OP_SCREEN and op <= OP_EXCLUSION:
        ca_mask(&s, &m)
        return pdf8(op, s, d, m, 1)
    return d


cdef void over_ca_bytes(uint8_t* d, const uint8_t* s, const uint8_t* m, Py_ssize_t n) noexcept nogil:
    # ca_mask without its branches (they are shortcuts of the same arithmetic: a clear mask gives a clear source
    # and mask, a full one leaves the source and gives the source alpha), then OVER per channel. Source alphas
    # go through a small array first, as in over_bytes.
    cdef Py_ssize_t base, k, i, c
    cdef uint32_t t
    cdef uint8_t sa[64]
    cdef const uint8_t* sp
    cdef const uint8_t* mp
    cdef uint8_t* dp
    for base in range(0, n, 64):
        k = n - base if n - base < 64 else 64
        sp = s + 4 * base
        mp = m + 4 * base
        dp = d + 4 * base
        for i in range(k):
            sa[i] = sp[4 * i + 3]
        for i in range(k):
            for c in range(4):
                t = mulb(dp[4 * i + c], 255 - mulb(mp[4 * i + c], sa[i])) + mulb(sp[4 * i + c], mp[4 * i + c])
                dp[4 * i + c] = 255 if t > 255 else t


cdef void combine8_ca(int op, uint32_t* d, const uint32_t* s, const uint32_t* m, int n) noexcept nogil:
    cdef int i
    if op == OP_OVER:
        over_ca_bytes(<uint8_t*>d, <const uint8_t*>s, <const uint8_t*>m, n)
        return
    for i in range(n):
        d[i] = op8_ca(op, s[i], m[i], d[i])


# ----------------------------------------------------------------------------------------------------------------
# Float operators (pixman's "needs division" set): single precision, pixman's evaluation order

# Float constants. Cython writes a bare integer literal in a float expression as a double literal (1.0), which
# would make C evaluate the whole expression in double precision; pixman's expressions are single precision.
cdef float F1 = 1
cdef float F2 = 2
cdef float F3 = 3
cdef float F4 = 4
cdef float F12 = 12
cdef float F16 = 16
cdef float F256 = 256
cdef float F65536 = 65536

ctypedef struct Argb:
    float a
    float r
    float g
    float b

cdef float UNORM8[256]
cdef float _INV255 = (<float>1) / (<float>255)
for _i in range(256):
    UNORM8[_i] = (<float>_i) * _INV255


cdef inline bint is_zero(float f) noexcept nogil:
    return -FLT_MIN < f and f < FLT_MIN


cdef inline uint32_t to_unorm8(float f) noexcept nogil:
    cdef uint32_t u
    if f > 1:
        f = 1
    if f < 0:
        f = 0
    u = <uint32_t>(f * F256)
    return u - (u >> 8)


cdef inline Argb expand(uint32_t v) noexcept nogil:
    cdef Argb c
    c.a = UNORM8[v >> 24]
    c.r = UNORM8[(v >> 16) & 0xff]
    c.g = UNORM8[(v >> 8) & 0xff]
    c.b = UNORM8[v & 0xff]
    return c


cdef inline uint32_t contract(const Argb* c) noexcept nogil:
    return (to_unorm8(c.a) << 24) | (to_unorm8(c.r) << 16) | (to_unorm8(c.g) << 8) | to_unorm8(c.b)


cdef inline float clamp01(float f) noexcept nogil:
    if f < 0:
        return 0
    if f > 1:
        return 1
    return f


# Porter-Duff factors
cdef enum:
    F_ZERO
    F_ONE
    F_SA
    F_DA
    F_INV_SA
    F_INV_DA
    F_SA_OVER_DA
    F_DA_OVER_SA
    F_INV_SA_OVER_DA
    F_INV_DA_OVER_SA
    F_ONE_MINUS_SA_OVER_DA
    F_ONE_MINUS_DA_OVER_SA
    F_ONE_MINUS_INV_DA_OVER_SA
    F_ONE_MINUS_INV_SA_OVER_DA


cdef inline float factor(int f, float sa, float da) noexcept nogil:
    if f == F_ZERO:
        return 0
    if f == F_ONE:
        return 1
    if f == F_SA:
        return sa
    if f == F_DA:
        return da
    if f == F_INV_SA:
        return F1 - sa
    if f == F_INV_DA:
        return F1 - da
    if f == F_SA_OVER_DA:
        return 1 if is_zero(da) else clamp01(sa / da)
    if f == F_DA_OVER_SA:
        return 1 if is_zero(sa) else clamp01(da / sa)
    if f == F_INV_SA_OVER_DA:
        return 1 if is_zero(da) else clamp01((F1 - sa) / da)
    if f == F_INV_DA_OVER_SA:
        return 1 if is_zero(sa) else clamp01((F1 - da) / sa)
    if f == F_ONE_MINUS_SA_OVER_DA:
        return 0 if is_zero(da) else clamp01(F1 - sa / da)
    if f == F_ONE_MINUS_DA_OVER_SA:
        return 0 if is_zero(sa) else clamp01(F1 - da / sa)
    if f == F_ONE_MINUS_INV_DA_OVER_SA:
        return 0 if is_zero(sa) else clamp01(F1 - (F1 - da) / sa)
    # F_ONE_MINUS_INV_SA_OVER_DA
    return 0 if is_zero(da) else clamp01(F1 - (F1 - sa) / da)


cdef int PD_A[0x2c]
cdef int PD_B[0x2c]


cdef void _set_pd(int op, int fa, int fb):
    PD_A[op] = fa
    PD_B[op] = fb


def _init_pd() -> None:
    cdef int base
    _set_pd(OP_CLEAR, F_ZERO, F_ZERO)
    _set_pd(OP_SRC, F_ONE, F_ZERO)
    _set_pd(OP_DST, F_ZERO, F_ONE)
    _set_pd(OP_OVER, F_ONE, F_INV_SA)
    _set_pd(OP_OVER_REVERSE, F_INV_DA, F_ONE)
    _set_pd(OP_IN, F_DA, F_ZERO)
    _set_pd(OP_IN_REVERSE, F_ZERO, F_SA)
    _set_pd(OP_OUT, F_INV_DA, F_ZERO)
    _set_pd(OP_OUT_REVERSE, F_ZERO, F_INV_SA)
    _set_pd(OP_ATOP, F_DA, F_INV_SA)
    _set_pd(OP_ATOP_REVERSE, F_INV_DA, F_SA)
    _set_pd(OP_XOR, F_INV_DA, F_INV_SA)
    _set_pd(OP_ADD, F_ONE, F_ONE)
    _set_pd(OP_SATURATE, F_INV_DA_OVER_SA, F_ONE)
    for base in (0x10, 0x20):
        _set_pd(base + 0, F_ZERO, F_ZERO)
        _set_pd(base + 1, F_ONE, F_ZERO)
        _set_pd(base + 2, F_ZERO, F_ONE)
    _set_pd(OP_DISJOINT_OVER, F_ONE, F_INV_SA_OVER_DA)
    _set_pd(OP_DISJOINT_OVER_REVERSE, F_INV_DA_OVER_SA, F_ONE)
    _set_pd(OP_DISJOINT_IN, F_ONE_MINUS_INV_DA_OVER_SA, F_ZERO)
    _set_pd(OP_DISJOINT_IN_REVERSE, F_ZERO, F_ONE_MINUS_INV_SA_OVER_DA)
    _set_pd(OP_DISJOINT_OUT, F_INV_DA_OVER_SA, F_ZERO)
    _set_pd(OP_DISJOINT_OUT_REVERSE, F_ZERO, F_INV_SA_OVER_DA)
    _set_pd(OP_DISJOINT_ATOP, F_ONE_MINUS_INV_DA_OVER_SA, F_INV_SA_OVER_DA)
    _set_pd(OP_DISJOINT_ATOP_REVERSE, F_INV_DA_OVER_SA, F_ONE_MINUS_INV_SA_OVER_DA)
    _set_pd(OP_DISJOINT_XOR, F_INV_DA_OVER_SA, F_INV_SA_OVER_DA)
    _set_pd(OP_CONJOINT_OVER, F_ONE, F_ONE_MINUS_SA_OVER_DA)
    _set_pd(OP_CONJOINT_OVER_REVERSE, F_ONE_MINUS_DA_OVER_SA, F_ONE)
    _set_pd(OP_CONJOINT_IN, F_DA_OVER_SA, F_ZERO)
    _set_pd(OP_CONJOINT_IN_REVERSE, F_ZERO, F_SA_OVER_DA)
    _set_pd(OP_CONJOINT_OUT, F_ONE_MINUS_DA_OVER_SA, F_ZERO)
    _set_pd(OP_CONJOINT_OUT_REVERSE, F_ZERO, F_ONE_MINUS_SA_OVER_DA)
    _set_pd(OP_CONJOINT_ATOP, F_DA_OVER_SA, F_ONE_MINUS_SA_OVER_DA)
    _set_pd(OP_CONJOINT_ATOP_REVERSE, F_ONE_MINUS_DA_OVER_SA, F_SA_OVER_DA)
    _set_pd(OP_CONJOINT_XOR, F_ONE_MINUS_DA_OVER_SA, F_ONE_MINUS_SA_OVER_DA)


_init_pd()


cdef inline float pd_channel(int op, float sa, float s, float da, float d) noexcept nogil:
    cdef float fa = factor(PD_A[op], sa, da)
    cdef float fb = factor(PD_B[op], sa, da)
    cdef float r = s * fa + d * fb
    return F1 if F1 < r else r


cdef inline float blendf(int op, float sa, float s, float da, float d) noexcept nogil:
    """The separable PDF blend term B(s, d) * sa * da in pixman's float form."""
    cdef float t, u
    if op == OP_MULTIPLY:
        return d * s
    if op == OP_SCREEN:
        return d * sa + s * da - s * d
    if op == OP_OVERLAY:
        if F2 * d < da:
            return F2 * s * d
        return sa * da - F2 * (da - d) * (sa - s)
    if op == OP_DARKEN:
        t = s * da
        u = d * sa
        return u if t > u else t
    if op == OP_LIGHTEN:
        t = s * da
        u = d * sa
        return t if t > u else u
    if op == OP_COLOR_DODGE:
        if is_zero(d):
            return 0
        if d * sa >= sa * da - s * da:
            return sa * da
        if is_zero(sa - s):
            return sa * da
        return sa * sa * d / (sa - s)
    if op == OP_COLOR_BURN:
        if d >= da:
            return sa * da
        if sa * (da - d) >= s * da:
            return 0
        if is_zero(s):
            return 0
        return sa * (da - sa * (da - d) / s)
    if op == OP_HARD_LIGHT:
        if F2 * s < sa:
            return F2 * s * d
        return sa * da - F2 * (da - d) * (sa - s)
    if op == OP_SOFT_LIGHT:
        if F2 * s <= sa:
            if is_zero(da):
                return d * sa
            return d * sa - d * (da - d) * (sa - F2 * s) / da
        if is_zero(da):
            return d * sa
        if F4 * d <= da:
            return d * sa + (F2 * s - sa) * d * ((F16 * d / da - F12) * d / da + F3)
        return d * sa + (sqrtf(d * da) - d) * (F2 * s - sa)
    if op == OP_DIFFERENCE:
        t = d * sa
        u = s * da
        return t - u if u < t else u - t
    # EXCLUSION
    return s * da + d * sa - F2 * d * s


cdef inline float sep_alpha(float sa, float da) noexcept nogil:
    return da + sa - da * sa


cdef inline float sep_channel(int op, float sa, float s, float da, float d) noexcept nogil:
    cdef float f = (F1 - sa) * d + (F1 - da) * s
    return f + blendf(op, sa, s, da, d)


cdef inline float lum(float r, float g, float b) noexcept nogil:
    return r * <float>0.3 + g * <float>0.59 + b * <float>0.11


cdef inline float minf(float a, float b) noexcept nogil:
    return a if a < b else b


cdef inline float maxf(float a, float b) noexcept nogil:
    return a if a > b else b


cdef inline float chan_min(const float* c) noexcept nogil:
    return minf(minf(c[0], c[1]), c[2])


cdef inline float chan_max(const float* c) noexcept nogil:
    return maxf(maxf(c[0], c[1]), c[2])


cdef void clip_color(float* c, float a) noexcept nogil:
    cdef float l = lum(c[0], c[1], c[2])
    cdef float n = chan_min(c)
    cdef float x = chan_max(c)
    cdef float t
    cdef int i
    if n < 0:
        t = l - n
        if is_zero(t):
            c[0] = 0
            c[1] = 0
            c[2] = 0
        else:
            for i in range(3):
                c[i] = l + (((c[i] - l) * l) / t)
    if x > a:
        t = x - l
        if is_zero(t):
            c[0] = a
            c[1] = a
            c[2] = a
        else:
            for i in range(3):
                c[i] = l + (((c[i] - l) * (a - l) / t))


cdef void set_lum(float* c, float sa, float l) noexcept nogil:
    cdef float d = l - lum(c[0], c[1], c[2])
    c[0] = c[0] + d
    c[1] = c[1] + d
    c[2] = c[2] + d
    clip_color(c, sa)


cdef void set_sat(float* c, float sat) noexcept nogil:
    cdef int mx, md, mn
    cdef float t
    # The same comparisons, in the same order, as pixman (ties go the same way).
    if c[0] > c[1]:
        if c[0] > c[2]:
            mx = 0
            if c[1] > c[2]:
                md, mn = 1, 2
            else:
                md, mn = 2, 1
        else:
            mx, md, mn = 2, 0, 1
    else:
        if c[0] > c[2]:
            mx, md, mn = 1, 0, 2
        else:
            mn = 0
            if c[1] > c[2]:
                mx, md = 1, 2
            else:
                mx, md = 2, 1
    t = c[mx] - c[mn]
    if is_zero(t):
        c[md] = 0
        c[mx] = 0
    else:
        c[md] = ((c[md] - c[mn]) * sat) / t
        c[mx] = sat
    c[mn] = 0


cdef void hsl(int op, float* res, const float* dc, float da, const float* sc, float sa) noexcept nogil:
    cdef int i
    if op == OP_HSL_HUE:
        for i in range(3):
            res[i] = sc[i] * da
        set_sat(res, (chan_max(dc) - chan_min(dc)) * sa)
        set_lum(res, sa * da, lum(dc[0], dc[1], dc[2]) * sa)
    elif op == OP_HSL_SATURATION:
        for i in range(3):
            res[i] = dc[i] * sa
        set_sat(res, (chan_max(sc) - chan_min(sc)) * da)
        set_lum(res, sa * da, lum(dc[0], dc[1], dc[2]) * sa)
    elif op == OP_HSL_COLOR:
        for i in range(3):
            res[i] = sc[i] * da
        set_lum(res, sa * da, lum(dc[0], dc[1], dc[2]) * sa)
    else:
        for i in range(3):
            res[i] = dc[i] * sa
        set_lum(res, sa * da, lum(sc[0], sc[1], sc[2]) * da)


cdef void combine_float(int op, int ca, Argb* d, const Argb* s, const Argb* m, int n) noexcept nogil:
    cdef int i
    cdef float sa, sr, sg, sb, ma, mr, mg, mb, da
    cdef float sc[3]
    cdef float dc[3]
    cdef float rc[3]
    cdef int sep = op >= OP_MULTIPLY and op <= OP_EXCLUSION
    if op >= OP_HSL_HUE:
        if ca:
            return  # pixman has no component-alpha HSL: the destination stays (through its float round trip)
        for i in range(n):
            sa = s[i].a
            sc[0] = s[i].r
            sc[1] = s[i].g
            sc[2] = s[i].b
            da = d[i].a
            dc[0] = d[i].r
            dc[1] = d[i].g
            dc[2] = d[i].b
            if m != NULL:
                ma = m[i].a
                sa *= ma
                sc[0] *= ma
                sc[1] *= ma
                sc[1] *= ma  # sic: pixman scales green twice and blue not at all
            hsl(op, rc, dc, da, sc, sa)
            d[i].a = sa + da - sa * da
            d[i].r = (F1 - sa) * dc[0] + (F1 - da) * sc[0] + rc[0]
            d[i].g = (F1 - sa) * dc[1] + (F1 - da) * sc[1] + rc[1]
            d[i].b = (F1 - sa) * dc[2] + (F1 - da) * sc[2] + rc[2]
        return
    for i in range(n):
        sa = s[i].a
        sr = s[i].r
        sg = s[i].g
        sb = s[i].b
        if m == NULL:
            ma = sa
            mr = sa
            mg = sa
            mb = sa
        elif ca:
            ma = m[i].a
            mr = m[i].r
            mg = m[i].g
            mb = m[i].b
            sr *= mr
            sg *= mg
            sb *= mb
            ma *= sa
            mr *= sa
            mg *= sa
            mb *= sa
            sa = ma
        else:
            ma = m[i].a
            sa *= ma
            sr *= ma
            sg *= ma
            sb *= ma
            ma = sa
            mr = sa
            mg = sa
            mb = sa
        da = d[i].a
        if sep:
            d[i].a = sep_alpha(ma, da)
            d[i].r = sep_channel(op, mr, sr, da, d[i].r)
            d[i].g = sep_channel(op, mg, sg, da, d[i].g)
            d[i].b = sep_channel(op, mb, sb, da, d[i].b)
        else:
            d[i].a = pd_channel(op, ma, sa, da, da)
            d[i].r = pd_channel(op, mr, sr, da, d[i].r)
            d[i].g = pd_channel(op, mg, sg, da, d[i].g)
            d[i].b = pd_channel(op, mb, sb, da, d[i].b)


cdef inline Argb expand_sample(const Pic* p, int x, int y) noexcept nogil:
    """A pixel in floats as pixman's float fetchers give it (x8r8g8b8 alpha is exactly 1)."""
    return expand(pix_at(p, x, y))


cdef inline Argb sample_float(const Pic* p, int64_t fx, int64_t fy) noexcept nogil:
    """One float sample. Only BILINEAR differs from expanding the 8-bit sample: it interpolates the expanded
    neighbours in floats, with 16-bit weights."""
    cdef int32_t x1f, y1f
    cdef int x1, y1
    cdef float wx, wy, w00, w10, w01, w11
    cdef Argb tl, tr, bl, br, out
    if not p.bilinear:
        return expand(pix_at(p, <int>((fx - 1) >> 16), <int>((fy - 1) >> 16)))
    x1f = <int32_t>(fx - 0x8000)
    y1f = <int32_t>(fy - 0x8000)
    wx = (<float>(x1f & 0xffff)) / F65536
    wy = (<float>(y1f & 0xffff)) / F65536
    x1 = x1f >> 16
    y1 = y1f >> 16
    tl = expand(pix_at(p, x1, y1))
    tr = expand(pix_at(p, x1 + 1, y1))
    bl = expand(pix_at(p, x1, y1 + 1))
    br = expand(pix_at(p, x1 + 1, y1 + 1))
    w11 = wx * wy
    w10 = wx * (F1 - wy)
    w01 = (F1 - wx) * wy
    w00 = (F1 - wx) * (F1 - wy)
    out.a = tl.a * w00 + tr.a * w10 + bl.a * w01 + br.a * w11
    out.r = tl.r * w00 + tr.r * w10 + bl.r * w01 + br.r * w11
    out.g = tl.g * w00 + tr.g * w10 + bl.g * w01 + br.g * w11
    out.b = tl.b * w00 + tr.b * w10 + bl.b * w01 + br.b * w11
    return out


cdef void fetch_row_float(const Pic* p, int X, int Y, int n, uint32_t* tmp, Argb* out,
                          const Argb* gate) noexcept nogil:
    """Float samples for a row.

    gate: the mask row, or NULL. pixman's per-pixel fetchers (transformed pictures, and PAD or REFLECT ones)
    skip the pixels whose mask sample is all zero and leave whatever the buffer held there (the previous row's
    sample, or zero); that shows with the HSL operators, which leave blue unmasked.
    """
    cdef int i
    cdef int64_t fx, fy
    cdef int per_pixel = not p.solid and (p.transformed or p.repeat == R_PAD or p.repeat == R_REFLECT)
    if not per_pixel or (gate == NULL and not (p.transformed and p.bilinear)):
        fetch_row(p, X, Y, n, tmp)
        for i in range(n):
            out[i] = expand(tmp[i])
        return
    affine_start(p, X, Y, &fx, &fy)  # an untransformed picture has the identity matrix here
    for i in range(n):
        if gate == NULL or gate[i].a != 0 or gate[i].r != 0 or gate[i].g != 0 or gate[i].b != 0:
            out[i] = sample_float(p, fx, fy)
        fx += p.t00
        fy += p.t10


# ----------------------------------------------------------------------------------------------------------------
# The row driver

cdef int run_narrow(int op, Pic* src, Pic* mask, int ca, uint8_t* dst, Py_ssize_t dstride, int w, int h,
                    int dest_x8, int x_policy, int sx, int sy, int mx, int my) noexcept nogil:
    cdef uint32_t* sbuf = <uint32_t*>malloc(w * 4)
    cdef uint32_t* mbuf = <uint32_t*>malloc(w * 4)
    cdef uint32_t* dbuf = <uint32_t*>malloc(w * 4)
    cdef uint8_t* abuf = <uint8_t*>malloc(w)
    cdef const uint32_t* sp = sbuf
    cdef const uint32_t* mp32 = mbuf
    cdef const uint8_t* ap = NULL
    cdef uint32_t* dp
    cdef uint8_t* drow
    cdef int row, i, src_fixed, mask_fixed
    cdef int via_buffer
    if sbuf == NULL or mbuf == NULL or dbuf == NULL or abuf == NULL:
        free(sbuf)
        free(mbuf)
        free(dbuf)
        free(abuf)
        return -1
    # A solid source or mask is sampled once.
    src_fixed = src.solid
    mask_fixed = mask != NULL and mask.solid
    if op != OP_CLEAR and src_fixed:
        fetch_row(src, sx, sy, w, sbuf)
    if mask_fixed:
        if ca:
            fetch_row(mask, mx, my, w, mbuf)
            mp32 = mbuf
        else:
            ap = alpha_row(mask, mx, my, w, dbuf, abuf)
    for row in range(h):
        if op != OP_CLEAR and not src_fixed:
            sp = row_in_place(src, sx, sy + row, w)
            if sp == NULL:
                fetch_row(src, sx, sy + row, w, sbuf)
                sp = sbuf
        if mask != NULL and not mask_fixed:
            if ca:
                mp32 = row_in_place(mask, mx, my + row, w)
                if mp32 == NULL:
                    fetch_row(mask, mx, my + row, w, mbuf)
                    mp32 = mbuf
            else:
                ap = alpha_row(mask, mx, my + row, w, dbuf, abuf)
        drow = dst + row * dstride
        via_buffer = (dest_x8 and x_policy == X_ZERO) or ((<uintptr_t>drow) & 3) != 0
        if via_buffer:
            memcpy(dbuf, drow, w * 4)
            if dest_x8 and x_policy == X_ZERO:
                for i in range(w):
                    dbuf[i] |= 0xff000000u
            dp = dbuf
        else:
            dp = <uint32_t*>drow
        if ca and mask != NULL:
            combine8_ca(op, dp, sp, mp32, w)
        else:
            combine8(op, dp, sp, ap, w)
        if via_buffer:
            if dest_x8 and x_policy == X_ZERO:
                for i in range(w):
                    dbuf[i] &= 0x00ffffffu
            memcpy(drow, dbuf, w * 4)
    free(sbuf)
    free(mbuf)
    free(dbuf)
    free(abuf)
    return 0


cdef int run_float(int op, Pic* src, Pic* mask, int ca, uint8_t* dst, Py_ssize_t dstride, int w, int h,
                   int dest_x8, int sx, int sy, int mx, int my) noexcept nogil:
    cdef uint32_t* tmp = <uint32_t*>malloc(w * 4)
    cdef Argb* sbuf = <Argb*>calloc(w, sizeof(Argb))  # rows keep what earlier rows left, like pixman's
    cdef Argb* mbuf = <Argb*>malloc(w * sizeof(Argb))
    cdef Argb* dbuf = <Argb*>malloc(w * sizeof(Argb))
    cdef uint8_t* drow
    cdef uint32_t v
    cdef int row, i
    if tmp == NULL or sbuf == NULL or mbuf == NULL or dbuf == NULL:
        free(tmp)
        free(sbuf)
        free(mbuf)
        free(dbuf)
        return -1
    for row in range(h):
        if mask != NULL:
            fetch_row_float(mask, mx, my + row, w, tmp, mbuf, NULL)
            fetch_row_float(src, sx, sy + row, w, tmp, sbuf, mbuf)
        else:
            fetch_row_float(src, sx, sy + row, w, tmp, sbuf, NULL)
        drow = dst + row * dstride
        for i in range(w):
            memcpy(&v, drow + 4 * i, 4)
            if dest_x8:
                v |= 0xff000000u
            dbuf[i] = expand(v)
        combine_float(op, ca, dbuf, sbuf, mbuf if mask != NULL else NULL, w)
        for i in range(w):
            v = contract(&dbuf[i])
            if dest_x8:
                v &= 0x00ffffffu
            memcpy(drow + 4 * i, &v, 4)
    free(tmp)
    free(sbuf)
    free(mbuf)
    free(dbuf)
    return 0


cdef int setup_pic(Pic* p, const uint8_t[:, :, :] pixels, int kind, object transform, bint bilinear,
                   int repeat, bint solid) except -1:
    p.h = pixels.shape[0]
    p.w = pixels.shape[1]
    if p.h == 0 or p.w == 0:
        raise ValueError("pictures need at least one pixel")
    p.data = &pixels[0, 0, 0]
    p.stride = pixels.strides[0]
    p.kind = kind
    p.bilinear = bilinear
    p.repeat = repeat
    p.solid = solid
    if transform is None:
        p.transformed = 0
        p.t00, p.t01, p.t02, p.t10, p.t11, p.t12 = 0x10000, 0, 0, 0, 0x10000, 0
    else:
        p.transformed = 1
        p.t00, p.t01, p.t02, p.t10, p.t11, p.t12 = transform
    return 0


def run(int op, bint is_float, uint8_t[:, :, :] dest, bint dest_x8, int x_policy,
        const uint8_t[:, :, :] src, int s_kind, object s_transform, bint s_bilinear, int s_repeat, bint s_solid,
        int src_x, int src_y,
        object mask, int m_kind, object m_transform, bint m_bilinear, int m_repeat, bint m_solid, bint m_ca,
        int mask_x, int mask_y) -> None:
    """Composite over the whole of dest (h, w, 4), whose pixels are 4 adjacent bytes. Trusts its arguments:
    spiceview.canvas.composite has checked them and made pixman's decisions."""
    cdef Pic s, m
    cdef Pic* mp = NULL
    cdef const uint8_t[:, :, :] mview
    cdef int h = dest.shape[0], w = dest.shape[1], rc
    cdef uint8_t* d
    cdef Py_ssize_t dstride
    if h == 0 or w == 0:
        return
    if dest.strides[2] != 1 or dest.strides[1] != 4:
        raise ValueError("dest pixels must be 4 adjacent bytes")
    setup_pic(&s, src, s_kind, s_transform, s_bilinear, s_repeat, s_solid)
    if mask is not None:
        mview = mask
        setup_pic(&m, mview, m_kind, m_transform, m_bilinear, m_repeat, m_solid)
        mp = &m
    d = &dest[0, 0, 0]
    dstride = dest.strides[0]
    with nogil:
        if is_float:
            rc = run_float(op, &s, mp, m_ca, d, dstride, w, h, dest_x8, src_x, src_y, mask_x, mask_y)
        else:
            rc = run_narrow(op, &s, mp, m_ca, d, dstride, w, h, dest_x8, x_policy, src_x, src_y, mask_x, mask_y)
    if rc != 0:
        raise MemoryError("no memory for the composite row buffers")
