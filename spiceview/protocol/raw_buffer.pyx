# cython: language_level=3
"""Uninitialised byte buffers for large message bodies, without numpy (the protocol layer links a session's main
channel before numpy has loaded: see headless/screenshot.py).

A body is received straight into one, so each byte is written once (bytearray(n) would zero it all first), and a
header that claims a large size costs address space only: pages become resident as the bytes arrive.
"""

from cpython.buffer cimport PyBuffer_FillInfo
from libc.stdlib cimport free, malloc


cdef class _RawBuffer:
    cdef void *data
    cdef Py_ssize_t size

    def __cinit__(self, Py_ssize_t size):
        if size < 0:
            raise ValueError("negative buffer size")
        self.data = malloc(size if size > 0 else 1)
        if self.data == NULL:
            raise MemoryError(f"cannot allocate {size} bytes")
        self.size = size

    def __dealloc__(self):
        free(self.data)

    def __getbuffer__(self, Py_buffer *view, int flags):
        PyBuffer_FillInfo(view, self, self.data, self.size, 0, flags)


def uninitialised(Py_ssize_t size) -> memoryview:
    """A writable 1-D "B" memoryview of `size` bytes of uninitialised memory, freed with its last view."""
    return memoryview(_RawBuffer(size))
