"""When to reconnect after a lost session, and what the windows say meanwhile.

A pure state machine, the clock passed in (seconds, monotonic), so tests drive it with numbers: the runner tells it
what happened (`lost`, `attempting`, `connected`, `retry_now`), asks it whether an attempt is `due`, and shows
`describe(now)` in every window. Failures that a retry cannot fix (a refused password, a certificate that does not
verify) are `permanent`: no countdown, the message says what to fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

# Seconds before each further attempt: quick at first (a restarting server is back within seconds), then no more
# than two a minute against a server that stays away.
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


class Phase(Enum):
    CONNECTING = "connecting"  # an attempt is under way (or the first connection)
    CONNECTED = "connected"
    WAITING = "waiting"  # lost; the next attempt starts at `deadline`
    STOPPED = "stopped"  # lost for good: permanent failure, or retrying is not wanted


@dataclass
class ReconnectPlan:
    schedule: tuple[float, ...] = BACKOFF_S
    phase: Phase = Phase.CONNECTING
    failures: int = 0  # attempts that failed since a session last came up
    ever_connected: bool = False
    reason: str = ""
    permanent: bool = False
    deadline: float | None = None

    def connected(self) -> None:
        """A session is up (the server answered the link): the backoff starts again from its first step."""
        self.phase, self.failures, self.ever_connected = Phase.CONNECTED, 0, True
        self.reason, self.permanent, self.deadline = "", False, None

    def lost(self, reason: str, *, permanent: bool, now: float, retry: bool = True) -> Phase:
        """The session ended (or an attempt failed). `retry=False`: the caller does not want another attempt."""
        self.reason, self.permanent = reason, permanent
        if permanent or not retry:
            self.phase, self.deadline = Phase.STOPPED, None
            return self.phase
        delay = self.schedule[min(self.failures, len(self.schedule) - 1)]
        self.failures += 1
        self.phase, self.deadline = Phase.WAITING, now + delay
        return self.phase

    def due(self, now: float) -> bool:
        return self.phase is Phase.WAITING and self.deadline is not None and now >= self.deadline

    def attempting(self) -> None:
        self.phase, self.deadline = Phase.CONNECTING, None

    def retry_now(self, now: float) -> None:
        """The user asked (Reconnect now): the next attempt is due at once, even after a permanent failure (the
        user may have fixed what it said)."""
        if self.phase in (Phase.WAITING, Phase.STOPPED):
            self.phase, self.deadline = Phase.WAITING, now

    def seconds_left(self, now: float) -> int:
        if self.phase is not Phase.WAITING or self.deadline is None:
            return 0
        return max(0, math.ceil(self.deadline - now - 1e-9))

    def describe(self, now: float) -> str:
        """One line for the windows: what happened and what comes next."""
        if self.phase is Phase.CONNECTED:
            return ""
        lost = f"Connection lost: {self.reason}" if self.reason else "Connection lost"
        if self.phase is Phase.CONNECTING:
            return f"{lost}. Reconnecting..." if self.reason else "Connecting..."
        if self.phase is Phase.WAITING:
            left = self.seconds_left(now)
            return f"{lost}. Reconnecting in {left} s..." if left else f"{lost}. Reconnecting..."
        if self.permanent:
            return f"{self.reason}. {what_to_fix(self.reason)}".rstrip()
        return f"{lost}."


def what_to_fix(reason: str) -> str:
    """The advice a permanent failure's message gets (it names what the user can change)."""
    text = reason.lower()
    if "password" in text or "permission" in text or "ticket" in text:
        return "Check the password (a new .vv file from the management page has a fresh one)."
    if "certificate" in text or "tls" in text:
        return "Check the CA certificate and the host subject of the connection."
    if "sasl" in text:
        return "The server asks for SASL authentication."
    return ""
