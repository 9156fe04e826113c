"""FrameSchedule: decoded video frames waiting for their multimedia time (lip-sync with the guest's sound).

Each stream frame carries the server's mm-time at which it should be seen; the session follows the time the
sound being heard was stamped with. A frame is shown when that time comes. Frames whose time has passed are
shown at once, except that of several overdue frames of one stream only the newest is drawn (the others are
counted as dropped): a late video catches up instead of drifting further behind. A frame stamped absurdly far
ahead (a clock that jumped) is not held for ever but shown after `max_wait_ms`.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Any

MAX_WAIT_MS = 2000
OFFSETS_KEPT = 120  # the last few seconds of frames, for the lip-sync figure


def mm_diff(a: int, b: int) -> int:
    """a - b for u32 times that may wrap."""
    return ((a - b + 0x80000000) & 0xFFFFFFFF) - 0x80000000


@dataclass
class PendingFrame:
    stream_id: int
    mm_time: int
    pixels: Any
    dest: Any


class FrameSchedule:
    def __init__(self, max_wait_ms: int = MAX_WAIT_MS) -> None:
        self.max_wait_ms = max_wait_ms
        self.pending: dict[int, list[PendingFrame]] = {}
        self.dropped = 0
        self.late = 0
        # How far after its stamp each frame was shown, on the clock of the sound heard (ms; > 0: video behind).
        self.offsets: collections.deque[int] = collections.deque(maxlen=OFFSETS_KEPT)

    def push(self, frame: PendingFrame, now: int) -> None:
        if mm_diff(frame.mm_time, now) > self.max_wait_ms:
            frame.mm_time = (now + self.max_wait_ms) & 0xFFFFFFFF
        elif mm_diff(frame.mm_time, now) < 0:
            self.late += 1
        queue = self.pending.setdefault(frame.stream_id, [])
        queue.append(frame)
        queue.sort(key=lambda f: mm_diff(f.mm_time, now))

    def take_due(self, now: int) -> list[PendingFrame]:
        """The frames to draw now: per stream, the newest one whose time has come."""
        shown = []
        for stream_id, queue in list(self.pending.items()):
            due = [f for f in queue if mm_diff(f.mm_time, now) <= 0]
            if not due:
                continue
            self.dropped += len(due) - 1
            shown.append(due[-1])
            self.offsets.append(mm_diff(now, due[-1].mm_time))
            rest = queue[len(due) :]
            if rest:
                self.pending[stream_id] = rest
            else:
                del self.pending[stream_id]
        return shown

    def next_wait_ms(self, now: int) -> int | None:
        """Milliseconds until the next frame is due (None when nothing waits)."""
        waits = [mm_diff(q[0].mm_time, now) for q in self.pending.values() if q]
        return max(0, min(waits)) if waits else None

    def drop_stream(self, stream_id: int) -> None:
        self.pending.pop(stream_id, None)

    def clear(self) -> None:
        self.pending.clear()
