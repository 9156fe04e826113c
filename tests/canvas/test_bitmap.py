"""Uncompressed bitmaps in every SpiceBitmapFmt, against pixels computed by hand (issue 2)."""

from __future__ import annotations

import numpy as np
import pytest

from spiceview.canvas.bitmap import decode_bitmap, palette_to_bgrx
from spiceview.codecs.errors import DecodeError
from spiceview.codecs.image import PixelFormat
from spiceview.protocol.constants import BitmapFmt

PALETTE = palette_to_bgrx([0x000000, 0xFF0000, 0x00FF00, 0x0000FF] + [0x010203 * i for i in range(4, 256)])


def bgrx(rgb: int) -> list[int]:
    return [rgb & 0xFF, rgb >> 8 & 0xFF, rgb >> 16 & 0xFF, 0xFF]


def test_1bit_be_and_le() -> None:
    # One row of 10 pixels: bits 1011000011 (BE: the first pixel is the most significant bit).
    be = bytes([0b10110000, 0b11000000])
    img = decode_bitmap(BitmapFmt.BIT1_BE, 10, 1, 2, be, True, PALETTE)
    want = [1, 0, 1, 1, 0, 0, 0, 0, 1, 1]
    assert img.pixels[0].tolist() == [bgrx(0xFF0000) if v else bgrx(0) for v in want]
    le = bytes([0b00001101, 0b00000011])  # the same pixels, least significant bit first
    assert np.array_equal(decode_bitmap(BitmapFmt.BIT1_LE, 10, 1, 2, le, True, PALETTE).pixels, img.pixels)


def test_4bit_be_and_le() -> None:
    be = bytes([0x12, 0x30])  # pixels 1, 2, 3 (and padding)
    img = decode_bitmap(BitmapFmt.BIT4_BE, 3, 1, 2, be, True, PALETTE)
    assert img.pixels[0].tolist() == [bgrx(0xFF0000), bgrx(0x00FF00), bgrx(0x0000FF)]
    le = bytes([0x21, 0x03])
    assert np.array_equal(decode_bitmap(BitmapFmt.BIT4_LE, 3, 1, 2, le, True, PALETTE).pixels, img.pixels)


def test_8bit_palette_and_bottom_up() -> None:
    data = bytes([1, 2, 0, 0, 3, 0, 0, 0])  # two rows, stride 4
    img = decode_bitmap(BitmapFmt.BIT8, 2, 2, 4, data, False, PALETTE)  # bottom-up: the first row is the bottom
    assert img.pixels[0].tolist() == [bgrx(0x0000FF), bgrx(0)]
    assert img.pixels[1].tolist() == [bgrx(0xFF0000), bgrx(0x00FF00)]


def test_16bit_555_widening() -> None:
    value = (31 << 10) | (16 << 5) | 1  # r=31, g=16, b=1
    img = decode_bitmap(BitmapFmt.BIT16, 1, 1, 2, value.to_bytes(2, "little"), True, None)
    assert img.pixels[0, 0].tolist() == [(1 << 3) | (1 >> 2), (16 << 3) | (16 >> 2), 255, 255]


def test_24_32_and_rgba() -> None:
    img = decode_bitmap(BitmapFmt.BIT24, 2, 1, 8, bytes([1, 2, 3, 4, 5, 6, 0, 0]), True, None)
    assert img.pixels[0].tolist() == [[1, 2, 3, 255], [4, 5, 6, 255]]
    img = decode_bitmap(BitmapFmt.BIT32, 1, 1, 4, bytes([7, 8, 9, 0]), True, None)
    assert img.pixels[0, 0].tolist() == [7, 8, 9, 255] and img.format is PixelFormat.XRGB32
    img = decode_bitmap(BitmapFmt.RGBA, 1, 1, 4, bytes([7, 8, 9, 10]), True, None)
    assert img.pixels[0, 0].tolist() == [7, 8, 9, 10] and img.format is PixelFormat.ARGB32


def test_8bit_alpha() -> None:
    img = decode_bitmap(BitmapFmt.BIT8_A, 3, 1, 4, bytes([0, 128, 255, 9]), True, None)
    assert img.format is PixelFormat.A8 and img.pixels.tolist() == [[0, 128, 255]]


def test_index_beyond_palette_is_clamped() -> None:
    img = decode_bitmap(BitmapFmt.BIT8, 1, 1, 1, bytes([200]), True, PALETTE[:2])
    assert img.pixels[0, 0].tolist() == bgrx(0xFF0000)


@pytest.mark.parametrize(
    ("fmt", "w", "h", "stride", "size", "palette", "match"),
    [
        (99, 1, 1, 4, 4, None, "unknown format"),
        (BitmapFmt.BIT32, 0, 1, 4, 4, None, "bad size"),
        (BitmapFmt.BIT32, 4, 1, 8, 16, None, "stride"),
        (BitmapFmt.BIT32, 2, 2, 8, 15, None, "bytes for"),
        (BitmapFmt.BIT8, 1, 1, 1, 1, None, "without a palette"),
        (BitmapFmt.BIT32, 1 << 15, 1 << 15, 1 << 17, 4, None, "bad size"),
    ],
)
def test_bad_bitmaps(fmt: int, w: int, h: int, stride: int, size: int, palette, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        decode_bitmap(fmt, w, h, stride, bytes(size), True, palette)
