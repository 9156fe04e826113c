"""Is the server still there? A network that silently drops everything (a cable pulled, Wi-Fi gone, a VPN down)
closes no socket: without a probe the client would wait for TCP to give up, minutes later.

SPICE has no client ping, but the main channel's ATTACH_CHANNELS is always answered with the channel list
(spice-server pushes it again; the client already has every channel listed). So after `quiet_s` without a byte from
the server the client asks, and an answer that does not come within `answer_s` (at least three measured round
trips) makes the session *stalled*: shown to the user, still connected. Every byte from the server clears it;
`lost_s` of silence ends the session, which is then reconnected like any lost one.

Pure: the caller passes the time in (seconds, monotonic) and tells it when bytes arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Liveness(Enum):
    PROBE = "probe"  # send the probe now
    STALLED = "stalled"  # the probe was not answered in time (reported once)
    RECOVERED = "recovered"  # the server was heard again after a stall (reported once)
    LOST = "lost"  # silent for lost_s: end the session


@dataclass
class LivenessCheck:
    quiet_s: float = 1.0
    answer_s: float = 0.8
    lost_s: float = 15.0
    last_heard: float = 0.0
    probe_sent: float | None = None
    round_trip: float | None = None  # the last measured probe round trip
    stalled: bool = False
    _recovered: bool = False

    def heard(self, now: float) -> None:
        """Bytes came from the server."""
        if self.probe_sent is not None:
            self.round_trip = now - self.probe_sent
            self.probe_sent = None
        if self.stalled:
            self.stalled, self._recovered = False, True
        self.last_heard = now

    def answer_limit(self) -> float:
        return max(self.answer_s, 3 * self.round_trip) if self.round_trip is not None else self.answer_s

    def poll(self, now: float) -> Liveness | None:
        # Deadlines computed as next_check() computes them: a timer set for next_check() always finds work.
        if self._recovered:
            self._recovered = False
            return Liveness.RECOVERED
        if now >= self.last_heard + self.lost_s:
            return Liveness.LOST
        if self.probe_sent is None:
            if now >= self.last_heard + self.quiet_s:
                self.probe_sent = now
                return Liveness.PROBE
            return None
        if not self.stalled and now >= self.probe_sent + self.answer_limit():
            self.stalled = True
            return Liveness.STALLED
        return None

    def next_check(self) -> float:
        """When `poll` has something to do next (unless bytes arrive first)."""
        if self._recovered:
            return self.last_heard
        if self.probe_sent is None:
            return self.last_heard + self.quiet_s
        if not self.stalled:
            return min(self.probe_sent + self.answer_limit(), self.last_heard + self.lost_s)
        return self.last_heard + self.lost_s

    def silent_for(self, now: float) -> float:
        return now - self.last_heard
