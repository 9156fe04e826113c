"""FILL, COPY, COPY_BITS with clips and ROP descriptors; the pixmap and palette caches (issue 2).

Expected pixels are written out independently of the canvas code (plain numpy slicing and Python bit ops).
"""

from __future__ import annotations

import numpy as np
import pytest

from spiceview.canvas.caches import PaletteCache, PixmapCache
from spiceview.canvas.canvas import Canvas
from spiceview.canvas.errors import DrawError
from spiceview.canvas.images import ImageResolver
from spiceview.codecs.errors import DecodeError
from spiceview.protocol.constants import (
    BitmapFlags,
    BitmapFmt,
    BrushType,
    ClipType,
    ImageFlags,
    ImageType,
    Ropd,
    SurfaceFlags,
    SurfaceFmt,
)
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t

W, H = 16, 12


def make_canvas() -> Canvas:
    pixmaps, palettes = PixmapCache(), PaletteCache()
    canvas = Canvas(ImageResolver(pixmaps, palettes, lambda sid: None))
    canvas.resolver.surface_lookup = canvas.surfaces.get
    canvas.create_surface(0, W, H, SurfaceFmt.FMT_32_xRGB, SurfaceFlags.PRIMARY)
    return canvas


def rect(x0: int, y0: int, x1: int, y1: int):
    return t.Rect.cls(top=y0, left=x0, bottom=y1, right=x1)


def base(box, clips=None):
    clip = t.Clip.cls(type=ClipType.NONE)
    if clips is not None:
        clip = t.Clip.cls(type=ClipType.RECTS, rects=t.ClipRects.cls(rects=[rect(*c) for c in clips]))
    return t.DisplayBase.cls(surface_id=0, box=rect(*box), clip=clip)


def solid(color: int):
    return t.Brush.cls(type=BrushType.SOLID, color=color)


def bitmap32(pixels: np.ndarray, image_id: int = 1, flags: int = 0):
    h, w = pixels.shape[:2]
    data = t.BitmapData.cls(
        format=BitmapFmt.BIT32,
        flags=BitmapFlags.TOP_DOWN,
        x=w,
        y=h,
        stride=w * 4,
        data=pixels.astype(np.uint8).tobytes(),
    )
    return t.Image.cls(id=image_id, type=ImageType.BITMAP, flags=flags, width=w, height=h, bitmap=data)


def fill(canvas: Canvas, box, color: int, rop: int = Ropd.OP_PUT, clips=None) -> None:
    canvas.fill(base(box, clips), d.Fill.cls(brush=solid(color), rop_descriptor=rop, mask=t.QMask.cls()))


def px(canvas: Canvas, x: int, y: int) -> int:
    b, g, r, _ = canvas.surfaces[0].pixels[y, x]
    return int(r) << 16 | int(g) << 8 | int(b)


def test_fill_respects_box_and_clip_rects() -> None:
    canvas = make_canvas()
    fill(canvas, (2, 2, 10, 8), 0x123456, clips=[(0, 0, 4, 4), (8, 6, 20, 20)])
    painted = {(x, y) for y in range(H) for x in range(W) if px(canvas, x, y)}
    want = {(x, y) for x in range(2, 4) for y in range(2, 4)} | {(x, y) for x in range(8, 10) for y in range(6, 8)}
    assert painted == want
    assert px(canvas, 2, 2) == 0x123456


@pytest.mark.parametrize(
    ("rop", "expect"),
    [
        (Ropd.OP_PUT, lambda b, dst: b),
        (Ropd.OP_PUT | Ropd.INVERS_BRUSH, lambda b, dst: ~b),
        (Ropd.OP_OR, lambda b, dst: b | dst),
        (Ropd.OP_AND, lambda b, dst: b & dst),
        (Ropd.OP_XOR, lambda b, dst: b ^ dst),
        (Ropd.OP_AND | Ropd.INVERS_DEST, lambda b, dst: b & ~dst),
        (Ropd.OP_OR | Ropd.INVERS_RES, lambda b, dst: ~(b | dst)),
        (Ropd.OP_XOR | Ropd.INVERS_BRUSH | Ropd.INVERS_DEST, lambda b, dst: ~b ^ ~dst),
        (Ropd.OP_BLACKNESS | Ropd.INVERS_RES, lambda b, dst: 0),
        (Ropd.OP_WHITENESS, lambda b, dst: 0xFFFFFF),
        (Ropd.OP_INVERS, lambda b, dst: ~dst),
    ],
)
def test_fill_rop_descriptors(rop: int, expect) -> None:
    canvas = make_canvas()
    fill(canvas, (0, 0, W, H), 0x0F0F33)
    fill(canvas, (0, 0, W, H), 0x3355F0, rop)
    assert px(canvas, 5, 5) == expect(0x3355F0, 0x0F0F33) & 0xFFFFFF


