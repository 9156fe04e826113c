"""The QUIC stream header, read and checked before any pixel memory is allocated."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from ..errors import DecodeError
from .constants import HEADER_WORDS, MAGIC, MAX_PIXELS, VERSION, QuicImageType

# Coded components per pixel, per image type (RGBA codes its alpha plane as a fourth).
_COMPONENTS = {
    QuicImageType.GRAY: 1,
    QuicImageType.RGB16: 3,
    QuicImageType.RGB24: 3,
    QuicImageType.RGB32: 3,
    QuicImageType.RGBA: 4,
}


@dataclass(frozen=True, slots=True)
class QuicHeader:
    type: QuicImageType
    width: int
    height: int
    words: int  # whole 32-bit words in the stream, header included


def min_stream_bits(components: int, width: int, height: int) -> int:
    """A lower bound on the coded bits any valid stream of this size needs after its header.

    Every codeword is at least one bit. The first row has no runs, and a later row always codes its
    first three pixels before a run may start; the decoder also looks 32 bits ahead.
    """
    return components * (width + (height - 1) * min(width, 3)) + 32


def parse_header(buf: memoryview) -> QuicHeader:
    """Read and sanity-check the header of a QUIC stream held in a byte memoryview."""
    words = len(buf) // 4  # like the reference decoder, trailing bytes short of a word are ignored
    if words < HEADER_WORDS:
        raise DecodeError(f"QUIC stream too short for its header ({len(buf)} bytes)")
    magic, version, type_word, width, height = struct.unpack_from("<5I", buf)
    if magic != MAGIC:
        raise DecodeError(f"not a QUIC stream (magic {magic:#010x})")
    if version != VERSION:
        raise DecodeError(f"unsupported QUIC version {version >> 16}.{version & 0xFFFF}")
    try:
        image_type = QuicImageType(type_word)
    except ValueError:
        raise DecodeError(f"bad QUIC image type {type_word}") from None
    if width == 0 or height == 0:
        raise DecodeError(f"empty QUIC image {width}x{height}")
    if width * height > MAX_PIXELS:
        raise DecodeError(f"QUIC image {width}x{height} is too large")
    needed = min_stream_bits(_COMPONENTS[image_type], width, height)
    if needed > (words - HEADER_WORDS) * 32:
        raise DecodeError(f"QUIC stream of {len(buf)} bytes is too short for a {width}x{height} image")
    return QuicHeader(image_type, width, height, words)
