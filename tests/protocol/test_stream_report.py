"""Stream reports with time passed in: when a report is due and what it says."""

from __future__ import annotations

from spiceview.protocol.stream_report import NO_AUDIO, StreamReport, unknown_stream_report


def test_a_report_when_the_timeout_passes_before_the_window_fills() -> None:
    report = StreamReport(stream_id=3, unique_id=77, max_window=100, timeout_s=0.5)
    assert report.on_frame(1000, 40, None, now=10.0) is None
    assert report.on_frame(1040, 35, None, now=10.4) is None
    sent = report.on_frame(1080, 30, 120, now=10.5)
    assert sent is not None
    assert (sent.start_frame_mm_time, sent.end_frame_mm_time, sent.num_frames, sent.num_drops) == (1000, 1080, 3, 0)
    assert (sent.last_frame_delay, sent.audio_delay) == (30, 120)
    # The next window starts afresh.
    assert report.on_frame(1120, 30, None, now=10.6) is None


def test_three_late_frames_in_a_row_report_at_once_and_fields_are_clamped() -> None:
    report = StreamReport(stream_id=1, unique_id=2, max_window=100, timeout_s=60)
    report.on_frame(0xFFFFFFFF + 10, 5, None, now=0)
    assert report.on_frame(20, -1, None, now=0) is None
    assert report.on_frame(30, -1, None, now=0) is None
    sent = report.on_frame(40, -(2**40), None, now=0)
    assert sent is not None and sent.num_drops == 3 and sent.num_frames == 4
    assert sent.start_frame_mm_time == 9 and sent.last_frame_delay == -(2**31) and sent.audio_delay == NO_AUDIO


def test_an_unknown_stream_is_reported_as_all_dropped() -> None:
    sent = unknown_stream_report(0x1_0000_0005)
    assert (sent.stream_id, sent.num_frames, sent.num_drops) == (5, 0, 0xFFFFFFFF)
