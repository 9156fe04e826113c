"""Fuzz: mutated QUIC streams of every type give an image or DecodeError, quickly, and nothing else.

SPICEVIEW_FUZZ_EXAMPLES sets the number of examples (default 2000, so the suite stays quick; it also
passes with 100000). pytest-timeout fails the test as a whole if a decode hangs (no timed assert per decode:
this machine is shared and noisy).
"""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quic_encoder import encode_quic
from quic_kernels import quic_kernel  # noqa: F401  # runs the module once per kernel

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.quic import QuicImageType, decode_quic

EXAMPLES = int(os.environ.get("SPICEVIEW_FUZZ_EXAMPLES", "2000"))

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
fuzz_timeout = pytest.mark.timeout(max(300, EXAMPLES * 0.02))


def _seeds() -> list[bytes]:
    rng = np.random.default_rng(21)
    seeds = []
    for image_type in QuicImageType:
        n = 4 if image_type is QuicImageType.RGBA else 1 if image_type is QuicImageType.GRAY else 3
        top = 32 if image_type is QuicImageType.RGB16 else 256
        noisy = rng.integers(0, top, (5, 11, n), dtype=np.uint8)
        blocky = np.repeat(rng.integers(0, top, (3, 4, n), dtype=np.uint8), 4, 0).repeat(9, 1)
        seeds += [encode_quic(image_type, noisy), encode_quic(image_type, blocky)]
    # Rows past 2048 pixels, so mutations also land in later wait-mask steps and long runs.
    wide = np.zeros((3, 2100, 3), np.uint8)
    wide[1, ::97] = 200
    seeds.append(encode_quic(QuicImageType.RGB32, wide))
    return seeds


SEEDS = _seeds()
_HEADER_VALUES = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    11,
    255,
    2048,
    2049,
    65535,
    1 << 14,
    1 << 16,
    1 << 28,
    0x7FFFFFFF,
    0x80000000,
    0xFFFFFFFF,
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid stream with a few edits: bit flips, byte changes, truncation, insertions, deletions,
    and header fields (type, width, height, magic, version) set to awkward values."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.integers(0, 6))
        if not data:
            break
        pos = draw(st.integers(0, len(data) - 1))
        if op == 0:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == 1:
            data[pos] = draw(st.integers(0, 255))
        elif op == 2:
            del data[pos:]
        elif op == 3:
            del data[pos : pos + draw(st.integers(1, 16))]
        elif op == 4:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == 5 and len(data) >= 20:
            field = draw(st.integers(0, 4))
            value = draw(st.sampled_from(_HEADER_VALUES) | st.integers(0, 0xFFFFFFFF))
            struct.pack_into("<I", data, 4 * field, value)
        else:
            # A word of all ones or zeros: long runs, long Rice prefixes, escape codes.
            data[pos : pos + 4] = draw(st.sampled_from([b"\xff" * 4, b"\x00" * 4, b"\x7f\xff\xff\xff"]))
    return bytes(data)


def _check(data: bytes) -> None:
    try:
        img = decode_quic(data)
    except DecodeError:
        pass
    else:
        assert img.pixels.shape[:2] == (img.height, img.width)


@fuzz_timeout
@fuzz
@given(mutated())
def test_mutated_streams(data: bytes) -> None:
    _check(data)


@fuzz_timeout
@settings(fuzz, max_examples=max(100, EXAMPLES // 10))
@given(st.binary(max_size=200), st.sampled_from(list(QuicImageType)), st.integers(1, 64), st.integers(1, 64))
def test_random_bodies(body: bytes, image_type: QuicImageType, width: int, height: int) -> None:
    # A valid header over arbitrary bytes.
    _check(struct.pack("<5I", 0x43495551, 0, image_type, width, height) + body)
