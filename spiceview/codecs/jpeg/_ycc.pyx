# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""JPEG YCbCr planes to B,G,R,0xFF pixels the way libjpeg (and so spice-gtk) makes them.

Chroma is upsampled with libjpeg's default "fancy" triangle filter (3/4 nearer + 1/4 farther
sample, edges replicated, its exact rounding) instead of FFmpeg's sample repetition, and
converted with libjpeg's 16-bit fixed-point YCbCr tables.
"""

from libc.stdint cimport int32_t, uint8_t
from libc.stdlib cimport free, malloc

cdef int32_t CR_R[256]
cdef int32_t CB_B[256]
cdef int32_t CR_G[256]
cdef int32_t CB_G[256]


cdef inline int32_t _fix(double v) noexcept nogil:
    return <int32_t>(v * 65536.0 + 0.5)


cdef void _tables() noexcept nogil:
    cdef int i, x
    for i in range(256):
        x = i - 128
        CR_R[i] = (_fix(1.40200) * x + 32768) >> 16
        CB_B[i] = (_fix(1.77200) * x + 32768) >> 16
        CR_G[i] = -_fix(0.71414) * x
        CB_G[i] = -_fix(0.34414) * x + 32768


_tables()


cdef inline uint8_t _clamp(int32_t v) noexcept nogil:
    return 0 if v < 0 else (255 if v > 255 else <uint8_t>v)


cdef void _h2_fancy(const int32_t* s, Py_ssize_t n, int32_t* out, int shift,
                    int32_t edge_mul, int32_t lo_bias, int32_t hi_bias) noexcept nogil:
    """Horizontal 2x of `n` >= 3 samples (column sums for h2v2): libjpeg's exact formulas."""
    cdef Py_ssize_t i
    out[0] = (s[0] * edge_mul + lo_bias) >> shift
    out[1] = (s[0] * 3 + s[1] + hi_bias) >> shift
    for i in range(1, n - 1):
        out[2 * i] = (s[i] * 3 + s[i - 1] + lo_bias) >> shift
        out[2 * i + 1] = (s[i] * 3 + s[i + 1] + hi_bias) >> shift
    out[2 * n - 2] = (s[n - 1] * 3 + s[n - 2] + lo_bias) >> shift
    out[2 * n - 1] = (s[n - 1] * edge_mul + hi_bias) >> shift


cdef void _chroma_row(const uint8_t[:, ::1] plane, Py_ssize_t cw, Py_ssize_t ch, Py_ssize_t row,
                      int hs, int vs, int32_t* tmp, int32_t* out) noexcept nogil:
    """Output row `row` of one chroma plane, upsampled to 2 * cw (or cw) samples."""
    cdef Py_ssize_t i, c, far
    cdef const uint8_t* near_row
    cdef const uint8_t* far_row
    cdef bint fancy = cw > 2
    if vs == 2:
        c = row // 2
        if hs == 2 and not fancy:  # libjpeg's plain box upsampling
            near_row = &plane[c, 0]
            for i in range(cw):
                out[2 * i] = near_row[i]
                out[2 * i + 1] = near_row[i]
            return
        far = c - 1 if row % 2 == 0 else c + 1
        far = 0 if far < 0 else (ch - 1 if far >= ch else far)  # edge rows replicated
        near_row = &plane[c, 0]
        far_row = &plane[far, 0]
        for i in range(cw):
            tmp[i] = near_row[i] * 3 + far_row[i]
        if hs == 2:
            # h2v2: column sums carry 4x weight: bias 8 / 7 and a 4-bit shift
            _h2_fancy(tmp, cw, out, 4, 4, 8, 7)
        else:
            for i in range(cw):  # h1v2 (4:4:0)
                out[i] = (tmp[i] + (1 if row % 2 == 0 else 2)) >> 2
        return
    near_row = &plane[row, 0]
    if hs == 2:
        if fancy:
            for i in range(cw):
                tmp[i] = near_row[i]
            _h2_fancy(tmp, cw, out, 2, 4, 1, 2)  # (4s + bias) >> 2 keeps edge samples as they are
        else:
            for i in range(cw):
                out[2 * i] = near_row[i]
                out[2 * i + 1] = near_row[i]
    else:
        for i in range(cw):
            out[i] = near_row[i]


def ycc_to_bgrx(const uint8_t[:, ::1] y, const uint8_t[:, ::1] cb, const uint8_t[:, ::1] cr,
                Py_ssize_t cw, Py_ssize_t ch, int hs, int vs, uint8_t[:, :, ::1] out) -> None:
    """Convert planes (rows may be padded) into out (H, W, 4); hs, vs: chroma subsampling 1 or 2."""
    cdef Py_ssize_t h = out.shape[0], w = out.shape[1], r, x
    cdef int32_t* tmp
    cdef int32_t* cbu
    cdef int32_t* cru
    cdef int32_t yy, b, rr
    cdef uint8_t* o
    if hs not in (1, 2) or vs not in (1, 2) or out.shape[2] != 4:
        raise ValueError("unsupported sampling")
    if (y.shape[0] < h or y.shape[1] < w or cw * hs < w or ch * vs < h or cw < 1 or ch < 1
            or cb.shape[0] < ch or cb.shape[1] < cw or cr.shape[0] < ch or cr.shape[1] < cw):
        raise ValueError("planes too small")
    tmp = <int32_t*>malloc((cw + 2 * cw * 2 + 8) * sizeof(int32_t))
    if tmp == NULL:
        raise MemoryError()
    cbu = tmp + cw + 4
    cru = cbu + 2 * cw + 2
    with nogil:
        for r in range(h):
            _chroma_row(cb, cw, ch, r, hs, vs, tmp, cbu)
            _chroma_row(cr, cw, ch, r, hs, vs, tmp, cru)
            o = &out[r, 0, 0]
            for x in range(w):
                yy = y[r, x]
                b = cbu[x]
                rr = cru[x]
                o[0] = _clamp(yy + CB_B[b])
                o[1] = _clamp(yy + ((CB_G[b] + CR_G[rr]) >> 16))
                o[2] = _clamp(yy + CR_R[rr])
                o[3] = 0xFF
                o += 4
    free(tmp)


def gray_to_bgrx(const uint8_t[:, ::1] y, uint8_t[:, :, ::1] out) -> None:
    cdef Py_ssize_t h = out.shape[0], w = out.shape[1], r, x
    cdef uint8_t v
    if y.shape[0] < h or y.shape[1] < w or out.shape[2] != 4:
        raise ValueError("plane too small")
    with nogil:
        for r in range(h):
            for x in range(w):
                v = y[r, x]
                out[r, x, 0] = v
                out[r, x, 1] = v
                out[r, x, 2] = v
                out[r, x, 3] = 0xFF
