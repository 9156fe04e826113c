"""The canvas of one display channel: its surfaces, and the one place that decides how each command is drawn.

Every command is drawn the way spice-common's software canvas draws it: a region (box, clip, QMask), then an
operation on the pixels of that region. Each method returns the surface and the box it changed (or None), which
the display channel forwards to whoever presents the surface.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from ..codecs.image import X_MASK, DecodedImage, PixelFormat
from ..protocol.constants import AlphaFlags, BrushType, ImageType, MaskFlags, Ropd, ScaleMode, SurfaceFlags, SurfaceFmt
from ..protocol.messages.classes import (
    AlphaBlend,
    Brush,
    Composite,
    Copy,
    DisplayBase,
    Fill,
    Image,
    MaskOnly,
    Opaque,
    Point,
    QMask,
    Rect,
    Rop3,
    Stroke,
    Text,
    Transparent,
)
from .composite_draw import picture_format
from .errors import DrawError, required
from .geometry import Box, intersect, rect_box
from .images import ImageResolver
from .pixman_math import over
from .region import Region
from .rop import apply_ropd, is_plain_copy
from .scale import scale_area
from .surface import PixelMemory, Surface
from .text import string_mask

log = logging.getLogger(__name__)

Changed = tuple[Surface, Box] | None


def color_bytes(color: int, surface: Surface) -> np.ndarray:
    """A brush colour as the B, G, R, X/A bytes stored in `surface` (16-bit colours widened like pixman)."""
    if surface.format in (SurfaceFmt.FMT_16_555, SurfaceFmt.FMT_16_565):
        g_bits = 6 if surface.format is SurfaceFmt.FMT_16_565 else 5
        b = color & 0x1F
        g = (color >> 5) & ((1 << g_bits) - 1)
        r = (color >> (5 + g_bits)) & 0x1F
        g8 = (g << 2) | (g >> 4) if g_bits == 6 else (g << 3) | (g >> 2)
        return np.array([(b << 3) | (b >> 2), g8, (r << 3) | (r >> 2), 0xFF], dtype=np.uint8)
    value = color if surface.has_alpha else color | 0xFF000000
    return np.frombuffer(int(value & 0xFFFFFFFF).to_bytes(4, "little"), dtype=np.uint8).copy()


# Surfaces whose pixels a deferred fill can write as one 32-bit value (16-bit ones are quantised after drawing).
DEFERRABLE_FORMATS = (SurfaceFmt.FMT_32_xRGB, SurfaceFmt.FMT_32_ARGB)


class Canvas:
    def __init__(self, resolver: ImageResolver, primary_memory: PixelMemory | None = None) -> None:
        self.surfaces: dict[int, Surface] = {}
        self.resolver = resolver
        self.primary_memory = primary_memory

    # --- surfaces -----------------------------------------------------------------------------------------

    def create_surface(self, surface_id: int, width: int, height: int, fmt: int, flags: int) -> Surface:
        primary = bool(flags & SurfaceFlags.PRIMARY)
        memory = self.primary_memory if primary else None
        try:
            surface = Surface(surface_id, width, height, fmt, primary, memory)
        except OSError as exc:  # no shared memory to be had: the surface works without
            log.warning("surface %d in ordinary memory: %s", surface_id, exc)
            surface = Surface(surface_id, width, height, fmt, primary)
        if surface_id in self.surfaces:
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

    # --- the region of a command --------------------------------------------------------------------------

    def _region(self, surface: Surface, base: DisplayBase, mask: QMask | None = None) -> Region:
        region = Region.of(rect_box(base.box), base.clip, surface.bounds)
        if mask is not None and mask.bitmap is not None and region.boxes:
            bits = self.resolver.resolve_mask(mask.bitmap)
            if mask.flags & MaskFlags.INVERS:
                bits = ~bits
            # Mask pixel (mx, my) lands on (box.left - pos.x + mx, box.top - pos.y + my).
            origin = (base.box.left - mask.pos.x, base.box.top - mask.pos.y)
            region.apply_mask(bits, origin)
        return region

    def _paint(self, surface: Surface, region: Region, op: Callable[[Box, np.ndarray], None]) -> Changed:
        """Run `op(box, block)` on each part of the region; masked-out pixels keep their old values."""
        if region.empty():
            return None
        with surface.lock:
            for box, sel in region.pieces():
                x0, y0, x1, y1 = box
                target = surface.pixels[y0:y1, x0:x1]
                if sel is None:
                    op(box, target)
                elif sel.any():
                    block = target.copy()
                    op(box, block)
                    target[sel] = block[sel]
                _quantize(surface, target)
        return surface, region.extent()  # type: ignore[return-value]

    # --- brushes and sources ------------------------------------------------------------------------------

    def _brush_op(
        self, surface: Surface, brush: Brush, ropd: int, src_invert: int
    ) -> Callable[[Box, np.ndarray], None]:
        if brush.type == BrushType.PATTERN:
            pattern_ = required(brush.pattern, "brush pattern")
            tile = _as_surface_pixels(self.resolver.resolve(pattern_.pat), surface)
            pos = pattern_.pos

            def pattern(box: Box, block: np.ndarray) -> None:
                apply_ropd(block, _tile_block(tile, box, pos.x, pos.y), ropd, src_invert)

            return pattern
        color = color_bytes(required(brush.color, "brush colour") if brush.type == BrushType.SOLID else 0, surface)
        if surface.is_alpha_only:
            color = color[0]  # pixman fills an 8-bit image with the value's low byte

        def solid(box: Box, block: np.ndarray) -> None:
            apply_ropd(block, color, ropd, src_invert)

        return solid

    def _touch_brush(self, brush: Brush) -> None:
        if brush.type == BrushType.PATTERN and brush.pattern is not None:
            self.resolver.touch(brush.pattern.pat)

    def _source(
        self, surface: Surface, image: Image | None, src_area: Rect, dest: Box, window: Box, scale_mode: int
    ) -> np.ndarray:
        """The source pixels that land on `window` (the drawn part of `dest`; scaled when the source area and
        `dest` differ in size), in the surface's layout."""
        return self._copy_source(surface, image, src_area, dest, window, scale_mode, raw_x=False)[0]

    def _copy_source(
        self,
        surface: Surface,
        image: Image | None,
        src_area: Rect,
        dest: Box,
        window: Box,
        scale_mode: int,
        raw_x: bool,
    ) -> tuple[np.ndarray, bool]:
        """`_source`, and whether its X bytes are still to be set: with `raw_x` (a plain copy, which sets X as
        it copies) a GLZ picture shared with the window comes unscaled as it is, without a copy."""
        decoded = self.resolver.resolve(image, raw_x=raw_x)
        sx0, sy0, sx1, sy1 = rect_box(src_area)
        if not (0 <= sx0 < sx1 <= decoded.width and 0 <= sy0 < sy1 <= decoded.height):
            raise DrawError(f"source area {(sx0, sy0, sx1, sy1)} outside a {decoded.width}x{decoded.height} image")
        dw, dh = dest[2] - dest[0], dest[3] - dest[1]
        if dw <= 0 or dh <= 0:
            raise DrawError(f"empty destination {dest}")
        # Only the window (inside the surface) is computed: the destination's size is the server's to choose.
        wx0, wy0, wx1, wy1 = window[0] - dest[0], window[1] - dest[1], window[2] - dest[0], window[3] - dest[1]
        ww, wh = wx1 - wx0, wy1 - wy0
        if (sx1 - sx0, sy1 - sy0) != (dw, dh):
            decoded = decoded.opaque()
            fmt = picture_format(decoded)
            nearest = scale_mode == ScaleMode.NEAREST
            part = scale_area(decoded.pixels, fmt, (sx0, sy0, sx1, sy1), dw, dh, nearest, (wx0, wy0, wx1, wy1))
            return _as_surface_pixels(DecodedImage(ww, wh, decoded.format, part), surface), False
        part = decoded.pixels[sy0 + wy0 : sy0 + wy1, sx0 + wx0 : sx0 + wx1]
        if decoded.x_undefined:
            return part, True
        if surface.shares_memory(part):
            part = part.copy()  # the source is this very surface: read it before writing
        return _as_surface_pixels(DecodedImage(ww, wh, decoded.format, part), surface), False

    def _unchanging(self, image: Image, src: np.ndarray) -> bool:
        """Whether `src` (the source `_copy_source` gave for `image`) will never change: an image's pixels, or a
        surface's picture not drawn into it yet (a surface's own pixels change with its next drawing)."""
        if image.type != ImageType.SURFACE:
            return True
        source = self.surfaces.get(required(image.surface, "surface reference").surface_id)
        pending = source.pending_picture() if source is not None else None
        return pending is not None and np.may_share_memory(src, pending[0])

    # --- commands -----------------------------------------------------------------------------------------

    def fill(self, base: DisplayBase, fill: Fill) -> Changed:
        surface = self.surface(base.surface_id)
        region = self._region(surface, base, fill.mask)
        if region.empty():
            self._touch_brush(fill.brush)
            return None
        brush = fill.brush
        if (
            not surface.primary
            and surface.format in DEFERRABLE_FORMATS
            and brush.type == BrushType.SOLID
            and region.mask is None
            and len(region.boxes) == 1
            and is_plain_copy(fill.rop_descriptor, Ropd.INVERS_BRUSH)
        ):
            surface.defer_fill(region.boxes[0], color_bytes(required(brush.color, "brush colour"), surface))
            return surface, region.extent()  # type: ignore[return-value]
        return self._paint(surface, region, self._brush_op(surface, brush, fill.rop_descriptor, Ropd.INVERS_BRUSH))

    def copy(self, base: DisplayBase, copy: Copy) -> Changed:
        """DRAW_COPY and DRAW_BLEND (the reference draws both the same way)."""
        surface = self.surface(base.surface_id)
        region = self._region(surface, base, copy.mask)
        if region.empty() or copy.src_bitmap is None:
            self.resolver.touch(copy.src_bitmap)
            return None
        dest = rect_box(base.box)
        ropd = copy.rop_descriptor
        plain = is_plain_copy(ropd, Ropd.INVERS_SRC)
        raw_x = plain and not surface.is_alpha_only
        window = region.extent()
        src, set_x = self._copy_source(surface, copy.src_bitmap, copy.src_area, dest, window, copy.scale_mode, raw_x)
        if plain and region.mask is None and len(region.boxes) == 1 and not surface.is_alpha_only:
            whole = region.boxes[0]
            if (
                whole == surface.bounds
                and surface.format is SurfaceFmt.FMT_32_xRGB
                and src.shape == surface.pixels_shape
                and self._unchanging(copy.src_bitmap, src)
            ):
                # Read from the image itself until something else is drawn: the primary too, whose presentation
                # then shows the picture (ui/screen_layer.py). A feh slideshow's picture goes from the cache to
                # the screen with no copy at all: the window's repaint is the only pass over it.
                surface.defer_picture(src, set_x)
                return surface, whole
            surface.overwritten(whole)  # a fill just before it is not drawn at all

        def blit(box: Box, block: np.ndarray) -> None:
            part = _sub(src, box, window)
            if set_x:
                # X set while copying: one pass over the pixels, and no X = 0xFF copy of the picture kept.
                np.bitwise_or(part.view(np.uint32), X_MASK, out=block.view(np.uint32))
            elif plain:
                block[...] = part
            else:
                apply_ropd(block, part, ropd, Ropd.INVERS_SRC)

        return self._paint(surface, region, blit)

    def opaque(self, base: DisplayBase, opaque: Opaque) -> Changed:
        """The source is put, then the brush is combined with it (the source plays the destination's part)."""
        surface = self.surface(base.surface_id)
        region = self._region(surface, base, opaque.mask)
        if region.empty() or opaque.src_bitmap is None:
            self.resolver.touch(opaque.src_bitmap)
            self._touch_brush(opaque.brush)
            return None
        dest = rect_box(base.box)
        window = region.extent()
        src = self._source(surface, opaque.src_bitmap, opaque.src_area, dest, window, opaque.scale_mode)
        # Inversion flags as ropd_descriptor_to_rop(desc, BRUSH, SRC) remaps them: brush as "src", src as "dest".
        ropd = _remap_invert(opaque.rop_descriptor, Ropd.INVERS_BRUSH, Ropd.INVERS_SRC)
        brush = self._brush_op(surface, opaque.brush, ropd, Ropd.INVERS_BRUSH)

        def put_then_brush(box: Box, block: np.ndarray) -> None:
            block[...] = _sub(src, box, window)
            brush(box, block)

        return self._paint(surface, region, put_then_brush)

    def blackness(self, base: DisplayBase, data: MaskOnly) -> Changed:
        return self._solid(base, data.mask, 0x00, lambda block: block.fill(0))

    def whiteness(self, base: DisplayBase, data: MaskOnly) -> Changed:
        return self._solid(base, data.mask, 0xFF, lambda block: block.fill(0xFF))

    def invers(self, base: DisplayBase, data: MaskOnly) -> Changed:
        return self._solid(base, data.mask, None, lambda block: np.invert(block, out=block))

    def _solid(self, base: DisplayBase, mask: QMask, _value: int | None, op: Callable[[np.ndarray], None]) -> Changed:
        surface = self.surface(base.surface_id)
        region = self._region(surface, base, mask)
        return self._paint(surface, region, lambda box, block: op(block))

    def rop3(self, base: DisplayBase, rop: Rop3) -> Changed:
        from .rop3 import rop3_pattern, rop3_solid, uses_source

        surface = self.surface(base.surface_id)
        region = self._region(surface, base, rop.mask)
        if region.empty():
            self.resolver.touch(rop.src_bitmap)
            self._touch_brush(rop.brush)
            return None
        dest, window = rect_box(base.box), region.extent()
        src = None
        if rop.src_bitmap is not None:
            src = self._source(surface, rop.src_bitmap, rop.src_area, dest, window, rop.scale_mode)
        elif uses_source(rop.rop3):
            raise DrawError(f"ROP3 {rop.rop3:#04x} needs a source image")
        if surface.is_alpha_only:
            raise DrawError("ROP3 on an alpha-only surface")
        if rop.brush.type == BrushType.PATTERN:
            pattern_ = required(rop.brush.pattern, "brush pattern")
            tile = np.ascontiguousarray(_as_surface_pixels(self.resolver.resolve(pattern_.pat), surface))
            pos = pattern_.pos

            def with_pattern(box: Box, block: np.ndarray) -> None:
                part = None if src is None else _sub(src, box, window)
                rop3_pattern(block, part, tile, box[0] - pos.x, box[1] - pos.y, rop.rop3)

            return self._paint(surface, region, with_pattern)
        color = int.from_bytes(color_bytes(rop.brush.color or 0, surface).tobytes(), "little")

        def with_color(box: Box, block: np.ndarray) -> None:
            part = None if src is None else _sub(src, box, window)
            rop3_solid(block, part, color, rop.rop3)

        return self._paint(surface, region, with_color)

    def transparent(self, base: DisplayBase, tr: Transparent) -> Changed:
        """Copy the source except where its colour is the transparent one (compared without the alpha byte)."""
        surface = self.surface(base.surface_id)
        region = self._region(surface, base)
        if region.empty() or tr.src_bitmap is None:
            self.resolver.touch(tr.src_bitmap)
            return None
        dest = rect_box(base.box)
        window = region.extent()
        src = self._source(surface, tr.src_bitmap, tr.src_area, dest, window, ScaleMode.NEAREST)
        key = color_bytes(tr.true_color, surface)[:3]

        def colorkey(box: Box, block: np.ndarray) -> None:
            part = _sub(src, box, window)
            if part.ndim == 2:
                keep = part != key[0]
            else:
                keep = np.any(part[..., :3] != key, axis=-1)
            block[keep] = part[keep]

        return self._paint(surface, region, colorkey)

    def alpha_blend(self, base: DisplayBase, ab: AlphaBlend) -> Changed:
        """OVER with an overall alpha, the source's alpha used only when it has one (or the flags say so)."""
        surface = self.surface(base.surface_id)
        region = self._region(surface, base)
        if region.empty() or ab.alpha == 0 or ab.src_bitmap is None:
            self.resolver.touch(ab.src_bitmap)
            return None
        if surface.is_alpha_only:
            raise DrawError("alpha blend onto an alpha-only surface")
        decoded = self.resolver.resolve(ab.src_bitmap)
        from_surface = ab.src_bitmap.type == ImageType.SURFACE  # its X byte is alpha only if flagged
        src_alpha = decoded.format is PixelFormat.ARGB32 or (
            from_surface and bool(ab.alpha_flags & AlphaFlags.SRC_SURFACE_HAS_ALPHA)
        )
        dest = rect_box(base.box)
        sx0, sy0, sx1, sy1 = rect_box(ab.src_area)
        if not (0 <= sx0 < sx1 <= decoded.width and 0 <= sy0 < sy1 <= decoded.height):
            raise DrawError("alpha blend source area outside its image")
        window = region.extent()
        wx0, wy0, wx1, wy1 = window[0] - dest[0], window[1] - dest[1], window[2] - dest[0], window[3] - dest[1]
        dw, dh = dest[2] - dest[0], dest[3] - dest[1]
        if (sx1 - sx0, sy1 - sy0) != (dw, dh):
            # Only the window is scaled: the destination's size is the server's to choose.
            full = decoded.pixels if decoded.format is not PixelFormat.A8 else _as_surface_pixels(decoded, surface)
            fmt = "a8r8g8b8" if src_alpha else "x8r8g8b8"
            part = scale_area(full, fmt, (sx0, sy0, sx1, sy1), dw, dh, True, (wx0, wy0, wx1, wy1))
        else:
            part = decoded.pixels[sy0 + wy0 : sy0 + wy1, sx0 + wx0 : sx0 + wx1]
            if decoded.format is PixelFormat.A8:
                full = np.zeros(part.shape + (4,), dtype=np.uint8)
                full[..., 3] = part
                part = full
        src = np.array(part, dtype=np.uint8)
        if not src_alpha:
            src[..., 3] = 0xFF
        dest_alpha = surface.has_alpha or bool(ab.alpha_flags & AlphaFlags.DEST_HAS_ALPHA)
        overall = None if ab.alpha == 0xFF else ab.alpha

        def blend(box: Box, block: np.ndarray) -> None:
            if not dest_alpha:
                block[..., 3] = 0xFF  # an xRGB destination is read as opaque
            over(block, _sub(src, box, window), overall)

        changed = self._paint(surface, region, blend)
        if changed is not None and not dest_alpha:
            _clear_dest_alpha(surface, dest)
        return changed

    def text(self, base: DisplayBase, text: Text) -> Changed:
        surface = self.surface(base.surface_id)
        region = self._region(surface, base)
        if region.empty():
            self._touch_brush(text.fore_brush)
            self._touch_brush(text.back_brush)
            return None
        changed: list[Box] = []
        back = rect_box(text.back_area)
        if back[0] < back[2] and back[1] < back[3]:
            back_region = region.intersect_box(back)
            done = self._paint(surface, back_region, self._brush_op(surface, text.back_brush, Ropd.OP_PUT, 0))
            if done is not None:
                changed.append(done[1])
        if text.str is None or not text.str.glyphs:
            return (surface, _union(changed)) if changed else None
        mask, left, top = string_mask(text.str)
        glyph_box = (left, top, left + mask.shape[1], top + mask.shape[0])
        fore = self._brush_pixels(surface, text.fore_brush)
        if fore is None or surface.is_alpha_only:
            return (surface, _union(changed)) if changed else None
        text_region = region.intersect_box(glyph_box)

        def draw_glyphs(box: Box, block: np.ndarray) -> None:
            x0, y0, x1, y1 = box
            m = mask[y0 - top : y1 - top, x0 - left : x1 - left]
            if not surface.has_alpha:
                block[..., 3] = 0xFF
            over(block, fore(box), m)

        done = self._paint(surface, text_region, draw_glyphs)
        if done is not None:
            changed.append(done[1])
            if not surface.has_alpha:
                _clear_dest_alpha(surface, glyph_box)
        return (surface, _union(changed)) if changed else None

    def _brush_pixels(self, surface: Surface, brush: Brush) -> Callable[[Box], np.ndarray] | None:
        """The brush as opaque source pixels over a box (for OVER with a glyph mask)."""
        if brush.type == BrushType.SOLID:
            color = color_bytes(required(brush.color, "brush colour"), surface)
            color[3] = 0xFF
            return lambda box: np.broadcast_to(color, (box[3] - box[1], box[2] - box[0], 4))
        if brush.type == BrushType.PATTERN:
            pattern_ = required(brush.pattern, "brush pattern")
            decoded = self.resolver.resolve(pattern_.pat)
            tile = _as_surface_pixels(decoded, surface)
            if decoded.format is not PixelFormat.ARGB32:
                tile = tile.copy()
                tile[..., 3] = 0xFF
            pos = pattern_.pos
            return lambda box: _tile_block(tile, box, pos.x, pos.y)
        return None

    def stroke(self, base: DisplayBase, stroke: Stroke) -> Changed:
        from .stroke import stroke_rop, stroke_spans

        surface = self.surface(base.surface_id)
        region = self._region(surface, base)
        if region.empty():
            self._touch_brush(stroke.brush)
            return None
        try:
            spans = stroke_spans(
                stroke.path, stroke.attr, surface.width, surface.height, alu=stroke_rop(stroke.fore_mode)
            )
        except ValueError as exc:
            raise DrawError(f"stroke refused: {exc}") from None
        if len(spans) == 0:
            return None
        # Only pixels on the lines are drawn, span by span, in the reference's order (a pixel drawn twice with
        # XOR must come out as it does there). `allowed` is the region over the spans' bounding box.
        ax0, ay0 = int(spans[:, 1].min()), int(spans[:, 0].min())
        ax1, ay1 = int(spans[:, 2].max()), int(spans[:, 0].max()) + 1
        allowed = np.zeros((ay1 - ay0, ax1 - ax0), dtype=bool)
        for box, sel in region.intersect_box((ax0, ay0, ax1, ay1)).pieces():
            x0, y0, x1, y1 = box
            allowed[y0 - ay0 : y1 - ay0, x0 - ax0 : x1 - ax0] = True if sel is None else sel
        paint = self._brush_op(surface, stroke.brush, stroke.fore_mode, Ropd.INVERS_BRUSH)
        touched: list[Box] = []
        with surface.lock:
            for y, x0, x1 in spans.tolist():
                sel = allowed[y - ay0, x0 - ax0 : x1 - ax0]
                if not sel.any():
                    continue
                target = surface.pixels[y : y + 1, x0:x1]
                block = target.copy()
                paint((x0, y, x1, y + 1), block)
                target[0, sel] = block[0, sel]
                _quantize(surface, target)
                touched.append((x0, y, x1, y + 1))
        return (surface, _union(touched)) if touched else None

    def composite(self, base: DisplayBase, comp: Composite) -> Changed:
        from .composite_draw import draw_composite

        surface = self.surface(base.surface_id)
        region = self._region(surface, base)
        return draw_composite(self, surface, region, base, comp)

    def copy_bits(self, base: DisplayBase, src_pos: Point) -> Changed:
        surface = self.surface(base.surface_id)
        region = Region.of(rect_box(base.box), base.clip, surface.bounds)
        if region.empty():
            return None
        dest = rect_box(base.box)
        dx, dy = src_pos.x - dest[0], src_pos.y - dest[1]
        with surface.lock:
            pixels = surface.pixels
            moves = []
            # Read every source part before writing any: clip parts may overlap each other's sources.
            for x0, y0, x1, y1 in region.boxes:
                sx0, sy0 = max(0, x0 + dx), max(0, y0 + dy)
                sx1, sy1 = min(surface.width, x1 + dx), min(surface.height, y1 + dy)
                if sx0 >= sx1 or sy0 >= sy1:
                    continue
                moves.append((sx0 - dx, sy0 - dy, pixels[sy0:sy1, sx0:sx1].copy()))
            for x0, y0, block in moves:
                pixels[y0 : y0 + block.shape[0], x0 : x0 + block.shape[1]] = block
        return surface, region.extent()  # type: ignore[return-value]


