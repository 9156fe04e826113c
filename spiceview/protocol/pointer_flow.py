"""The inputs channel's pointer flow control, sans-IO: pointer events in, messages to send out.

The server acknowledges mouse messages in bunches (MOUSE_MOTION_ACK per SPICE_INPUT_MOTION_ACK_BUNCH). At most
two bunches are in flight; what the user does meanwhile is folded into the next message (positions: the
latest; motions: the sum), as spice-gtk does. A press or release first flushes what was held back, so a click
lands where the pointer is.

    position(x, y, buttons, display) -> messages     client mouse mode
    motion(dx, dy, buttons)          -> messages     server mouse mode
    button(msg)                      -> messages     a MOUSE_PRESS / MOUSE_RELEASE, after what was held back
    on_motion_ack()                  -> messages     the server took a bunch
"""

from __future__ import annotations

from .constants import INPUT_MOTION_ACK_BUNCH
from .messages.classes import MsgcInputsMouseMotion, MsgcInputsMousePosition
from .schema import WireStruct

WINDOW = 2 * INPUT_MOTION_ACK_BUNCH


class PointerFlow:
    def __init__(self) -> None:
        self.in_flight = 0  # motion and position messages sent and not yet acknowledged
        self._position: tuple[int, int, int, int] | None = None  # held back: x, y, buttons, display
        self._motion = [0, 0, 0]  # held back: dx, dy, buttons
        self._has_motion = False

    def position(self, x: int, y: int, buttons: int, display_id: int) -> list[WireStruct]:
        position = (max(0, x), max(0, y), buttons, display_id)
        if self.in_flight < WINDOW:
            return [self._send_position(position)]
        self._position = position
        return []

    def motion(self, dx: int, dy: int, buttons: int) -> list[WireStruct]:
        self._motion[0] += dx
        self._motion[1] += dy
        self._motion[2] = buttons
        self._has_motion = True
        return self._take_motion() if self.in_flight < WINDOW else []

    def button(self, message: WireStruct) -> list[WireStruct]:
        out: list[WireStruct] = []
        if self._position is not None:
            out.append(self._send_position(self._position))
            self._position = None
        if self._has_motion:
            out += self._take_motion()
        out.append(message)
        return out

    def on_motion_ack(self) -> list[WireStruct]:
        self.in_flight = max(0, self.in_flight - INPUT_MOTION_ACK_BUNCH)
        out = self._take_motion() if self._has_motion else []
        if self._position is not None:
            position, self._position = self._position, None
            out.append(self._send_position(position))
        return out

    def _send_position(self, position: tuple[int, int, int, int]) -> WireStruct:
        x, y, buttons, display_id = position
        self.in_flight += 1
        return MsgcInputsMousePosition(x=x, y=y, buttons_state=buttons, display_id=display_id)

    def _take_motion(self) -> list[WireStruct]:
        dx, dy, buttons = self._motion
        self._motion = [0, 0, 0]
        self._has_motion = False
        if not (dx or dy):
            return []
        self.in_flight += 1
        return [MsgcInputsMouseMotion(dx=dx, dy=dy, buttons_state=buttons)]
