# cython: language_level=3
"""LZ and GLZ literal runs of 24-bit pixels (B, G, R on the wire) into 32-bit pixels with a given X byte.

Photos are nearly all literals (runs of up to 32 pixels). Byte by byte that was three loads and four stores a
pixel; with word loads it is one load, a mask and one store (8-byte loads cover four pixels), about twice as fast
(1024x768 of literals: 1.0-1.4 ms -> 0.3-0.5 ms in a C loop). Word loads need a little-endian host; a big-endian
one takes the byte loop.
"""

from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy

cdef extern from *:
    """
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    #define LZ_WORD_LOADS 0
    #else
    #define LZ_WORD_LOADS 1 /* x86 and ARM as every platform spiceview ships for runs them; MSVC: little-endian only */
    #endif
    """
    const bint LZ_WORD_LOADS

# Word loads read this many bytes past a run's last pixel: a run without them in the stream (the stream's last)
# is converted byte by byte.
cdef enum:
    LITERAL_OVERREAD = 2


cdef inline void rgb24_to_x32(const uint8_t* s, Py_ssize_t available, uint32_t* o, Py_ssize_t count,
                              uint32_t x) noexcept nogil:
    """`count` pixels of 3 bytes at `s` (of which `available` bytes may be read, at least 3 * count) as 32-bit
    words B, G, R, X at `o`, X from `x`'s top byte."""
    cdef uint64_t a, b
    cdef uint32_t v
    cdef Py_ssize_t i = 0
    cdef uint8_t* o8
    if not LZ_WORD_LOADS or available < 3 * count + LITERAL_OVERREAD:
        o8 = <uint8_t*>o
        for i in range(count):
            o8[0] = s[0]
            o8[1] = s[1]
            o8[2] = s[2]
            o8[3] = <uint8_t>(x >> 24)
            s += 3
            o8 += 4
        return
    while i + 4 <= count:
        memcpy(&a, s, 8)
        memcpy(&b, s + 6, 8)
        o[i] = (<uint32_t>a & 0xFFFFFF) | x
        o[i + 1] = (<uint32_t>(a >> 24) & 0xFFFFFF) | x
        o[i + 2] = (<uint32_t>b & 0xFFFFFF) | x
        o[i + 3] = (<uint32_t>(b >> 24) & 0xFFFFFF) | x
        s += 12
        i += 4
    while i < count:
        memcpy(&v, s, 4)
        o[i] = (v & 0xFFFFFF) | x
        s += 3
        i += 1
