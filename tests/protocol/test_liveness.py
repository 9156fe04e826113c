"""The liveness check (protocol/liveness.py) with a fake clock: probe after silence, stalled when unanswered, every
byte clears it, lost after the limit; round trips stretch the wait on slow links."""

from __future__ import annotations

from spiceview.protocol.liveness import Liveness, LivenessCheck


def test_silence_probes_and_an_answer_clears() -> None:
    check = LivenessCheck(quiet_s=1.0, answer_s=0.8, lost_s=15.0, last_heard=0.0)
    assert check.poll(0.5) is None and check.next_check() == 1.0
    assert check.poll(1.0) is Liveness.PROBE
    assert check.poll(1.2) is None  # one probe at a time
    check.heard(1.05)
    assert check.round_trip is not None and abs(check.round_trip - 0.05) < 1e-9
    assert check.next_check() == 2.05 and check.poll(2.05) is Liveness.PROBE


def test_a_cut_is_reported_within_two_seconds_then_recovered() -> None:
    check = LivenessCheck(quiet_s=0.8, answer_s=0.7, lost_s=15.0, last_heard=10.0)
    # The network goes at 10.0, just after the last byte: probe at 10.8, stalled at 11.5.
    assert check.poll(check.next_check()) is Liveness.PROBE
    when = check.next_check()
    assert when - 10.0 < 2.0
    assert check.poll(when) is Liveness.STALLED
    assert check.poll(when + 1) is None  # said once
    check.heard(14.0)
    assert check.next_check() == 14.0 and check.poll(14.0) is Liveness.RECOVERED
    assert check.poll(14.1) is None


def test_silence_past_the_limit_is_lost() -> None:
    check = LivenessCheck(quiet_s=1.0, answer_s=0.8, lost_s=5.0, last_heard=0.0)
    check.poll(1.0)
    check.poll(1.8)
    assert check.stalled and check.next_check() == 5.0
    assert check.poll(5.0) is Liveness.LOST


def test_slow_links_wait_three_round_trips() -> None:
    check = LivenessCheck(quiet_s=1.0, answer_s=0.8, lost_s=30.0, last_heard=0.0)
    check.poll(1.0)
    check.heard(1.6)  # a 600 ms round trip
    assert check.answer_limit() == 3 * check.round_trip  # type: ignore[operator]
    assert check.poll(2.6) is Liveness.PROBE
    assert check.poll(3.6) is None  # 1.0 s unanswered is normal on this link
    assert check.poll(2.6 + 1.8) is Liveness.STALLED
