"""The canvas of one display channel: its surfaces, and the one place that decides how each command is drawn.

Every draw method takes the parsed message's parts, draws into the target surface under its lock, and returns
the box it changed (or None), which the display channel forwards to whoever presents the surface.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ..codecs.image import DecodedImage, PixelFormat
from ..protocol.constants import BrushType, Ropd, ScaleMode, SurfaceFlags
from .errors import DrawError
from .geometry import Box, bounding, clip_boxes, rect_box
from .images import ImageResolver
from .rop import apply_ropd, is_plain_copy
from .scale import scale_image
from .surface import Surface

log = logging.getLogger(__name__)


def color_bytes(color: int, surface: Surface) -> np.ndarray:
    """A 32-bit brush colour as the B, G, R, X/A bytes stored in `surface`."""
    value = color if surface.has_alpha else color | 0xFF000000
    return np.frombuffer(int(value & 0xFFFFFFFF).to_bytes(4, "little"), dtype=np.uint8)


class Canvas:
    def __init__(self, resolver: ImageResolver) -> None:
        self.surfaces: dict[int, Surface] = {}
        self.resolver = resolver

    # --- surfaces -----------------------------------------------------------------------------------------

    def create_surface(self, surface_id: int, width: int, height: int, fmt: int, flags: int) -> Surface:
        surface = Surface(surface_id, width, height, fmt, primary=bool(flags & SurfaceFlags.PRIMARY))
        old = self.surfaces.get(surface_id)
        if old is not None:
            log.warning("surface %d created again; replacing it", surface_id)
        self.surfaces[surface_id] = surface
        return surface

    def destroy_surface(self, surface_id: int) -> Surface | None:
        return self.surfaces.pop(surface_id, None)

    def surface(self, surface_id: int) -> Surface:
        try:
            return self.surfaces[surface_id]
        except KeyError:
            raise DrawError(f"draw on unknown surface {surface_id}") from None

    def clear(self) -> None:
        self.surfaces.clear()

    # --- commands -----------------------------------------------------------------------------------------

    def fill(self, base: Any, fill: Any) -> tuple[Surface, Box] | None:
        surface = self.surface(base.surface_id)
        boxes = clip_boxes(rect_box(base.box), base.clip, surface.bounds)
        if not boxes:
            if fill.brush.type == BrushType.PATTERN:
                self.resolver.touch(fill.brush.pattern.pat)
            self.resolver.touch(fill.mask.bitmap)
            return None
        self._warn_mask(fill.mask, "fill")
        brush = fill.brush
        ropd = fill.rop_descriptor
        with surface.lock:
            if brush.type == BrushType.SOLID or brush.type == BrushType.NONE:
                color = color_bytes(brush.color or 0, surface)
                for x0, y0, x1, y1 in boxes:
                    apply_ropd(surface.pixels[y0:y1, x0:x1], color, ropd, Ropd.INVERS_BRUSH)
            else:
                tile = self.resolver.resolve(brush.pattern.pat)
                for box in boxes:
                    self._fill_pattern(surface, box, tile, brush.pattern.pos, ropd)
        return surface, bounding(boxes)  # type: ignore[return-value]

    def copy(self, base: Any, copy: Any) -> tuple[Surface, Box] | None:
        surface = self.surface(base.surface_id)
        dest = rect_box(base.box)
        boxes = clip_boxes(dest, base.clip, surface.bounds)
        if not boxes or copy.src_bitmap is None:
            self.resolver.touch(copy.src_bitmap)
            self.resolver.touch(copy.mask.bitmap)
            return None
        self._warn_mask(copy.mask, "copy")
        image = self.resolver.resolve(copy.src_bitmap)
        src = self._source_for(image, rect_box(copy.src_area), dest, copy.scale_mode)
        ropd = copy.rop_descriptor
        plain = is_plain_copy(ropd, Ropd.INVERS_SRC)
        with surface.lock:
            src_pixels = src.pixels if src.pixels is not surface.pixels else src.pixels.copy()
            for x0, y0, x1, y1 in boxes:
                part = src_pixels[y0 - dest[1] : y1 - dest[1], x0 - dest[0] : x1 - dest[0]]
                target = surface.pixels[y0:y1, x0:x1]
                part = _as_surface_pixels(part, src.format, surface)
                if plain:
                    target[...] = part
                else:
                    apply_ropd(target, part, ropd, Ropd.INVERS_SRC)
        return surface, bounding(boxes)  # type: ignore[return-value]

    def copy_bits(self, base: Any, src_pos: Any) -> tuple[Surface, Box] | None:
        surface = self.surface(base.surface_id)
        dest = rect_box(base.box)
        boxes = clip_boxes(dest, base.clip, surface.bounds)
        if not boxes:
            return None
        dx, dy = src_pos.x - dest[0], src_pos.y - dest[1]
        with surface.lock:
            pixels = surface.pixels
            moves = []
            # Read every source part before writing any: clip parts may overlap each other's sources.
            for x0, y0, x1, y1 in boxes:
                sx0, sy0 = max(0, x0 + dx), max(0, y0 + dy)
                sx1, sy1 = min(surface.width, x1 + dx), min(surface.height, y1 + dy)
                if sx0 >= sx1 or sy0 >= sy1:
                    continue
                moves.append((sx0 - dx, sy0 - dy, pixels[sy0:sy1, sx0:sx1].copy()))
            for x0, y0, block in moves:
                pixels[y0 : y0 + block.shape[0], x0 : x0 + block.shape[1]] = block
        return surface, bounding(boxes)  # type: ignore[return-value]

    # --- helpers ------------------------------------------------------------------------------------------

    @staticmethod
    def _source_for(image: DecodedImage, src_area: Box, dest: Box, scale_mode: int) -> DecodedImage:
        """The part of `image` that lands on `dest`, scaled to dest's size when the areas differ."""
        sx0, sy0, sx1, sy1 = src_area
        if not (0 <= sx0 < sx1 <= image.width and 0 <= sy0 < sy1 <= image.height):
            raise DrawError(f"source area {src_area} outside a {image.width}x{image.height} image")
        dw, dh = dest[2] - dest[0], dest[3] - dest[1]
        if dw <= 0 or dh <= 0:
            raise DrawError(f"empty destination {dest}")
        part = image.pixels[sy0:sy1, sx0:sx1]
        if (sx1 - sx0, sy1 - sy0) == (dw, dh):
            return DecodedImage(dw, dh, image.format, part)
        nearest = scale_mode == ScaleMode.NEAREST
        return DecodedImage(dw, dh, image.format, scale_image(part, dw, dh, nearest))

    def _fill_pattern(self, surface: Surface, box: Box, tile: DecodedImage, pos: Any, ropd: int) -> None:
        x0, y0, x1, y1 = box
        # Tile coordinates of the box's corner: the pattern's origin is at `pos` in surface space.
        ys = (np.arange(y0, y1) - pos.y) % tile.height
        xs = (np.arange(x0, x1) - pos.x) % tile.width
        block = _as_surface_pixels(tile.pixels[np.ix_(ys, xs)], tile.format, surface)
        apply_ropd(surface.pixels[y0:y1, x0:x1], block, ropd, Ropd.INVERS_BRUSH)

    @staticmethod
    def _warn_mask(mask: Any, what: str) -> None:
        if mask is not None and mask.bitmap is not None:
            log.warning("%s with a mask: masks are not drawn yet", what)


def _as_surface_pixels(pixels: np.ndarray, fmt: PixelFormat, surface: Surface) -> np.ndarray:
    """Source pixels in the target surface's layout (A8 <-> 32-bit where needed)."""
    if surface.is_alpha_only:
        return pixels[..., 3] if fmt is not PixelFormat.A8 else pixels
    if fmt is PixelFormat.A8:
        out = np.zeros(pixels.shape + (4,), dtype=np.uint8)
        out[..., 3] = pixels
        return out
    return pixels
