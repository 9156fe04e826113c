"""DRAW_COMPOSITE and scaled copies through the canvas, against the real pixman the reference client uses.

The oracle (tests/canvas/pixman_oracle.py) is libpixman through ctypes; the expected pixels are built the way
spice-common's canvas builds them: pixman on the box (or on a dest-sized buffer for scaling), then the result
kept only inside the clip.
"""

from __future__ import annotations

import numpy as np
import pytest
from pixman_oracle import OraclePicture, oracle_or_skip

from spiceview.canvas.caches import PaletteCache, PixmapCache
from spiceview.canvas.canvas import Canvas
from spiceview.canvas.images import ImageResolver
from spiceview.protocol.constants import (
    BitmapFlags,
    BitmapFmt,
    ClipType,
    CompositeFlags,
    ImageType,
    Ropd,
    ScaleMode,
    SurfaceFlags,
    SurfaceFmt,
)
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t

W, H = 40, 30
BOX = (5, 4, 33, 27)
CLIPS = [(0, 0, 20, 30), (20, 10, 40, 20)]


def make_canvas(fmt: int, seed: int) -> Canvas:
    canvas = Canvas(ImageResolver(PixmapCache(), PaletteCache(), lambda sid: None))
    canvas.resolver.surface_lookup = canvas.surfaces.get
    surface = canvas.create_surface(0, W, H, fmt, SurfaceFlags.PRIMARY)
    rng = np.random.default_rng(seed)
    surface.pixels[...] = rng.integers(0, 256, surface.pixels.shape, dtype=np.uint8)
    if fmt == SurfaceFmt.FMT_32_ARGB:
        surface.pixels[..., :3] = np.minimum(surface.pixels[..., :3], surface.pixels[..., 3:])
    return canvas


def rect(b):
    return t.Rect.cls(top=b[1], left=b[0], bottom=b[3], right=b[2])


def base():
    clip = t.Clip.cls(type=ClipType.RECTS, rects=t.ClipRects.cls(rects=[rect(c) for c in CLIPS]))
    return t.DisplayBase.cls(surface_id=0, box=rect(BOX), clip=clip)


def image(pixels: np.ndarray, fmt: int, image_id: int):
    h, w = pixels.shape[:2]
    bpp = 1 if pixels.ndim == 2 else 4
    data = t.BitmapData.cls(format=fmt, flags=BitmapFlags.TOP_DOWN, x=w, y=h, stride=w * bpp, data=pixels.tobytes())
    return t.Image.cls(id=image_id, type=ImageType.BITMAP, width=w, height=h, bitmap=data)


def in_clip(x: int, y: int) -> bool:
    return any(c[0] <= x < c[2] and c[1] <= y < c[3] for c in CLIPS) and BOX[0] <= x < BOX[2] and BOX[1] <= y < BOX[3]


def expect_put(before: np.ndarray, result_box: np.ndarray) -> np.ndarray:
    want = before.copy()
    for y in range(H):
        for x in range(W):
            if in_clip(x, y):
                want[y, x] = result_box[y - BOX[1], x - BOX[0]]
    return want


@pytest.mark.parametrize("op", [0x03, 0x01, 0x0C, 0x05, 0x30, 0x2B])  # OVER, SRC, ADD, IN, MULTIPLY, CONJOINT_XOR
@pytest.mark.parametrize("dest_fmt", [SurfaceFmt.FMT_32_xRGB, SurfaceFmt.FMT_32_ARGB])
def test_draw_composite_with_mask_and_transform(op: int, dest_fmt: int) -> None:
    pixman = oracle_or_skip()
    rng = np.random.default_rng(op)
    src = rng.integers(0, 256, (17, 23, 4), dtype=np.uint8)
    src[..., :3] = np.minimum(src[..., :3], src[..., 3:])
    mask = rng.integers(0, 256, (19, 21), dtype=np.uint8)
    transform = (int(1.3 * 65536), int(0.2 * 65536), 3 << 16, (-int(0.1 * 65536)) & 0xFFFFFFFF, int(0.9 * 65536), 0)
    flags = (
        op | (4 << 8) | (1 << 14) | (3 << 11) | (2 << 16) | CompositeFlags.HAS_MASK | CompositeFlags.HAS_SRC_TRANSFORM
    )  # bilinear src, NORMAL repeat; nearest mask, PAD repeat
    comp = d.Composite.cls(
        flags=flags,
        src_bitmap=image(src, BitmapFmt.RGBA, 1),
        mask_bitmap=image(mask, BitmapFmt.BIT8_A, 2),
        src_transform=t.Transform.cls(*transform),
        src_origin=t.Point16.cls(x=2, y=-3),
        mask_origin=t.Point16.cls(x=-1, y=4),
    )
    canvas = make_canvas(dest_fmt, op)
    before = canvas.surfaces[0].pixels.copy()
    canvas.composite(base(), comp)
    fmt = "a8r8g8b8" if dest_fmt == SurfaceFmt.FMT_32_ARGB else "x8r8g8b8"
    box = before[BOX[1] : BOX[3], BOX[0] : BOX[2]].copy()
    result = pixman.composite(
        op,
        OraclePicture(src, "a8r8g8b8", transform, 4, 1),
        OraclePicture(mask, "a8", None, 3, 2),
        box,
        fmt,
        2,
        -3,
        -1,
        4,
    )
    assert np.array_equal(canvas.surfaces[0].pixels, expect_put(before, result))


