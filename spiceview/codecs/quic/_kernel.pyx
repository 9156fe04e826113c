# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""QUIC pixel decoding: rows, segments, prediction and runs; called by decode_quic() only.

The Python side has already checked the header, capped the size and allocated the output; here every
stream read is bounded by the bit reader and every write index by the row width, so corrupt data can
only yield an error code, never an access outside the buffers.
"""

from libc.stdint cimport uint8_t, uint32_t
from libc.string cimport memcpy, memset

from ._bits cimport BitReader, br_init, br_overrun, quic_unlikely

cdef extern from *:
    """
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    #define QUIC_WORD_STORES 0
    #else
    #define QUIC_WORD_STORES 1 /* pixel words are B, G, R, X in memory on a little-endian host */
    #endif
    """
    const bint QUIC_WORD_STORES

cdef extern from *:
    """
    #if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    static int quic_cpu_has_bmi2(void)
    {
        __builtin_cpu_init();
        return __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("lzcnt");
    }
    #else
    static int quic_cpu_has_bmi2(void) { return 0; }  /* no _kernel_bmi2 build for this compiler or CPU family */
    #endif
    """
    int quic_cpu_has_bmi2() noexcept nogil
from ._model cimport (Channel, Family, RunState, Tables, decode_run, golomb_decode, set_best, unfold,
                      update_model)

from .constants import CHAOS, CHAOS_SEED, HALVING_TRIGGER, MELC_ORDER, WAIT_MAX_INDEX, WAIT_STEP
from .family import family

# Error codes of decode_pixels(); the Python side turns them into DecodeError messages.
cdef enum:
    E_OK = 0
    E_CODEWORD = 1
    E_RUN = 2
    E_TRUNCATED = 3

# Image kinds decode_pixels() understands.
cdef enum:
    K_GRAY = 1
    K_RGB5 = 2   # RGB16: 5-bit components, output widened to 8 bits
    K_RGB8 = 3   # RGB24 and RGB32 code the same way
    K_RGBA = 4

# Whether this process may use _kernel_bmi2: an x86-64 CPU with BMI1, BMI2 and LZCNT, and a GCC build.
BMI2_CPU = bool(quic_cpu_has_bmi2())

OK = E_OK
ERR_CODEWORD = E_CODEWORD
ERR_RUN = E_RUN
ERR_TRUNCATED = E_TRUNCATED
KIND_GRAY = K_GRAY
KIND_RGB5 = K_RGB5
KIND_RGB8 = K_RGB8
KIND_RGBA = K_RGBA

cdef Family FAMILY8
cdef Family FAMILY5
cdef Tables TABLES
cdef uint32_t WAIT_MAX = WAIT_MAX_INDEX
cdef uint32_t WAIT_LEN = WAIT_STEP
cdef uint32_t SEED = CHAOS_SEED


cdef void _fill_family(Family *dst, object src):
    dst.bpc = src.bpc
    dst.levels = src.levels
    dst.mask = src.levels - 1
    memset(dst.code_len, 0, sizeof(dst.code_len))
    for code in range(src.bpc):
        dst.rice_count[code] = src.rice_count[code]
        dst.escape_len[code] = src.escape_len[code]
        dst.escape_suffix_mask[code] = (1 << src.escape_suffix_len[code]) - 1
        # Fewer leading zeros than the escape prefix: a Rice codeword.
        dst.rice_from[code] = 1 << (64 - src.escape_zeros[code])
    for b in range(8):
        dst.bucket_first[b] = dst.bucket_end[b] = 0
    for value in range(256):
        dst.unfolded[value] = unfold(value, dst.mask)
    for value in range(src.levels):
        dst.bucket_of[value] = src.bucket_of[value]
        if value == 0 or src.bucket_of[value] != src.bucket_of[value - 1]:
            dst.bucket_first[src.bucket_of[value]] = value
        dst.bucket_end[src.bucket_of[value]] = value + 1
        for code in range(src.bpc):
            dst.code_len[value][code] = src.code_len[value][code]


cdef void _fill_tables():
    for i in range(256):
        TABLES.chaos[i] = CHAOS[i]
    for i in range(32):
        TABLES.melc_order[i] = MELC_ORDER[i]
    for i in range(11):
        TABLES.trigger[i] = HALVING_TRIGGER[i]


_fill_family(&FAMILY8, family(8))
_fill_family(&FAMILY5, family(5))
_fill_tables()


# Compile-time variants of the per-row code: R, G, B with 8- or 5-bit components (packed into
# 4-byte pixels B, G, R, X), or a single component (gray: 1-byte pixels; alpha: byte 3 of 4).
cdef struct Rgb8Layout:
    char unused
cdef struct Rgb5Layout:
    char unused
cdef struct GrayLayout:
    char unused
cdef struct AlphaLayout:
    char unused

ctypedef fused RgbLayout:
    Rgb8Layout
    Rgb5Layout

ctypedef fused OneLayout:
    GrayLayout
    AlphaLayout

ctypedef fused Layout:
    Rgb8Layout
    Rgb5Layout
    GrayLayout
    AlphaLayout


# Components coded together: one run state, one model per component.
cdef struct Group:
    RunState st
    Channel *ch


cdef inline void _reset_state(RunState *st) noexcept nogil:
    st.wait = 0
    st.seed = SEED
    st.wmidx = 0
    st.wmileft = WAIT_LEN
    st.trigger = TABLES.trigger[0]
    st.melcstate = 0
    st.melclen = TABLES.melc_order[0]
    st.melcorder = (<Py_ssize_t>1) << st.melclen


cdef inline void _reset_channel(Channel *ch, const Family *f, uint8_t *resid) noexcept nogil:
    ch.resid = resid
    memset(ch.counters, 0, sizeof(ch.counters))
    memset(ch.code_of, 0, sizeof(ch.code_of))
    memset(ch.rice_from_of, 0, sizeof(ch.rice_from_of))
    for b in range(8):
        set_best(ch, f, b, f.bpc - 1)


cdef inline uint32_t _ld32(const uint8_t *p) noexcept nogil:
    """Pixel bytes B, G, R, X as B | G << 8 | R << 16 | X << 24, on any host byte order."""
    return p[0] | (<uint32_t>p[1] << 8) | (<uint32_t>p[2] << 16) | (<uint32_t>p[3] << 24)


cdef inline void _st32(uint8_t *p, uint32_t v) noexcept nogil:
    if QUIC_WORD_STORES:
        memcpy(p, &v, 4)
    else:
        p[0] = <uint8_t>v
        p[1] = <uint8_t>(v >> 8)
        p[2] = <uint8_t>(v >> 16)
        p[3] = <uint8_t>(v >> 24)


# Per-byte arithmetic on the three components of a pixel word at once (bits 0-23; byte 3 is X).
cdef inline uint32_t _average(RgbLayout *tag, uint32_t a, uint32_t b) noexcept nogil:
    """floor((a + b) / 2) of each component: the prediction from the left and upper pixels."""
    if RgbLayout is Rgb5Layout:
        return (((a & 0x1F1F1Fu) + (b & 0x1F1F1Fu)) >> 1) & 0x1F1F1Fu
    else:
        return (a & b & 0xFFFFFFu) + (((a ^ b) >> 1) & 0x7F7F7Fu)


cdef inline uint32_t _add(RgbLayout *tag, uint32_t d, uint32_t p) noexcept nogil:
    """d + p of each component, modulo its levels, without carries between them; X set to 0xFF."""
    if RgbLayout is Rgb5Layout:
        return ((d + p) & 0x1F1F1Fu) | 0xFF000000u
    else:
        return (((d & 0x7F7F7Fu) + (p & 0x7F7F7Fu)) ^ ((d ^ p) & 0x808080u)) | 0xFF000000u


cdef inline void _tick(RunState *st, Channel *ch, const Family *f, int nch, uint8_t **res, Py_ssize_t i,
                       uint32_t waitmask) noexcept nogil:
    """Count pixel i down to the next model update; update the models when it is due.

    The contexts and values come back from the residual rows (res[c][i - 1], res[c][i]) rather than from the
    caller's registers: updates are rare, and the hot loop keeps fewer values alive.
    """
    cdef int c
    if quic_unlikely(st.wait == 0):
        for c in range(nch):
            update_model(&ch[c], f, res[c][i - 1], res[c][i], st.trigger)
        st.seed += 1
        st.wait = TABLES.chaos[st.seed & 0xFF] & waitmask
    else:
        st.wait -= 1


# The segment decoders below carry the left pixel(s), the pixel above-left and the model contexts
# in locals from one pixel to the next. Memory is read again only after a run: a run leaves the
# residual row untouched, so the next context is whatever an earlier row left there (as in the
# reference decoder).

cdef int _segment_rgb(RgbLayout *tag, Group *g, BitReader *br, const uint8_t *prev, uint8_t *cur,
                      Py_ssize_t start, Py_ssize_t end, bint first_row) noexcept nogil:
    """Decode pixels [start, end) of one row of R, G, B; returns an error code."""
    cdef const Family *f
    cdef uint32_t mask              # the components' bits in a pixel word
    if RgbLayout is Rgb5Layout:
        f = &FAMILY5
        mask = 0x1F1F1Fu
    else:
        f = &FAMILY8
        mask = 0xFFFFFFu
    cdef BitReader r = br[0]        # local copies: stores into pixel bytes cannot alias them
    cdef RunState st = g.st
    cdef uint32_t waitmask = (1u << st.wmidx) - 1
    cdef Channel *ch = g.ch
    cdef uint8_t *res[3]
    cdef uint32_t ctx[3]            # residuals to the left: the model contexts
    cdef uint32_t val[3]            # this pixel's residuals
    cdef uint32_t left = 0, left2 = 0, up = 0, up_left = 0, px, pred, d
    cdef Py_ssize_t i = start
    cdef Py_ssize_t run_index = 0
    cdef Py_ssize_t run, q
    cdef bint bad = False
    cdef int c, err = 0
    for c in range(3):
        res[c] = ch[c].resid

    if i == 0:
        # First pixel of a row: predicted from the pixel above (zero in the first row).
        if not first_row:
            up = _ld32(prev)
        d = 0
        for c in range(3):
            ctx[c] = (res[c] - 1)[0]
            val[c] = golomb_decode(&r, f, &ch[c], ctx[c], &bad)
            res[c][0] = <uint8_t>val[c]
            d |= <uint32_t>f.unfolded[val[c]] << (16 - 8 * c)    # R, G, B live in bits 16, 8, 0
        px = _add(tag, d, up & mask)
        _st32(cur, px)
        left = px
        _tick(&st, ch, f, 3, res, 0, waitmask)
        for c in range(3):
            ctx[c] = val[c]
        i = 1
    else:
        left = _ld32(cur + 4 * (i - 1))
        if i >= 2:
            left2 = _ld32(cur + 4 * (i - 2))
        for c in range(3):
            ctx[c] = res[c][i - 1]

    if first_row:
        # No runs in the first row; the prediction is the left neighbour.
        while i < end:
            d = 0
            for c in range(3):
                val[c] = golomb_decode(&r, f, &ch[c], ctx[c], &bad)
                res[c][i] = <uint8_t>val[c]
                d |= <uint32_t>f.unfolded[val[c]] << (16 - 8 * c)
            px = _add(tag, d, left & mask)
            _st32(cur + 4 * i, px)
            left = px
            _tick(&st, ch, f, 3, res, i, waitmask)
            for c in range(3):
                ctx[c] = val[c]
            i += 1
    else:
        up_left = _ld32(prev + 4 * (i - 1))
        while i < end:
            up = _ld32(prev + 4 * i)
            # A run may start where the row above repeats and the two pixels to the left agree.
            if quic_unlikely(i > 2 and run_index != i and (((up_left ^ up) | (left ^ left2)) & 0x00FFFFFFu) == 0):
                run_index = i
                run = decode_run(&r, &st, &TABLES, end - i)
                if run < 0:
                    err = E_RUN
                    break
                for q in range(run):
                    _st32(cur + 4 * (i + q), left)
                i += run
                if run:
                    left2 = left
                    up_left = _ld32(prev + 4 * (i - 1))
                for c in range(3):
                    ctx[c] = res[c][i - 1]
                continue
            pred = _average(tag, left, up)
            d = 0
            for c in range(3):
                val[c] = golomb_decode(&r, f, &ch[c], ctx[c], &bad)
                res[c][i] = <uint8_t>val[c]
                d |= <uint32_t>f.unfolded[val[c]] << (16 - 8 * c)
            px = _add(tag, d, pred)
            _st32(cur + 4 * i, px)
            left2 = left
            left = px
            up_left = up
            _tick(&st, ch, f, 3, res, i, waitmask)
            for c in range(3):
                ctx[c] = val[c]
            i += 1

    br[0] = r
    g.st = st
    if err:
        return err
    return E_CODEWORD if bad else E_OK


cdef int _segment_one(OneLayout *tag, Group *g, BitReader *br, const uint8_t *prev, uint8_t *cur,
                      Py_ssize_t start, Py_ssize_t end, bint first_row) noexcept nogil:
    """Decode pixels [start, end) of one row of a single 8-bit component; returns an error code."""
    cdef Py_ssize_t ps
    if OneLayout is GrayLayout:
        ps = 1
    else:
        ps = 4
        cur += 3        # alpha is byte 3; prev/cur are then only indexed at multiples of 4
        if prev != NULL:
            prev += 3
    cdef const Family *f = &FAMILY8
    cdef BitReader r = br[0]
    cdef RunState st = g.st
    cdef uint32_t waitmask = (1u << st.wmidx) - 1
    cdef Channel *ch = g.ch
    cdef uint8_t *res = ch.resid
    cdef uint32_t ctx, val
    cdef uint32_t left = 0, left2 = 0, up = 0, up_left = 0
    cdef Py_ssize_t i = start
    cdef Py_ssize_t run_index = 0
    cdef Py_ssize_t run, q
    cdef bint bad = False
    cdef int err = 0

    if i == 0:
        ctx = (res - 1)[0]
        val = golomb_decode(&r, f, ch, ctx, &bad)
        res[0] = <uint8_t>val
        left = (f.unfolded[val] + (0 if first_row else prev[0])) & 0xFF
        cur[0] = <uint8_t>left
        _tick(&st, ch, f, 1, &res, 0, waitmask)
        ctx = val
        i = 1
    else:
        left = cur[(i - 1) * ps]
        if i >= 2:
            left2 = cur[(i - 2) * ps]
        ctx = res[i - 1]

    if first_row:
        while i < end:
            val = golomb_decode(&r, f, ch, ctx, &bad)
            res[i] = <uint8_t>val
            left = (f.unfolded[val] + left) & 0xFF
            cur[i * ps] = <uint8_t>left
            _tick(&st, ch, f, 1, &res, i, waitmask)
            ctx = val
            i += 1
    else:
        up_left = prev[(i - 1) * ps]
        while i < end:
            up = prev[i * ps]
            if i > 2 and run_index != i and up_left == up and left == left2:
                run_index = i
                run = decode_run(&r, &st, &TABLES, end - i)
                if run < 0:
                    err = E_RUN
                    break
                if OneLayout is GrayLayout:
                    memset(cur + i, <int>left, run)
                else:
                    for q in range(run):
                        cur[(i + q) * ps] = <uint8_t>left
                i += run
                if run:
                    left2 = left
                    up_left = prev[(i - 1) * ps]
                ctx = res[i - 1]
                continue
            val = golomb_decode(&r, f, ch, ctx, &bad)
            res[i] = <uint8_t>val
            left2 = left
            left = (f.unfolded[val] + ((left + up) >> 1)) & 0xFF
            cur[i * ps] = <uint8_t>left
            up_left = up
            _tick(&st, ch, f, 1, &res, i, waitmask)
            ctx = val
            i += 1

    br[0] = r
    g.st = st
    if err:
        return err
    return E_CODEWORD if bad else E_OK


cdef inline int _segment(Layout *tag, Group *g, BitReader *br, const uint8_t *prev, uint8_t *cur,
                         Py_ssize_t start, Py_ssize_t end, bint first_row) noexcept nogil:
    if Layout is Rgb8Layout or Layout is Rgb5Layout:
        return _segment_rgb(tag, g, br, prev, cur, start, end, first_row)
    else:
        return _segment_one(tag, g, br, prev, cur, start, end, first_row)


cdef int _row(Layout *tag, Group *g, BitReader *br, const uint8_t *prev, uint8_t *cur,
              Py_ssize_t width, bint first_row) noexcept nogil:
    """Decode one row of a component group, cutting it where the wait mask grows."""
    cdef int nch = 3 if Layout is Rgb8Layout or Layout is Rgb5Layout else 1
    cdef int c, err
    cdef Py_ssize_t pos = 0, left = width
    cdef RunState *st = &g.st
    for c in range(nch):
        # Context of the first residual: the previous row's first residual (zero at the top).
        (g.ch[c].resid - 1)[0] = 0 if first_row else g.ch[c].resid[0]
    while st.wmidx < WAIT_MAX and st.wmileft <= left:
        if st.wmileft:
            err = _segment(tag, g, br, prev, cur, pos, pos + st.wmileft, first_row)
            if err:
                return err
            pos += st.wmileft
            left -= st.wmileft
        st.wmidx += 1
        st.trigger = TABLES.trigger[st.wmidx if st.wmidx < 10 else 10]
        st.wmileft = WAIT_LEN
    if left:
        err = _segment(tag, g, br, prev, cur, pos, pos + left, first_row)
        if err:
            return err
        if st.wmidx < WAIT_MAX:
            st.wmileft -= <uint32_t>left
    return 0


cdef inline void _widen5(const uint8_t *src, uint8_t *dst, Py_ssize_t width) noexcept nogil:
    """5-bit components to 8 bits the way the reference client does: v << 3 | v >> 2.

    The X byte holds 0xFF, which this maps to 0xFF again.
    """
    cdef Py_ssize_t n
    for n in range(width * 4):
        dst[n] = <uint8_t>((src[n] << 3) | (src[n] >> 2))


def decode_pixels(const uint8_t[::1] data, int kind, Py_ssize_t width, Py_ssize_t height,
                  uint8_t[::1] out, uint8_t[::1] resid, uint8_t[::1] scratch) -> int:
    """Decode the coded words after the 5-word header into `out` (rows of width*4, or width for gray).

    `resid` holds 4 * (width + 1) bytes of per-component residual rows; `scratch` holds 2 * width * 4
    bytes for RGB16's 5-bit rows (may be empty otherwise). Returns an error code (OK on success).
    """
    cdef Py_ssize_t ps = 1 if kind == K_GRAY else 4
    cdef Py_ssize_t row_bytes = width * ps
    if width < 1 or height < 1 or out.shape[0] != row_bytes * height or resid.shape[0] < 4 * (width + 1):
        raise ValueError("decode_pixels: buffer sizes do not match the image")
    if kind == K_RGB5 and scratch.shape[0] < 2 * width * 4:
        raise ValueError("decode_pixels: scratch too small")
    if kind not in (K_GRAY, K_RGB5, K_RGB8, K_RGBA):
        raise ValueError("decode_pixels: bad kind")
    if data.shape[0] < 4 * 5:
        raise ValueError("decode_pixels: no room for the header")

    cdef BitReader br
    cdef Channel chans[4]
    cdef Group color, alpha
    cdef const Family *fam = &FAMILY5 if kind == K_RGB5 else &FAMILY8
    cdef uint8_t *outp = &out[0]
    cdef uint8_t *cur
    cdef uint8_t *prev = NULL
    cdef uint8_t *plane
    cdef Py_ssize_t row
    cdef int c, err = 0

    for c in range(4):
        _reset_channel(&chans[c], fam, &resid[c * (width + 1) + 1])
    color.ch = &chans[0]
    _reset_state(&color.st)
    alpha.ch = &chans[3]
    _reset_state(&alpha.st)

    with nogil:
        br_init(&br, &data[0], data.shape[0] // 4, 5)
        for row in range(height):
            cur = outp + row * row_bytes
            if kind == K_GRAY:
                err = _row(<GrayLayout *>NULL, &color, &br, prev, cur, width, row == 0)
            elif kind == K_RGB5:
                plane = &scratch[(row & 1) * width * 4]
                err = _row(<Rgb5Layout *>NULL, &color, &br, prev, plane, width, row == 0)
                if not err:
                    _widen5(plane, cur, width)
                cur = plane    # the next row predicts from the 5-bit values
            else:
                err = _row(<Rgb8Layout *>NULL, &color, &br, prev, cur, width, row == 0)
                if not err:
                    if kind == K_RGBA:
                        err = _row(<AlphaLayout *>NULL, &alpha, &br, prev, cur, width, row == 0)
            if not err and br_overrun(&br):
                err = E_TRUNCATED
            if err:
                break
            prev = cur
    return err
