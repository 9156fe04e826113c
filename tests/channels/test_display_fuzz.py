"""Hostile display commands: every server message of the display channel, with random field values (valid
layouts, absurd contents: rectangles anywhere, unknown surfaces, huge sizes, empty or negative extents, bad
images), fed to a DisplayChannel. Each is drawn, clipped or rejected with a logged error; nothing escapes, and
the channel keeps drawing afterwards.
"""

from __future__ import annotations

import random
import tracemalloc

import numpy as np
import pytest
from values import ValueGen

from spiceview.channels.display_channel import DisplayChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.codecs.glz import GlzWindow
from spiceview.protocol.constants import BrushType, ClipType, Ropd, SurfaceFlags, SurfaceFmt
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t
from spiceview.protocol.schema import WireStruct, field_names
from spiceview.transport.connect import Endpoint

DRAWING = [defn for defn in d.DISPLAY.server.values() if defn.number >= 101]


def make_display() -> DisplayChannel:
    client = SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 1))
    client.glz_window = GlzWindow(1 << 16)
    display = DisplayChannel(client, 0)
    display.on_message(
        d.MSG_SURFACE_CREATE.cls(
            surface_id=0, width=64, height=48, format=SurfaceFmt.FMT_32_xRGB, flags=SurfaceFlags.PRIMARY
        ),
        1,
    )
    display.on_message(
        d.MSG_SURFACE_CREATE.cls(surface_id=1, width=16, height=16, format=SurfaceFmt.FMT_8_A, flags=0), 2
    )
    return display


def steer(msg, rng: random.Random) -> None:
    """Point most commands at surfaces that exist and keep boxes near them, so drawing code really runs."""
    base = getattr(msg, "base", None)
    if base is not None and hasattr(base, "surface_id"):
        base.surface_id = rng.choice([0, 0, 0, 1, rng.getrandbits(32)])
        if hasattr(base, "box") and rng.random() < 0.8:
            r = base.box
            r.left, r.top = rng.randint(-20, 70), rng.randint(-20, 60)
            r.right, r.bottom = r.left + rng.randint(-5, 40), r.top + rng.randint(-5, 40)


@pytest.mark.parametrize("seed", range(40))
def test_random_display_messages_never_escape(seed: int) -> None:
    rng = random.Random(seed)
    gen = ValueGen(rng, max_items=3, max_bytes=64, max_dim=12)
    display = make_display()
    for _ in range(60):
        defn = rng.choice(DRAWING)
        msg = gen.message(defn)
        steer(msg, rng)
        display.on_message(msg, 3)  # must not raise
    # Still drawing: a plain fill of the whole primary (re-created if a message destroyed it).
    if display.canvas.surfaces.get(0) is None or display.canvas.surfaces[0].width != 64:
        display.on_message(
            d.MSG_SURFACE_CREATE.cls(
                surface_id=0, width=64, height=48, format=SurfaceFmt.FMT_32_xRGB, flags=SurfaceFlags.PRIMARY
            ),
            4,
        )
    full = t.DisplayBase.cls(
        surface_id=0, box=t.Rect.cls(top=0, left=0, bottom=48, right=64), clip=t.Clip.cls(type=ClipType.NONE)
    )
    display.on_message(
        d.MSG_DRAW_FILL.cls(
            base=full,
            data=d.Fill.cls(
                brush=t.Brush.cls(type=BrushType.SOLID, color=0x00ABCDEF),
                rop_descriptor=Ropd.OP_PUT,
                mask=t.QMask.cls(),
            ),
        ),
        5,
    )
    assert np.all(display.canvas.surfaces[0].pixels[..., :3] == [0xEF, 0xCD, 0xAB])


EXTREMES = [-(2**31), -(2**31) + 1, -1_633_804_893, -65536, -1, 0, 1, 63, 64, 65535, 30_000, 2**31 - 2, 2**31 - 1]


def stretch(value: object, rng: random.Random, depth: int = 0) -> None:
    """Give every rectangle and point inside a message extreme coordinates, recursively."""
    if depth > 6 or not isinstance(value, WireStruct):
        return
    name = type(value).__name__
    if name == "Rect" and rng.random() < 0.7:
        a, b = sorted(rng.sample(EXTREMES, 2))
        c, d_ = sorted(rng.sample(EXTREMES, 2))
        value.left, value.right, value.top, value.bottom = a, b, c, d_  # type: ignore[attr-defined]
    elif name in ("Point", "Point16") and rng.random() < 0.5:
        limit = 2**15 - 1 if name == "Point16" else 2**31 - 1
        value.x, value.y = (max(-limit - 1, min(limit, rng.choice(EXTREMES))) for _ in range(2))  # type: ignore[attr-defined]
    for field in field_names(type(value)):
        child = getattr(value, field)
        for item in child if isinstance(child, list) else [child]:
            stretch(item, rng, depth + 1)


@pytest.mark.parametrize("seed", range(30))
def test_extreme_coordinates_cost_no_more_than_the_surfaces(seed: int) -> None:
    """Boxes, source areas and positions anywhere in 32 bits (a DRAW_COPY with box.top = -1633804893 once made
    the canvas allocate 36 GiB): each command allocates at most a few surfaces' worth, and nothing escapes."""
    rng = random.Random(1000 + seed)
    gen = ValueGen(rng, max_items=3, max_bytes=64, max_dim=12)
    display = make_display()
    tracemalloc.start()
    try:
        for _ in range(40):
            msg = gen.message(rng.choice(DRAWING))
            steer(msg, rng)
            stretch(msg, rng)
            tracemalloc.reset_peak()
            display.on_message(msg, 3)  # must not raise
            _, peak = tracemalloc.get_traced_memory()
            assert peak < 8 << 20, f"{type(msg).__name__} made the canvas allocate {peak >> 20} MiB"
    finally:
        tracemalloc.stop()


def test_a_huge_scaled_copy_draws_only_what_lands_on_the_surface() -> None:
    """The proxy-found case: a 6x10 source stretched over a box 1.6 billion pixels tall, clipped to 64x48."""
    display = make_display()
    pixels = np.full((10, 6, 4), 0x7F, dtype=np.uint8)
    bitmap = t.BitmapData.cls(format=8, flags=4, x=6, y=10, stride=24, data=pixels.tobytes())  # 32-bit, top-down
    image = t.Image.cls(id=1, type=0, width=6, height=10, bitmap=bitmap)
    box = t.Rect.cls(top=-1_633_804_893, left=0, bottom=40, right=30_000)
    base = t.DisplayBase.cls(surface_id=0, box=box, clip=t.Clip.cls(type=ClipType.NONE))
    copy = d.Copy.cls(src_bitmap=image, src_area=t.Rect.cls(top=0, left=0, bottom=10, right=6), rop_descriptor=8)
    tracemalloc.start()
    try:
        display.on_message(d.MSG_DRAW_COPY.cls(base=base, data=copy), 3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    assert display.errors == 0
    assert not display.canvas.surfaces[0].pixels[40:].any()  # below the box: untouched
