"""A solid fill of an off-screen surface, or a picture covering all of it, waits until its pixels are looked at:
a fill is never drawn when a copy replaces its box first, a picture is read from the image itself (feh's pictures:
fill, picture, copy to the screen: one pass instead of three). Whatever happens in between, the pixels are those
of drawing everything in order."""

from __future__ import annotations

import numpy as np
from test_canvas_first_slice import H, W, base, bitmap32, make_canvas, rect, solid

from spiceview.canvas.canvas import Canvas
from spiceview.protocol.constants import ImageType, Ropd, SurfaceFmt
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t

OFF = 7  # an off-screen surface


def on(surface_id: int, box, clips=None):  # noqa: ANN001, ANN201
    b = base(box, clips)
    b.surface_id = surface_id
    return b


def fill(canvas: Canvas, surface_id: int, box, color: int, rop: int = Ropd.OP_PUT, clips=None) -> None:  # noqa: ANN001
    canvas.fill(on(surface_id, box, clips), d.Fill.cls(brush=solid(color), rop_descriptor=rop, mask=t.QMask.cls()))


def copy_picture(canvas: Canvas, surface_id: int, box, pixels: np.ndarray) -> None:  # noqa: ANN001
    h, w = pixels.shape[:2]
    canvas.copy(on(surface_id, box), d.Copy.cls(src_bitmap=bitmap32(pixels), src_area=rect(0, 0, w, h),
                                                 rop_descriptor=Ropd.OP_PUT, mask=t.QMask.cls()))  # fmt: skip


def copy_surface(canvas: Canvas, source: int, box, target: int = 0) -> None:  # noqa: ANN001
    image = t.Image.cls(id=0, type=ImageType.SURFACE, width=W, height=H, surface=t.SurfaceRef.cls(surface_id=source))
    x0, y0, x1, y1 = box
    canvas.copy(on(target, box), d.Copy.cls(src_bitmap=image, src_area=rect(x0, y0, x1, y1), rop_descriptor=Ropd.OP_PUT,
                                       mask=t.QMask.cls()))  # fmt: skip


def canvas_with_offscreen() -> Canvas:
    canvas = make_canvas()
    canvas.create_surface(OFF, W, H, SurfaceFmt.FMT_32_xRGB, 0)
    return canvas


def picture(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (H, W, 4), dtype=np.uint8)


def test_a_fill_replaced_by_a_picture_is_never_drawn_and_the_picture_goes_straight_to_the_screen() -> None:
    canvas = canvas_with_offscreen()
    off = canvas.surfaces[OFF]
    drawn: list[object] = []
    original = off._draw_pending
    off._draw_pending = lambda: (drawn.append(1), original())[1]  # type: ignore[method-assign]
    fill(canvas, OFF, (0, 0, W, H), 0x101010)
    copy_picture(canvas, OFF, (0, 0, W, H), picture(1))
    copy_surface(canvas, OFF, (0, 0, W, H))
    assert drawn == []
    shown = canvas.surfaces[0].pixels
    assert np.array_equal(shown[..., :3], picture(1)[..., :3]) and (shown[..., 3] == 0xFF).all()
    # The off-screen surface holds the picture, drawn when it is looked at (X set), and the next fill of the
    # whole surface drops it without drawing it.
    assert drawn == [] and off.pending_picture() is not None
    fill(canvas, OFF, (0, 0, W, H), 0x303030)
    assert drawn == [] and off.pending_picture() is None
    copy_picture(canvas, OFF, (0, 0, W, H), picture(3))
    assert np.array_equal(off.pixels[..., :3], picture(3)[..., :3]) and (off.pixels[..., 3] == 0xFF).all()
    assert drawn == [1]


