"""FrameSchedule on its own; DisplayChannel holding stream frames until their mm-time while sound plays, and
reporting how they arrive when the server asks (adaptive streaming)."""

from __future__ import annotations

import numpy as np

from spiceview.canvas.frame_schedule import MAX_WAIT_MS, FrameSchedule, PendingFrame, mm_diff
from spiceview.channels.display_channel import DisplayChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.constants import ClipType, DisplayCap, StreamFlags, SurfaceFlags, SurfaceFmt, VideoCodecType
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t
from spiceview.transport.connect import Endpoint


def frame(mm: int, stream: int = 0, tag: int = 0) -> PendingFrame:
    return PendingFrame(stream, mm & 0xFFFFFFFF, tag, None)


def test_mm_diff_wraps() -> None:
    assert mm_diff(5, 0xFFFFFFFB) == 10
    assert mm_diff(0xFFFFFFFB, 5) == -10


def test_frames_wait_for_their_time() -> None:
    s = FrameSchedule()
    s.push(frame(1100, tag=1), now=1000)
    s.push(frame(1050, tag=2), now=1000)
    assert s.take_due(1000) == []
    assert s.next_wait_ms(1000) == 50
    assert [f.pixels for f in s.take_due(1060)] == [2]
    assert s.next_wait_ms(1060) == 40
    assert [f.pixels for f in s.take_due(1100)] == [1]
    assert s.next_wait_ms(1100) is None and s.dropped == 0
    assert list(s.offsets) == [10, 0]  # shown 10 ms after its stamp, then right on time (the lip-sync figure)


def test_of_several_overdue_frames_only_the_newest_is_shown() -> None:
    s = FrameSchedule()
    for i in range(3):
        s.push(frame(900 + 10 * i, tag=i), now=1000)
    s.push(frame(900, stream=1, tag=9), now=1000)
    shown = {f.stream_id: f.pixels for f in s.take_due(1000)}
    assert shown == {0: 2, 1: 9}
    assert s.dropped == 2 and s.late == 4


def test_across_the_u32_wrap() -> None:
    s = FrameSchedule()
    s.push(frame(5, tag=1), now=0xFFFFFFF0)
    assert s.take_due(0xFFFFFFFF) == []
    assert s.next_wait_ms(0xFFFFFFFF) == 6
    assert [f.pixels for f in s.take_due(10)] == [1]


def test_a_frame_far_ahead_is_not_held_for_ever() -> None:
    s = FrameSchedule()
    s.push(frame(1000 + 3_600_000), now=1000)
    assert s.next_wait_ms(1000) == MAX_WAIT_MS


# --- in the display channel ---------------------------------------------------------------------------------


class ColourDecoder:
    """Stands in for a video decoder: each 'frame' is one byte, the colour of the whole picture."""

    def decode(self, data, scratch: bool = False) -> np.ndarray:
        picture = np.zeros((4, 4, 4), dtype=np.uint8)
        picture[..., :3] = bytes(data)[0]
        return picture

    def close(self) -> None:
        pass


