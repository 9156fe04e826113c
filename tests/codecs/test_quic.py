"""QUIC decoder: known-answer streams, round trips through the test-only encoder, bad input.

Verified locally (not part of this suite, nothing of it committed):
- the four QUIC files of spice-common's fuzzer corpus (tests/fuzzer-quic-testcases, the same four as
  Shells-com/spice quic/testdata: RGB24 59x24, RGB16 87x17, GRAY 87x29, RGBA 94x82) decode without error
  and equal spice-common's own decoder byte for byte (RGB16 as its 16-to-32 path: v << 3 | v >> 2), and
  test1 equals its PNG from the Go repository;
- 2400 images (every type; 1x1 to 16x2049 and 5x6200, so every wait-mask step; noise, flat, blocks,
  gradients, mixed) and 1920x1080 photo- and desktop-like images of every type, encoded by
  spice-common's quic.c: decoded here identically to its decoder (and to the source pixels);
- quic_encoder.py's output is bit-identical to spice-common's encoder on 250 such images of every type.
"""

from __future__ import annotations

import struct
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from quic_encoder import encode_quic
from quic_kernels import DEFAULT_DECODER, quic_kernel  # noqa: F401  # quic_kernel: runs the module once per kernel

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.image import PixelFormat
from spiceview.codecs.quic import QuicImageType, decode_quic, read_quic_header
from spiceview.codecs.quic.constants import MAGIC, MAX_PIXELS

T = QuicImageType
COMPONENTS = {T.GRAY: 1, T.RGB16: 3, T.RGB24: 3, T.RGB32: 3, T.RGBA: 4}


def header(image_type: int, width: int, height: int, magic: int = MAGIC, version: int = 0) -> bytes:
    return struct.pack("<5I", magic, version, image_type, width, height)


def expected(image_type: QuicImageType, planes: np.ndarray) -> np.ndarray:
    """What decode_quic must return for component planes in coding order (R, G, B[, A] / gray)."""
    planes = planes.astype(np.uint8)
    if image_type is T.GRAY:
        return planes.reshape(planes.shape[:2])
    if image_type is T.RGB16:
        planes = (planes << 3) | (planes >> 2)
    h, w = planes.shape[:2]
    out = np.full((h, w, 4), 0xFF, np.uint8)
    out[..., 0], out[..., 1], out[..., 2] = planes[..., 2], planes[..., 1], planes[..., 0]
    if image_type is T.RGBA:
        out[..., 3] = planes[..., 3]
    return out


def round_trip(image_type: QuicImageType, planes: np.ndarray) -> None:
    img = decode_quic(encode_quic(image_type, planes))
    assert (img.width, img.height) == (planes.shape[1], planes.shape[0])
    want_format = {T.GRAY: PixelFormat.A8, T.RGBA: PixelFormat.ARGB32}.get(image_type, PixelFormat.XRGB32)
    assert img.format is want_format
    np.testing.assert_array_equal(img.pixels, expected(image_type, planes))


def random_planes(rng: np.random.Generator, image_type: QuicImageType, h: int, w: int) -> np.ndarray:
    top = 32 if image_type is T.RGB16 else 256
    return rng.integers(0, top, (h, w, COMPONENTS[image_type]), dtype=np.uint8)


# --- known answers (no encoder involved) ---


def test_one_gray_pixel_by_hand() -> None:
    # Residual 0 under the initial code 7 is the codeword 1 followed by seven zero bits; a zero word
    # follows, as the reference encoder's flush leaves one for the decoder's 32-bit look-ahead.
    data = header(T.GRAY, 1, 1) + struct.pack("<2I", 0x8000_0000, 0)
    img = decode_quic(data)
    assert img.format is PixelFormat.A8
    assert img.pixels.tolist() == [[0]]


def test_known_rgb32_stream() -> None:
    # Made by quic_encoder.py; spice-common's decoder gives the same pixels (checked locally).
    data = bytes.fromhex(
        "51554943000000000400000004000000030000008280808100ec09720008000000000b00334d5105e08b52d1"
        "7da50d0091b7361a64461ee6008865f200000000"
    )
    rgb = [
        [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]],
        [[10, 20, 30], [10, 20, 30], [10, 20, 30], [10, 20, 30]],
        [[1, 2, 3], [1, 2, 3], [1, 2, 3], [200, 100, 50]],
    ]
    planes = np.array(rgb, np.uint8)
    assert encode_quic(T.RGB32, planes) == data
    np.testing.assert_array_equal(decode_quic(data).pixels, expected(T.RGB32, planes))


