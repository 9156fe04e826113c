"""The compiled JPEG marker scan: the frame size of real and odd JPEGs, DecodeError for broken ones, and the same
answer as a plain reading of the marker rules (ITU T.81 B.1.1) on mutated JPEGs."""

from __future__ import annotations

import struct

import pytest
from fuzz_support import fuzz_settings, fuzz_timeout, mutated
from hypothesis import given
from hypothesis import strategies as st
from jpeg_samples import encode_jpeg, photo_like

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.jpeg.markers import jpeg_frame_size

JPEGS = [encode_jpeg(photo_like(51, 80, 2), fmt) for fmt in ("yuvj420p", "yuvj444p")]


def reference_size(data: bytes) -> tuple[int, int] | None:
    """The rules spelled out slowly: None where the scan must refuse the data."""
    if len(data) < 4 or data[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos < len(data):
        if data[pos] != 0xFF:
            return None
        while pos < len(data) and data[pos] == 0xFF:
            pos += 1
        if pos >= len(data):
            return None
        marker = data[pos]
        pos += 1
        if 0xD0 <= marker <= 0xD8 or marker == 0x01:
            continue
        if marker in (0xDA, 0xD9) or len(data) - pos < 2:
            return None
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or length > len(data) - pos:
            return None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if length < 8:
                return None
            height, width = struct.unpack_from(">HH", data, pos + 3)
            return width, height
        pos += length
    return None


def scanned(data: bytes | memoryview) -> tuple[int, int] | None:
    try:
        return jpeg_frame_size(data)
    except DecodeError:
        return None


def segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


SOF0 = segment(0xC0, bytes([8]) + struct.pack(">HH", 7, 9) + b"\x01\x01\x11\x00")


@pytest.mark.parametrize("jpeg", JPEGS)
def test_real_jpegs_give_their_size_from_bytes_and_views(jpeg: bytes) -> None:
    assert jpeg_frame_size(jpeg) == (80, 51)
    assert jpeg_frame_size(memoryview(b"xx" + jpeg)[2:]) == (80, 51)


@pytest.mark.parametrize(
    "data, size",
    [
        (b"\xff\xd8" + SOF0, (9, 7)),
        (b"\xff\xd8\xff\xff\xff" + SOF0[1:], (9, 7)),  # fill bytes before a marker
        (b"\xff\xd8\xff\xd0\xff\x01" + SOF0, (9, 7)),  # RST0 and TEM have no length
        (b"\xff\xd8" + segment(0xC4, b"\0" * 20) + segment(0xE0, b"JFIF\0") + SOF0, (9, 7)),
        (b"\xff\xd8" + segment(0xC2, SOF0[4:]), (9, 7)),  # progressive
    ],
)
def test_odd_but_valid_layouts(data: bytes, size: tuple[int, int]) -> None:
    assert jpeg_frame_size(data) == size


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xd8",
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\x00\x00" + SOF0,  # no marker where one must be
        b"\xff\xd8\xff\xda\x00\x02" + SOF0,  # scan before the frame header
        b"\xff\xd8\xff\xd9" + SOF0,
        b"\xff\xd8\xff\xc0\x00\x01",  # length below 2
        b"\xff\xd8\xff\xe0\x10\x00\x00",  # length past the end
        b"\xff\xd8" + segment(0xC0, b"\x08\x00"),  # frame header too short
        b"\xff\xd8\xff\xff\xff",
        b"\xff\xd8" + segment(0xE0, b"JFIF\0"),
    ],
)
def test_broken_jpegs_are_refused(data: bytes) -> None:
    with pytest.raises(DecodeError):
        jpeg_frame_size(data)


@fuzz_timeout
@fuzz_settings
@given(st.one_of(mutated(JPEGS, header_size=200), st.binary(max_size=64).map(lambda b: b"\xff\xd8" + b)))
def test_the_scan_follows_the_rules_on_mutated_jpegs(data: bytes) -> None:
    assert scanned(data) == reference_size(data)
