# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Inner loops of the ternary raster operations, on whole 32-bit pixels.

A ROP3 code is the truth table of a bitwise function f(P, S, D): bit number (P << 2 | S << 1 | D) of the code is
the output for that input combination. Each loop turns the code into "selector" words (all zeros or all ones) and
evaluates f as a tree of bit multiplexers, mux(x, a, b) = a ^ ((a ^ b) & x), which picks b where x has a one bit
and a elsewhere. That costs the same for every code, has no branches, and the compiler vectorises it.

When the brush is one colour, P is the same word for every pixel, so the P level of the tree is folded into four
constants before the loop and each pixel costs one level per operand that remains (S and D, or D alone).

Pixels are read and written with 4-byte memcpy (one plain load or store on every target), so neither the pixel
stride nor the address has to be aligned. The callers (spiceview.canvas.rop3) check shapes, operand use and
overlap; these loops trust their arguments.
"""

from libc.stdint cimport uint32_t
from libc.string cimport memcpy

import numpy as np


cdef inline uint32_t _load(const unsigned char* p) noexcept nogil:
    cdef uint32_t v
    memcpy(&v, p, 4)
    return v


cdef inline void _store(unsigned char* p, uint32_t v) noexcept nogil:
    memcpy(p, &v, 4)


cdef inline uint32_t _sel(int code, int index) noexcept nogil:
    """The selector word for one truth-table entry: all ones when the code's bit `index` is set."""
    return 0xFFFFFFFFu if (code >> index) & 1 else 0u


cdef int _pixels(const unsigned char[:, :, :] block, Py_ssize_t h, Py_ssize_t w) except -1:
    """Check a block covers h x w pixels whose 4 bytes are adjacent (rows and pixels themselves may be strided)."""
    if block.shape[0] != h or block.shape[1] != w or block.shape[2] != 4 or (h and w and block.strides[2] != 1):
        raise ValueError("pixel blocks need the destination's shape (H, W, 4) with a pixel's 4 bytes adjacent")
    return 0


cdef int _pattern_rows(const uint32_t[:, ::1] pat, Py_ssize_t w) except -1:
    if pat.shape[0] == 0 or pat.shape[1] != w:
        raise ValueError("pattern rows must be as wide as the destination, and at least one")
    return 0


cdef inline void _fold_p(int code, uint32_t p, uint32_t* a) noexcept nogil:
    """a[s << 1 | d] = the code's output word for brush word p and the constant operands s, d."""
    cdef int sd
    cdef uint32_t lo, hi
    for sd in range(4):
        lo = _sel(code, sd)
        hi = _sel(code, 4 | sd)
        a[sd] = lo ^ ((lo ^ hi) & p)


def solid_sd(unsigned char[:, :, :] dst, const unsigned char[:, :, :] src, uint32_t color, int code) -> None:
    """dst = f(color, src, dst) for every pixel; color is a native-order word of the B,G,R,X bytes."""
    cdef Py_ssize_t h = dst.shape[0], w = dst.shape[1], y, x
    cdef Py_ssize_t dstep = dst.strides[1], sstep = src.strides[1]
    cdef uint32_t a[4]
    cdef uint32_t a0, x0, a2, x2, d, s, t0, t1
    cdef unsigned char* drow
    cdef const unsigned char* srow
    _pixels(dst, h, w)
    _pixels(src, h, w)
    if h == 0 or w == 0:
        return
    _fold_p(code, color, a)
    a0 = a[0]
    x0 = a[0] ^ a[1]
    a2 = a[2]
    x2 = a[2] ^ a[3]
    with nogil:
        for y in range(h):
            drow = &dst[y, 0, 0]
            srow = &src[y, 0, 0]
            if dstep == 4 and sstep == 4:
                for x in range(w):
                    d = _load(drow + 4 * x)
                    s = _load(srow + 4 * x)
                    t0 = a0 ^ (x0 & d)
                    t1 = a2 ^ (x2 & d)
                    _store(drow + 4 * x, t0 ^ ((t0 ^ t1) & s))
            else:
                for x in range(w):
                    d = _load(drow + dstep * x)
                    s = _load(srow + sstep * x)
                    t0 = a0 ^ (x0 & d)
                    t1 = a2 ^ (x2 & d)
                    _store(drow + dstep * x, t0 ^ ((t0 ^ t1) & s))


def solid_d(unsigned char[:, :, :] dst, uint32_t color, int code) -> None:
    """dst = f(color, 0, dst): for codes that do not look at the source."""
    cdef Py_ssize_t h = dst.shape[0], w = dst.shape[1], y, x
    cdef Py_ssize_t dstep = dst.strides[1]
    cdef uint32_t a[4]
    cdef uint32_t a0, x0
    cdef unsigned char* drow
    _pixels(dst, h, w)
    if h == 0 or w == 0:
        return
    _fold_p(code, color, a)
    a0 = a[0]
    x0 = a[0] ^ a[1]
    with nogil:
        for y in range(h):
            drow = &dst[y, 0, 0]
            if dstep == 4:
                for x in range(w):
                    _store(drow + 4 * x, a0 ^ (x0 & _load(drow + 4 * x)))
            else:
                for x in range(w):
                    _store(drow + dstep * x, a0 ^ (x0 & _load(drow + dstep * x)))


