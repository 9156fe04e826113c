"""Which codec decodes which SPICE image type: the table ImageResolver consults.

Each codec is imported with the first image of its type: their compiled kernels cost start-up time (a few ms each
to load) that a session which never sees that type should not pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..codecs.errors import DecodeError
from ..codecs.image import DecodedImage
from ..protocol.constants import ImageType, JpegAlphaFlags
from ..protocol.messages.classes import Image
from .errors import required

if TYPE_CHECKING:
    from ..codecs.glz.window import GlzWindow
    from .images import ImageResolver

# How long a GLZ image may wait for an image it refers to that another display channel is decoding.
GLZ_WAIT_SECONDS = 5.0


def _quic(image: Image, resolver: ImageResolver) -> DecodedImage:
    from ..codecs.quic import decode_quic

    return decode_quic(required(image.quic, "quic data").data)


def _lz_rgb(image: Image, resolver: ImageResolver) -> DecodedImage:
    from ..codecs.lz import decode_lz

    return decode_lz(required(image.lz_rgb, "lz_rgb data").data)


def _lz_plt(image: Image, resolver: ImageResolver) -> DecodedImage:
    from ..codecs.lz import decode_lz

    plt = required(image.lz_plt, "LZ_PLT data")
    table = resolver.palette_for(plt.flags, plt.palette, plt.palette_id)
    # The LZ decoder takes xRGB words; the resolver's table is B, G, R, X bytes: the same words.
    words = None if table is None else np.ascontiguousarray(table).view(np.uint32).reshape(-1)
    return decode_lz(plt.data, words)


def _window(resolver: ImageResolver) -> GlzWindow:
    if resolver.glz_window is None:
        raise DecodeError("GLZ image before the session announced its dictionary")
    return resolver.glz_window


def _glz(image: Image, resolver: ImageResolver) -> DecodedImage:
    from ..codecs.glz import decode_glz

    return decode_glz(required(image.lz_rgb, "lz_rgb data").data, _window(resolver), GLZ_WAIT_SECONDS)


def _zlib_glz(image: Image, resolver: ImageResolver) -> DecodedImage:
    from ..codecs.glz import decode_zlib_glz

    z = required(image.zlib_glz, "ZLIB_GLZ data")
    return decode_zlib_glz(z.data, z.glz_data_size, _window(resolver), GLZ_WAIT_SECONDS)


def _lz4(image: Image, resolver: ImageResolver) -> DecodedImage:
    from ..codecs.lz4 import decode_lz4

    return decode_lz4(required(image.lz4, "lz4 data").data, image.width, image.height)


def _jpeg(image: Image, resolver: ImageResolver) -> DecodedImage:
    from ..codecs.jpeg import decode_jpeg

    return decode_jpeg(required(image.jpeg, "jpeg data").data, image.width, image.height)


def _jpeg_alpha(image: Image, resolver: ImageResolver) -> DecodedImage:
    from ..codecs.jpeg import decode_jpeg_alpha

    ja = required(image.jpeg_alpha, "JPEG_ALPHA data")
    top_down = bool(ja.flags & JpegAlphaFlags.TOP_DOWN)
    return decode_jpeg_alpha(ja.data, ja.jpeg_size, top_down, image.width, image.height)


DECODERS = {
    ImageType.QUIC: _quic,
    ImageType.LZ_RGB: _lz_rgb,
    ImageType.LZ_PLT: _lz_plt,
    ImageType.GLZ_RGB: _glz,
    ImageType.ZLIB_GLZ_RGB: _zlib_glz,
    ImageType.LZ4: _lz4,
    ImageType.JPEG: _jpeg,
    ImageType.JPEG_ALPHA: _jpeg_alpha,
}
