"""Fuzz: mutated LZ4 images give an image or DecodeError, nothing else."""

from __future__ import annotations

import numpy as np
from fuzz_support import fuzz_settings, fuzz_timeout, mutated
from hypothesis import given
from hypothesis import strategies as st
from lz4_encoder import encode_lz4

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.lz4 import FMT_16BIT, FMT_24BIT, FMT_32BIT, FMT_RGBA, decode_lz4


def _seeds() -> list[bytes]:
    rng = np.random.default_rng(13)
    seeds = []
    for fmt, bpp in ((FMT_16BIT, 2), (FMT_24BIT, 3), (FMT_32BIT, 4), (FMT_RGBA, 4)):
        rows = np.full((10, 12 * bpp), 7, np.uint8)
        rows[4:7] = rng.integers(0, 256, (3, 12 * bpp), dtype=np.uint8)
        seeds.append(encode_lz4(rows, fmt, bool(bpp % 2), rows_per_block=3))
    return seeds


SEEDS = _seeds()


@fuzz_timeout
@fuzz_settings
@given(mutated(SEEDS, header_size=12), st.sampled_from([(12, 10), (12, 10), (11, 10), (12, 11), (1, 1)]))
def test_decode_lz4(data: bytes, size: tuple[int, int]) -> None:
    try:
        out = decode_lz4(data, *size)
    except DecodeError:
        return
    assert out.pixels.shape == (size[1], size[0], 4)
