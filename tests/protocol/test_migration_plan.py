"""protocol/migration.py: what the client answers a migrating source, and when the hand-over is complete."""

from __future__ import annotations

from spiceview.protocol.constants import ChannelType
from spiceview.protocol.migration import MAIN_KEY, MigrationPlan, Phase, Reply

DISPLAY = (ChannelType.DISPLAY, 0)
INPUTS = (ChannelType.INPUTS, 0)
CHANNELS = frozenset({DISPLAY, INPUTS})


def test_semi_seamless_answers_once_every_link_is_up() -> None:
    plan = MigrationPlan(False, CHANNELS, started=0.0)
    assert plan.main_up(0.1, destination_seamless=True) is False  # not offered by the source: not asked
    assert plan.answer_if_ready(0.1) is None
    assert plan.channel_up(0.2, DISPLAY) is None
    assert plan.channel_up(0.3, INPUTS) is Reply.CONNECTED
    assert plan.phase is Phase.CONNECTED and plan.describe()["pre_connect_ms"] == 300.0
    assert plan.channel_up(0.4, INPUTS) is None  # answered once
    assert "only semi-seamless" in plan.reason


def test_seamless_waits_for_the_destinations_ack() -> None:
    plan = MigrationPlan(True, CHANNELS, started=0.0)
    assert plan.main_up(0.1, destination_seamless=True) is True  # send MIGRATE_DST_DO_SEAMLESS now
    assert plan.channel_up(0.2, DISPLAY) is None
    assert plan.channel_up(0.2, INPUTS) is None  # every link up, the answer not yet in
    assert plan.seamless_answer(0.3, accepted=True) is Reply.CONNECTED_SEAMLESS
    assert plan.seamless and plan.mode == "seamless" and not plan.reason


def test_a_nack_or_a_destination_without_the_capability_falls_back_to_semi_seamless() -> None:
    refused = MigrationPlan(True, frozenset(), started=0.0)
    assert refused.main_up(0.1, destination_seamless=True)
    assert refused.seamless_answer(0.2, accepted=False) is Reply.CONNECTED
    assert "NACK" in refused.reason and refused.mode == "semi-seamless"
    unable = MigrationPlan(True, frozenset(), started=0.0)
    assert unable.main_up(0.1, destination_seamless=False) is False
    assert unable.answer_if_ready(0.1) is Reply.CONNECTED
    assert "does not offer" in unable.reason


def test_a_failed_link_or_the_deadline_answers_connect_error_once() -> None:
    plan = MigrationPlan(False, CHANNELS, started=0.0)
    plan.main_up(0.1, destination_seamless=False)
    assert plan.failed(0.2, "display-0: refused") is Reply.CONNECT_ERROR
    assert plan.phase is Phase.FAILED and plan.describe()["mode"] == "failed"
    assert plan.channel_up(0.3, DISPLAY) is None and plan.failed(0.3, "again") is None
    late = MigrationPlan(False, CHANNELS, started=0.0, timeout_s=8.0)
    assert late.deadline == 8.0 and late.poll(7.9) is None
    assert late.poll(8.0) is Reply.CONNECT_ERROR and late.deadline is None
    assert "within 8 s" in late.reason


def test_cancel_drops_the_links_until_the_hand_over_starts() -> None:
    plan = MigrationPlan(False, frozenset(), started=0.0)
    plan.main_up(0.1, destination_seamless=False)
    assert plan.answer_if_ready(0.1) is Reply.CONNECTED
    assert plan.end_semi_seamless(0.5)
    assert plan.cancelled(0.6, "too late") is False  # moving: the session is already on the destination
    other = MigrationPlan(False, frozenset(), started=0.0)
    assert other.cancelled(0.1, "the server cancelled") is True and other.phase is Phase.FAILED


def test_seamless_is_done_when_every_channel_has_moved() -> None:
    plan = MigrationPlan(True, CHANNELS, started=0.0)
    plan.main_up(0.0, destination_seamless=True)
    plan.channel_up(0.0, DISPLAY), plan.channel_up(0.0, INPUTS)
    plan.seamless_answer(0.1, accepted=True)
    assert plan.end_semi_seamless(0.2) is False  # MIGRATE_END is not the seamless path
    assert plan.channel_moves(1.0, MAIN_KEY) and plan.phase is Phase.MOVING
    assert plan.channel_moves(1.001, DISPLAY)
    assert plan.channel_moves(1.001, DISPLAY) is False  # once
    assert plan.channel_moves(1.002, (ChannelType.CURSOR, 0)) is False  # never linked: relink afresh
    assert plan.channel_moves(1.004, INPUTS) and plan.phase is Phase.DONE
    assert plan.describe()["hand_over_ms"] == 4.0


def test_semi_seamless_moves_main_then_the_others() -> None:
    plan = MigrationPlan(False, CHANNELS, started=0.0)
    plan.main_up(0.0, destination_seamless=False)
    plan.channel_up(0.0, DISPLAY), plan.channel_up(0.0, INPUTS)
    assert plan.channel_moves(0.5, DISPLAY) is False  # nothing moves before MIGRATE_END
    assert plan.end_semi_seamless(1.0) and plan.phase is Phase.MOVING
    assert plan.channel_moves(1.01, DISPLAY) and plan.channel_moves(1.01, INPUTS)
    plan.listed(1.02)
    assert plan.phase is Phase.DONE and plan.describe()["hand_over_ms"] == 20.0


def test_seamless_stops_waiting_for_channels_the_server_never_moves() -> None:
    plan = MigrationPlan(True, CHANNELS, started=0.0)
    plan.main_up(0.0, destination_seamless=True)
    plan.channel_up(0.0, DISPLAY), plan.channel_up(0.0, INPUTS)
    plan.seamless_answer(0.1, accepted=True)
    plan.channel_moves(1.0, MAIN_KEY), plan.channel_moves(1.0, DISPLAY)
    assert plan.give_up_waiting(11.0) and plan.phase is Phase.DONE
    assert "never told to move" in plan.reason and plan.give_up_waiting(12.0) is False
