"""InputsChannel: keys as PC AT scancodes, the mouse in both modes, keyboard lock sync.

The public methods are called from the GUI thread; they hop onto the channel's thread, where the pointer's
flow control (protocol/pointer_flow.py, sans-IO) decides what is sent now and what is folded into later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..protocol.constants import ChannelType, InputsCap, MouseButton, MouseButtonMask
from ..protocol.messages import inputs as imsg
from ..protocol.messages.classes import MsgInputsInit, MsgInputsKeyModifiers, MsgInputsMouseMotionAck
from ..protocol.pointer_flow import PointerFlow
from ..protocol.schema import WireStruct
from .channel_base import ChannelBase
from .signals import Signal

if TYPE_CHECKING:
    from .channel_session import ChannelSession

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

    def __init__(self, session: ChannelSession, channel_id: int = 0) -> None:
        super().__init__(session, channel_id)
        self.guest_modifiers = 0
        self.pointer = PointerFlow()
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
        self.call(lambda: self._send_all(self.pointer.position(x, y, buttons, display_id)))

    def motion(self, dx: int, dy: int, buttons: int) -> None:
        """Server mouse mode: relative motion."""
        if dx or dy:
            self.call(lambda: self._send_all(self.pointer.motion(dx, dy, buttons)))

    def button_press(self, button: int, buttons: int) -> None:
        press = imsg.MSGC_MOUSE_PRESS.cls(button=button, buttons_state=buttons)
        self.call(lambda: self._send_all(self.pointer.button(press)))

    def button_release(self, button: int, buttons: int) -> None:
        release = imsg.MSGC_MOUSE_RELEASE.cls(button=button, buttons_state=buttons)
        self.call(lambda: self._send_all(self.pointer.button(release)))

    def call(self, fn: Callable[[], None]) -> None:
        if self._loop is not None:
            self._loop.call_soon(fn)

    # --- on the channel thread ----------------------------------------------------------------------------

    def _send_all(self, messages: list[WireStruct]) -> None:
        if self._loop is None:
            return
        for message in messages:
            self._loop.conn.send(message)

    def _on_motion_ack(self, msg: MsgInputsMouseMotionAck) -> None:
        self._send_all(self.pointer.on_motion_ack())

    def _on_modifiers_init(self, msg: MsgInputsInit) -> None:
        self.guest_modifiers = msg.keyboard_modifiers
        self.guest_modifiers_changed.emit(self.guest_modifiers)

    def _on_modifiers(self, msg: MsgInputsKeyModifiers) -> None:
        self.guest_modifiers = msg.modifiers
        self.guest_modifiers_changed.emit(self.guest_modifiers)
