"""Fuzz: mutated LZ streams of every type give an image or DecodeError, nothing else."""

from __future__ import annotations

import numpy as np
from fuzz_support import fuzz_settings, fuzz_timeout, mutated
from hypothesis import given
from lz_encoder import (
    A8,
    PLT1_BE,
    PLT4_LE,
    PLT8,
    RGB24,
    RGB32,
    RGBA,
    XXXA,
    encode_bytes,
    encode_rgb,
    encode_rgb16,
    pack_palette_rows,
)

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.lz import decode_lz, decode_lz_alpha_into


def _seeds() -> list[bytes]:
    rng = np.random.default_rng(11)
    img = np.full((9, 13, 4), 40, np.uint8)
    img[3:6] = rng.integers(0, 256, (3, 13, 4), dtype=np.uint8)
    img[7] = img[1]
    idx = rng.integers(0, 2, (9, 13)).astype(np.uint8)
    seeds = [encode_rgb(img, kind, top_down) for kind in (RGB24, RGB32, RGBA) for top_down in (0, 1)]
    seeds.append(encode_rgb16(rng.integers(0, 3, (9, 13)).astype(np.uint16) * 999))
    seeds += [encode_bytes(kind, pack_palette_rows(idx, kind), 13) for kind in (PLT1_BE, PLT4_LE, PLT8)]
    seeds += [encode_bytes(A8, idx * 9, 13), encode_bytes(XXXA, idx * 9, 13, False)]
    return seeds


SEEDS = _seeds()
PALETTE = np.arange(0, 256 * 0x010101, 0x010101, dtype=np.uint32)[:256]


@fuzz_timeout
@fuzz_settings
@given(mutated(SEEDS))
def test_decode_lz(data: bytes) -> None:
    try:
        out = decode_lz(data, PALETTE)
    except DecodeError:
        return
    assert out.pixels.shape[:2] == (out.height, out.width)


@fuzz_timeout
@fuzz_settings
@given(mutated(SEEDS))
def test_decode_lz_alpha_into(data: bytes) -> None:
    pixels = np.zeros((9, 13, 4), np.uint8)
    try:
        decode_lz_alpha_into(data, pixels)
    except DecodeError:
        assert not pixels.any()  # nothing written unless the whole plane decoded
        return
    assert not pixels[..., :3].any()
