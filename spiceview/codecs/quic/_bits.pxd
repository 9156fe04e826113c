# cython: language_level=3
"""MSB-first reader of a stream of little-endian 32-bit words, bounded and branch-light.

Past the end of the data the reader supplies zero words instead of failing, and counts them; the
caller checks `br_overrun` once per row, so the hot path carries no bounds test. A corrupt stream
therefore ends as a clean error after at most one row of wasted work.
"""

from libc.stdint cimport uint8_t, uint32_t, uint64_t

cdef extern from *:
    """
    /* Leading zeros of a non-zero 32- or 64-bit word. */
    #if defined(_MSC_VER)
    #include <intrin.h>
    static __inline unsigned int quic_clz32(unsigned int x)
    {
        unsigned long index;
        _BitScanReverse(&index, x);
        return 31u - (unsigned int)index;
    }
    static __inline unsigned int quic_clz64(unsigned long long x)
    {
        unsigned int high = (unsigned int)(x >> 32);
        return high ? quic_clz32(high) : 32u + quic_clz32((unsigned int)x);
    }
    #else
    #define quic_clz32(x) ((unsigned int)__builtin_clz(x))
    #define quic_clz64(x) ((unsigned int)__builtin_clzll(x))
    #endif
    /* Branch hints: the compiler lays out the common path straight. */
    #if defined(__GNUC__)
    #define quic_likely(x) __builtin_expect(!!(x), 1)
    #define quic_unlikely(x) __builtin_expect(!!(x), 0)
    #else
    #define quic_likely(x) (x)
    #define quic_unlikely(x) (x)
    #endif
    """
    unsigned int quic_clz32(unsigned int x) noexcept nogil
    unsigned int quic_clz64(uint64_t x) noexcept nogil
    bint quic_likely(bint x) noexcept nogil
    bint quic_unlikely(bint x) noexcept nogil


cdef struct BitReader:
    const uint8_t *data
    Py_ssize_t nwords    # whole words in data
    Py_ssize_t next      # index of the next word to load (may pass nwords: zeros then)
    uint64_t acc         # unread bits, most significant first
    int nbits            # valid bits at the top of acc; at least 32 between calls


cdef inline void br_refill(BitReader *br) noexcept nogil:
    cdef const uint8_t *p
    cdef uint32_t word = 0
    if br.nbits <= 32:
        if br.next < br.nwords:
            p = br.data + 4 * br.next
            word = p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)
        br.next += 1
        br.acc |= (<uint64_t>word) << (32 - br.nbits)
        br.nbits += 32


cdef inline void br_init(BitReader *br, const uint8_t *data, Py_ssize_t nwords,
                         Py_ssize_t first_word) noexcept nogil:
    br.data = data
    br.nwords = nwords
    br.next = first_word
    br.acc = 0
    br.nbits = 0
    br_refill(br)


cdef inline uint32_t br_peek(const BitReader *br) noexcept nogil:
    """The next 32 bits, first bit in the most significant place."""
    return <uint32_t>(br.acc >> 32)


cdef inline void br_skip(BitReader *br, int n) noexcept nogil:
    """Consume n bits, 1 <= n <= 32."""
    br.acc <<= n
    br.nbits -= n
    br_refill(br)


cdef inline bint br_overrun(const BitReader *br) noexcept nogil:
    """True once decoding has needed bits past the data, counting the 32-bit look-ahead window that the
    reference decoder must also be able to fill."""
    return (br.next * 32 - br.nbits) + 32 > br.nwords * 32