def pixman_scaled(pixman, src: np.ndarray, area: tuple, box: tuple, mode: int) -> np.ndarray:  # noqa: ANN001
    """The source area scaled to the whole box by pixman itself, as the reference draws it."""
    bw, bh = box[2] - box[0], box[3] - box[1]
    fsx, fsy = ((area[2] - area[0]) * 65536) // bw, ((area[3] - area[1]) * 65536) // bh
    transform = (fsx, 0, area[0] << 16, 0, fsy, area[1] << 16)
    picture = OraclePicture(src, "x8r8g8b8", transform, 3 if mode == ScaleMode.NEAREST else 1, 0)
    return pixman.composite(0x01, picture, None, np.zeros((bh, bw, 4), np.uint8), "x8r8g8b8", 0, 0, 0, 0)


@pytest.mark.parametrize("mode", [ScaleMode.NEAREST, ScaleMode.INTERPOLATE])
def test_scaled_copy_matches_pixman(mode: int) -> None:
    pixman = oracle_or_skip()
    rng = np.random.default_rng(mode)
    src = rng.integers(0, 256, (16, 20, 4), dtype=np.uint8)
    src[..., 3] = 0xFF
    area = (3, 2, 14, 13)  # 11x11 scaled to the 28x23 box
    canvas = make_canvas(SurfaceFmt.FMT_32_xRGB, 7)
    before = canvas.surfaces[0].pixels.copy()
    canvas.copy(
        base(),
        d.Copy.cls(
            src_bitmap=image(src, BitmapFmt.BIT32, 3),
            src_area=rect(area),
            rop_descriptor=Ropd.OP_PUT,
            scale_mode=mode,
            mask=t.QMask.cls(),
        ),
    )
    scaled = pixman_scaled(pixman, src, area, BOX, mode)
    got = canvas.surfaces[0].pixels[..., :3]
    assert np.array_equal(got, expect_put(before, scaled)[..., :3])


@pytest.mark.parametrize("mode", [ScaleMode.NEAREST, ScaleMode.INTERPOLATE])
def test_a_scaled_copy_hanging_off_the_surface_computes_only_its_visible_part(mode: int) -> None:
    """The canvas scales only the window that lands on the surface; the pixels are those of the whole scaled
    destination, cut (pixman on the whole box is the reference)."""
    pixman = oracle_or_skip()
    rng = np.random.default_rng(10 + mode)
    src = rng.integers(0, 256, (16, 20, 4), dtype=np.uint8)
    src[..., 3] = 0xFF
    area = (3, 2, 14, 13)
    box = (-23, -11, 31, 45)  # 54x56, sticking out left, top and bottom of the 40x30 surface
    canvas = make_canvas(SurfaceFmt.FMT_32_xRGB, 8)
    no_clip = t.DisplayBase.cls(surface_id=0, box=rect(box), clip=t.Clip.cls(type=ClipType.NONE))
    canvas.copy(
        no_clip,
        d.Copy.cls(
            src_bitmap=image(src, BitmapFmt.BIT32, 4),
            src_area=rect(area),
            rop_descriptor=Ropd.OP_PUT,
            scale_mode=mode,
            mask=t.QMask.cls(),
        ),
    )
    scaled = pixman_scaled(pixman, src, area, box, mode)
    visible = scaled[-box[1] : -box[1] + H, -box[0] : -box[0] + 31]
    assert np.array_equal(canvas.surfaces[0].pixels[:, :31, :3], visible[..., :3])