def test_copy_places_source_area_and_caches_it() -> None:
    canvas = make_canvas()
    src = np.arange(6 * 5 * 4, dtype=np.uint8).reshape(5, 6, 4)
    image = bitmap32(src, image_id=77, flags=ImageFlags.CACHE_ME)
    copy = d.Copy.cls(src_bitmap=image, src_area=rect(1, 1, 4, 3), rop_descriptor=Ropd.OP_PUT, mask=t.QMask.cls())
    canvas.copy(base((5, 6, 8, 8)), copy)
    got = canvas.surfaces[0].pixels[6:8, 5:8, :3]
    assert np.array_equal(got, src[1:3, 1:4, :3])
    # Drawn again from the cache by id.
    cached = t.Image.cls(id=77, type=ImageType.FROM_CACHE, width=6, height=5)
    copy2 = d.Copy.cls(src_bitmap=cached, src_area=rect(0, 0, 6, 5), rop_descriptor=Ropd.OP_PUT, mask=t.QMask.cls())
    canvas.copy(base((0, 0, 6, 5)), copy2)
    assert np.array_equal(canvas.surfaces[0].pixels[0:5, 0:6, :3], src[..., :3])
    canvas.resolver.pixmaps.remove(77)  # what INVAL_LIST does
    with pytest.raises(DecodeError, match="not in the pixmap cache"):
        canvas.copy(base((0, 0, 6, 5)), copy2)


def test_copy_with_palette_from_cache() -> None:
    canvas = make_canvas()
    palette = t.Palette.cls(unique=5, ents=[0x000000, 0xABCDEF])
    first = t.BitmapData.cls(
        format=BitmapFmt.BIT8,
        flags=BitmapFlags.TOP_DOWN | BitmapFlags.PAL_CACHE_ME,
        x=2,
        y=1,
        stride=2,
        palette=palette,
        data=bytes([1, 0]),
    )
    img = t.Image.cls(id=1, type=ImageType.BITMAP, width=2, height=1, bitmap=first)
    canvas.copy(
        base((0, 0, 2, 1)),
        d.Copy.cls(src_bitmap=img, src_area=rect(0, 0, 2, 1), mask=t.QMask.cls(), rop_descriptor=Ropd.OP_PUT),
    )
    again = t.BitmapData.cls(
        format=BitmapFmt.BIT8,
        flags=BitmapFlags.TOP_DOWN | BitmapFlags.PAL_FROM_CACHE,
        x=2,
        y=1,
        stride=2,
        palette_id=5,
        data=bytes([0, 1]),
    )
    img2 = t.Image.cls(id=2, type=ImageType.BITMAP, width=2, height=1, bitmap=again)
    canvas.copy(
        base((0, 1, 2, 2)),
        d.Copy.cls(src_bitmap=img2, src_area=rect(0, 0, 2, 1), mask=t.QMask.cls(), rop_descriptor=Ropd.OP_PUT),
    )
    assert [px(canvas, 0, 0), px(canvas, 1, 0), px(canvas, 0, 1), px(canvas, 1, 1)] == [0xABCDEF, 0, 0, 0xABCDEF]


def test_copy_bits_overlapping_and_clipped() -> None:
    canvas = make_canvas()
    pix = canvas.surfaces[0].pixels
    pix[...] = np.arange(W * H * 4, dtype=np.uint32).reshape(H, W, 4).astype(np.uint8)
    before = pix.copy()
    # Scroll a 10x6 block one pixel right and down onto itself, keeping only part of it.
    canvas.copy_bits(base((3, 3, 13, 9), clips=[(3, 3, 8, 9), (10, 3, 13, 5)]), t.Point.cls(x=2, y=2))
    want = before.copy()
    want[3:9, 3:8] = before[2:8, 2:7]
    want[3:5, 10:13] = before[2:4, 9:12]
    assert np.array_equal(pix, want)


def test_hostile_rects_and_unknown_surface() -> None:
    canvas = make_canvas()
    fill(canvas, (-100, -100, 10**6, 10**6), 0xFFFFFF)  # clipped to the surface
    assert px(canvas, W - 1, H - 1) == 0xFFFFFF
    fill(canvas, (5, 5, 2, 2), 0x0)  # negative extent: nothing drawn
    assert px(canvas, 3, 3) == 0xFFFFFF
    with pytest.raises(DrawError, match="unknown surface"):
        canvas.fill(
            t.DisplayBase.cls(surface_id=9, box=rect(0, 0, 1, 1), clip=t.Clip.cls()),
            d.Fill.cls(brush=solid(1), rop_descriptor=Ropd.OP_PUT, mask=t.QMask.cls()),
        )
    with pytest.raises(DrawError, match="absurd size"):
        canvas.create_surface(3, 1 << 20, 1 << 20, SurfaceFmt.FMT_32_xRGB, 0)
