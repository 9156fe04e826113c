"""LZ decoder: round trips through the test-only encoder, hand-made streams, bad input.

Verified locally (not part of this suite): 180 random streams of every LZ type, both row orders
and three image styles, made by spice-common's own lz.c encoder, decoded here identically to
spice-common's decoder (cropped to the width, X = 0xFF). End to end, a real Xspice
(spice-server 0.15.1, --image-compression lz) drew a scene whose 68 LZ_RGB images decoded here
into a screen equal, pixel for pixel, to the X server's own xwd picture.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest
from lz_encoder import (
    A8,
    PLT1_BE,
    PLT1_LE,
    PLT4_BE,
    PLT4_LE,
    PLT8,
    RGB16,
    RGB24,
    RGB32,
    RGBA,
    XXXA,
    encode_bytes,
    encode_match,
    encode_rgb,
    encode_rgb16,
    expand555,
    header,
    literal_runs,
    pack_palette_rows,
)

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.image import PixelFormat
from spiceview.codecs.lz import decode_lz, decode_lz_alpha_into

RNG = np.random.default_rng(20240601)


def desktop_like(h: int, w: int) -> np.ndarray:
    """Few colours, long runs, repeated rows: what LZ meets on a desktop."""
    img = np.full((h, w, 4), 0xEE, np.uint8)
    img[h // 4 : h // 2, w // 5 : w // 2] = (200, 80, 10, 255)
    img[::5, ::3] = RNG.integers(0, 256, (len(range(0, h, 5)), len(range(0, w, 3)), 4), dtype=np.uint8)
    img[h // 2 + 1 :] = img[: h - h // 2 - 1]
    return img


def opaque(img: np.ndarray) -> np.ndarray:
    out = img.copy()
    out[..., 3] = 0xFF
    return out


@pytest.mark.parametrize("kind", [RGB24, RGB32, RGBA])
@pytest.mark.parametrize("top_down", [True, False])
def test_rgb_round_trip(kind: int, top_down: bool) -> None:
    img = desktop_like(31, 47)
    img[..., 3] = RNG.integers(0, 3, img.shape[:2]) * 120
    out = decode_lz(encode_rgb(img, kind, top_down))
    assert (out.width, out.height) == (47, 31)
    if kind == RGBA:
        assert out.format is PixelFormat.ARGB32
        np.testing.assert_array_equal(out.pixels, img)
    else:
        assert out.format is PixelFormat.XRGB32
        np.testing.assert_array_equal(out.pixels, opaque(img))


@pytest.mark.parametrize("top_down", [True, False])
def test_rgb16_widens_like_the_reference(top_down: bool) -> None:
    words = RNG.integers(0, 1 << 16, (13, 29)).astype(np.uint16)  # top bit set: must be ignored
    words[4:9] = words[1]
    out = decode_lz(encode_rgb16(words, top_down))
    np.testing.assert_array_equal(out.pixels, expand555(words & 0x7FFF))
    # 5-bit full scale widens to 0xFF, 1 to 0x08
    one = np.array([[0x7FFF, 0x0421]], np.uint16)
    px = decode_lz(encode_rgb16(one)).pixels
    assert px[0, 0].tolist() == [255, 255, 255, 255] and px[0, 1].tolist() == [8, 8, 8, 255]


@pytest.mark.parametrize("kind,colours", [(PLT1_LE, 2), (PLT1_BE, 2), (PLT4_LE, 16), (PLT4_BE, 16), (PLT8, 256)])
@pytest.mark.parametrize("width", [1, 7, 8, 9, 30])
@pytest.mark.parametrize("top_down", [True, False])
def test_palette_round_trip(kind: int, colours: int, width: int, top_down: bool) -> None:
    palette = RNG.integers(0, 1 << 32, colours, dtype=np.uint64).astype(np.uint32)  # x byte ignored
    idx = RNG.integers(0, colours, (9, width)).astype(np.uint8)
    idx[3:6] = idx[0]
    out = decode_lz(encode_bytes(kind, pack_palette_rows(idx, kind), width, top_down), palette)
    ents = palette[idx]
    want = np.stack([ents & 255, (ents >> 8) & 255, (ents >> 16) & 255, np.full_like(ents, 255)], -1)
    np.testing.assert_array_equal(out.pixels, want.astype(np.uint8))
    assert out.format is PixelFormat.XRGB32


def test_palette_bit_order_by_hand() -> None:
    palette = np.array([0x000000, 0xFFFFFF], np.uint32)
    row = bytes([0b10000000])  # one literal byte
    for kind, lit in ((PLT1_BE, 0), (PLT1_LE, 7)):
        data = header(kind, 8, 1, 1, True) + bytes([0]) + row
        px = decode_lz(data, palette).pixels[0, :, 0]
        assert px.tolist() == [255 if i == lit else 0 for i in range(8)]
    ents = np.arange(16, dtype=np.uint32) * 0x10
    for kind, want in ((PLT4_BE, [0x10, 0x20]), (PLT4_LE, [0x20, 0x10])):
        data = header(kind, 2, 1, 1, True) + bytes([0, 0x12])
        assert decode_lz(data, ents).pixels[0, :, 0].tolist() == want


def test_short_palette_wraps_instead_of_reading_past_it() -> None:
    palette = np.array([0x0000FF, 0x00FF00, 0xFF0000], np.uint32)
    data = header(PLT8, 4, 1, 4, True) + bytes([3, 0, 1, 2, 200])
    px = decode_lz(data, palette).pixels[0]
    blue, green, red = [255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]
    assert px.tolist() == [blue, green, red, red]  # 200 % 3 == 2


def test_palette_required() -> None:
    data = encode_bytes(PLT8, np.zeros((2, 2), np.uint8), 2)
    with pytest.raises(DecodeError, match="palette"):
        decode_lz(data)
    with pytest.raises(DecodeError, match="palette"):
        decode_lz(data, np.array([], np.uint32))


@pytest.mark.parametrize("top_down", [True, False])
def test_a8_and_alpha_into(top_down: bool) -> None:
    alpha = RNG.integers(0, 4, (11, 17)).astype(np.uint8) * 80
    alpha[5:] = alpha[0]
    out = decode_lz(encode_bytes(A8, alpha, 17, top_down))
    assert out.format is PixelFormat.A8
    np.testing.assert_array_equal(out.pixels, alpha)
    pixels = np.full((11, 17, 4), 7, np.uint8)
    decode_lz_alpha_into(encode_bytes(XXXA, alpha, 17, top_down), pixels)
    np.testing.assert_array_equal(pixels[..., 3], alpha)
    assert (pixels[..., :3] == 7).all()  # only the alpha byte is written


def test_alpha_into_checks_type_and_size() -> None:
    alpha = np.zeros((4, 5), np.uint8)
    with pytest.raises(DecodeError):
        decode_lz_alpha_into(encode_bytes(XXXA, alpha, 5), np.zeros((5, 4, 4), np.uint8))
    with pytest.raises(DecodeError):
        decode_lz_alpha_into(encode_bytes(A8, alpha, 5), np.zeros((4, 5, 4), np.uint8))
    with pytest.raises(DecodeError):
        decode_lz(encode_bytes(XXXA, alpha, 5))


def test_far_distance_and_long_lengths() -> None:
    """A 16-bit far distance (> 8191 back), lengths needing 255-runs, overlapping copies."""
    img = RNG.integers(0, 256, (60, 250, 4), dtype=np.uint8)
    img[50] = img[3]  # 11750 pixels back
    img[20:24] = img[19, 0]  # a 1000-pixel run (distance 1, many 255 length bytes)
    img[30, 10:200] = np.tile(img[30, :10], (19, 1))  # period 10, overlapping copy
    data = encode_rgb(img, RGB32)
    np.testing.assert_array_equal(decode_lz(data).pixels, opaque(img))
    assert len(data) < 60 * 250 * 3 - 3000  # the matches were really used


def test_hand_made_stream_every_encoding() -> None:
    body = bytearray([2, 1, 2, 3, 4, 5, 6, 7, 8, 9])  # three literal pixels
    encode_match(body, 4, 3, 0)  # overlapping copy of the three
    encode_match(body, 300, 1, 0)  # run with extended length
    data = header(RGB32, 307, 1, 307 * 4, True) + bytes(body)
    px = decode_lz(data).pixels[0]
    first = [[1, 2, 3, 255], [4, 5, 6, 255], [7, 8, 9, 255]]
    assert px[:3].tolist() == first and px[3:6].tolist() == first and px[6].tolist() == first[0]
    assert (px[7:] == px[6]).all()


def bad(data: bytes, match: str | None = None, palette: np.ndarray | None = None) -> None:
    with pytest.raises(DecodeError, match=match):
        decode_lz(data, palette)


def test_header_errors() -> None:
    good = encode_rgb(desktop_like(4, 4), RGB32)
    bad(good[:27], "truncated")
    bad(b"XXXX" + good[4:], "magic")
    bad(good[:4] + struct.pack(">I", 0x20001) + good[8:], "version")
    for kind in (0, 12, 255):
        bad(good[:8] + struct.pack(">I", kind) + good[12:], "type")
    bad(header(RGB32, 4, 4, 15, True) + good[28:], "stride")
    bad(header(PLT4_LE, 5, 4, 2, True) + good[28:], "stride")  # needs 3
    bad(header(PLT4_LE, 5, 4, 4, True) + good[28:], "stride")
    bad(header(RGB32, 0, 4, 0, True) + good[28:], "empty")
    bad(header(RGB32, 1 << 16, 1 << 16, 1 << 18, True) + good[28:], "large")


def test_size_claims_beyond_the_data_are_refused_before_allocating() -> None:
    bad(header(RGB32, 8000, 8000, 32000, True) + bytes(100), "too short")


@pytest.mark.parametrize("kind", [RGB24, RGB16, RGBA, PLT8, A8])
def test_every_truncation_raises(kind: int) -> None:
    if kind == RGB16:
        data = encode_rgb16(RNG.integers(0, 1 << 15, (6, 7)).astype(np.uint16))
    elif kind in (PLT8, A8):
        data = encode_bytes(kind, RNG.integers(0, 3, (6, 7)).astype(np.uint8), 7)
    else:
        data = encode_rgb(desktop_like(6, 7), kind)
    palette = np.arange(256, dtype=np.uint32)
    decode_lz(data, palette)
    for cut in range(len(data)):
        bad(data[:cut], palette=palette)


def test_reference_before_start_and_overruns() -> None:
    hdr = header(RGB32, 4, 1, 16, True)
    body = bytearray([0, 1, 2, 3])
    encode_match(body, 2, 2, 0)  # two back from pixel 1
    bad(hdr + bytes(body), "before the image start")
    body = bytearray([0, 1, 2, 3])
    encode_match(body, 4, 1, 0)  # 1 + 4 > 4 pixels
    bad(hdr + bytes(body), "past the image end")
    bad(hdr + bytes([4]) + bytes(15), "past the image end")  # five literals into four pixels
    far = bytearray([0, 1, 2, 3])
    encode_match(far, 1, 9000, 0)
    bad(hdr + bytes(far), "before the image start")


def test_trailing_bytes_are_ignored() -> None:
    img = desktop_like(5, 6)
    np.testing.assert_array_equal(decode_lz(encode_rgb(img) + b"junk").pixels, opaque(img))


def test_accepts_any_byte_buffer() -> None:
    img = desktop_like(5, 6)
    data = encode_rgb(img)
    for buf in (bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        np.testing.assert_array_equal(decode_lz(buf).pixels, opaque(img))


@pytest.mark.parametrize("trailing", [0, 1, 2, 5], ids=["stream-ends", "1-byte-after", "2-bytes-after", "5-after"])
@pytest.mark.parametrize("kind", [RGB24, RGB32])
def test_literal_runs_of_every_length(kind: int, trailing: int) -> None:
    """Runs of 1 to 32 literal pixels: converted with word loads where the stream has the 2 bytes such a run reads
    past itself, byte by byte where it does not (a run ending the stream)."""
    colours, body = literal_runs(seed=24)
    n = len(colours)
    data = header(kind, n, 1, n * (3 if kind == RGB24 else 4), True) + body + bytes(trailing)
    px = decode_lz(data).pixels[0]
    assert px[:, :3].tolist() == colours.tolist()
    assert (px[:, 3] == 255).all()
