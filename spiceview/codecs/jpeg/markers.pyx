# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Read a JPEG's frame size from its markers, so bad sizes are refused before libjpeg allocates or writes.

Compiled: every MJPEG stream strip is checked so before it is decoded into the surface (a loop over the markers
in Python cost 4-5 us a strip, more than the rest of the strip's bookkeeping together).
"""

from spiceview.codecs.errors import DecodeError

cdef enum:
    SOS = 0xDA
    EOI = 0xD9


cdef inline bint _standalone(unsigned char marker) noexcept nogil:
    # RSTn, SOI, TEM: no length field
    return 0xD0 <= marker <= 0xD8 or marker == 0x01


cdef inline bint _start_of_frame(unsigned char marker) noexcept nogil:
    # SOF of every coding process; C4 (DHT), C8 (JPG extension) and CC (DAC) are not
    return 0xC0 <= marker <= 0xCF and marker != 0xC4 and marker != 0xC8 and marker != 0xCC


def jpeg_frame_size(const unsigned char[::1] data) -> tuple:
    """(width, height) from the first SOF segment; DecodeError if there is none before SOS."""
    cdef Py_ssize_t end = data.shape[0], pos = 2, length
    cdef unsigned char marker
    if end < 4 or data[0] != 0xFF or data[1] != 0xD8:
        raise DecodeError("not a JPEG (no SOI marker)")
    while pos < end:
        if data[pos] != 0xFF:
            raise DecodeError("JPEG marker expected")
        while pos < end and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if _standalone(marker):
            continue
        if marker == SOS or marker == EOI:
            break
        if end - pos < 2:
            break
        length = (data[pos] << 8) | data[pos + 1]
        if length < 2 or length > end - pos:
            raise DecodeError("JPEG segment length out of range")
        if _start_of_frame(marker):
            if length < 8:
                raise DecodeError("JPEG frame header too short")
            return (data[pos + 5] << 8) | data[pos + 6], (data[pos + 3] << 8) | data[pos + 4]
        pos += length
    raise DecodeError("JPEG has no frame header")
