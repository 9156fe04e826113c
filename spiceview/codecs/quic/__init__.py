"""QUIC, SPICE's lossless photographic image codec (after SFALIC): a native-speed decoder.

decode_quic() takes the stream exactly as a SPICE image's `quic` data carries it and returns top-down
pixels. QUIC has no row-order flag: the first coded row is always the top row (the server flips
bottom-up bitmaps while encoding; the reference canvas decodes into a negative-stride surface whose
first row is its top row, so it shows the same picture).

| QUIC type           | PixelFormat | bytes per pixel                                             |
|---------------------|-------------|-------------------------------------------------------------|
| RGB32, RGB24, RGB16 | XRGB32      | B, G, R, 0xFF (X is opaque so the buffer also works as ARGB) |
| RGBA                | ARGB32      | B, G, R, A as coded (SPICE sends premultiplied pixels)      |
| GRAY                | A8          | one byte                                                    |

RGB16 components are widened from 5 to 8 bits as `v << 3 | v >> 2`, like the reference client.
Bad input of any kind raises DecodeError. read_quic_header() gives the type and size alone (the
display channel can check them against the image descriptor, as the reference canvas does).
"""

from __future__ import annotations

import numpy as np

from ..errors import DecodeError
from ..image import DecodedImage, PixelFormat
from . import _kernel  # type: ignore[attr-defined]  # compiled, no stub
from .constants import QuicImageType
from .header import QuicHeader, parse_header

# The kernel decode_quic() runs: the same code built for BMI2 and LZCNT where the CPU has them (a quarter faster).
_decoder = _kernel
if _kernel.BMI2_CPU:
    from . import _kernel_bmi2 as _decoder  # type: ignore[attr-defined,no-redef]  # compiled, no stub

__all__ = ["QuicHeader", "QuicImageType", "decode_quic", "read_quic_header"]

_KIND = {
    QuicImageType.GRAY: _kernel.KIND_GRAY,
    QuicImageType.RGB16: _kernel.KIND_RGB5,
    QuicImageType.RGB24: _kernel.KIND_RGB8,
    QuicImageType.RGB32: _kernel.KIND_RGB8,
    QuicImageType.RGBA: _kernel.KIND_RGBA,
}

_ERRORS = {
    _kernel.ERR_CODEWORD: "corrupt QUIC stream (codeword out of range)",
    _kernel.ERR_RUN: "corrupt QUIC stream (run past the end of the row)",
    _kernel.ERR_TRUNCATED: "QUIC stream ends before the image does",
}


def _byte_view(data: bytes | bytearray | memoryview) -> memoryview:
    view = memoryview(data)
    if not view.c_contiguous:
        view = memoryview(view.tobytes())
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


def read_quic_header(data: bytes | bytearray | memoryview) -> QuicHeader:
    """The image type and size of a QUIC stream, checked as decode_quic() would check them."""
    return parse_header(_byte_view(data))


def decode_quic(data: bytes | bytearray | memoryview) -> DecodedImage:
    """Decode a QUIC stream to top-down pixels; raises DecodeError on any bad input."""
    view = _byte_view(data)
    header = parse_header(view)
    width, height, kind = header.width, header.height, _KIND[header.type]
    try:
        if header.type is QuicImageType.GRAY:
            pixels = np.empty((height, width), np.uint8)
        else:
            pixels = np.empty((height, width, 4), np.uint8)
        resid = np.zeros(4 * (width + 1), np.uint8)
        scratch = np.empty(8 * width if kind == _kernel.KIND_RGB5 else 0, np.uint8)
    except MemoryError:
        raise DecodeError(f"no memory for a {width}x{height} QUIC image") from None
    err = _decoder.decode_pixels(view, kind, width, height, pixels.reshape(-1), resid, scratch)
    if err:
        raise DecodeError(_ERRORS[err])
    if header.type is QuicImageType.GRAY:
        fmt = PixelFormat.A8
    elif header.type is QuicImageType.RGBA:
        fmt = PixelFormat.ARGB32
    else:
        fmt = PixelFormat.XRGB32
    return DecodedImage(width, height, fmt, pixels)
