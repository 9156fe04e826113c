"""SPICE GLZ images (GLZ_RGB, ZLIB_GLZ_RGB): LZ with matches into a window of earlier images."""

from __future__ import annotations

import time
import zlib

import numpy as np

from spiceview.codecs.errors import DecodeError
from spiceview.codecs.glz._core import GlzDecoder
from spiceview.codecs.glz.header import GLZ_HEADER_SIZE, GlzHeader, max_glz_size, parse_glz_header
from spiceview.codecs.glz.window import GlzWindow
from spiceview.codecs.image import DecodedImage, PixelFormat
from spiceview.codecs.lz._rows import copy_pixels_out
from spiceview.codecs.lz.header import MAX_PIXELS, LzType, byte_view

__all__ = ["GlzWindow", "decode_glz", "decode_zlib_glz", "parse_glz_header"]

# Largest GLZ payload a ZLIB_GLZ image may claim: header plus two passes of literals.
_MAX_GLZ_DATA = GLZ_HEADER_SIZE + MAX_PIXELS * 5


def _decode_pixels(buf: memoryview, hdr: GlzHeader, window: GlzWindow, timeout: float, epoch: int) -> np.ndarray:
    stored = np.empty(hdr.pixels, np.uint32)
    decoder = GlzDecoder(buf, GLZ_HEADER_SIZE, stored, hdr.image_id, hdr.type is LzType.RGB16, hdr.type is LzType.RGBA)
    deadline = time.monotonic() + timeout
    while not decoder.run():
        # The lock is only held inside window.get; the pixels are decoded without it.
        decoder.add_image(decoder.missing, window.get(decoder.missing, deadline, epoch))
    return stored


def decode_glz(data: bytes | bytearray | memoryview, window: GlzWindow, timeout: float = 5.0) -> DecodedImage:
    """Decode a GLZ_RGB image and add it to `window`.

    References to images not yet in the window wait up to `timeout` seconds (in all) for another
    display channel to decode them. RGB16/24/32 give XRGB32, RGBA gives ARGB32; top-down images share the
    window's memory (read-only; an RGB one with `x_undefined`).
    """
    buf = byte_view(data)
    hdr = parse_glz_header(buf)
    epoch = window.epoch
    try:
        stored = _decode_pixels(buf, hdr, window, timeout, epoch)
    except BaseException:
        window.fail(hdr.image_id, epoch)  # it will never arrive: its waiters should not wait
        raise
    stored.setflags(write=False)  # from now on the window's, and maybe the canvas' and the cache's too
    window.add(hdr.image_id, hdr.release_floor, stored, epoch)
    rgba = hdr.type is LzType.RGBA
    fmt = PixelFormat.ARGB32 if rgba else PixelFormat.XRGB32
    if hdr.top_down:
        # The image shares the window's memory, as spice-gtk's does: a cached GLZ picture is held once, not
        # twice. The window keeps X bytes as decoded (an RGBA image may take its alpha from them), so an
        # RGB image says its X is undefined and readers set it.
        pixels = stored.view(np.uint8).reshape(hdr.height, hdr.width, 4)
        return DecodedImage(hdr.width, hdr.height, fmt, pixels, x_undefined=not rgba)
    pixels = np.empty((hdr.height, hdr.width, 4), np.uint8)
    copy_pixels_out(stored, pixels.view(np.uint32).reshape(hdr.height, hdr.width), not hdr.top_down, not rgba)
    return DecodedImage(hdr.width, hdr.height, fmt, pixels)


def decode_zlib_glz(
    data: bytes | bytearray | memoryview, glz_data_size: int, window: GlzWindow, timeout: float = 5.0
) -> DecodedImage:
    """Inflate a ZLIB_GLZ_RGB payload to its `glz_data_size` bytes of GLZ, then decode that.

    The GLZ header is inflated first, so a size no image of that header could need is refused
    before inflating the rest (a small payload must not balloon into a huge buffer).
    """
    if not GLZ_HEADER_SIZE <= glz_data_size <= _MAX_GLZ_DATA:
        raise DecodeError(f"implausible ZLIB_GLZ size {glz_data_size}")
    inflater = zlib.decompressobj()
    try:
        head = inflater.decompress(byte_view(data), GLZ_HEADER_SIZE)
        hdr = parse_glz_header(head, glz_data_size)
        if glz_data_size > max_glz_size(hdr):
            raise DecodeError(f"ZLIB_GLZ size {glz_data_size} too large for a {hdr.width}x{hdr.height} image")
        rest = inflater.decompress(inflater.unconsumed_tail, glz_data_size - len(head))
        if not inflater.eof and inflater.unconsumed_tail and inflater.decompress(inflater.unconsumed_tail, 1):
            raise DecodeError(f"ZLIB_GLZ data inflates to more than {glz_data_size} bytes")
    except zlib.error as exc:
        raise DecodeError(f"ZLIB_GLZ inflate failed: {exc}") from None
    if not inflater.eof or inflater.unconsumed_tail:
        raise DecodeError("ZLIB_GLZ data does not inflate to a complete stream of its stated size")
    glz = head + rest
    if len(glz) != glz_data_size:
        raise DecodeError(f"ZLIB_GLZ inflated to {len(glz)} bytes, not {glz_data_size}")
    return decode_glz(glz, window, timeout)
