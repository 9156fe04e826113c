"""Hand-built draw commands a Linux server never sends, against an independent pixel model (issue 4).

Every ROP descriptor (8 operations x 16 inversion combinations) for FILL, COPY/BLEND and OPAQUE, all 256
ternary ROP3 codes with solid and pattern brushes, masks (with INVERS), clip rects, pattern origins,
BLACKNESS/WHITENESS/INVERS, TRANSPARENT colour keys, ALPHA_BLEND and TEXT (A1 and A4 glyphs), 16-bit surfaces.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import reference_model as ref

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
    ImageType,
    MaskFlags,
    StringFlags,
    SurfaceFlags,
    SurfaceFmt,
)
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t

W, H = 13, 9
BOX = (2, 1, 11, 8)
CLIPS = [(0, 0, 6, 5), (6, 3, 13, 9)]
OPS = [0, ref.PUT, ref.OR, ref.AND, ref.XOR, ref.BLACK, ref.WHITE, ref.INV]
DESCRIPTORS = [op | inv for op in OPS for inv in range(16) if not inv & 8] + [
    op | ref.RES | inv for op in OPS for inv in range(8)
]


def make_canvas(fmt: int = SurfaceFmt.FMT_32_ARGB, seed: int = 0) -> Canvas:
    canvas = Canvas(ImageResolver(PixmapCache(), PaletteCache(), lambda sid: None))
    canvas.resolver.surface_lookup = canvas.surfaces.get
    surface = canvas.create_surface(0, W, H, fmt, SurfaceFlags.PRIMARY)
    rng = np.random.default_rng(seed)
    surface.pixels[...] = rng.integers(0, 256, surface.pixels.shape, dtype=np.uint8)
    return canvas


def words(canvas: Canvas) -> np.ndarray:
    return canvas.surfaces[0].pixels.view("<u4")[..., 0].astype(np.int64)


def rect(box):
    x0, y0, x1, y1 = box
    return t.Rect.cls(top=y0, left=x0, bottom=y1, right=x1)


def base(box=BOX, clips=CLIPS):
    clip = t.Clip.cls(type=ClipType.RECTS, rects=t.ClipRects.cls(rects=[rect(c) for c in clips]))
    return t.DisplayBase.cls(surface_id=0, box=rect(box), clip=clip)


def bitmap_image(pixels: np.ndarray, fmt: int = BitmapFmt.RGBA, image_id: int = 7):
    h, w = pixels.shape[:2]
    data = t.BitmapData.cls(format=fmt, flags=BitmapFlags.TOP_DOWN, x=w, y=h, stride=w * 4, data=pixels.tobytes())
    return t.Image.cls(id=image_id, type=ImageType.BITMAP, width=w, height=h, bitmap=data)


def mask_image(bits: list[list[bool]]):
    h, w = len(bits), len(bits[0])
    stride = (w + 7) // 8
    rows = np.packbits(np.array(bits, dtype=np.uint8), axis=1, bitorder="big")
    data = t.BitmapData.cls(
        format=BitmapFmt.BIT1_BE, flags=BitmapFlags.TOP_DOWN, x=w, y=h, stride=stride, data=rows.tobytes()
    )
    return t.Image.cls(id=99, type=ImageType.BITMAP, width=w, height=h, bitmap=data)


def random_mask(rng: random.Random, w: int = 8, h: int = 6) -> list[list[bool]]:
    return [[rng.random() < 0.6 for _ in range(w)] for _ in range(h)]


def qmask(bits, pos=(1, 0), invert=False):
    if bits is None:
        return t.QMask.cls()
    return t.QMask.cls(
        flags=MaskFlags.INVERS if invert else 0, pos=t.Point.cls(x=pos[0], y=pos[1]), bitmap=mask_image(bits)
    )


def check(canvas: Canvas, before: np.ndarray, expect) -> None:
    """expect(x, y, old) -> new word or None (unchanged)."""
    after = words(canvas)
    for y in range(H):
        for x in range(W):
            want = expect(x, y, int(before[y, x]))
            want = int(before[y, x]) if want is None else want
            assert int(after[y, x]) == want, f"pixel ({x},{y}): {int(after[y, x]):#010x} != {want:#010x}"


@pytest.mark.parametrize("desc", DESCRIPTORS)
def test_fill_every_descriptor_solid_with_mask(desc: int) -> None:
    rng = random.Random(desc)
    canvas, bits, invert = make_canvas(seed=desc), random_mask(rng), bool(desc & 1)
    color = rng.getrandbits(32)
    before = words(canvas)
    canvas.fill(
        base(),
        d.Fill.cls(
            brush=t.Brush.cls(type=BrushType.SOLID, color=color), rop_descriptor=desc, mask=qmask(bits, invert=invert)
        ),
    )
    op = ref.ROPS[ref.rop_for(desc, ref.BRUSH, ref.DEST)]
    check(
        canvas,
        before,
        lambda x, y, old: op(color, old) if ref.in_region(x, y, BOX, CLIPS, bits, (1, 0), invert) else None,
    )


@pytest.mark.parametrize("desc", DESCRIPTORS[::5])
def test_fill_pattern_brush_origin(desc: int) -> None:
    rng = np.random.default_rng(desc)
    tile = rng.integers(0, 256, (3, 5, 4), dtype=np.uint8)
    canvas = make_canvas(seed=desc + 1)
    before = words(canvas)
    brush = t.Brush.cls(
        type=BrushType.PATTERN, pattern=t.Pattern.cls(pat=bitmap_image(tile), pos=t.Point.cls(x=4, y=-2))
    )
    canvas.fill(base(), d.Fill.cls(brush=brush, rop_descriptor=desc, mask=qmask(None)))
    tw = tile.view("<u4")[..., 0].astype(np.int64)
    op = ref.ROPS[ref.rop_for(desc, ref.BRUSH, ref.DEST)]
    check(
        canvas,
        before,
        lambda x, y, old: (
            op(int(tw[(y + 2) % 3, (x - 4) % 5]), old) if ref.in_region(x, y, BOX, CLIPS, None, (0, 0), False) else None
        ),
    )


@pytest.mark.parametrize("desc", DESCRIPTORS)
def test_copy_every_descriptor(desc: int) -> None:
    rng = np.random.default_rng(desc)
    src = rng.integers(0, 256, (8, 10, 4), dtype=np.uint8)
    bits = random_mask(random.Random(desc))
    canvas = make_canvas(seed=desc)
    before = words(canvas)
    area = (1, 1, 10, 8)  # 9x7: the same size as BOX, no scaling
    copy = d.Copy.cls(src_bitmap=bitmap_image(src), src_area=rect(area), rop_descriptor=desc, mask=qmask(bits))
    canvas.copy(base(), copy)
    sw = src.view("<u4")[..., 0].astype(np.int64)
    op = ref.ROPS[ref.rop_for(desc, ref.SRC, ref.DEST)]
    check(
        canvas,
        before,
        lambda x, y, old: (
            op(int(sw[y - BOX[1] + 1, x - BOX[0] + 1]), old)
            if ref.in_region(x, y, BOX, CLIPS, bits, (1, 0), False)
            else None
        ),
    )


@pytest.mark.parametrize("desc", DESCRIPTORS[::3])
def test_opaque_puts_source_then_brush(desc: int) -> None:
    rng = np.random.default_rng(desc)
    src = rng.integers(0, 256, (7, 9, 4), dtype=np.uint8)
    color = int(rng.integers(0, 1 << 32))
    canvas = make_canvas(seed=desc)
    before = words(canvas)
    opaque = d.Opaque.cls(
        src_bitmap=bitmap_image(src),
        src_area=rect((0, 0, 9, 7)),
        brush=t.Brush.cls(type=BrushType.SOLID, color=color),
        rop_descriptor=desc,
        mask=qmask(None),
    )
    canvas.opaque(base(), opaque)
    sw = src.view("<u4")[..., 0].astype(np.int64)
    op = ref.ROPS[ref.rop_for(desc, ref.BRUSH, ref.SRC)]
    check(
        canvas,
        before,
        lambda x, y, old: (
            op(color, int(sw[y - BOX[1], x - BOX[0]])) if ref.in_region(x, y, BOX, CLIPS, None, (0, 0), False) else None
        ),
    )


@pytest.mark.parametrize("kind", ["blackness", "whiteness", "invers"])
def test_blackness_whiteness_invers_with_inverted_mask(kind: str) -> None:
    bits = random_mask(random.Random(kind))
    canvas = make_canvas(seed=3)
    before = words(canvas)
    getattr(canvas, kind)(base(), d.MaskOnly.cls(mask=qmask(bits, pos=(0, 1), invert=True)))
    value = {"blackness": lambda old: 0, "whiteness": lambda old: ref.M, "invers": lambda old: ~old & ref.M}[kind]
    check(canvas, before, lambda x, y, old: value(old) if ref.in_region(x, y, BOX, CLIPS, bits, (0, 1), True) else None)


@pytest.mark.parametrize("code", range(256))
def test_rop3_every_code(code: int) -> None:
    rng = np.random.default_rng(code)
    src = rng.integers(0, 256, (7, 9, 4), dtype=np.uint8)
    tile = rng.integers(0, 256, (2, 3, 4), dtype=np.uint8)
    canvas = make_canvas(seed=code)
    before = words(canvas)
    use_pattern = code % 2 == 1
    color = int(rng.integers(0, 1 << 32))
    if use_pattern:
        brush = t.Brush.cls(
            type=BrushType.PATTERN, pattern=t.Pattern.cls(pat=bitmap_image(tile), pos=t.Point.cls(x=1, y=1))
        )
    else:
        brush = t.Brush.cls(type=BrushType.SOLID, color=color)
    rop = d.Rop3.cls(
        src_bitmap=bitmap_image(src), src_area=rect((0, 0, 9, 7)), brush=brush, rop3=code, mask=qmask(None)
    )
    canvas.rop3(base(), rop)
    sw = src.view("<u4")[..., 0].astype(np.int64)
    tw = tile.view("<u4")[..., 0].astype(np.int64)

    def ternary(x: int, y: int, old: int) -> int | None:
        if not ref.in_region(x, y, BOX, CLIPS, None, (0, 0), False):
            return None
        s = int(sw[y - BOX[1], x - BOX[0]])
        p = int(tw[(y - 1) % 2, (x - 1) % 3]) if use_pattern else color
        out = 0
        for bit in range(32):
            index = ((p >> bit) & 1) << 2 | ((s >> bit) & 1) << 1 | ((old >> bit) & 1)
            out |= ((code >> index) & 1) << bit
        return out

    check(canvas, before, ternary)


def test_transparent_colour_key() -> None:
    rng = np.random.default_rng(5)
    src = rng.integers(0, 256, (7, 9, 4), dtype=np.uint8)
    key = 0x123456
    src[::2, ::3, :3] = [0x56, 0x34, 0x12]  # B, G, R of the key; their alpha bytes vary and must not matter
    canvas = make_canvas(seed=5)
    before = words(canvas)
    canvas.transparent(
        base(),
        d.Transparent.cls(src_bitmap=bitmap_image(src), src_area=rect((0, 0, 9, 7)), src_color=0, true_color=key),
    )
    sw = src.view("<u4")[..., 0].astype(np.int64)

    def expect(x: int, y: int, old: int) -> int | None:
        if not ref.in_region(x, y, BOX, CLIPS, None, (0, 0), False):
            return None
        s = int(sw[y - BOX[1], x - BOX[0]])
        return None if s & 0xFFFFFF == key else s

    check(canvas, before, expect)


@pytest.mark.parametrize("alpha", [255, 128, 1])
def test_alpha_blend_over_argb(alpha: int) -> None:
    rng = np.random.default_rng(alpha)
    src = rng.integers(0, 256, (7, 9, 4), dtype=np.uint8)
    src[..., :3] = np.minimum(src[..., :3], src[..., 3:4])  # premultiplied
    canvas = make_canvas(seed=alpha)
    before = words(canvas)
    canvas.alpha_blend(
        base(), d.AlphaBlend.cls(alpha_flags=0, alpha=alpha, src_bitmap=bitmap_image(src), src_area=rect((0, 0, 9, 7)))
    )
    sw = src.view("<u4")[..., 0].astype(np.int64)
    check(
        canvas,
        before,
        lambda x, y, old: (
            ref.over_pixel(old, int(sw[y - BOX[1], x - BOX[0]]), alpha)
            if ref.in_region(x, y, BOX, CLIPS, None, (0, 0), False)
            else None
        ),
    )


def glyph(x: int, y: int, w: int, h: int, data: bytes, cls):
    return cls.cls(render_pos=t.Point.cls(x=x, y=y), glyph_origin=t.Point.cls(x=0, y=0), width=w, height=h, data=data)


@pytest.mark.parametrize("bpp", [1, 4])
def test_text_glyphs_over_back_area(bpp: int) -> None:
    rng = np.random.default_rng(bpp)
    cls = t.RasterGlyphA1 if bpp == 1 else t.RasterGlyphA4
    flags = StringFlags.RASTER_A1 if bpp == 1 else StringFlags.RASTER_A4
    gw, gh = 5, 4
    stride = (gw * bpp + 7) // 8
    raw = [rng.integers(0, 256, stride * gh, dtype=np.uint8).tobytes() for _ in range(2)]
    glyphs = [glyph(3, 2, gw, gh, raw[0], cls), glyph(6, 3, gw, gh, raw[1], cls)]  # overlapping glyphs
    fore, back = 0xFF204080, 0xFF0A0B0C
    text = d.Text.cls(
        str=t.String.cls(flags=flags, glyphs=glyphs),
        back_area=rect((2, 1, 9, 4)),
        fore_brush=t.Brush.cls(type=BrushType.SOLID, color=fore),
        back_brush=t.Brush.cls(type=BrushType.SOLID, color=back),
        fore_mode=ref.PUT,
        back_mode=ref.PUT,
    )
    canvas = make_canvas(fmt=SurfaceFmt.FMT_32_ARGB, seed=bpp)
    before = words(canvas)
    canvas.text(base(), text)

    def coverage(x: int, y: int) -> int:
        best = 0
        for (gx, gy), data in zip([(3, 2), (6, 3)], raw, strict=True):
            if gx <= x < gx + gw and gy <= y < gy + gh:
                row = gh - 1 - (y - gy)  # glyph rows arrive bottom-up
                if bpp == 1:
                    bit = (data[row * stride + (x - gx) // 8] >> (7 - (x - gx) % 8)) & 1
                    value = 255 * bit
                else:
                    byte = data[row * stride + (x - gx) // 2]
                    value = byte & 0xF0 if (x - gx) % 2 == 0 else (byte << 4) & 0xF0
                best = max(best, value)
        return best

    def expect(x: int, y: int, old: int) -> int | None:
        if not ref.in_region(x, y, BOX, CLIPS, None, (0, 0), False):
            return None
        value = back if 2 <= x < 9 and 1 <= y < 4 else old
        m = coverage(x, y)
        if not (3 <= x < 11 and 2 <= y < 7):
            return None if value == old else value
        return ref.over_pixel(value, fore, m)

    check(canvas, before, expect)


def test_16bit_surface_keeps_16bit_colours() -> None:
    canvas = make_canvas(fmt=SurfaceFmt.FMT_16_565, seed=0)
    color = (31 << 11) | (40 << 5) | 3  # r=31, g=40 (6 bits), b=3 in 565
    canvas.fill(
        base(clips=[(0, 0, W, H)]),
        d.Fill.cls(brush=t.Brush.cls(type=BrushType.SOLID, color=color), rop_descriptor=ref.PUT, mask=qmask(None)),
    )
    px = canvas.surfaces[0].pixels[4, 4]
    assert px[:3].tolist() == [(3 << 3) | (3 >> 2), (40 << 2) | (40 >> 4), 255]
    # A 32-bit image copied onto it is truncated to 5/6/5 bits, as pixman stores it.
    src = np.full((7, 9, 4), [0x17, 0x2B, 0xC9, 0xFF], dtype=np.uint8)
    canvas.copy(
        base(clips=[(0, 0, W, H)]),
        d.Copy.cls(
            src_bitmap=bitmap_image(src, BitmapFmt.BIT32),
            src_area=rect((0, 0, 9, 7)),
            rop_descriptor=ref.PUT,
            mask=qmask(None),
        ),
    )
    b, g, r = 0x17 >> 3, 0x2B >> 2, 0xC9 >> 3
    assert canvas.surfaces[0].pixels[4, 4, :3].tolist() == [
        (b << 3) | (b >> 2),
        (g << 2) | (g >> 4),
        (r << 3) | (r >> 2),
    ]


def test_surface_image_as_source_onto_itself() -> None:
    canvas = make_canvas(seed=9)
    before = canvas.surfaces[0].pixels.copy()
    image = t.Image.cls(id=0, type=ImageType.SURFACE, width=W, height=H, surface=t.SurfaceRef.cls(surface_id=0))
    canvas.copy(
        base(box=(1, 1, 10, 8), clips=[(0, 0, W, H)]),
        d.Copy.cls(src_bitmap=image, src_area=rect((0, 0, 9, 7)), rop_descriptor=ref.PUT, mask=qmask(None)),
    )
    assert np.array_equal(canvas.surfaces[0].pixels[1:8, 1:10], before[0:7, 0:9])


@pytest.mark.parametrize("command", ["copy", "opaque", "transparent", "alpha_blend", "rop3"])
def test_a_null_source_image_is_refused_not_crashed_on(command: str) -> None:
    """A server may send a source pointer of 0: nothing is drawn, and at most a one-line reason is given."""
    canvas = make_canvas()
    before = words(canvas).copy()
    bodies = {
        "copy": d.Copy.cls(src_bitmap=None, src_area=rect((0, 0, 4, 4)), rop_descriptor=ref.PUT),
        "opaque": d.Opaque.cls(
            src_bitmap=None, src_area=rect((0, 0, 4, 4)), brush=t.Brush.cls(type=BrushType.SOLID, color=1)
        ),
        "transparent": d.Transparent.cls(src_bitmap=None, src_area=rect((0, 0, 4, 4))),
        "alpha_blend": d.AlphaBlend.cls(alpha=128, src_bitmap=None, src_area=rect((0, 0, 4, 4))),
        "rop3": d.Rop3.cls(src_bitmap=None, src_area=rect((0, 0, 4, 4)), rop3=0xCC),
    }
    try:
        getattr(canvas, command)(base(), bodies[command])
    except (DrawError, DecodeError) as exc:
        assert "source" in str(exc) or "null" in str(exc)
    assert np.array_equal(words(canvas), before)
