# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The GLZ inner loop: LZ whose matches may also point into earlier images of the shared window.

A match is: ctrl (3 bits length, 1 bit "long offset", 4 bits pixel offset), optional 255-run
length bytes, a byte of pixel offset bits 4..11, then a byte whose top two bits count the extra
image-distance bytes. With a short offset the other six bits start the image distance (then
8 bits per extra byte); with a long offset they hold offset bits 12..16 and a flag for one more
offset byte (bits 17..24), and the distance comes from the extra bytes alone. Distance 0 means
this image (offset is then stored minus one); otherwise the offset counts from the start of
image `id - distance`, whose pixels are copied as stored in the window (X byte and all).

The decoder is resumable: meeting an image it was not given, it stops before that instruction
and reports the id; the caller fetches the image (waiting for another channel if need be),
hands it over with add_image() and calls run() again. Decoding happens without the GIL.
"""

from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy

from spiceview.codecs.lz._literals cimport rgb24_to_x32

from spiceview.codecs.errors import DecodeError

cdef enum:
    S_DONE = 0
    S_NEED_IMAGE = 1
    E_TRUNCATED = -1
    E_OVERRUN = -2
    E_BEFORE_START = -3
    E_BAD_IMAGE = -4
    E_REF_RANGE = -5

_MESSAGES = {
    E_TRUNCATED: "GLZ stream ends early",
    E_OVERRUN: "GLZ instruction runs past the image end",
    E_BEFORE_START: "GLZ reference before the image start",
    E_BAD_IMAGE: "GLZ reference to an image before the first one",
    E_REF_RANGE: "GLZ reference outside the referenced image",
}


cdef struct RefImage:
    uint64_t id
    const uint32_t* pixels  # NULL marks an empty slot
    Py_ssize_t size


cdef inline Py_ssize_t _parse_match(const uint8_t* src, Py_ssize_t* ip_io, Py_ssize_t end,
                                    uint32_t ctrl, Py_ssize_t* ofs_out,
                                    uint64_t* dist_out) noexcept nogil:
    """Parse a match after its ctrl byte: returns the unbiased length, or an error code."""
    cdef Py_ssize_t ip = ip_io[0]
    cdef Py_ssize_t length = ctrl >> 5
    cdef Py_ssize_t ofs = ctrl & 15
    cdef bint long_ofs = (ctrl >> 4) & 1
    cdef uint64_t dist
    cdef uint32_t code, extra, i
    if length == 7:
        while True:
            if ip >= end:
                return E_TRUNCATED
            code = src[ip]
            ip += 1
            length += code
            if code != 255:
                break
    if end - ip < 2:
        return E_TRUNCATED
    ofs += <Py_ssize_t>src[ip] << 4
    code = src[ip + 1]
    ip += 2
    extra = code >> 6
    if not long_ofs:
        dist = code & 0x3F
        if end - ip < extra:
            return E_TRUNCATED
        for i in range(extra):
            dist += <uint64_t>src[ip + i] << (6 + 8 * i)
        ip += extra
    else:
        ofs += <Py_ssize_t>(code & 0x1F) << 12
        dist = 0
        if end - ip < extra + ((code >> 5) & 1):
            return E_TRUNCATED
        for i in range(extra):
            dist += <uint64_t>src[ip + i] << (8 * i)
        ip += extra
        if (code >> 5) & 1:
            ofs += <Py_ssize_t>src[ip] << 17
            ip += 1
    ip_io[0] = ip
    ofs_out[0] = ofs
    dist_out[0] = dist
    return length


cdef class GlzDecoder:
    """Decodes one GLZ image into `out` (uint32 per pixel, wire row order, X = 0 as stored)."""

    cdef const uint8_t[::1] _src_view
    cdef uint32_t[::1] _out_view
    cdef const uint8_t* src
    cdef Py_ssize_t end, ip, op, n
    cdef uint32_t* out
    cdef uint64_t image_id
    cdef bint rgb16, has_alpha
    cdef int stage  # 0: colour pass, 1: alpha pass, 2: done
    cdef list _keep  # referenced window images stay alive while we point into them
    cdef RefImage* refs
    cdef Py_ssize_t cap, count
    cdef readonly uint64_t missing

    def __cinit__(self, const uint8_t[::1] src, Py_ssize_t pos, uint32_t[::1] out,
                  uint64_t image_id, bint rgb16, bint has_alpha):
        if out.shape[0] == 0 or src.shape[0] == 0 or pos < 0 or pos > src.shape[0]:
            raise DecodeError("GLZ stream ends early")
        self._src_view = src
        self._out_view = out
        self.src = &src[0]
        self.end = src.shape[0]
        self.ip = pos
        self.out = &out[0]
        self.n = out.shape[0]
        self.op = 0
        self.image_id = image_id
        self.rgb16 = rgb16
        self.has_alpha = has_alpha
        self.stage = 0
        self._keep = []
        self.cap = 16
        self.count = 0
        self.refs = <RefImage*>calloc(self.cap, sizeof(RefImage))
        if self.refs == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.refs)

    cdef inline const RefImage* _find(self, uint64_t image_id) noexcept nogil:
        cdef Py_ssize_t mask = self.cap - 1
        cdef Py_ssize_t slot = <Py_ssize_t>(image_id & <uint64_t>mask)
        while self.refs[slot].pixels != NULL:
            if self.refs[slot].id == image_id:
                return &self.refs[slot]
            slot = (slot + 1) & mask
        return NULL

    cdef int _insert(self, uint64_t image_id, const uint32_t* pixels, Py_ssize_t size) except -1:
        cdef RefImage* old
        cdef Py_ssize_t old_cap, i, slot
        if 2 * (self.count + 1) > self.cap:  # keep the table at most half full
            old = self.refs
            old_cap = self.cap
            self.refs = <RefImage*>calloc(old_cap * 2, sizeof(RefImage))
            if self.refs == NULL:
                self.refs = old
                raise MemoryError()
            self.cap = old_cap * 2
            self.count = 0
            for i in range(old_cap):
                if old[i].pixels != NULL:
                    self._insert(old[i].id, old[i].pixels, old[i].size)
            free(old)
        slot = <Py_ssize_t>(image_id & <uint64_t>(self.cap - 1))
        while self.refs[slot].pixels != NULL:
            if self.refs[slot].id == image_id:
                break
            slot = (slot + 1) & (self.cap - 1)
        else:
            self.count += 1
        self.refs[slot].id = image_id
        self.refs[slot].pixels = pixels
        self.refs[slot].size = size
        return 0

    def add_image(self, uint64_t image_id, const uint32_t[::1] pixels) -> None:
        """Make window image `image_id` (its stored uint32 pixels) available to references."""
        if pixels.shape[0] == 0:
            raise DecodeError("GLZ reference to an empty image")
        self._keep.append(pixels)
        self._insert(image_id, &pixels[0], pixels.shape[0])

    cdef int _colour(self) noexcept nogil:
        cdef const uint8_t* src = self.src
        cdef uint32_t* out = self.out
        cdef Py_ssize_t ip = self.ip, op = self.op, n = self.n, end = self.end
        cdef Py_ssize_t start, length, ofs, i, count
        cdef uint64_t dist
        cdef uint32_t ctrl, v, hi, lo, c5
        cdef uint32_t* dst
        cdef const uint32_t* ref
        cdef const RefImage* img
        cdef uint8_t* o8
        cdef int err = S_DONE
        while op < n:
            start = ip
            if ip >= end:
                err = E_TRUNCATED
                break
            ctrl = src[ip]
            ip += 1
            if ctrl >= 32:
                length = _parse_match(src, &ip, end, ctrl, &ofs, &dist)
                if length < 0:
                    err = <int>length
                    break
                length += self.rgb16  # 16-bit matches are one longer than coded
                if length > n - op:
                    err = E_OVERRUN
                    break
                dst = out + op
                if dist == 0:
                    ofs += 1
                    if ofs > op:
                        err = E_BEFORE_START
                        break
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
                else:
                    if dist > self.image_id:
                        err = E_BAD_IMAGE
                        break
                    img = self._find(self.image_id - dist)
                    if img == NULL:
                        self.missing = self.image_id - dist
                        ip = start  # resume at this instruction once the image is given
                        err = S_NEED_IMAGE
                        break
                    if ofs > img.size or length > img.size - ofs:
                        err = E_REF_RANGE
                        break
                    memcpy(dst, img.pixels + ofs, length * 4)
                op += length
            else:
                count = ctrl + 1
                if count > n - op:
                    err = E_OVERRUN
                    break
                o8 = <uint8_t*>(out + op)
                if self.rgb16:
                    if end - ip < 2 * count:
                        err = E_TRUNCATED
                        break
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
                        o8[3] = 0  # the window keeps X = 0, as later alpha matches may read it
                        o8 += 4
                else:
                    if end - ip < 3 * count:
                        err = E_TRUNCATED
                        break
                    rgb24_to_x32(src + ip, end - ip, out + op, count, 0)  # X = 0, as the window keeps it
                    ip += 3 * count
                op += count
        self.ip = ip
        self.op = op
        return err

    cdef int _alpha(self) noexcept nogil:
        """Second pass of RGBA images: one byte per pixel into each pixel's fourth byte."""
        cdef const uint8_t* src = self.src
        cdef uint8_t* out = <uint8_t*>self.out + 3
        cdef Py_ssize_t ip = self.ip, op = self.op, n = self.n, end = self.end
        cdef Py_ssize_t start, length, ofs, i, count
        cdef uint64_t dist
        cdef uint32_t ctrl
        cdef uint8_t v
        cdef uint8_t* dst
        cdef const uint8_t* ref
        cdef const RefImage* img
        cdef int err = S_DONE
        while op < n:
            start = ip
            if ip >= end:
                err = E_TRUNCATED
                break
            ctrl = src[ip]
            ip += 1
            if ctrl >= 32:
                length = _parse_match(src, &ip, end, ctrl, &ofs, &dist)
                if length < 0:
                    err = <int>length
                    break
                length += 2  # byte matches are at least three long
                if length > n - op:
                    err = E_OVERRUN
                    break
                dst = out + op * 4
                if dist == 0:
                    ofs += 1
                    if ofs > op:
                        err = E_BEFORE_START
                        break
                    ref = dst - ofs * 4
                    if ofs == 1:
                        v = ref[0]
                        for i in range(length):
                            dst[i * 4] = v
                    else:
                        for i in range(length):
                            dst[i * 4] = ref[i * 4]
                else:
                    if dist > self.image_id:
                        err = E_BAD_IMAGE
                        break
                    img = self._find(self.image_id - dist)
                    if img == NULL:
                        self.missing = self.image_id - dist
                        ip = start
                        err = S_NEED_IMAGE
                        break
                    if ofs > img.size or length > img.size - ofs:
                        err = E_REF_RANGE
                        break
                    ref = <const uint8_t*>(img.pixels + ofs) + 3
                    for i in range(length):
                        dst[i * 4] = ref[i * 4]
                op += length
            else:
                count = ctrl + 1
                if count > n - op:
                    err = E_OVERRUN
                    break
                if end - ip < count:
                    err = E_TRUNCATED
                    break
                dst = out + op * 4
                for i in range(count):
                    dst[i * 4] = src[ip + i]
                ip += count
                op += count
        self.ip = ip
        self.op = op
        return err

    def run(self) -> bool:
        """Decode on; True when the image is complete, False when `missing` must be added first."""
        cdef int r = S_DONE
        with nogil:
            while self.stage < 2:
                r = self._alpha() if self.stage == 1 else self._colour()
                if r != S_DONE:
                    break
                self.stage += 1 if (self.stage == 1 or self.has_alpha) else 2
                self.op = 0
        if r == S_NEED_IMAGE:
            return False
        if r < 0:
            raise DecodeError(_MESSAGES[r])
        return True

    @property
    def position(self) -> int:
        """Input bytes consumed so far."""
        return self.ip
