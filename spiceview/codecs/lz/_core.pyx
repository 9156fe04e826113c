# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The inner loops of SPICE's (per-image) LZ: one for pixel streams, one for byte streams.

An instruction byte `ctrl` below 32 announces ctrl+1 literal units; otherwise its top three bits
start a match length (7 means "add the following bytes until one is not 255") and its low five
bits with the next byte give the distance back (8191 + a 16-bit big-endian word when both are all
ones). Copies run forwards unit by unit, so a distance shorter than the length repeats a pattern.

Every read and write is checked against its buffer: the loops return the input position reached,
or a negative error code; nothing here trusts the stream.
"""

from libc.stdint cimport uint8_t, uint32_t
from libc.string cimport memcpy, memset

from ._literals cimport rgb24_to_x32

from spiceview.codecs.errors import DecodeError

cdef enum:
    E_TRUNCATED = -1
    E_OVERRUN = -2
    E_BEFORE_START = -3

_MESSAGES = {
    E_TRUNCATED: "LZ stream ends early",
    E_OVERRUN: "LZ instruction runs past the image end",
    E_BEFORE_START: "LZ reference before the image start",
}


cdef inline Py_ssize_t _reference(const uint8_t* src, Py_ssize_t* ip_io, Py_ssize_t end,
                                  uint32_t ctrl, Py_ssize_t* ofs_out) noexcept nogil:
    """Parse a match after its ctrl byte: returns the unbiased length or an error code."""
    cdef Py_ssize_t ip = ip_io[0]
    cdef Py_ssize_t length = ctrl >> 5
    cdef Py_ssize_t ofs = (ctrl & 31) << 8
    cdef uint32_t code
    if length == 7:
        while True:
            if ip >= end:
                return E_TRUNCATED
            code = src[ip]
            ip += 1
            length += code
            if code != 255:
                break
    if ip >= end:
        return E_TRUNCATED
    code = src[ip]
    ip += 1
    ofs += code
    if code == 255 and ofs == (31 << 8) + 255:
        if end - ip < 2:
            return E_TRUNCATED
        ofs = ((<Py_ssize_t>src[ip] << 8) | src[ip + 1]) + 8191
        ip += 2
    ip_io[0] = ip
    ofs_out[0] = ofs + 1  # distances are stored minus one
    return length


cdef Py_ssize_t lz_pixels_c(const uint8_t* src, Py_ssize_t ip, Py_ssize_t end,
                            uint32_t* out, Py_ssize_t n, bint rgb16) noexcept nogil:
    """RGB16/24/32 pixels into 4-byte B,G,R,X pixels (X = 0xFF); returns the input position."""
    cdef Py_ssize_t op = 0, length, ofs, i, count
    cdef uint32_t ctrl, v
    cdef uint32_t* dst
    cdef const uint32_t* ref
    cdef uint8_t* o8
    cdef uint32_t hi, lo, c5
    while op < n:
        if ip >= end:
            return E_TRUNCATED
        ctrl = src[ip]
        ip += 1
        if ctrl >= 32:
            length = _reference(src, &ip, end, ctrl, &ofs)
            if length < 0:
                return length
            length += rgb16  # 16-bit matches are one longer than coded, 24/32-bit ones exact
            if ofs > op:
                return E_BEFORE_START
            if length > n - op:
                return E_OVERRUN
            dst = out + op
            ref = dst - ofs
            if ofs == 1:
                v = ref[0]
                for i in range(length):
                    dst[i] = v
            elif ofs >= length:
                memcpy(dst, ref, length * 4)
            else:
                for i in range(length):
                    dst[i] = ref[i]
            op += length
        else:
            count = ctrl + 1
            if count > n - op:
                return E_OVERRUN
            o8 = <uint8_t*>(out + op)
            if rgb16:
                if end - ip < 2 * count:
                    return E_TRUNCATED
                for i in range(count):
                    # x1r5g5b5 big-endian; 5-bit channels widen as (c << 3) | (c >> 2)
                    hi = src[ip]
                    lo = src[ip + 1]
                    ip += 2
                    c5 = lo & 31
                    o8[0] = <uint8_t>((c5 << 3) | (c5 >> 2))
                    c5 = ((hi & 3) << 3) | (lo >> 5)
                    o8[1] = <uint8_t>((c5 << 3) | (c5 >> 2))
                    c5 = (hi >> 2) & 31
                    o8[2] = <uint8_t>((c5 << 3) | (c5 >> 2))
                    o8[3] = 0xFF
                    o8 += 4
            else:
                if end - ip < 3 * count:
                    return E_TRUNCATED
                rgb24_to_x32(src + ip, end - ip, out + op, count, 0xFF000000)
                ip += 3 * count
            op += count
    return ip


cdef Py_ssize_t lz_bytes_c(const uint8_t* src, Py_ssize_t ip, Py_ssize_t end,
                           uint8_t* out, Py_ssize_t n, Py_ssize_t step) noexcept nogil:
    """One-byte units (palette bytes, A8, alpha) written every `step` bytes of `out`."""
    cdef Py_ssize_t op = 0, length, ofs, i, count
    cdef uint32_t ctrl
    cdef uint8_t v
    cdef uint8_t* dst
    cdef const uint8_t* ref
    while op < n:
        if ip >= end:
            return E_TRUNCATED
        ctrl = src[ip]
        ip += 1
        if ctrl >= 32:
            length = _reference(src, &ip, end, ctrl, &ofs)
            if length < 0:
                return length
            length += 2  # byte matches are at least three long
            if ofs > op:
                return E_BEFORE_START
            if length > n - op:
                return E_OVERRUN
            dst = out + op * step
            ref = dst - ofs * step
            if ofs == 1:
                v = ref[0]
                if step == 1:
                    memset(dst, v, length)
                else:
                    for i in range(length):
                        dst[i * step] = v
            elif step == 1:
                if ofs >= length:
                    memcpy(dst, ref, length)
                else:
                    for i in range(length):
                        dst[i] = ref[i]
            else:
                for i in range(length):
                    dst[i * step] = ref[i * step]
            op += length
        else:
            count = ctrl + 1
            if count > n - op:
                return E_OVERRUN
            if end - ip < count:
                return E_TRUNCATED
            dst = out + op * step
            if step == 1:
                memcpy(dst, src + ip, count)
            else:
                for i in range(count):
                    dst[i * step] = src[ip + i]
            ip += count
            op += count
    return ip


cdef inline Py_ssize_t _check(Py_ssize_t result) except -1:
    if result < 0:
        raise DecodeError(_MESSAGES[result])
    return result


def lz_pixels(const uint8_t[::1] src, Py_ssize_t pos, uint32_t[::1] out, bint rgb16) -> int:
    """Decode len(out) RGB pixels starting at src[pos]; return the position after them."""
    cdef Py_ssize_t r
    if pos < 0 or pos > src.shape[0]:
        raise DecodeError("LZ stream ends early")
    if out.shape[0] == 0:
        return pos
    with nogil:
        r = lz_pixels_c(&src[0], pos, src.shape[0], &out[0], out.shape[0], rgb16)
    return _check(r)


def lz_bytes(const uint8_t[::1] src, Py_ssize_t pos, uint8_t[::1] out, Py_ssize_t start,
             Py_ssize_t step, Py_ssize_t count) -> int:
    """Decode `count` byte units into out[start], out[start + step], ...; return the new position."""
    cdef Py_ssize_t r
    if pos < 0 or pos > src.shape[0]:
        raise DecodeError("LZ stream ends early")
    if step < 1 or start < 0 or count < 0:
        raise ValueError("bad output layout")
    if count == 0:
        return pos
    if start + (count - 1) * step >= out.shape[0]:
        raise ValueError("output buffer too small")
    with nogil:
        r = lz_bytes_c(&src[0], pos, src.shape[0], &out[start], count, step)
    return _check(r)
