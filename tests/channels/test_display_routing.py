"""DisplayChannel routing without sockets: corrupt images and hostile commands are logged, the session goes on."""

from __future__ import annotations

import numpy as np

from spiceview.channels.display_channel import DisplayChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.codecs.glz import GlzWindow
from spiceview.protocol.constants import BrushType, ClipType, ImageType, Ropd, SurfaceFlags, SurfaceFmt
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t
from spiceview.transport.connect import Endpoint


def make_display() -> DisplayChannel:
    client = SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 1))
    client.glz_window = GlzWindow(1 << 20)
    display = DisplayChannel(client, 0)
    display.on_message(
        d.MSG_SURFACE_CREATE.cls(
            surface_id=0, width=8, height=8, format=SurfaceFmt.FMT_32_xRGB, flags=SurfaceFlags.PRIMARY
        ),
        1,
    )
    return display


def box(x0: int, y0: int, x1: int, y1: int):
    return t.DisplayBase.cls(
        surface_id=0, box=t.Rect.cls(top=y0, left=x0, bottom=y1, right=x1), clip=t.Clip.cls(type=ClipType.NONE)
    )


def fill(color: int):
    return d.MSG_DRAW_FILL.cls(
        base=box(0, 0, 8, 8),
        data=d.Fill.cls(
            brush=t.Brush.cls(type=BrushType.SOLID, color=color), rop_descriptor=Ropd.OP_PUT, mask=t.QMask.cls()
        ),
    )


def copy_of(image):
    return d.MSG_DRAW_COPY.cls(
        base=box(0, 0, 4, 4),
        data=d.Copy.cls(
            src_bitmap=image,
            src_area=t.Rect.cls(top=0, left=0, bottom=4, right=4),
            rop_descriptor=Ropd.OP_PUT,
            mask=t.QMask.cls(),
        ),
    )


def test_corrupt_images_are_skipped_and_drawing_goes_on() -> None:
    display = make_display()
    corrupt = [
        t.Image.cls(id=1, type=ImageType.QUIC, width=4, height=4, quic=t.BinaryData.cls(data=b"QUIC\x01\x02garbage")),
        t.Image.cls(id=2, type=ImageType.LZ_RGB, width=4, height=4, lz_rgb=t.BinaryData.cls(data=b"\x00" * 40)),
        t.Image.cls(id=3, type=ImageType.GLZ_RGB, width=4, height=4, lz_rgb=t.BinaryData.cls(data=b"  ZL" * 3)),
        t.Image.cls(id=4, type=ImageType.JPEG, width=4, height=4, jpeg=t.BinaryData.cls(data=b"\xff\xd8\xff")),
        t.Image.cls(
            id=5, type=ImageType.LZ4, width=4, height=4, lz4=t.BinaryData.cls(data=b"\x01\x08\x00\x00\x00\x10")
        ),
        t.Image.cls(id=6, type=ImageType.FROM_CACHE, width=4, height=4),
        t.Image.cls(id=7, type=ImageType.SURFACE, width=4, height=4, surface=t.SurfaceRef.cls(surface_id=42)),
        t.Image.cls(id=8, type=77, width=4, height=4),
    ]
    for i, image in enumerate(corrupt):
        display.on_message(copy_of(image), 10 + i)
    assert display.errors == len(corrupt)
    display.on_message(fill(0x112233), 99)
    assert display.primary is not None
    assert display.primary.pixels[7, 7, :3].tolist() == [0x33, 0x22, 0x11]


def test_draw_on_unknown_surface_and_absurd_surfaces() -> None:
    display = make_display()
    msg = fill(0xFFFFFF)
    msg.base.surface_id = 5
    display.on_message(msg, 2)
    display.on_message(
        d.MSG_SURFACE_CREATE.cls(surface_id=3, width=1 << 30, height=1 << 30, format=SurfaceFmt.FMT_32_xRGB, flags=0), 3
    )
    display.on_message(d.MSG_SURFACE_CREATE.cls(surface_id=4, width=4, height=4, format=1234, flags=0), 4)
    assert display.errors == 3
    assert np.all(display.primary.pixels[..., :3] == 0)


def test_one_dirty_signal_per_batch_with_the_areas_merged() -> None:
    """Commands that arrived together signal once, after the batch; until the areas are taken, no more signals."""
    display = make_display()
    signals: list[int] = []
    display.dirty.connect(lambda: signals.append(1))
    for color in (1, 2, 3):
        display.on_message(fill(color), 2)
    assert signals == []  # nothing yet: the batch may hold more of the same picture
    display.on_batch_done()
    assert signals == [1]
    display.on_message(fill(4), 3)
    display.on_batch_done()
    assert signals == [1]  # the areas were not taken yet: they only grow
    assert display.take_dirty() == {0: [(0, 0, 8, 8)]}
    display.on_batch_done()
    assert signals == [1] and display.take_dirty() == {}
    display.on_message(fill(5), 4)
    display.on_batch_done()
    assert signals == [1, 1]


def test_drawing_off_screen_does_not_wake_the_gui() -> None:
    """Only the primary surface is shown: a picture drawn into an off-screen surface signals nothing until it
    is copied to the screen."""
    display = make_display()
    signals: list[int] = []
    display.dirty.connect(lambda: signals.append(1))
    display.on_message(
        d.MSG_SURFACE_CREATE.cls(surface_id=2, width=8, height=8, format=SurfaceFmt.FMT_32_xRGB, flags=0), 2
    )
    off_screen = fill(7)
    off_screen.base.surface_id = 2
    display.on_message(off_screen, 3)
    display.on_batch_done()
    assert signals == [] and display.take_dirty() == {}
    assert (display.canvas.surfaces[2].pixels[..., 0] == 7).all()
    display.on_message(fill(8), 4)
    display.on_batch_done()
    assert signals == [1] and display.take_dirty() == {0: [(0, 0, 8, 8)]}


def test_a_drawing_among_pending_stream_frames_signals_again() -> None:
    """Stream frames wait to be gathered; a drawing command that comes meanwhile (a typed letter's echo) signals
    once more, marked urgent, so the viewer paints it without waiting for the video's pacing."""
    display = make_display()
    signals: list[int] = []
    display.dirty.connect(lambda: signals.append(1))
    display._mark_dirty(0, (0, 0, 4, 4), stream=True)
    display.on_batch_done()
    assert signals == [1] and not display.dirty_is_urgent
    display._mark_dirty(0, (4, 4, 8, 8), stream=True)
    display.on_batch_done()
    assert signals == [1]  # more strips: no more signals
    display.on_message(fill(3), 2)
    display.on_batch_done()
    assert signals == [1, 1] and display.dirty_is_urgent
    display.on_message(fill(4), 3)
    display.on_batch_done()
    assert signals == [1, 1]  # already urgent: one signal is enough
    assert display.take_dirty() == {0: [(0, 0, 8, 8)]} and not display.dirty_is_urgent
