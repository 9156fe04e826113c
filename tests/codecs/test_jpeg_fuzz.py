"""Fuzz: mutated JPEG and JPEG_ALPHA images give an image or DecodeError, nothing else."""

from __future__ import annotations

import av
import numpy as np
import pytest
from fuzz_support import fuzz_settings, fuzz_timeout, mutated
from hypothesis import given
from hypothesis import strategies as st
from jpeg_samples import encode_jpeg, photo_like
from lz_encoder import XXXA, encode_bytes

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.jpeg import decode_jpeg, decode_jpeg_alpha

H, W = 16, 24
JPEGS = [encode_jpeg(photo_like(H, W, 1), fmt) for fmt in ("yuvj420p", "yuvj444p")]
ALPHA = encode_bytes(XXXA, (np.arange(H * W).reshape(H, W) % 3 * 100).astype(np.uint8), W, False)


@pytest.fixture(autouse=True)
def quiet_ffmpeg():
    """Corrupt JPEGs make FFmpeg log a line each; keep the test output readable."""
    level = av.logging.get_level()
    av.logging.set_level(None)
    yield
    av.logging.set_level(level)


@fuzz_timeout
@fuzz_settings
@given(mutated(JPEGS, header_size=200))
def test_decode_jpeg(data: bytes) -> None:
    try:
        out = decode_jpeg(data, W, H)
    except DecodeError:
        return
    assert out.pixels.shape == (H, W, 4)


@fuzz_timeout
@fuzz_settings
@given(st.sampled_from(JPEGS), mutated([ALPHA]), st.integers(-3, 3), st.booleans())
def test_decode_jpeg_alpha(jpeg: bytes, alpha: bytes, size_error: int, top_down: bool) -> None:
    try:
        out = decode_jpeg_alpha(jpeg + alpha, len(jpeg) + size_error, top_down, W, H)
    except DecodeError:
        return
    assert out.pixels.shape == (H, W, 4)


@fuzz_timeout
@fuzz_settings
@given(mutated([j + ALPHA for j in JPEGS], header_size=200))
def test_decode_jpeg_alpha_whole(data: bytes) -> None:
    for jpeg in JPEGS:
        try:
            decode_jpeg_alpha(data, len(jpeg), False, W, H)
        except DecodeError:
            pass
