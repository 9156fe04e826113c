"""GLZ pictures drawn from the window's own memory: X set on the way in, whatever the path (plain copy, ROP,
scaled, cache hit); the window's pixels never change."""

from __future__ import annotations

import numpy as np
import pytest
from glz_encoder import RGB32, GlzTestEncoder

from spiceview.canvas.caches import PaletteCache, PixmapCache
from spiceview.canvas.canvas import Canvas
from spiceview.canvas.images import ImageResolver
from spiceview.codecs.glz import GlzWindow
from spiceview.protocol.constants import ClipType, ImageFlags, ImageType, Ropd, ScaleMode, SurfaceFlags, SurfaceFmt
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t

W, H = 12, 10


def rect(x0: int, y0: int, x1: int, y1: int) -> object:
    return t.Rect.cls(top=y0, left=x0, bottom=y1, right=x1)


def draw(canvas: Canvas, image: object, box: tuple[int, int, int, int], src: tuple[int, int, int, int],
         rop: int = Ropd.OP_PUT) -> None:  # fmt: skip
    base = t.DisplayBase.cls(surface_id=0, box=rect(*box), clip=t.Clip.cls(type=ClipType.NONE))
    copy = d.Copy.cls(
        src_bitmap=image, src_area=rect(*src), rop_descriptor=rop, scale_mode=ScaleMode.NEAREST, mask=t.QMask.cls()
    )
    canvas.copy(base, copy)


@pytest.mark.parametrize(
    ("rop", "box"),
    [(Ropd.OP_PUT, (1, 1, 9, 7)), (Ropd.OP_XOR, (1, 1, 9, 7)), (Ropd.OP_PUT, (0, 0, 12, 10))],  # plain, ROP, scaled
)
def test_glz_picture_lands_opaque_and_the_window_stays_as_decoded(rop: int, box: tuple[int, int, int, int]) -> None:
    window = GlzWindow(1 << 20)
    canvas = Canvas(ImageResolver(PixmapCache(), PaletteCache(), lambda sid: None, window))
    canvas.create_surface(0, W, H, SurfaceFmt.FMT_32_xRGB, SurfaceFlags.PRIMARY)
    rng = np.random.default_rng(rop)
    picture = rng.integers(0, 256, (6, 8, 4), dtype=np.uint8)
    data = GlzTestEncoder().encode(picture, 0, RGB32)
    image = t.Image.cls(
        id=7, type=ImageType.GLZ_RGB, flags=ImageFlags.CACHE_ME, width=8, height=6, lz_rgb=t.BinaryData.cls(data=data)
    )
    x0, y0, x1, y1 = box
    draw(canvas, image, box, (0, 0, 8, 6), rop)
    stored = window._images[0].pixels.copy()
    assert (stored.view(np.uint8).reshape(6, 8, 4)[..., 3] != 0xFF).any(), "the window keeps X as decoded"
    pixels = canvas.surfaces[0].pixels
    assert (pixels[y0:y1, x0:x1, 3] == 0xFF).all(), "X set on every drawn pixel"
    if box == (1, 1, 9, 7) and rop == Ropd.OP_PUT:
        np.testing.assert_array_equal(pixels[1:7, 1:9, :3], picture[..., :3])
    # Drawn again from the pixmap cache: the same pixels, the window untouched.
    first = pixels.copy()
    pixels[...] = 0
    draw(canvas, t.Image.cls(id=7, type=ImageType.FROM_CACHE, flags=0, width=8, height=6), box, (0, 0, 8, 6), rop)
    pixels = canvas.surfaces[0].pixels  # a picture covering the whole surface is drawn into it when looked at
    if rop == Ropd.OP_PUT:
        np.testing.assert_array_equal(pixels, first)
    assert (pixels[y0:y1, x0:x1, 3] == 0xFF).all()
    np.testing.assert_array_equal(window._images[0].pixels, stored)
