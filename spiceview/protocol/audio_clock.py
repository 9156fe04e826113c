"""The server's multimedia clock, as followed from the guest's sound being heard: sans-IO, time passed in.

Each played packet says which mm-time is being heard now (its stamp minus what the sound device still holds).
Packets are handled late, never early, so the estimate kept is the latest of the last `window` packets; one far
from the others (a seek, a new stream) restarts the estimate from it.
"""

from __future__ import annotations

from collections import deque

CLOCK_WINDOW = 100  # packets (about a second of Opus or raw 10 ms packets) the estimate spans
CLOCK_RESYNC_MS = 300  # an estimate this far from the others restarts the clock from it
U32 = 0xFFFFFFFF


class AudioClock:
    def __init__(self, window: int = CLOCK_WINDOW, resync_ms: float = CLOCK_RESYNC_MS) -> None:
        self._estimates: deque[float] = deque(maxlen=window)  # mm-time minus local ms, one per packet
        self._resync_ms = resync_ms

    def reset(self) -> None:
        self._estimates.clear()

    def heard(self, heard_mm_time: float, now_ms: float) -> int:
        """A packet says `heard_mm_time` is being heard at local time `now_ms`: the mm-time now."""
        estimate = heard_mm_time - now_ms
        if self._estimates and abs(estimate - max(self._estimates)) > self._resync_ms:
            self._estimates.clear()
        self._estimates.append(estimate)
        return int(now_ms + max(self._estimates)) & U32