def pattern_sd(unsigned char[:, :, :] dst, const unsigned char[:, :, :] src,
               const uint32_t[:, ::1] pat, int code) -> None:
    """dst = f(pat, src, dst); row y of dst uses row y % len(pat) of `pat`, which is already dst-wide."""
    cdef Py_ssize_t h = dst.shape[0], w = dst.shape[1], y, x
    cdef Py_ssize_t dstep = dst.strides[1], sstep = src.strides[1], prows = pat.shape[0]
    cdef uint32_t k0, k1, k2, k3, l0, l1, l2, l3
    cdef uint32_t p, d, s, t0, t1
    cdef unsigned char* drow
    cdef const unsigned char* srow
    cdef const uint32_t* prow
    _pixels(dst, h, w)
    _pixels(src, h, w)
    _pattern_rows(pat, w)
    if h == 0 or w == 0:
        return
    # For S = 0 the output is b0 ^ (c0 & d) with b0 = f(p, 0, 0) and c0 = f(p, 0, 0) ^ f(p, 0, 1); each of those
    # is itself a mux on p: b0 = k0 ^ (l0 & p), c0 = k1 ^ (l1 & p). Likewise b2, c2 (k2, l2, k3, l3) for S = 1.
    k0 = _sel(code, 0)
    l0 = k0 ^ _sel(code, 4)
    k1 = k0 ^ _sel(code, 1)
    l1 = k1 ^ _sel(code, 4) ^ _sel(code, 5)
    k2 = _sel(code, 2)
    l2 = k2 ^ _sel(code, 6)
    k3 = k2 ^ _sel(code, 3)
    l3 = k3 ^ _sel(code, 6) ^ _sel(code, 7)
    with nogil:
        for y in range(h):
            drow = &dst[y, 0, 0]
            srow = &src[y, 0, 0]
            prow = &pat[y % prows, 0]
            if dstep == 4 and sstep == 4:
                for x in range(w):
                    p = prow[x]
                    d = _load(drow + 4 * x)
                    s = _load(srow + 4 * x)
                    t0 = (k0 ^ (l0 & p)) ^ ((k1 ^ (l1 & p)) & d)
                    t1 = (k2 ^ (l2 & p)) ^ ((k3 ^ (l3 & p)) & d)
                    _store(drow + 4 * x, t0 ^ ((t0 ^ t1) & s))
            else:
                for x in range(w):
                    p = prow[x]
                    d = _load(drow + dstep * x)
                    s = _load(srow + sstep * x)
                    t0 = (k0 ^ (l0 & p)) ^ ((k1 ^ (l1 & p)) & d)
                    t1 = (k2 ^ (l2 & p)) ^ ((k3 ^ (l3 & p)) & d)
                    _store(drow + dstep * x, t0 ^ ((t0 ^ t1) & s))


def pattern_d(unsigned char[:, :, :] dst, const uint32_t[:, ::1] pat, int code) -> None:
    """dst = f(pat, 0, dst): for codes that do not look at the source."""
    cdef Py_ssize_t h = dst.shape[0], w = dst.shape[1], y, x
    cdef Py_ssize_t dstep = dst.strides[1], prows = pat.shape[0]
    cdef uint32_t k0, k1, l0, l1, p
    cdef unsigned char* drow
    cdef const uint32_t* prow
    _pixels(dst, h, w)
    _pattern_rows(pat, w)
    if h == 0 or w == 0:
        return
    k0 = _sel(code, 0)
    l0 = k0 ^ _sel(code, 4)
    k1 = k0 ^ _sel(code, 1)
    l1 = k1 ^ _sel(code, 4) ^ _sel(code, 5)
    with nogil:
        for y in range(h):
            drow = &dst[y, 0, 0]
            prow = &pat[y % prows, 0]
            if dstep == 4:
                for x in range(w):
                    p = prow[x]
                    _store(drow + 4 * x, (k0 ^ (l0 & p)) ^ ((k1 ^ (l1 & p)) & _load(drow + 4 * x)))
            else:
                for x in range(w):
                    p = prow[x]
                    _store(drow + dstep * x, (k0 ^ (l0 & p)) ^ ((k1 ^ (l1 & p)) & _load(drow + dstep * x)))


def expand_tile(const uint32_t[:, ::1] tile, Py_ssize_t tile_x, Py_ssize_t tile_y,
                Py_ssize_t rows, Py_ssize_t width):
    """The tile repeated over a rows x width block whose (0, 0) is tile word (tile_y, tile_x) (both in range)."""
    cdef Py_ssize_t th = tile.shape[0], tw = tile.shape[1], y, x, ty, tx
    if not (0 <= tile_x < tw and 0 <= tile_y < th and rows >= 0 and width >= 0):
        raise ValueError("tile origin outside the tile, or a negative size")
    out_arr = np.empty((rows, width), dtype=np.uint32)
    cdef uint32_t[:, ::1] out = out_arr
    with nogil:
        ty = tile_y
        for y in range(rows):
            tx = tile_x
            for x in range(width):
                out[y, x] = tile[ty, tx]
                tx += 1
                if tx == tw:
                    tx = 0
            ty += 1
            if ty == th:
                ty = 0
    return out_arr
