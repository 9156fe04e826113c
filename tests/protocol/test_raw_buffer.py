"""The uninitialised buffers large message bodies are received into (protocol/raw_buffer.pyx)."""

from __future__ import annotations

import numpy as np
import pytest

from spiceview.protocol.raw_buffer import uninitialised


def test_a_writable_flat_byte_view_of_the_size_asked() -> None:
    view = uninitialised(1 << 20)
    assert (view.format, view.ndim, view.shape, view.readonly, view.contiguous) == ("B", 1, (1 << 20,), False, True)
    view[:] = b"\xab" * len(view)
    view[5:8] = b"xyz"
    assert bytes(view[:9]) == b"\xab" * 5 + b"xyz\xab"
    assert np.frombuffer(view, np.uint8)[6] == ord("y")  # what decoders and parsers take


def test_buffers_are_independent_and_outlive_the_first_view() -> None:
    a, b = uninitialised(70000), uninitialised(70000)
    a[:] = bytes(70000)
    b[:] = b"\x01" * 70000
    tail = a[60000:]
    del a
    assert bytes(tail) == bytes(10000) and bytes(b[:3]) == b"\x01\x01\x01"


def test_sizes() -> None:
    assert len(uninitialised(0)) == 0
    with pytest.raises(ValueError):
        uninitialised(-1)
    with pytest.raises(MemoryError):
        uninitialised(1 << 62)  # an address space no machine has: refused, not a crash
    huge = uninitialised(256 << 20)  # MAX_MESSAGE_SIZE: address space only until written
    huge[-1] = 7
    assert huge[-1] == 7
