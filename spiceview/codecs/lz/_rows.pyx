# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Row work after LZ/GLZ decoding: palette expansion, flipping, copying out with X = 0xFF.

Callers pass arrays whose shapes they made themselves; the checks here guard against misuse.
"""

from libc.stdint cimport uint8_t, uint32_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy


def expand_palette(const uint8_t[::1] plane, Py_ssize_t stride, int bits, bint msb_first,
                   const uint32_t[::1] table, uint32_t[:, ::1] out) -> None:
    """Palette bytes (`stride` per row, 1/4/8 bits per pixel) to pixels looked up in `table`.

    `table` has 2**bits entries, so every index is in range; rows are cropped to out's width.
    """
    cdef Py_ssize_t height = out.shape[0], width = out.shape[1]
    cdef Py_ssize_t y, x, per = 8 // bits
    cdef const uint8_t* row
    cdef uint32_t* dst
    cdef uint32_t mask = (1u << bits) - 1
    cdef int shift
    cdef uint8_t byte
    if bits not in (1, 4, 8) or table.shape[0] < (1 << bits):
        raise ValueError("bad palette layout")
    if stride * per < width or plane.shape[0] < stride * height:
        raise ValueError("palette plane too small")
    with nogil:
        for y in range(height):
            row = &plane[y * stride]
            dst = &out[y, 0]
            if bits == 8:
                for x in range(width):
                    dst[x] = table[row[x]]
            else:
                for x in range(width):
                    byte = row[x // per]
                    if msb_first:
                        shift = 8 - bits - (x % per) * bits
                    else:
                        shift = (x % per) * bits
                    dst[x] = table[(byte >> shift) & mask]


def flip_rows(uint8_t[:, ::1] rows) -> None:
    """Reverse the row order in place (bottom-up wire order to top-down)."""
    cdef Py_ssize_t h = rows.shape[0], w = rows.shape[1], y
    cdef uint8_t* tmp
    if h < 2 or w == 0:
        return
    tmp = <uint8_t*>malloc(w)
    if tmp == NULL:
        raise MemoryError()
    with nogil:
        for y in range(h // 2):
            memcpy(tmp, &rows[y, 0], w)
            memcpy(&rows[y, 0], &rows[h - 1 - y, 0], w)
            memcpy(&rows[h - 1 - y, 0], tmp, w)
    free(tmp)


def copy_pixels_out(const uint32_t[::1] src, uint32_t[:, ::1] out, bint flip, bint opaque) -> None:
    """Copy linear wire-order pixels into rows, flipping if bottom-up; `opaque` sets X to 0xFF."""
    cdef Py_ssize_t h = out.shape[0], w = out.shape[1], y, x
    cdef const uint32_t* s
    cdef uint32_t* d
    cdef uint32_t x_mask = 0
    if src.shape[0] < h * w:
        raise ValueError("source too small")
    (<uint8_t*>&x_mask)[3] = 0xFF  # the fourth byte in memory, whatever the host byte order
    with nogil:
        for y in range(h):
            s = &src[y * w]
            d = &out[h - 1 - y, 0] if flip else &out[y, 0]
            if opaque:
                for x in range(w):
                    d[x] = s[x] | x_mask
            else:
                memcpy(d, s, w * 4)
