"""SPICE JPEG and JPEG_ALPHA images and MJPEG stream frames, decoded by libjpeg-turbo (through simplejpeg).

libjpeg-turbo is what spice-gtk decodes with, so the same settings give the same pixels: images use libjpeg's
defaults (accurate IDCT, fancy chroma upsampling), stream frames the fast IDCT without fancy upsampling
(spice-gtk's MJPEG decoder). Its SIMD code decodes a 1280x720 frame about ten times faster than FFmpeg's
decoder followed by a colour conversion of our own did.

JPEG_ALPHA is a JPEG of the colour followed by an alpha-only (XXXA) LZ stream. The JPEG rows are
always top-down; the alpha rows follow the image's top_down flag, which the LZ header repeats.
"""

from __future__ import annotations

import numpy as np
import simplejpeg

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.image import DecodedImage, PixelFormat
from spiceview.codecs.jpeg.markers import jpeg_frame_size
from spiceview.codecs.lz import decode_lz_alpha_into
from spiceview.codecs.lz.header import MAX_DIMENSION, MAX_PIXELS, LzType, byte_view, parse_lz_header

__all__ = ["decode_jpeg", "decode_jpeg_alpha", "decode_jpeg_frame", "decode_jpeg_frame_into"]


def _check_size(width: int, height: int) -> None:
    if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION) or width * height > MAX_PIXELS:
        raise DecodeError(f"bad JPEG image size {width}x{height}")


def _decode_bgrx(jpeg: memoryview, width: int, height: int, fast: bool) -> np.ndarray:
    """The JPEG as (H, W, 4) B,G,R,0xFF; its own size must be the one the descriptor gives."""
    size = jpeg_frame_size(jpeg)  # before libjpeg allocates anything for a hostile size
    if size != (width, height):
        raise DecodeError(f"JPEG is {size[0]}x{size[1]}, the image {width}x{height}")
    return _libjpeg(jpeg, width, height, fast)


def _libjpeg(jpeg: memoryview, width: int, height: int, fast: bool, out: np.ndarray | None = None) -> np.ndarray:
    try:
        # Not strict: like spice-gtk's libjpeg, a recoverable error (a truncated scan, stray bytes) still gives
        # a picture; only fatal errors raise.
        pixels = simplejpeg.decode_jpeg(jpeg, "BGRX", fastdct=fast, fastupsample=fast, strict=False, buffer=out)
    except (ValueError, RuntimeError) as exc:
        raise DecodeError(f"JPEG decoding failed: {exc}") from None
    if pixels.shape != (height, width, 4):
        raise DecodeError(f"JPEG decoded to {pixels.shape[1]}x{pixels.shape[0]}")
    return pixels


def decode_jpeg(data: bytes | bytearray | memoryview, width: int, height: int) -> DecodedImage:
    """A JPEG image as XRGB32 (X = 0xFF), decoded as spice-gtk decodes images."""
    _check_size(width, height)
    pixels = _decode_bgrx(byte_view(data), width, height, fast=False)
    return DecodedImage(width, height, PixelFormat.XRGB32, pixels)


def decode_jpeg_frame(data: bytes | bytearray | memoryview, out: np.ndarray | None = None) -> np.ndarray:
    """An MJPEG stream frame as (H, W, 4) B,G,R,0xFF, decoded as spice-gtk decodes stream frames.

    `out`, a contiguous (H, W, 4) uint8 array, is written and returned when the frame has its size.
    """
    view = byte_view(data)
    width, height = jpeg_frame_size(view)  # the frame's own size: nothing to compare it with
    _check_size(width, height)
    if out is not None and out.shape != (height, width, 4):
        out = None
    return _libjpeg(view, width, height, fast=True, out=out)


def decode_jpeg_frame_into(data: bytes | bytearray | memoryview, out: np.ndarray) -> bool:
    """Decode a stream frame into `out` (contiguous (H, W, 4) uint8) if it has exactly that size; else False."""
    view = byte_view(data)
    width, height = jpeg_frame_size(view)
    if out.shape != (height, width, 4):
        return False
    _libjpeg(view, width, height, fast=True, out=out)
    return True


def decode_jpeg_alpha(
    data: bytes | bytearray | memoryview, jpeg_size: int, top_down: bool, width: int, height: int
) -> DecodedImage:
    """JPEG colour plus LZ alpha as ARGB32, both exactly as decoded (like the reference client).

    Colour is not clamped to alpha: Xspice sends JPEG_ALPHA for pictures whose alpha plane is all
    zero and that are then drawn with a plain copy, where only the colour counts.
    """
    _check_size(width, height)
    buf = byte_view(data)
    if not 0 < jpeg_size < len(buf):
        raise DecodeError(f"JPEG_ALPHA JPEG size {jpeg_size} out of range")
    alpha = buf[jpeg_size:]
    hdr = parse_lz_header(alpha)  # cheap checks before the JPEG work
    if hdr.type is not LzType.XXXA:
        raise DecodeError(f"JPEG_ALPHA alpha stream is {hdr.type.name}, not XXXA")
    if (hdr.width, hdr.height) != (width, height):
        raise DecodeError(f"JPEG_ALPHA alpha is {hdr.width}x{hdr.height}, the image {width}x{height}")
    if hdr.top_down != bool(top_down):
        raise DecodeError("JPEG_ALPHA alpha row order contradicts the image flags")
    pixels = _decode_bgrx(buf[:jpeg_size], width, height, fast=False)
    decode_lz_alpha_into(alpha, pixels)
    return DecodedImage(width, height, PixelFormat.ARGB32, pixels)
