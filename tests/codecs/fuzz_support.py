"""Shared pieces of the decoder fuzz tests: mutations of valid streams, example counts.

SPICEVIEW_FUZZ_EXAMPLES sets the examples per test (default 2000, so the suite stays quick);
the per-test timeout grows with it, so a hang still fails but a long run does not.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ_EXAMPLES = int(os.environ.get("SPICEVIEW_FUZZ_EXAMPLES", "2000"))

fuzz_settings = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
fuzz_timeout = pytest.mark.timeout(max(300, FUZZ_EXAMPLES * 0.02))

_WORDS = [
    b"\xff\xff\xff\xff",
    b"\x00\x00\x00\x00",
    b"\x7f\xff\xff\xff",
    b"\x80\x00\x00\x00",
    b"\x00\x00\x01\x00",
    b"\x00\x01\x00\x00",
    b"\xff",
]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes], header_size: int = 40) -> bytes:
    """A valid stream with a few random edits, often aimed at the header."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        near_header = draw(st.booleans())
        top = min(len(data), header_size) if near_header else len(data)
        pos = draw(st.integers(0, top - 1))
        op = draw(st.integers(0, 6))
        if op == 0:
            data[pos] = draw(st.integers(0, 255))
        elif op == 1:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == 2:
            del data[pos:]
        elif op == 3:
            del data[pos : pos + draw(st.integers(1, 32))]
        elif op == 4:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=32))
        elif op == 5:
            word = draw(st.sampled_from(_WORDS))
            data[pos : pos + len(word)] = word
        else:
            data[pos] = draw(st.sampled_from([0x00, 0x1F, 0x20, 0xE0, 0xFF, 0x3F, 0xF0]))
    return bytes(data)
