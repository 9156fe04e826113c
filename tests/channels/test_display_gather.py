"""A video frame's strips gather in the display channel before the viewer is told: one signal per frame, while a
drawing command (a typed letter's echo) is signalled at once."""

from __future__ import annotations

from collections.abc import Callable

from spiceview.channels.display_channel import STREAM_GATHER_S, DisplayChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.constants import BrushType, ClipType, Ropd, SurfaceFlags, SurfaceFmt
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t
from spiceview.protocol.schema import WireStruct
from spiceview.transport.connect import Endpoint


def make_display() -> DisplayChannel:
    display = DisplayChannel(SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 1)), 0)
    create = d.MSG_SURFACE_CREATE.cls(
        surface_id=0, width=8, height=8, format=SurfaceFmt.FMT_32_xRGB, flags=SurfaceFlags.PRIMARY
    )
    display.on_message(create, 1)
    return display


def fill(color: int) -> WireStruct:
    return d.MSG_DRAW_FILL.cls(
        base=t.DisplayBase.cls(
            surface_id=0, box=t.Rect.cls(top=0, left=0, bottom=2, right=2), clip=t.Clip.cls(type=ClipType.NONE)
        ),
        data=d.Fill.cls(
            brush=t.Brush.cls(type=BrushType.SOLID, color=color), rop_descriptor=Ropd.OP_PUT, mask=t.QMask.cls()
        ),
    )


class TimerLoop:
    """The display channel's view of its I/O loop here: named timers, run when the test says."""

    def __init__(self) -> None:
        self.timers: dict[str, tuple[float, Callable[[], None]]] = {}
        self.held_until: float | None = None

    def set_timer(self, deadline: float | None, fn: Callable[[], None], name: str = "") -> None:
        if deadline is None:
            self.timers.pop(name, None)
        else:
            self.timers[name] = (deadline, fn)

    def hold_reads(self, deadline: float) -> None:
        self.held_until = deadline

    def fire(self, name: str) -> None:
        _deadline, fn = self.timers.pop(name)
        fn()


def watched_display() -> tuple[DisplayChannel, TimerLoop, list[int]]:
    display = make_display()
    loop = TimerLoop()
    display._loop = loop  # type: ignore[assignment]
    signals: list[int] = []
    display.dirty.connect(lambda: signals.append(1))
    display.take_dirty()
    return display, loop, signals


def strip(display: DisplayChannel, row: int) -> None:
    """What drawing a stream frame's strip leaves: a dirty box marked as a stream's, then the batch's end."""
    display._mark_dirty(0, (0, row, 8, row + 1), stream=True)
    display.on_batch_done()


def test_the_strips_of_a_frame_make_one_signal_after_the_gathering_time() -> None:
    display, loop, signals = watched_display()
    strip(display, 0)
    assert signals == [] and "gather" in loop.timers
    for row in range(1, 6):
        strip(display, row)
    assert signals == [] and len(loop.timers) == 1
    loop.fire("gather")
    assert signals == [1]
    assert display.take_dirty() == {0: [(0, 0, 8, 6)]}
    strip(display, 0)  # the next frame gathers again
    loop.fire("gather")
    assert signals == [1, 1]


def test_reads_wait_for_the_gathering_time_so_the_rest_of_the_frame_is_read_at_once() -> None:
    display, loop, _signals = watched_display()
    strip(display, 0)
    assert loop.held_until == loop.timers["gather"][0]


def test_the_gathering_time_is_a_few_milliseconds() -> None:
    assert 0.002 <= STREAM_GATHER_S <= 0.010  # shorter than a 60 fps frame: strips of one frame, not two frames


def test_a_drawing_among_gathering_strips_is_signalled_at_once_and_only_once() -> None:
    display, loop, signals = watched_display()
    strip(display, 0)
    display.on_message(fill(0x00FF00), 10)
    display.on_batch_done()
    assert signals == [1]
    loop.fire("gather")  # the strips went with the drawing
    assert signals == [1]


def test_without_a_loop_strips_are_signalled_at_the_end_of_their_batch() -> None:
    display = make_display()
    signals: list[int] = []
    display.dirty.connect(lambda: signals.append(1))
    display.take_dirty()
    strip(display, 0)
    assert signals == [1]


def test_a_new_connection_gathers_on_its_own_loop() -> None:
    display, old_loop, signals = watched_display()
    strip(display, 0)  # a timer on the old connection's loop, which ends before it fires
    new_loop = TimerLoop()
    display._loop = new_loop  # type: ignore[assignment]
    strip(display, 1)
    assert "gather" in new_loop.timers
    new_loop.fire("gather")
    assert signals == [1]
