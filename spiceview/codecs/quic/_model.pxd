# cython: language_level=3
"""The adaptive part of QUIC decoding: Golomb codewords, per-bucket code choice, MELCODE runs.

The tables (`Family`, `Tables`) are filled once from family.py / constants.py by _kernel.pyx.
"""

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t

from ._bits cimport BitReader, br_peek, br_skip, quic_clz32, quic_clz64, quic_likely, quic_unlikely

cdef struct Family:
    uint32_t rice_count[8]     # values below this are Rice-coded, per code
    uint32_t escape_len[8]     # escape codeword length, per code
    uint32_t escape_suffix_mask[8]
    uint64_t rice_from[8]            # unread bits (MSB first) from this value up start a Rice codeword
    uint8_t code_len[256][8]   # [value][code] -> codeword length
    uint8_t bucket_of[256]           # context (previous residual) -> model bucket
    uint16_t bucket_first[8]         # the contexts of bucket b are bucket_first[b] .. bucket_end[b] - 1
    uint16_t bucket_end[8]
    uint8_t unfolded[256]            # unfold(value, mask) for each value < levels
    uint32_t levels                  # 1 << bpc
    uint32_t mask                    # levels - 1
    int bpc


cdef struct Tables:
    uint32_t chaos[256]              # pseudo-random waits between model updates
    uint8_t melc_order[32]           # MELCODE state -> log2 of the expected run
    uint32_t trigger[11]             # counter halving threshold per wait-mask index


cdef struct Channel:
    uint8_t *resid                   # this row's residuals (overwritten in place); resid[-1] is valid
    uint32_t counters[8][8]  # [bucket][code] accumulated codeword lengths
    uint32_t best[8]           # [bucket] the code with the smallest total
    # best[] spread per context, with the code's Rice threshold: the decoder looks a context's code up
    # with one load instead of two dependent ones (context -> bucket -> code).
    uint8_t code_of[256]
    uint64_t rice_from_of[256]


# State shared by the components coded together (R, G and B share one; gray and alpha own one).
cdef struct RunState:
    uint32_t wait                    # pixels still to code before the next model update
    uint32_t seed                    # index into Tables.chaos
    uint32_t wmidx                   # bits in the wait mask
    uint32_t wmileft                 # pixels until the wait mask grows
    uint32_t trigger
    int melcstate
    int melclen
    Py_ssize_t melcorder


cdef inline uint32_t golomb_decode(BitReader *br, const Family *f, const Channel *ch, uint32_t context,
                                   bint *bad) noexcept nogil:
    """Read one codeword in the code `context` selects; an escape that decodes past the alphabet sets *bad
    (the value is clamped)."""
    cdef uint64_t bits = br.acc    # at least 32 valid bits: enough for any codeword
    cdef uint32_t zeros, value
    cdef uint32_t code = ch.code_of[context]
    cdef int length
    if quic_likely(bits >= ch.rice_from_of[context]):
        zeros = quic_clz64(bits)
        length = zeros + 1 + code
        # The codeword read as a number is (1 << code) + remainder; the value is (zeros << code) + remainder.
        value = ((zeros - 1) << code) + <uint32_t>(bits >> (64 - length))
    else:
        length = f.escape_len[code]
        value = f.rice_count[code] + (<uint32_t>(bits >> (64 - length)) & f.escape_suffix_mask[code])
        if quic_unlikely(value >= f.levels):
            bad[0] = True
            value &= f.mask
    br_skip(br, length)
    return value


cdef inline void set_best(Channel *ch, const Family *f, uint32_t bucket, int code) noexcept nogil:
    cdef int v
    ch.best[bucket] = code
    for v in range(f.bucket_first[bucket], f.bucket_end[bucket]):
        ch.code_of[v] = <uint8_t>code
        ch.rice_from_of[v] = f.rice_from[code]


cdef inline uint32_t unfold(uint32_t value, uint32_t mask) noexcept nogil:
    """Map a residual code 0, 1, 2, 3 ... back to the signed difference 0, -1, +1, -2 ... modulo levels."""
    return (value >> 1) ^ ((0u - (value & 1)) & mask)


cdef inline void update_model(Channel *ch, const Family *f, uint32_t context, uint32_t value,
                              uint32_t trigger) noexcept nogil:
    """Charge every code with the length it would have spent on `value`; keep the cheapest."""
    cdef uint32_t bucket = f.bucket_of[context]
    cdef uint32_t *cnt = ch.counters[bucket]
    cdef const uint8_t *lens = f.code_len[value]
    cdef int code = f.bpc - 1
    cdef int best = code
    cdef uint32_t best_len
    cnt[code] += lens[code]
    best_len = cnt[code]
    code -= 1
    while code >= 0:
        cnt[code] += lens[code]
        if cnt[code] < best_len:  # ties keep the longer code
            best = code
            best_len = cnt[code]
        code -= 1
    if best != <int>ch.best[bucket]:
        set_best(ch, f, bucket, best)
    if best_len > trigger:
        for code in range(f.bpc):
            cnt[code] >>= 1


cdef inline void melc_step(RunState *st, const Tables *t, int delta) noexcept nogil:
    st.melcstate += delta
    st.melclen = t.melc_order[st.melcstate]
    st.melcorder = (<Py_ssize_t>1) << st.melclen


cdef inline Py_ssize_t decode_run(BitReader *br, RunState *st, const Tables *t,
                                  Py_ssize_t limit) noexcept nogil:
    """Read a MELCODE run length; -1 if it would run past `limit` pixels."""
    cdef Py_ssize_t run = 0
    cdef uint32_t window
    cdef int ones
    while True:
        window = br_peek(br)
        ones = 32 if window == 0xFFFFFFFFu else <int>quic_clz32(~window)
        # Each leading one is a full run of the expected length, and raises the expectation.
        for _ in range(ones):
            run += st.melcorder
            if st.melcstate < 31:
                melc_step(st, t, 1)
        if run > limit:
            return -1
        if ones < 32:
            br_skip(br, ones + 1)  # the ones and their terminating zero
            break
        br_skip(br, 32)
    if st.melclen:
        run += br_peek(br) >> (32 - st.melclen)
        br_skip(br, st.melclen)
    if st.melcstate:
        melc_step(st, t, -1)
    return run if run <= limit else -1