# --- helpers ------------------------------------------------------------------------------------------------


def _sub(src: np.ndarray, box: Box, window: Box) -> np.ndarray:
    """The part of a window-sized source array that lands on `box` (a box inside the window)."""
    x0, y0, x1, y1 = box
    return src[y0 - window[1] : y1 - window[1], x0 - window[0] : x1 - window[0]]


def _tile_block(tile: np.ndarray, box: Box, origin_x: int, origin_y: int) -> np.ndarray:
    """A pattern tiled over `box`, its [0, 0] at (origin_x, origin_y) in surface space."""
    x0, y0, x1, y1 = box
    th, tw = tile.shape[:2]
    ys = (np.arange(y0, y1) - origin_y) % th
    xs = (np.arange(x0, x1) - origin_x) % tw
    return tile[np.ix_(ys, xs)]


def _as_surface_pixels(image: DecodedImage, surface: Surface) -> np.ndarray:
    """Source pixels in the target surface's layout (A8 <-> 32-bit where needed), as pixman converts them."""
    pixels, fmt = image.pixels, image.format
    if surface.is_alpha_only:
        if fmt is PixelFormat.A8:
            return pixels
        if fmt is PixelFormat.XRGB32:
            return np.full(pixels.shape[:2], 0xFF, dtype=np.uint8)
        return pixels[..., 3]
    if fmt is PixelFormat.A8:
        out = np.zeros(pixels.shape + (4,), dtype=np.uint8)
        out[..., 3] = pixels
        return out
    return pixels