class FakeClock:
    """The session's clock (seconds), moved by the tests: no sleeping, exact figures."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def make_display(sound: bool, clock: FakeClock | None = None) -> DisplayChannel:
    client = SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 1), clock=clock or FakeClock())
    client.playback_active = lambda: sound  # type: ignore[method-assign]
    client.set_mm_time(10_000)
    display = DisplayChannel(client, 0)
    display.on_message(
        d.MSG_SURFACE_CREATE.cls(
            surface_id=0, width=8, height=8, format=SurfaceFmt.FMT_32_xRGB, flags=SurfaceFlags.PRIMARY
        ),
        1,
    )
    display.on_message(
        d.MSG_STREAM_CREATE.cls(
            surface_id=0,
            id=3,
            flags=StreamFlags.TOP_DOWN,
            codec_type=VideoCodecType.MJPEG,
            stamp=0,
            stream_width=4,
            stream_height=4,
            src_width=4,
            src_height=4,
            dest=t.Rect.cls(top=0, left=0, bottom=4, right=4),
            clip=t.Clip.cls(type=ClipType.NONE),
        ),
        2,
    )
    display.streams[3].decoder = ColourDecoder()
    return display


def send_frame(display: DisplayChannel, mm: int, colour: int) -> None:
    header = t.StreamDataHeader.cls(id=3, multi_media_time=mm & 0xFFFFFFFF)
    display.on_message(d.MSG_STREAM_DATA.cls(base=header, data_size=1, data=bytes([colour])), 3)


def shown(display: DisplayChannel) -> int:
    return int(display.canvas.surfaces[0].pixels[0, 0, 0])


def test_without_sound_frames_are_shown_as_they_arrive() -> None:
    display = make_display(sound=False)
    send_frame(display, display.session.mm_time() + 400, 0x40)
    assert shown(display) == 0x40


def test_with_sound_a_frame_waits_for_its_time() -> None:
    clock = FakeClock()
    display = make_display(sound=True, clock=clock)
    send_frame(display, display.session.mm_time() + 80, 0x40)
    assert shown(display) == 0
    clock.now += 0.1
    display._run_schedule()  # what the channel loop's timer does
    assert shown(display) == 0x40


def test_with_sound_late_frames_catch_up() -> None:
    clock = FakeClock()
    display = make_display(sound=True, clock=clock)
    now = display.session.mm_time()
    send_frame(display, now - 30, 0x10)  # late: shown at once
    assert shown(display) == 0x10
    send_frame(display, now + 60, 0x20)
    send_frame(display, now + 70, 0x30)
    clock.now += 0.12
    display._run_schedule()
    assert shown(display) == 0x30 and display.schedule.dropped == 1


def test_destroyed_stream_frames_are_never_shown() -> None:
    clock = FakeClock()
    display = make_display(sound=True, clock=clock)
    send_frame(display, display.session.mm_time() + 50, 0x40)
    display.on_message(d.MSG_STREAM_DESTROY.cls(id=3), 4)
    clock.now += 0.08
    display._run_schedule()
    assert shown(display) == 0 and not display.schedule.pending


# --- stream reports (adaptive streaming) ---------------------------------------------------------------------


def activate_report(display: DisplayChannel, window: int = 5, timeout_ms: int = 10_000) -> list:
    sent: list = []
    display.send = sent.append  # type: ignore[method-assign]
    display.server_caps = frozenset({DisplayCap.STREAM_REPORT})
    display.on_message(
        d.MSG_STREAM_ACTIVATE_REPORT.cls(stream_id=3, unique_id=77, max_window_size=window, timeout_ms=timeout_ms), 9
    )
    return sent


def test_a_report_per_window_of_frames() -> None:
    display = make_display(sound=False)
    sent = activate_report(display, window=5)
    now = display.session.mm_time()
    for i in range(12):
        send_frame(display, now + 400 + 40 * i, 0x10)
    assert len(sent) == 2
    first = sent[0]
    assert (first.stream_id, first.unique_id, first.num_frames, first.num_drops) == (3, 77, 5, 0)
    assert first.start_frame_mm_time == (now + 400) & 0xFFFFFFFF
    assert first.end_frame_mm_time == (now + 400 + 160) & 0xFFFFFFFF
    assert first.last_frame_delay == 400 + 160  # every frame arrived at the same instant
    assert first.audio_delay == 0xFFFFFFFF  # no sound playing


def test_three_late_frames_in_a_row_are_reported_at_once() -> None:
    display = make_display(sound=False)
    sent = activate_report(display, window=100)
    now = display.session.mm_time()
    send_frame(display, now + 50, 0x10)
    for _ in range(3):
        send_frame(display, now - 100, 0x10)
    assert len(sent) == 1 and sent[0].num_frames == 4 and sent[0].num_drops == 3
    assert sent[0].last_frame_delay < 0


def test_frames_of_an_unknown_stream_are_reported_as_all_dropped() -> None:
    display = make_display(sound=False)
    sent = activate_report(display)
    header = t.StreamDataHeader.cls(id=9, multi_media_time=1)
    display.on_message(d.MSG_STREAM_DATA.cls(base=header, data_size=1, data=b"\x01"), 5)
    assert sent[-1].stream_id == 9 and sent[-1].num_drops == 0xFFFFFFFF and sent[-1].num_frames == 0


def test_no_reports_once_the_stream_is_gone() -> None:
    display = make_display(sound=False)
    sent = activate_report(display, window=1)
    display.on_message(d.MSG_STREAM_DESTROY.cls(id=3), 4)
    assert display.reports == {} and sent == []