def test_a_fill_partly_covered_or_read_first_is_drawn_in_order() -> None:
    canvas = canvas_with_offscreen()
    fill(canvas, OFF, (0, 0, W, H), 0x204060)
    copy_picture(canvas, OFF, (2, 2, 6, 6), picture(2)[:4, :4])  # covers part: the fill must be drawn first
    copy_surface(canvas, OFF, (0, 0, W, H))
    shown = canvas.surfaces[0].pixels
    assert tuple(shown[0, 0]) == (0x60, 0x40, 0x20, 0xFF)
    assert np.array_equal(shown[2:6, 2:6, :3], picture(2)[:4, :4, :3])
    # Read (a surface copy) while still pending: drawn before it is read.
    fill(canvas, OFF, (0, 0, W, H), 0x0A0B0C)
    copy_surface(canvas, OFF, (0, 0, W, H))
    assert tuple(canvas.surfaces[0].pixels[5, 5]) == (0x0C, 0x0B, 0x0A, 0xFF)
    # A picture pending on the surface, then a partial draw over it: drawn first, then the draw.
    copy_picture(canvas, OFF, (0, 0, W, H), picture(4))
    fill(canvas, OFF, (0, 0, 2, 2), 0x777777, rop=Ropd.OP_XOR)
    assert np.array_equal(canvas.surfaces[OFF].pixels[5:, 5:, :3], picture(4)[5:, 5:, :3])
    assert tuple(canvas.surfaces[OFF].pixels[0, 0, :3]) == tuple(picture(4)[0, 0, :3] ^ 0x77)
    # A surface copied from another surface is not deferred (the source may change).
    canvas.create_surface(8, W, H, SurfaceFmt.FMT_32_xRGB, 0)
    copy_surface(canvas, OFF, (0, 0, W, H), target=8)
    assert canvas.surfaces[8]._pending is None
    # Two fills in a row: both in order (the second over the first).
    fill(canvas, OFF, (0, 0, W, H), 0x111111)
    fill(canvas, OFF, (0, 0, 4, 4), 0x222222)
    assert tuple(canvas.surfaces[OFF].pixels[0, 0][:3]) == (0x22,) * 3
    assert tuple(canvas.surfaces[OFF].pixels[8, 8][:3]) == (0x11,) * 3


def test_only_plain_unclipped_fills_of_off_screen_surfaces_wait() -> None:
    canvas = canvas_with_offscreen()
    fill(canvas, 0, (0, 0, W, H), 0x010203)  # the screen: the GUI reads it without asking
    assert canvas.surfaces[0]._pending is None
    fill(canvas, OFF, (0, 0, W, H), 0x010203, clips=[(0, 0, 4, 4), (8, 8, 12, 12)])  # two boxes
    assert canvas.surfaces[OFF]._pending is None
    fill(canvas, OFF, (0, 0, W, H), 0x0F0F0F, rop=Ropd.OP_XOR)
    assert canvas.surfaces[OFF]._pending is None
    assert tuple(canvas.surfaces[OFF].pixels[0, 0][:3]) == (0x03 ^ 0x0F, 0x02 ^ 0x0F, 0x01 ^ 0x0F)
    fill(canvas, OFF, (1, 1, 5, 5), 0x445566)
    assert canvas.surfaces[OFF]._pending is not None
    rgb = canvas.surfaces[OFF].rgb_copy()  # any look at the pixels draws it
    assert canvas.surfaces[OFF]._pending is None and tuple(rgb[2, 2]) == (0x44, 0x55, 0x66)


def test_a_whole_picture_copied_to_the_screen_waits_too_and_partial_draws_come_after_it() -> None:
    """feh's third command, the off-screen picture copied to the whole screen: the screen takes the same image
    (the window shows it from there), drawn into the screen's memory only when something reads or draws there."""
    canvas = canvas_with_offscreen()
    screen = canvas.surfaces[0]
    copy_picture(canvas, OFF, (0, 0, W, H), picture(5))
    copy_surface(canvas, OFF, (0, 0, W, H))
    pending = screen.pending_picture()
    assert pending is not None and np.may_share_memory(pending[0], canvas.surfaces[OFF].pending_picture()[0])
    # A part drawn on the screen: the picture first, then the part.
    fill(canvas, 0, (0, 0, 2, 2), 0x777777, rop=Ropd.OP_XOR)
    assert screen.pending_picture() is None
    assert np.array_equal(screen.pixels[2:, 2:, :3], picture(5)[2:, 2:, :3])
    assert (screen.pixels[2:, 2:, 3] == 0xFF).all()
    assert tuple(screen.pixels[0, 0, :3]) == tuple(picture(5)[0, 0, :3] ^ 0x77)
    # Another picture over the whole screen drops what is pending without drawing it; a screen copied from a
    # surface whose pixels were drawn (they may change) is drawn at once.
    copy_picture(canvas, 0, (0, 0, W, H), picture(6))
    assert screen.pending_picture() is not None
    copy_picture(canvas, 0, (0, 0, W, H), picture(7))
    assert np.array_equal(screen.pixels[..., :3], picture(7)[..., :3])
    canvas.surfaces[OFF].pixels  # noqa: B018  # drawn: no longer a picture
    copy_surface(canvas, OFF, (0, 0, W, H))
    assert screen.pending_picture() is None
    assert np.array_equal(screen.pixels[..., :3], picture(5)[..., :3])
