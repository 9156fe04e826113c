"""SPICE JPEG and JPEG_ALPHA images, decoded by FFmpeg's MJPEG decoder through PyAV.

JPEG_ALPHA is a JPEG of the colour followed by an alpha-only (XXXA) LZ stream. The JPEG rows are
always top-down; the alpha rows follow the image's top_down flag, which the LZ header repeats.
"""

from __future__ import annotations

import av
import numpy as np

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.image import DecodedImage, PixelFormat
from spiceview.codecs.jpeg._ycc import gray_to_bgrx, ycc_to_bgrx
from spiceview.codecs.jpeg.markers import jpeg_frame_size
from spiceview.codecs.lz import decode_lz_alpha_into
from spiceview.codecs.lz.header import MAX_DIMENSION, MAX_PIXELS, LzType, byte_view, parse_lz_header

__all__ = ["decode_jpeg", "decode_jpeg_alpha"]


def _check_size(width: int, height: int) -> None:
    if not (0 < width <= MAX_DIMENSION and 0 < height <= MAX_DIMENSION) or width * height > MAX_PIXELS:
        raise DecodeError(f"bad JPEG image size {width}x{height}")


def _decode_bgra(jpeg: memoryview, width: int, height: int) -> np.ndarray:
    """The JPEG as (H, W, 4) B,G,R,0xFF; its own size must be the one the descriptor gives."""
    size = jpeg_frame_size(jpeg)
    if size != (width, height):
        raise DecodeError(f"JPEG is {size[0]}x{size[1]}, the image {width}x{height}")
    try:
        # A context costs microseconds: one per image keeps threads and broken states apart.
        ctx = av.CodecContext.create("mjpeg", "r")
        ctx.thread_count = 1
        frames = ctx.decode(av.Packet(jpeg.tobytes()))
        if not frames:
            frames = ctx.decode(None)
        if not frames:
            raise DecodeError("JPEG decoder produced no picture")
        frame = frames[0]
        if (frame.width, frame.height) != (width, height):
            raise DecodeError(f"JPEG decoded to {frame.width}x{frame.height}")
        return _to_bgrx(frame, width, height)
    except DecodeError:
        raise
    except Exception as exc:  # PyAV raises FFmpegError subclasses, ValueError, ...: all mean bad data
        raise DecodeError(f"JPEG decoding failed: {exc}") from None


# Chroma subsampling (horizontal, vertical) of the planar layouts FFmpeg gives JPEGs; JPEG is
# full range whether FFmpeg says so with a "j" format or with the frame's colour range.
_SAMPLING = {"yuvj420p": (2, 2), "yuv420p": (2, 2), "yuvj422p": (2, 1), "yuv422p": (2, 1),
             "yuvj444p": (1, 1), "yuv444p": (1, 1), "yuvj440p": (1, 2), "yuv440p": (1, 2)}


def _plane(frame: av.VideoFrame, index: int) -> np.ndarray:
    plane = frame.planes[index]
    rows = np.frombuffer(plane, np.uint8, count=plane.line_size * plane.height)
    return rows.reshape(plane.height, plane.line_size)


def _to_bgrx(frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
    """Convert like libjpeg (fancy chroma upsampling, its fixed-point YCbCr) for the usual
    layouts, so pictures match the reference client; FFmpeg's converter for anything else."""
    name = frame.format.name
    pixels = np.empty((height, width, 4), np.uint8)
    if name in _SAMPLING:
        hs, vs = _SAMPLING[name]
        cw, ch = -(-width // hs), -(-height // vs)
        ycc_to_bgrx(_plane(frame, 0), _plane(frame, 1), _plane(frame, 2), cw, ch, hs, vs, pixels)
    elif name in ("gray", "gray8"):
        gray_to_bgrx(_plane(frame, 0), pixels)
    else:
        pixels[...] = frame.to_ndarray(format="bgra")
        pixels[..., 3] = 0xFF
    return pixels


def decode_jpeg(data: bytes | bytearray | memoryview, width: int, height: int) -> DecodedImage:
    """A JPEG image as XRGB32 (X = 0xFF)."""
    _check_size(width, height)
    pixels = _decode_bgra(byte_view(data), width, height)
    return DecodedImage(width, height, PixelFormat.XRGB32, pixels)


def decode_jpeg_alpha(data: bytes | bytearray | memoryview, jpeg_size: int, top_down: bool,
                      width: int, height: int) -> DecodedImage:
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
    pixels = _decode_bgra(buf[:jpeg_size], width, height)
    decode_lz_alpha_into(alpha, pixels)
    return DecodedImage(width, height, PixelFormat.ARGB32, pixels)
