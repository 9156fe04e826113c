"""The multimedia clock followed from heard sound, with time passed in: no wall clock, exact figures."""

from __future__ import annotations

from spiceview.protocol.audio_clock import CLOCK_RESYNC_MS, AudioClock


def test_the_latest_estimate_wins_over_packets_handled_late() -> None:
    clock = AudioClock()
    assert clock.heard(5000, now_ms=1000) == 5000
    # 20 ms of stream later, handled 50 ms later: handled late by 30 ms, so the clock stays on the first.
    assert clock.heard(5020, now_ms=1050) == 5050
    # A packet on time again moves nothing back either.
    assert clock.heard(5060, now_ms=1060) == 5060


def test_a_jump_beyond_the_resync_limit_restarts_it() -> None:
    clock = AudioClock()
    clock.heard(5000, now_ms=0)
    assert clock.heard(5000 - CLOCK_RESYNC_MS - 1, now_ms=0) == 5000 - CLOCK_RESYNC_MS - 1
    clock.heard(9000, now_ms=0)
    clock.reset()
    assert clock.heard(100, now_ms=0) == 100


def test_old_estimates_leave_the_window_and_the_clock_wraps_at_32_bits() -> None:
    clock = AudioClock(window=3)
    clock.heard(1000, now_ms=0)  # early estimate, then three later ones are 10 ms behind it
    for _ in range(3):
        clock.heard(990, now_ms=0)
    assert clock.heard(990, now_ms=0) == 990
    assert AudioClock().heard(0xFFFFFFFF + 5, now_ms=0) == 4
