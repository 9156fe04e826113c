"""Following a live migration without a reconnect: what the client answers, and when the hand-over is complete.

When QEMU migrates a VM it tells the client where the destination is (MIGRATE_BEGIN, or MIGRATE_BEGIN_SEAMLESS
when both servers can hand the session's state over). The client links every channel it has to the destination
in advance, with the source's session id (the destination parks them), and answers:

- semi-seamless: MIGRATE_CONNECTED. Once the VM runs on the destination the source sends MIGRATE_END; the client
  moves main over and sends it MIGRATE_END, the destination starts the session afresh (INIT), and the other
  channels move on that INIT. Caches and the GLZ window start empty; only the links are saved.
- seamless: first MIGRATE_DST_DO_SEAMLESS on the destination's main (the source's migration protocol version),
  which the destination ACKs or NACKs, then MIGRATE_CONNECTED_SEAMLESS. At the end every channel gets MIGRATE
  from the source: flush if asked (FLUSH_MARK), wait for MIGRATE_DATA if asked, move to the destination and hand
  it that data. Nothing is reset: caches, the GLZ window, surfaces and serials carry on.

Anything that fails (a link refused, the destination silent past the deadline) answers MIGRATE_CONNECT_ERROR: the
source then falls back to SWITCH_HOST, a full reconnect. The server also sends SWITCH_HOST (and later CANCEL) when
the VM finished moving before the client answered; QEMU 7.2's client_migrate_info does not wait for the answer.

Pure: the adapter (channels/migration.py) tells it what happened, with the time, and sends what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .constants import ChannelType

ChannelKey = tuple[int, int]  # (channel type, channel id)
MAIN_KEY: ChannelKey = (ChannelType.MAIN, 0)
PRE_CONNECT_TIMEOUT_S = 8.0  # below spice-server's own 10 s wait, so the source hears an answer either way


class Reply(Enum):
    """What the client tells the source."""

    CONNECTED = "migrate_connected"
    CONNECTED_SEAMLESS = "migrate_connected_seamless"
    CONNECT_ERROR = "migrate_connect_error"


class Phase(Enum):
    CONNECTING = "connecting"  # linking to the destination
    CONNECTED = "connected"  # answered; waiting for the VM to finish moving
    MOVING = "moving"  # the hand-over is under way (MIGRATE_END, or the first per-channel MIGRATE)
    DONE = "done"
    FAILED = "failed"  # abandoned: nothing of it is used (the session stays, or switches host)


@dataclass
class MigrationPlan:
    """One migration as the client follows it. `channels`: what the client has besides main (all pre-linked)."""

    seamless_offered: bool
    channels: frozenset[ChannelKey]
    started: float
    timeout_s: float = PRE_CONNECT_TIMEOUT_S
    phase: Phase = Phase.CONNECTING
    seamless: bool = False  # the hand-over will be (or was) seamless
    reason: str = ""  # why it is not seamless, or why it failed
    main_linked: bool = False
    awaiting_answer: bool = False  # DO_SEAMLESS sent; ACK or NACK not yet in
    linked: set[ChannelKey] = field(default_factory=set)
    moved: set[ChannelKey] = field(default_factory=set)
    answered_at: float | None = None
    moving_since: float | None = None
    done_at: float | None = None

    @property
    def deadline(self) -> float | None:
        return self.started + self.timeout_s if self.phase is Phase.CONNECTING else None

    # --- connecting ---------------------------------------------------------------------------------------

    def main_up(self, now: float, destination_seamless: bool) -> bool:
        """The destination's main channel linked. True: send it MIGRATE_DST_DO_SEAMLESS now (then link the
        others: spice-gtk does not wait for the answer either)."""
        if self.phase is not Phase.CONNECTING:
            return False
        self.main_linked = True
        if self.seamless_offered and destination_seamless:
            self.awaiting_answer = True
            return True
        if self.seamless_offered:
            self.reason = "the destination does not offer seamless migration"
        return False

    def seamless_answer(self, now: float, accepted: bool) -> Reply | None:
        if self.phase is not Phase.CONNECTING or not self.awaiting_answer:
            return None
        self.awaiting_answer = False
        self.seamless = accepted
        if not accepted:
            self.reason = "the destination refused a seamless hand-over (NACK)"
        return self.answer_if_ready(now)

    def channel_up(self, now: float, key: ChannelKey) -> Reply | None:
        if self.phase is not Phase.CONNECTING or key not in self.channels:
            return None
        self.linked.add(key)
        return self.answer_if_ready(now)

    def answer_if_ready(self, now: float) -> Reply | None:
        """The answer, once every link is up (and the destination has answered DO_SEAMLESS if asked)."""
        if self.phase is not Phase.CONNECTING or not self.main_linked or self.awaiting_answer:
            return None
        if self.linked != self.channels:
            return None
        self.phase, self.answered_at = Phase.CONNECTED, now
        if not self.seamless_offered and not self.reason:
            self.reason = "the source offered only semi-seamless migration"
        return Reply.CONNECTED_SEAMLESS if self.seamless else Reply.CONNECTED

    def failed(self, now: float, why: str) -> Reply | None:
        """A link to the destination failed. While connecting this is the answer; later it only ends the plan."""
        answer = Reply.CONNECT_ERROR if self.phase is Phase.CONNECTING else None
        if self.phase in (Phase.CONNECTING, Phase.CONNECTED):
            self.phase, self.reason, self.seamless = Phase.FAILED, why, False
        return answer

    def poll(self, now: float) -> Reply | None:
        deadline = self.deadline
        if deadline is not None and now >= deadline:
            return self.failed(now, f"the destination did not accept every link within {self.timeout_s:.0f} s")
        return None

    # --- the hand-over ------------------------------------------------------------------------------------

    def cancelled(self, now: float, why: str) -> bool:
        """The server cancelled, or switches host instead. True: drop the pre-connections (too late once moving)."""
        if self.phase in (Phase.CONNECTING, Phase.CONNECTED):
            self.phase, self.reason, self.seamless = Phase.FAILED, why, False
            return True
        return False

    def end_semi_seamless(self, now: float) -> bool:
        """MIGRATE_END from the source: main moves now, the others on the destination's INIT."""
        if self.phase is not Phase.CONNECTED or self.seamless:
            return False
        self.phase, self.moving_since = Phase.MOVING, now
        self.moved.add(MAIN_KEY)
        return True

    def channel_moves(self, now: float, key: ChannelKey) -> bool:
        """A channel moves to the destination (seamless: its MIGRATE; semi-seamless: on INIT).
        True while it has a pre-connection to move to."""
        if self.phase is Phase.CONNECTED and self.seamless:
            self.phase, self.moving_since = Phase.MOVING, now
        if self.phase is not Phase.MOVING or key in self.moved:
            return False
        self.moved.add(key)
        if self.seamless and self.moved >= self.channels | {MAIN_KEY}:
            self.phase, self.done_at = Phase.DONE, now
        return key == MAIN_KEY or key in self.linked

    def give_up_waiting(self, now: float) -> bool:
        """Seamless: channels that had a link made still have not been told to move (the server migrated fewer):
        the hand-over is over without them. True if it was still waiting."""
        if self.phase is not Phase.MOVING or not self.seamless:
            return False
        missing = sorted(self.channels - self.moved)
        self.phase, self.done_at = Phase.DONE, now
        self.reason = f"channels {missing} were never told to move; they reconnect on their own"
        return True

    def listed(self, now: float) -> None:
        """Semi-seamless: every link made in advance has moved on INIT; what did not, never will."""
        if self.phase is Phase.MOVING and not self.seamless:
            self.phase, self.done_at = Phase.DONE, now

    @property
    def mode(self) -> str:
        return "seamless" if self.seamless else "semi-seamless"

    def describe(self) -> dict[str, object]:
        """For --stats-json and tests: how the session moved, and why not seamlessly."""
        result: dict[str, object] = {"mode": self.mode if self.phase is not Phase.FAILED else "failed"}
        result["phase"] = self.phase.value
        if self.reason:
            result["reason"] = self.reason
        if self.answered_at is not None:
            result["pre_connect_ms"] = round((self.answered_at - self.started) * 1000, 1)
        if self.moving_since is not None and self.done_at is not None:
            result["hand_over_ms"] = round((self.done_at - self.moving_since) * 1000, 1)
        return result
