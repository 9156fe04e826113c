"""Turning a SPICE Image (any type) into pixels: decoding, the pixmap and palette caches, surface sources."""

from __future__ import annotations

import collections
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..codecs.errors import DecodeError
from ..codecs.image import DecodedImage, PixelFormat
from ..protocol.constants import BitmapFlags, BitmapFmt, ImageFlags, ImageType
from ..protocol.messages.classes import BitmapData, Image, Palette
from .bitmap import decode_bitmap, palette_to_bgrx
from .caches import PaletteCache, PixmapCache
from .decoders import DECODERS
from .errors import required
from .surface import Surface

if TYPE_CHECKING:
    from ..codecs.glz.window import GlzWindow

log = logging.getLogger(__name__)

# Image types whose decoded pixels are not exactly what the guest drew.
LOSSY_TYPES = {ImageType.JPEG, ImageType.JPEG_ALPHA}
DECODE_TIMES_KEPT = 256

# Types that must be decoded even when a command draws nothing: GLZ images feed the shared window.
ALWAYS_DECODE = {ImageType.GLZ_RGB, ImageType.ZLIB_GLZ_RGB}


class ImageResolver:
    """Resolves images for one display channel against the session-wide caches."""

    def __init__(
        self,
        pixmaps: PixmapCache,
        palettes: PaletteCache,
        surface_lookup: Callable[[int], Surface | None],
        glz_window: GlzWindow | None = None,
    ) -> None:
        self.pixmaps = pixmaps
        self.palettes = palettes
        self.surface_lookup = surface_lookup
        self.glz_window = glz_window
        self.seen_types: Counter[str] = Counter()
        # The last decode times (ms) by image type, for the statistics' median and 95th percentile.
        self.decode_ms: dict[int, collections.deque[float]] = {}
        self.recorder: Callable[[Image, DecodedImage], None] | None = None

    def resolve(self, image: Image | None, raw_x: bool = False) -> DecodedImage:
        """Pixels of `image`; DecodeError when it cannot be decoded or refers to nothing.

        `raw_x`: the caller sets X itself while copying, so an image shared with the GLZ window comes as it is
        (`x_undefined`); everyone else gets X = 0xFF (a copy made for this draw only).
        """
        if image is None:
            raise DecodeError("no image where the command needs one (a null pointer)")
        decoded = self._resolve(image)
        return decoded if raw_x else decoded.opaque()

    def _resolve(self, image: Image) -> DecodedImage:
        kind = image.type
        self.seen_types[_type_name(kind)] += 1
        if kind == ImageType.FROM_CACHE or kind == ImageType.FROM_CACHE_LOSSLESS:
            # Another display channel may still be decoding it (or replacing a lossy copy): wait a little.
            cached = self.pixmaps.get(image.id, lossless=kind == ImageType.FROM_CACHE_LOSSLESS)
            if cached is None:
                raise DecodeError(f"image {image.id:#x} is not in the pixmap cache")
            return cached.image
        if kind == ImageType.SURFACE:
            return self._surface_image(required(image.surface, "surface reference").surface_id)
        if kind == ImageType.BITMAP:
            decoded = self._bitmap(required(image.bitmap, "bitmap"))
        else:
            decoder = DECODERS.get(kind)  # type: ignore[call-overload]
            if decoder is None:
                raise DecodeError(f"image type {_type_name(kind)} is not supported")
            started = time.perf_counter()
            decoded = decoder(image, self)
            times = self.decode_ms.get(kind)
            if times is None:
                times = self.decode_ms[kind] = collections.deque(maxlen=DECODE_TIMES_KEPT)
            times.append((time.perf_counter() - started) * 1000.0)
        if decoded.width != image.width or decoded.height != image.height:
            raise DecodeError(
                f"image {image.id:#x}: decoded {decoded.width}x{decoded.height}, expected {image.width}x{image.height}"
            )
        if self.recorder is not None:
            self.recorder(image, decoded)
        lossy = kind in LOSSY_TYPES
        if image.flags & ImageFlags.CACHE_ME:
            self.pixmaps.put(image.id, decoded, lossy=lossy)
        elif image.flags & ImageFlags.CACHE_REPLACE_ME:
            # The server replaces a lossy cached image with its lossless version; a lossy replacement is bogus.
            if lossy:
                raise DecodeError(f"image {image.id:#x}: lossy image sent to replace a lossy cache entry")
            self.pixmaps.put(image.id, decoded, lossy=False)
        return decoded

    def resolve_mask(self, image: Image) -> np.ndarray:
        """A QMask's bitmap as booleans (True = drawn), before any inversion; 1-bit bitmaps, caches or surfaces."""
        kind = image.type
        if kind == ImageType.BITMAP:
            bitmap = required(image.bitmap, "mask bitmap")
            if bitmap.format not in (BitmapFmt.BIT1_LE, BitmapFmt.BIT1_BE):
                raise DecodeError(f"mask bitmap in format {bitmap.format}, not 1-bit")
            two = palette_to_bgrx([0, 0xFFFFFF])
            top_down = bool(bitmap.flags & BitmapFlags.TOP_DOWN)
            decoded = decode_bitmap(bitmap.format, bitmap.x, bitmap.y, bitmap.stride, bitmap.data, top_down, two)
            bits = decoded.pixels[..., 0] != 0
            if image.flags & ImageFlags.CACHE_ME:
                alpha = bits.astype(np.uint8) * np.uint8(255)
                self.pixmaps.put(image.id, DecodedImage(bitmap.x, bitmap.y, PixelFormat.A8, alpha))
            return bits
        decoded = self.resolve(image)
        if decoded.format is PixelFormat.A8:
            return decoded.pixels != 0
        return decoded.pixels[..., 3] != 0

    def touch(self, image: Image | None) -> None:
        """Decode an image that will not be drawn only if skipping it would lose state (caches, GLZ window)."""
        if image is None:
            return
        needed = image.flags & (ImageFlags.CACHE_ME | ImageFlags.CACHE_REPLACE_ME) or image.type in ALWAYS_DECODE
        if not needed and image.type == ImageType.BITMAP and image.bitmap is not None:
            needed = bool(image.bitmap.flags & BitmapFlags.PAL_CACHE_ME)
        if not needed and image.type == ImageType.LZ_PLT and image.lz_plt is not None:
            needed = bool(image.lz_plt.flags & BitmapFlags.PAL_CACHE_ME)
        if needed:
            self.resolve(image)

    def palette_for(self, flags: int, palette: Palette | None, palette_id: int | None) -> np.ndarray | None:
        """The palette of a bitmap or LZ_PLT image, from the message or from the palette cache."""
        if flags & BitmapFlags.PAL_FROM_CACHE:
            table = self.palettes.get(palette_id or 0)
            if table is None:
                raise DecodeError(f"palette {palette_id:#x} is not in the palette cache")
            return table
        if palette is None:
            return None
        table = palette_to_bgrx(palette.ents)
        if flags & BitmapFlags.PAL_CACHE_ME:
            self.palettes.put(palette.unique, table)
        return table

    def _bitmap(self, bitmap: BitmapData) -> DecodedImage:
        table = self.palette_for(bitmap.flags, bitmap.palette, bitmap.palette_id)
        top_down = bool(bitmap.flags & BitmapFlags.TOP_DOWN)
        return decode_bitmap(bitmap.format, bitmap.x, bitmap.y, bitmap.stride, bitmap.data, top_down, table)

    def _surface_image(self, surface_id: int) -> DecodedImage:
        surface = self.surface_lookup(surface_id)
        if surface is None:
            raise DecodeError(f"image refers to unknown surface {surface_id}")
        if surface.is_alpha_only:
            fmt = PixelFormat.A8
        else:
            fmt = PixelFormat.ARGB32 if surface.has_alpha else PixelFormat.XRGB32
        pending = surface.pending_picture()
        if pending is not None:  # the surface is a picture not drawn into it yet: read the picture
            picture, set_x = pending
            return DecodedImage(surface.width, surface.height, fmt, picture, x_undefined=set_x)
        return DecodedImage(surface.width, surface.height, fmt, surface.pixels)


_TYPE_NAMES = {int(kind): kind.name for kind in ImageType}  # looked up per image: enum calls cost microseconds


def _type_name(kind: int) -> str:
    name = _TYPE_NAMES.get(kind)
    return name if name is not None else f"type-{kind}"
