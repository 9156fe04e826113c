"""Fuzz: mutated GLZ and ZLIB_GLZ streams (against a window holding earlier images) give an
image or DecodeError, nothing else, and never wait longer than the timeout."""

from __future__ import annotations

import zlib

import numpy as np
from fuzz_support import fuzz_settings, fuzz_timeout, mutated
from glz_encoder import GlzTestEncoder
from hypothesis import given
from hypothesis import strategies as st
from lz_encoder import RGB16, RGB24, RGB32, RGBA

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.glz import GlzWindow, decode_glz, decode_zlib_glz


def _streams() -> tuple[list[bytes], list[bytes]]:
    """Three window images (ids 0-2) and streams of images 3.. that reference them."""
    rng = np.random.default_rng(12)
    enc = GlzTestEncoder()
    base = np.full((8, 12, 4), 90, np.uint8)
    base[2:5] = rng.integers(0, 256, (3, 12, 4), dtype=np.uint8)
    window = [enc.encode(base, i, kind) for i, kind in enumerate((RGB32, RGBA, RGB24))]
    seeds = []
    for i, kind in enumerate((RGB32, RGBA, RGB24, RGB32), start=3):
        img = base.copy()
        img[6] = rng.integers(0, 256, (12, 4), dtype=np.uint8)
        seeds.append(enc.encode(img, i, kind, refs=(0, 1, 2), win_head_dist=i, top_down=i % 2 == 0, same_image=i != 4))
    seeds.append(
        enc.encode(None, 7, RGB16, words=rng.integers(0, 4, (8, 12)).astype(np.uint16), refs=(2,), win_head_dist=5)
    )
    return window, seeds


WINDOW, SEEDS = _streams()


def _window() -> GlzWindow:
    win = GlzWindow(1 << 16)
    for data in WINDOW:
        decode_glz(data, win)
    return win


@fuzz_timeout
@fuzz_settings
@given(mutated(SEEDS, header_size=48))
def test_decode_glz(data: bytes) -> None:
    try:
        out = decode_glz(data, _window(), timeout=0.0)
    except DecodeError:
        return
    assert out.pixels.shape == (out.height, out.width, 4)


@fuzz_timeout
@fuzz_settings
@given(st.sampled_from(SEEDS).flatmap(lambda s: st.tuples(mutated([zlib.compress(s)]), st.just(len(s)))))
def test_decode_zlib_glz_outer(case: tuple[bytes, int]) -> None:
    data, size = case
    try:
        decode_zlib_glz(data, size, _window(), timeout=0.0)
    except DecodeError:
        pass


@fuzz_timeout
@fuzz_settings
@given(mutated(SEEDS, header_size=48), st.integers(-2, 2))
def test_decode_zlib_glz_inner(glz: bytes, size_error: int) -> None:
    try:
        decode_zlib_glz(zlib.compress(glz), len(glz) + size_error, _window(), timeout=0.0)
    except DecodeError:
        pass
