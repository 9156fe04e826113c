"""InputsChannel: keys as PC AT scancodes, the mouse in both modes, keyboard lock sync.

The public methods are called from the GUI thread; they hop onto the channel's thread, where the motion ack
window is kept: at most 2 x SPICE_INPUT_MOTION_ACK_BUNCH motion or position messages are in flight, and what
happens meanwhile is folded into the next one (positions: the latest; motions: the sum), as spice-gtk does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal

from ..protocol.connection import ChannelConnection
from ..protocol.constants import INPUT_MOTION_ACK_BUNCH, ChannelType, InputsCap, MouseButton, MouseButtonMask
from ..protocol.messages import inputs as imsg
from ..protocol.messages.classes import MsgInputsInit, MsgInputsKeyModifiers, MsgInputsMouseMotionAck
from ..protocol.schema import WireStruct
from .channel_base import ChannelBase

if TYPE_CHECKING:
    from .red_client import RedClient

BUTTON_MASKS = {
    MouseButton.LEFT: MouseButtonMask.LEFT,
    MouseButton.MIDDLE: MouseButtonMask.MIDDLE,
    MouseButton.RIGHT: MouseButtonMask.RIGHT,
    MouseButton.UP: MouseButtonMask.UP,
    MouseButton.DOWN: MouseButtonMask.DOWN,
    MouseButton.SIDE: MouseButtonMask.SIDE,
    MouseButton.EXTRA: MouseButtonMask.EXTRA,
}


class InputsChannel(ChannelBase):
    channel_type = ChannelType.INPUTS

    guest_modifiers_changed = Signal(int)  # KeyboardModifiers of the guest (scroll, num, caps)

    def __init__(self, session: RedClient, channel_id: int = 0) -> None:
        super().__init__(session, channel_id)
        self.guest_modifiers = 0
        self.motion_in_flight = 0
        self._pending_position: tuple[int, int, int, int] | None = None
        self._pending_motion = [0, 0, 0]  # dx, dy, buttons
        self._has_pending_motion = False
        self.pressed: set[int] = set()  # scancodes held down in the guest, released on focus loss
        self.handlers.update(
            {
                imsg.MSG_INIT: self._on_modifiers_init,
                imsg.MSG_KEY_MODIFIERS: self._on_modifiers,
                imsg.MSG_MOUSE_MOTION_ACK: self._on_motion_ack,
            }
        )

    def channel_caps(self) -> frozenset[int]:
        return frozenset({InputsCap.KEY_SCANCODE})

    # --- keys (any thread) ----------------------------------------------------------------------------------

    def key_down(self, codes: list[int], scancode: int) -> None:
        """KEY_DOWN for each wire code (spice-gtk's encoding of set-1 scancodes, E0 in the low byte)."""
        self.pressed.add(scancode)
        for code in codes:
            self.send(imsg.MSGC_KEY_DOWN.cls(code=code))

    def key_up(self, codes: list[int], scancode: int) -> None:
        self.pressed.discard(scancode)
        for code in codes:
            self.send(imsg.MSGC_KEY_UP.cls(code=code))

    def key_scancode(self, raw: bytes) -> None:
        """Raw scancode bytes in one message (Pause's E1 sequence needs it)."""
        if InputsCap.KEY_SCANCODE in self.server_caps:
            self.send(imsg.MSGC_KEY_SCANCODE.cls(data=raw))

    def set_lock_state(self, modifiers: int) -> None:
        """Tell the guest the client's Caps/Num/Scroll state (sent when the window gets the keyboard)."""
        self.send(imsg.MSGC_KEY_MODIFIERS.cls(modifiers=modifiers))

    # --- mouse (any thread) -------------------------------------------------------------------------------

    def position(self, x: int, y: int, buttons: int, display_id: int = 0) -> None:
        """Client mouse mode: the absolute pointer position on a display."""
        self.call(lambda: self._position(max(0, x), max(0, y), buttons, display_id))

    def motion(self, dx: int, dy: int, buttons: int) -> None:
        """Server mouse mode: relative motion."""
        if dx or dy:
            self.call(lambda: self._motion(dx, dy, buttons))

    def button_press(self, button: int, buttons: int) -> None:
        self.call(lambda: self._flush_then(imsg.MSGC_MOUSE_PRESS.cls(button=button, buttons_state=buttons)))

    def button_release(self, button: int, buttons: int) -> None:
        self.call(lambda: self._flush_then(imsg.MSGC_MOUSE_RELEASE.cls(button=button, buttons_state=buttons)))

    def call(self, fn: Callable[[], None]) -> None:
        if self._loop is not None:
            self._loop.call_soon(fn)

    # --- on the channel thread ----------------------------------------------------------------------------

    def _conn(self) -> ChannelConnection:
        assert self._loop is not None
        return self._loop.conn

    def _position(self, x: int, y: int, buttons: int, display_id: int) -> None:
        if self.motion_in_flight < 2 * INPUT_MOTION_ACK_BUNCH:
            self._send_position(x, y, buttons, display_id)
        else:
            self._pending_position = (x, y, buttons, display_id)

    def _send_position(self, x: int, y: int, buttons: int, display_id: int) -> None:
        msg = imsg.MSGC_MOUSE_POSITION.cls(x=x, y=y, buttons_state=buttons, display_id=display_id)
        self._conn().send(msg)
        self.motion_in_flight += 1

    def _motion(self, dx: int, dy: int, buttons: int) -> None:
        self._pending_motion[0] += dx
        self._pending_motion[1] += dy
        self._pending_motion[2] = buttons
        self._has_pending_motion = True
        if self.motion_in_flight < 2 * INPUT_MOTION_ACK_BUNCH:
            self._send_motion()

    def _send_motion(self) -> None:
        dx, dy, buttons = self._pending_motion
        self._pending_motion = [0, 0, 0]
        self._has_pending_motion = False
        if dx or dy:
            self._conn().send(imsg.MSGC_MOUSE_MOTION.cls(dx=dx, dy=dy, buttons_state=buttons))
            self.motion_in_flight += 1

    def _flush_then(self, msg: WireStruct) -> None:
        # A click must land where the pointer is: send a held-back position or motion first, window or not.
        if self._pending_position is not None:
            self._send_position(*self._pending_position)
            self._pending_position = None
        if self._has_pending_motion:
            self._send_motion()
        self._conn().send(msg)

    def _on_motion_ack(self, msg: MsgInputsMouseMotionAck) -> None:
        self.motion_in_flight = max(0, self.motion_in_flight - INPUT_MOTION_ACK_BUNCH)
        if self._has_pending_motion:
            self._send_motion()
        if self._pending_position is not None:
            pending, self._pending_position = self._pending_position, None
            self._send_position(*pending)

    def _on_modifiers_init(self, msg: MsgInputsInit) -> None:
        self.guest_modifiers = msg.keyboard_modifiers
        self.guest_modifiers_changed.emit(self.guest_modifiers)

    def _on_modifiers(self, msg: MsgInputsKeyModifiers) -> None:
        self.guest_modifiers = msg.modifiers
        self.guest_modifiers_changed.emit(self.guest_modifiers)
