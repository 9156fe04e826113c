"""Stream reports (adaptive streaming), sans-IO with time passed in: how the video frames of one stream arrive,
sent back to the server.

Once the server activates reporting for a stream, each frame's margin (its mm-time minus the session's clock when
it arrives) is counted; a report goes out when the server's window of frames is full, its timeout has passed, or
three frames in a row came too late. The server uses them to raise or lower the stream's bit rate. As in
spice-gtk, a frame for a stream the client does not know gets a report of UINT32_MAX drops out of none.
"""

from __future__ import annotations

from dataclasses import dataclass

from .messages.classes import MsgcDisplayStreamReport

DROP_SEQUENCE_LIMIT = 3
NO_AUDIO = 0xFFFFFFFF
U32 = 0xFFFFFFFF


@dataclass
class StreamReport:
    stream_id: int
    unique_id: int
    max_window: int
    timeout_s: float
    num_frames: int = 0
    num_drops: int = 0
    drops_in_a_row: int = 0
    start_frame_mm_time: int = 0
    start_time: float = 0.0

    def on_frame(
        self, frame_mm_time: int, margin_ms: int, audio_delay_ms: int | None, now: float
    ) -> MsgcDisplayStreamReport | None:
        """Count one frame that arrived at `now` (seconds, any monotonic clock); the report to send, if due."""
        if self.num_frames == 0:
            self.start_frame_mm_time = frame_mm_time
            self.start_time = now
        self.num_frames += 1
        if margin_ms < 0:
            self.num_drops += 1
            self.drops_in_a_row += 1
        else:
            self.drops_in_a_row = 0
        due = (
            self.num_frames >= self.max_window
            or now - self.start_time >= self.timeout_s
            or self.drops_in_a_row >= DROP_SEQUENCE_LIMIT
        )
        if not due:
            return None
        report = MsgcDisplayStreamReport(
            stream_id=self.stream_id,
            unique_id=self.unique_id,
            start_frame_mm_time=self.start_frame_mm_time & U32,
            end_frame_mm_time=frame_mm_time & U32,
            num_frames=self.num_frames,
            num_drops=self.num_drops,
            last_frame_delay=max(-(2**31), min(margin_ms, 2**31 - 1)),
            audio_delay=NO_AUDIO if audio_delay_ms is None else max(0, min(int(audio_delay_ms), U32 - 1)),
        )
        self.num_frames = self.num_drops = self.drops_in_a_row = 0
        return report


def unknown_stream_report(stream_id: int) -> MsgcDisplayStreamReport:
    return MsgcDisplayStreamReport(
        stream_id=stream_id & U32,
        unique_id=0,
        start_frame_mm_time=0,
        end_frame_mm_time=0,
        num_frames=0,
        num_drops=U32,
        last_frame_delay=0,
        audio_delay=0,
    )