def test_stream_without_look_ahead_word_is_truncated() -> None:
    # The reference decoder needs the 32 bits after the last codeword to be in the stream.
    with pytest.raises(DecodeError):
        decode_quic(header(T.GRAY, 1, 1) + struct.pack("<I", 0x8000_0000))


# --- round trips ---


@pytest.mark.parametrize("image_type", list(T))
@pytest.mark.parametrize("size", [(1, 1), (1, 2), (2, 1), (3, 3), (4, 5), (7, 13), (17, 31), (2, 300)])
def test_random_round_trip(image_type: QuicImageType, size: tuple[int, int]) -> None:
    rng = np.random.default_rng(size[0] * 1000 + size[1] + int(image_type))
    round_trip(image_type, random_planes(rng, image_type, *size))


@pytest.mark.parametrize("image_type", list(T))
def test_gradient_round_trip(image_type: QuicImageType) -> None:
    y, x = np.mgrid[0:40, 0:57]
    planes = np.stack([x * 4 + y, y * 6, (x + y) * 3, x ^ y], -1)[..., : COMPONENTS[image_type]]
    top = 31 if image_type is T.RGB16 else 255
    round_trip(image_type, (planes % (top + 1)).astype(np.uint8))


@pytest.mark.parametrize("image_type", list(T))
def test_flat_and_long_runs(image_type: QuicImageType) -> None:
    # Runs need a repeating row above; long ones drive the run coder to its largest orders, and
    # rows wider than 2048 pixels cross the wait-mask steps inside a row and inside a run.
    rng = np.random.default_rng(5)
    planes = np.zeros((6, 5000, COMPONENTS[image_type]), np.uint8)
    planes[:, :] = random_planes(rng, image_type, 1, 1)
    planes[3, 2500:2600] = random_planes(rng, image_type, 1, 100)[0]
    planes[5, 4990:] = random_planes(rng, image_type, 1, 10)[0]
    round_trip(image_type, planes)


@pytest.mark.parametrize("image_type", [T.RGB32, T.RGB16, T.RGBA, T.GRAY])
def test_desktop_like_round_trip(image_type: QuicImageType) -> None:
    # Blocks of colour with sparse noise: runs that start, stop and restart all over the image.
    rng = np.random.default_rng(int(image_type))
    small = random_planes(rng, image_type, 12, 20) & 0b11000000 if image_type is not T.RGB16 else None
    if small is None:
        small = random_planes(rng, image_type, 12, 20) & 0b11000
    planes = np.repeat(np.repeat(small, 5, 0), 7, 1)
    noise = rng.random(planes.shape[:2]) < 0.05
    planes[noise] = random_planes(rng, image_type, 1, int(noise.sum()))[0]
    round_trip(image_type, planes)


def test_rgb24_and_rgb32_decode_the_same() -> None:
    planes = random_planes(np.random.default_rng(3), T.RGB24, 9, 11)
    a = decode_quic(encode_quic(T.RGB24, planes))
    b = decode_quic(encode_quic(T.RGB32, planes))
    np.testing.assert_array_equal(a.pixels, b.pixels)
    assert (a.pixels[..., 3] == 0xFF).all()


def test_rgb16_widening() -> None:
    planes = np.arange(32, dtype=np.uint8).reshape(1, 32, 1).repeat(3, 2)
    px = decode_quic(encode_quic(T.RGB16, planes)).pixels
    assert px[0, :, 0].tolist() == [(v << 3) | (v >> 2) for v in range(32)]
    assert px[0, 31, :3].tolist() == [255, 255, 255]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(list(T)).flatmap(
        lambda t: st.tuples(
            st.just(t),
            hnp.arrays(
                np.uint8,
                st.tuples(st.integers(1, 6), st.integers(1, 40), st.just(COMPONENTS[t])),
                elements=st.integers(0, 31 if t is T.RGB16 else 255),
            ),
        )
    )
)
def test_hypothesis_round_trip(case: tuple[QuicImageType, np.ndarray]) -> None:
    round_trip(*case)


# --- interface ---


def test_header() -> None:
    h = read_quic_header(encode_quic(T.RGBA, np.zeros((3, 4, 4), np.uint8)))
    assert (h.type, h.width, h.height) == (T.RGBA, 4, 3)


