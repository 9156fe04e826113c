# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Y'CbCr planes to B,G,R,0xFF pixels, written straight where they are shown.

FFmpeg's scaler has no fast path for Xspice's video: its strips are 51 rows high (odd, so 4:2:0 takes the
generic path) and its H.264 is 4:4:4 (never a fast path), 0.2-0.45 ms per 1280x51 strip; it also needs a
buffer of its own, copied into the surface afterwards. The row loops (yuv_rows.h) take 0.025 ms and write
into the destination rows directly.
"""

from libc.stdint cimport int32_t, uint8_t, uint32_t


cdef extern from "yuv_rows.h" nogil:
    ctypedef struct sv_yuv_matrix:
        int32_t y_mul, y_add, cr_r, cb_g, cr_g, cb_b
    uint32_t sv_yuv_pixel(int32_t luma, int32_t red, int32_t green, int32_t blue)
    void sv_yuv_row_444(const uint8_t *y, const uint8_t *u, const uint8_t *v, Py_ssize_t n,
                        const sv_yuv_matrix *m, uint32_t *out)
    void sv_yuv_row_pairs(const uint8_t *y, const uint8_t *u, const uint8_t *v, Py_ssize_t pairs,
                          const sv_yuv_matrix *m, uint32_t *out)


cdef inline uint32_t _one(const uint8_t *y, const uint8_t *u, const uint8_t *v, Py_ssize_t x, Py_ssize_t cx,
                          const sv_yuv_matrix *m) noexcept nogil:
    cdef int32_t cb = <int32_t>u[cx] - 128, cr = <int32_t>v[cx] - 128
    return sv_yuv_pixel(<int32_t>y[x] * m.y_mul + m.y_add, cr * m.cr_r, cb * m.cb_g + cr * m.cr_g, cb * m.cb_b)


def convert(const uint8_t[:, :] y_plane, const uint8_t[:, :] u_plane, const uint8_t[:, :] v_plane,
            int shift_x, int shift_y, Py_ssize_t width, Py_ssize_t height, tuple coefficients,
            uint32_t[:, :] dst, Py_ssize_t src_x, Py_ssize_t src_y, bint flip) -> None:
    """Convert the `dst`-sized part of a `width` x `height` picture at (`src_x`, `src_y`) into `dst`.

    `coefficients`: (y_mul, y_add, cr_r, cb_g, cr_g, cb_b) scaled by 2**16 (see yuv.color_matrix). `flip`: the
    picture's rows are bottom-up, so shown row r is picture row height - 1 - r. Every index is checked against
    the planes' shapes before the loop.
    """
    cdef Py_ssize_t dh = dst.shape[0], dw = dst.shape[1]
    cdef Py_ssize_t chroma_h = (height + shift_y) >> shift_y, chroma_w = (width + shift_x) >> shift_x
    cdef sv_yuv_matrix m
    m.y_mul, m.y_add, m.cr_r, m.cb_g, m.cr_g, m.cb_b = coefficients
    if shift_x not in (0, 1) or shift_y not in (0, 1):
        raise ValueError("bad chroma layout")
    if src_x < 0 or src_y < 0 or src_x + dw > width or src_y + dh > height:
        raise ValueError("region outside the picture")
    if y_plane.shape[0] < height or y_plane.shape[1] < width:
        raise ValueError("luma plane too small")
    if (u_plane.shape[0] < chroma_h or u_plane.shape[1] < chroma_w
            or v_plane.shape[0] < chroma_h or v_plane.shape[1] < chroma_w):
        raise ValueError("chroma plane too small")
    if dh == 0 or dw == 0:
        return
    if y_plane.strides[1] != 1 or u_plane.strides[1] != 1 or v_plane.strides[1] != 1 or dst.strides[1] != 4:
        raise ValueError("rows must be contiguous")
    cdef Py_ssize_t r, row, x, n, pairs
    cdef const uint8_t *yr
    cdef const uint8_t *ur
    cdef const uint8_t *vr
    cdef uint32_t *out
    with nogil:
        for r in range(dh):
            row = height - 1 - (src_y + r) if flip else src_y + r
            yr = &y_plane[row, 0]
            ur = &u_plane[row >> shift_y, 0]
            vr = &v_plane[row >> shift_y, 0]
            out = &dst[r, 0]
            if shift_x == 0:
                sv_yuv_row_444(yr + src_x, ur + src_x, vr + src_x, dw, &m, out)
                continue
            # Pairs start on even columns: a region starting on an odd one does its first pixel alone.
            x, n = src_x, dw
            if x & 1:
                out[0] = _one(yr, ur, vr, x, x >> 1, &m)
                x, n, out = x + 1, n - 1, out + 1
            pairs = n >> 1
            sv_yuv_row_pairs(yr + x, ur + (x >> 1), vr + (x >> 1), pairs, &m, out)
            if n & 1:
                x += 2 * pairs
                out[2 * pairs] = _one(yr, ur, vr, x, x >> 1, &m)
