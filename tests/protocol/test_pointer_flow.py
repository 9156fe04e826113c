"""The pointer's flow control without a channel, a socket or Qt: events in, messages out."""

from __future__ import annotations

from spiceview.protocol.constants import INPUT_MOTION_ACK_BUNCH
from spiceview.protocol.messages.classes import MsgcInputsMouseMotion, MsgcInputsMousePosition, MsgcInputsMousePress
from spiceview.protocol.pointer_flow import WINDOW, PointerFlow


def test_positions_beyond_the_window_fold_into_the_latest() -> None:
    flow = PointerFlow()
    sent = [m for i in range(WINDOW + 5) for m in flow.position(i, i, 0, 0)]
    assert len(sent) == WINDOW and flow.in_flight == WINDOW
    (latest,) = flow.on_motion_ack()
    assert isinstance(latest, MsgcInputsMousePosition) and (latest.x, latest.y) == (WINDOW + 4, WINDOW + 4)
    assert flow.in_flight == WINDOW - INPUT_MOTION_ACK_BUNCH + 1


def test_motions_held_back_add_up() -> None:
    flow = PointerFlow()
    flow.in_flight = WINDOW
    assert flow.motion(2, -1, 1) == [] and flow.motion(3, 4, 1) == []
    (motion,) = flow.on_motion_ack()
    assert isinstance(motion, MsgcInputsMouseMotion) and (motion.dx, motion.dy, motion.buttons_state) == (5, 3, 1)


def test_a_click_first_sends_what_was_held_back_even_with_the_window_full() -> None:
    flow = PointerFlow()
    flow.in_flight = WINDOW
    flow.position(10, 20, 0, 1)
    press = MsgcInputsMousePress(button=1, buttons_state=1)
    position, click = flow.button(press)
    assert isinstance(position, MsgcInputsMousePosition) and (position.x, position.y, position.display_id) == (
        10,
        20,
        1,
    )
    assert click is press
    assert flow.on_motion_ack() == []  # nothing left behind


def test_negative_positions_are_clamped_and_acks_never_go_below_zero() -> None:
    flow = PointerFlow()
    (position,) = flow.position(-5, -1, 0, 0)
    assert (position.x, position.y) == (0, 0)
    for _ in range(3):
        flow.on_motion_ack()
    assert flow.in_flight == 0
    assert flow.motion(0, 0, 0) == []  # no movement, nothing sent
