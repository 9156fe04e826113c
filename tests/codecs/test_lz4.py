"""LZ4 images: streams built like spice-server's LZ4 encoder (top_down byte, format byte, then
big-endian-sized blocks compressed as one stream, each block allowed to reference the 64 KiB
before it), made here with the lz4 package. Verified locally: a real Xspice asked for LZ4 (preferred
compression) sent 66 LZ4 images; the screen decoded here equalled its xwd picture exactly.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from lz4_encoder import encode_lz4

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.image import PixelFormat
from spiceview.codecs.lz4 import FMT_16BIT, FMT_24BIT, FMT_32BIT, FMT_RGBA, decode_lz4

RNG = np.random.default_rng(4)
BPP = {FMT_16BIT: 2, FMT_24BIT: 3, FMT_32BIT: 4, FMT_RGBA: 4}


def desktop_rows(h: int, w: int, bpp: int) -> np.ndarray:
    rows = np.full((h, w * bpp), 0x33, np.uint8)
    rows[h // 2 :] = RNG.integers(0, 256, (h - h // 2, w * bpp), dtype=np.uint8)
    rows[h // 2 + 2] = rows[1]
    return rows


@pytest.mark.parametrize("fmt", [FMT_16BIT, FMT_24BIT, FMT_32BIT, FMT_RGBA])
@pytest.mark.parametrize("top_down", [True, False])
@pytest.mark.parametrize("rows_per_block", [0, 1, 7])
def test_round_trip(fmt: int, top_down: bool, rows_per_block: int) -> None:
    h, w = 40, 33
    rows = desktop_rows(h, w, BPP[fmt])
    out = decode_lz4(encode_lz4(rows, fmt, top_down, rows_per_block), w, h)
    assert (out.width, out.height) == (w, h)
    if fmt == FMT_16BIT:
        words = rows.view("<u2").astype(np.uint32)
        for i, shift in enumerate((0, 5, 10)):
            c = (words >> shift) & 31
            np.testing.assert_array_equal(out.pixels[..., i], (c << 3) | (c >> 2))
        assert (out.pixels[..., 3] == 255).all()
    elif fmt == FMT_24BIT:
        np.testing.assert_array_equal(out.pixels[..., :3], rows.reshape(h, w, 3))
        assert (out.pixels[..., 3] == 255).all()
    else:
        want = rows.reshape(h, w, 4).copy()
        if fmt == FMT_32BIT:
            want[..., 3] = 255
        np.testing.assert_array_equal(out.pixels, want)
    assert out.format is (PixelFormat.ARGB32 if fmt == FMT_RGBA else PixelFormat.XRGB32)


def test_blocks_reference_earlier_blocks() -> None:
    """Matches into previous blocks (the server's single LZ4 stream) must resolve."""
    row = RNG.integers(0, 256, 400, dtype=np.uint8)
    rows = np.tile(row, (50, 1))
    data = encode_lz4(rows, FMT_32BIT, rows_per_block=1)
    assert len(data) < 50 * 60  # later blocks are nearly all back-references
    out = decode_lz4(data, 100, 50)
    np.testing.assert_array_equal(out.pixels[..., :3], rows.reshape(50, 100, 4)[..., :3])


def test_errors() -> None:
    rows = desktop_rows(8, 8, 4)
    good = encode_lz4(rows, FMT_32BIT, rows_per_block=2)
    decode_lz4(good, 8, 8)
    for data, size, match in (
        (good[:1], (8, 8), "header"),
        (good[:1] + b"\x05" + good[2:], (8, 8), "format"),
        (good[:2], (8, 8), ""),
        (good[:6] + bytes(4), (8, 8), "size out of range"),
        (good[:2] + struct.pack(">I", 0) + good[6:], (8, 8), "size out of range"),
        (good, (9, 8), ""),  # more output wanted than the data holds
        (good, (7, 8), ""),  # less wanted than the data holds
        (good, (0, 8), "size"),
        (good, (1 << 16, 8), "size"),
        (good[:2] + struct.pack(">I", 200) + bytes(200), (8, 8), "corrupt"),
        (good[:2] + good[2:6] + bytes(len(good) - 6), (8, 8), ""),
        (good[:1] + bytes([FMT_32BIT]) + bytes(10), (4000, 4000), "too short"),
    ):
        with pytest.raises(DecodeError, match=match or None):
            decode_lz4(data, *size)
    for cut in range(len(good)):
        with pytest.raises(DecodeError):
            decode_lz4(good[:cut], 8, 8)