def _remap_invert(ropd: int, as_src: int, as_dest: int) -> int:
    """Move inversion flags the way ropd_descriptor_to_rop does for a (src input, dest input) pair."""
    out = ropd & ~(Ropd.INVERS_SRC | Ropd.INVERS_BRUSH | Ropd.INVERS_DEST)
    if ropd & as_src:
        out |= Ropd.INVERS_BRUSH
    if ropd & as_dest:
        out |= Ropd.INVERS_DEST
    return out


def _quantize(surface: Surface, block: np.ndarray) -> None:
    """Keep a 16-bit or 1-bit surface's pixels to what its format can hold (pixman truncates, then widens)."""
    fmt = surface.format
    if fmt is SurfaceFmt.FMT_16_555 or fmt is SurfaceFmt.FMT_16_565:
        for channel in (0, 1, 2):
            bits = 6 if channel == 1 and fmt is SurfaceFmt.FMT_16_565 else 5
            c = block[..., channel]
            c &= (0xFF << (8 - bits)) & 0xFF
            c |= c >> bits
        block[..., 3] = 0xFF
    elif fmt is SurfaceFmt.FMT_1_A:
        np.copyto(block, np.where(block & 0x80, 0xFF, 0).astype(np.uint8))


def _clear_dest_alpha(surface: Surface, area: Box) -> None:
    """After OVER onto xRGB the reference clears the alpha bytes of the area if its first pixel's is 0xff."""
    box = intersect(area, surface.bounds)
    if box is None or surface.is_alpha_only:
        return
    x0, y0, x1, y1 = box
    with surface.lock:
        block = surface.pixels[y0:y1, x0:x1]
        if block[0, 0, 3] == 0xFF:
            block[..., 3] = 0


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
