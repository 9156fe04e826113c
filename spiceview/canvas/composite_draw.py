"""DRAW_COMPOSITE as the reference draws it: pixman on a copy of the box, copied back through the clip."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..codecs.image import DecodedImage, PixelFormat
from ..protocol.constants import (
    COMPOSITE_MASK_FILTER_SHIFT,
    COMPOSITE_MASK_REPEAT_SHIFT,
    COMPOSITE_OP_MASK,
    COMPOSITE_SRC_FILTER_SHIFT,
    COMPOSITE_SRC_REPEAT_SHIFT,
    CompositeFlags,
    ImageType,
    SurfaceFmt,
)
from ..protocol.messages.classes import Composite, DisplayBase, Image, Transform
from .errors import DrawError, required
from .geometry import rect_box

if TYPE_CHECKING:
    from .canvas import Canvas, Changed
    from .composite import Picture  # the kernels load with the first composite (canvas imports picture_format)
    from .region import Region
    from .surface import Surface


def picture_format(image: DecodedImage, force_opaque: bool = False) -> str:
    if image.format is PixelFormat.A8:
        return "a8"
    if image.format is PixelFormat.XRGB32 or force_opaque:
        return "x8r8g8b8"
    return "a8r8g8b8"


def surface_format(surface: Surface, force_opaque: bool = False) -> str:
    if surface.format is SurfaceFmt.FMT_1_A:
        return "a1"
    if surface.format is SurfaceFmt.FMT_8_A:
        return "a8"
    return "a8r8g8b8" if surface.has_alpha and not force_opaque else "x8r8g8b8"


def _transform(t: Transform) -> tuple[int, ...]:
    return (t.t00, t.t01, t.t02, t.t10, t.t11, t.t12)


def _picture(
    canvas: Canvas,
    image: Image | None,
    opaque: bool,
    filt: int,
    repeat: int,
    transform: Transform | None,
    component_alpha: bool = False,
) -> Picture:
    from .composite import Picture

    decoded = canvas.resolver.resolve(image)
    if image is not None and image.type == ImageType.SURFACE:
        # A surface keeps its own format; SOURCE_OPAQUE makes an ARGB surface read as xRGB.
        fmt = surface_format(canvas.surface(required(image.surface, "surface reference").surface_id), opaque)
    else:
        fmt = picture_format(decoded)
    return Picture(
        decoded.pixels, fmt, None if transform is None else _transform(transform), filt, repeat, component_alpha
    )


def draw_composite(canvas: Canvas, surface: Surface, region: Region, base: DisplayBase, comp: Composite) -> Changed:
    from .composite import composite

    flags = comp.flags
    if region.empty() or comp.src_bitmap is None:
        canvas.resolver.touch(comp.src_bitmap)
        canvas.resolver.touch(comp.mask_bitmap)
        return None
    if surface.is_alpha_only:
        raise DrawError("composite onto an alpha-only surface is not supported")
    op = flags & COMPOSITE_OP_MASK
    src = _picture(
        canvas,
        comp.src_bitmap,
        bool(flags & CompositeFlags.SOURCE_OPAQUE),
        (flags >> COMPOSITE_SRC_FILTER_SHIFT) & 7,
        (flags >> COMPOSITE_SRC_REPEAT_SHIFT) & 3,
        comp.src_transform if flags & CompositeFlags.HAS_SRC_TRANSFORM else None,
    )
    mask = None
    if flags & CompositeFlags.HAS_MASK and comp.mask_bitmap is not None:
        mask = _picture(
            canvas,
            comp.mask_bitmap,
            False,
            (flags >> COMPOSITE_MASK_FILTER_SHIFT) & 7,
            (flags >> COMPOSITE_MASK_REPEAT_SHIFT) & 3,
            comp.mask_transform if flags & CompositeFlags.HAS_MASK_TRANSFORM else None,
            bool(flags & CompositeFlags.COMPONENT_ALPHA),
        )
    box = rect_box(base.box)
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        return None
    # The destination: the box's pixels (outside the surface: zero), composited at (0, 0), then put back.
    dest = np.zeros((y1 - y0, x1 - x0, 4), dtype=np.uint8)
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, surface.width), min(y1, surface.height)
    with surface.lock:
        dest[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0] = surface.pixels[cy0:cy1, cx0:cx1]
    dest_format = surface_format(surface, bool(flags & CompositeFlags.DEST_OPAQUE))
    try:
        composite(
            op,
            src,
            mask,
            dest,
            dest_format,
            comp.src_origin.x,
            comp.src_origin.y,
            comp.mask_origin.x,
            comp.mask_origin.y,
        )
    except ValueError as exc:
        raise DrawError(f"composite: {exc}") from None

    def put(part_box: tuple[int, int, int, int], block: np.ndarray) -> None:
        px0, py0, px1, py1 = part_box
        block[...] = dest[py0 - y0 : py1 - y0, px0 - x0 : px1 - x0]

    return canvas._paint(surface, region, put)
