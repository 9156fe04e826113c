"""Hostile display commands: every server message of the display channel, with random field values (valid
layouts, absurd contents: rectangles anywhere, unknown surfaces, huge sizes, empty or negative extents, bad
images), fed to a DisplayChannel. Each is drawn, clipped or rejected with a logged error; nothing escapes, and
the channel keeps drawing afterwards.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from values import ValueGen

from spiceview.channels.display_channel import DisplayChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.codecs.glz import GlzWindow
from spiceview.protocol.constants import BrushType, ClipType, Ropd, SurfaceFlags, SurfaceFmt
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t
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