def test_buffer_kinds_and_trailing_bytes() -> None:
    planes = random_planes(np.random.default_rng(8), T.RGB32, 5, 6)
    data = encode_quic(T.RGB32, planes)
    want = expected(T.RGB32, planes)
    padded = bytearray(b"\0" + data + b"\0\0\0")
    for buf in (
        data,
        bytearray(data),
        memoryview(data),
        memoryview(padded)[1:-3],
        memoryview(np.frombuffer(data, "<u4")),
        data + b"\x01\x02\x03",
        data + b"junk" * 10,
    ):
        np.testing.assert_array_equal(decode_quic(buf).pixels, want)
    # Non-contiguous views are copied first.
    spread = np.zeros(len(data) * 2, np.uint8)
    spread[::2] = np.frombuffer(data, np.uint8)
    np.testing.assert_array_equal(decode_quic(memoryview(spread)[::2]).pixels, want)


def test_threads_decode_in_parallel() -> None:
    planes = random_planes(np.random.default_rng(9), T.RGB32, 60, 200)
    data, want = encode_quic(T.RGB32, planes), expected(T.RGB32, planes)
    results: list[np.ndarray] = []

    def work() -> None:
        for _ in range(5):
            results.append(decode_quic(data).pixels)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20
    for px in results:
        np.testing.assert_array_equal(px, want)


# --- bad input ---


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"QUI",
        header(T.RGB32, 1, 1)[:19],
        header(T.RGB32, 1, 1, magic=0x43495552) + bytes(8),
        header(T.RGB32, 1, 1, version=1) + bytes(8),
        header(T.RGB32, 1, 1, version=0x10000) + bytes(8),
        header(0, 1, 1) + bytes(8),
        header(6, 1, 1) + bytes(8),
        header(0xFFFFFFFF, 1, 1) + bytes(8),
        header(T.RGB32, 0, 1) + bytes(8),
        header(T.RGB32, 1, 0) + bytes(8),
        header(T.RGB32, 0xFFFFFFFF, 0xFFFFFFFF) + bytes(8),
        header(T.GRAY, MAX_PIXELS, 2) + bytes(8),
        header(T.GRAY, 1 << 14, 1 << 14) + bytes(8),  # within the cap, but no data for it
    ],
    ids=lambda data: f"{len(data)}B-{data[:20].hex()}",
)
def test_bad_headers(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_quic(data)
    with pytest.raises(DecodeError):
        read_quic_header(data)


@pytest.mark.parametrize("image_type", list(T))
def test_every_truncation_fails_cleanly(image_type: QuicImageType) -> None:
    planes = random_planes(np.random.default_rng(12), image_type, 7, 9)
    data = encode_quic(image_type, planes)
    for cut in range(0, len(data), 4):
        with pytest.raises(DecodeError):
            decode_quic(data[:cut])


def test_corrupt_body_with_good_header() -> None:
    data = header(T.RGBA, 100, 100) + b"\xff" * 400
    assert read_quic_header(data).width == 100
    with pytest.raises(DecodeError):
        decode_quic(data)


def test_all_ones_and_all_zeros_bodies() -> None:
    # All ones: huge runs and long Rice prefixes; all zeros: escape codewords everywhere.
    for image_type in T:
        for fill in (b"\xff", b"\x00", b"\x55", b"\xaa"):
            with pytest.raises(DecodeError):
                decode_quic(header(image_type, 50, 40) + fill * 200)
            try:
                img = decode_quic(header(image_type, 8, 8) + fill * 4000)
            except DecodeError:
                continue
            assert (img.width, img.height) == (8, 8)


def test_largest_allowed_flat_image_is_quick() -> None:
    # A hostile but valid stream: a wide image of runs decodes in bounded time and memory.
    planes = np.zeros((3, 20000, 1), np.uint8)
    img = decode_quic(encode_quic(T.GRAY, planes))
    assert img.pixels.shape == (3, 20000) and not img.pixels.any()


def test_decode_quic_picks_the_bmi2_build_where_the_cpu_has_it() -> None:
    from spiceview.codecs.quic import _kernel  # type: ignore[attr-defined]  # compiled, no stub

    want = "spiceview.codecs.quic._kernel_bmi2" if _kernel.BMI2_CPU else "spiceview.codecs.quic._kernel"
    assert DEFAULT_DECODER.__name__ == want
