"""Keyboard and mouse of one RedScreen: physical keys to scancodes, pointer to guest coordinates, grabs.

Keys are sent as the physical key (PC AT set-1 scancodes from the native scan code), never as text, so the
guest's own keyboard layout decides the character. In client mouse mode the pointer is sent as absolute guest
coordinates; in server mode it is grabbed on click, hidden, kept in the window, and sent as relative motion
until the release hotkey (Ctrl+Alt by default).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QCursor, QGuiApplication, QKeyEvent, QMouseEvent, QWheelEvent

from ..protocol import keymap
from ..protocol.constants import MouseButton, MouseMode
from .lock_state import client_lock_state

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from ..channels.inputs_channel import InputsChannel
    from .red_screen import RedScreen

QT_BUTTONS = {
    Qt.MouseButton.LeftButton: MouseButton.LEFT,
    Qt.MouseButton.MiddleButton: MouseButton.MIDDLE,
    Qt.MouseButton.RightButton: MouseButton.RIGHT,
    Qt.MouseButton.BackButton: MouseButton.SIDE,
    Qt.MouseButton.ForwardButton: MouseButton.EXTRA,
}
MASKS = {MouseButton.LEFT: 1, MouseButton.MIDDLE: 2, MouseButton.RIGHT: 4, MouseButton.UP: 8, MouseButton.DOWN: 16,
         MouseButton.SIDE: 32, MouseButton.EXTRA: 64}  # fmt: skip
MODIFIER_NAMES = {"ctrl", "alt", "shift", "super", "altgr", "meta"}
# GTK accelerator names remote-viewer uses for keys that are a shifted character on a US keyboard.
KEY_ALIASES = {"plus": "equal", "underscore": "minus"}


def parse_hotkey(text: str) -> frozenset[str]:
    """'ctrl+alt' or 'shift+f12' -> key names as held keys are named ('del' -> 'delete'); '' disables it.

    Left and right modifiers count the same ('ctrl' matches either Ctrl key).
    """
    names = set()
    for part in (p.strip() for p in text.split("+")):
        if not part:
            continue
        part = KEY_ALIASES.get(part.lower(), part)
        try:
            names.add(_hotkey_name(keymap.canonical_name(part)))
        except KeyError:
            raise ValueError(f"unknown key {part!r} in hotkey {text!r}") from None
    return frozenset(names)


class InputHandler:
    def __init__(self, screen: RedScreen) -> None:
        self.screen = screen
        self.inputs: InputsChannel | None = None
        self.mouse_mode = MouseMode.CLIENT
        self.display_id = 0
        self.buttons = 0
        self.pointer_grabbed = False
        self.keyboard_grabbed = False
        # Viewer hotkeys by action (remote-viewer's names); only release-cursor is handled here, the others go
        # to on_hotkey. A hotkey made of modifiers only still reaches the guest; one with another key does not.
        self.hotkeys: dict[str, frozenset[str]] = {"release-cursor": parse_hotkey("ctrl+alt")}
        self.on_hotkey: Callable[[str], None] | None = None
        self._held_names: set[str] = set()
        self._fired: set[str] = set()
        self._swallowed: set[int] = set()
        self._wheel = 0
        self.on_grab_changed = None  # callable(bool), for a status line such as "Press Ctrl+Alt to release"

    @property
    def platform(self) -> str:
        name = QGuiApplication.platformName()
        return "xcb" if name == "offscreen" else name

    # --- configuration ------------------------------------------------------------------------------------

    def set_inputs(self, inputs: InputsChannel | None) -> None:
        self.inputs = inputs

    def set_mouse_mode(self, mode: int) -> None:
        self.mouse_mode = MouseMode(mode) if mode in (1, 2) else MouseMode.SERVER
        if self.mouse_mode == MouseMode.CLIENT and self.pointer_grabbed:
            self.ungrab()

    def set_release_hotkey(self, text: str) -> None:
        self.hotkeys["release-cursor"] = parse_hotkey(text)

    def set_hotkeys(self, hotkeys: dict[str, str]) -> None:
        """Bindings by action name; '' disables an action."""
        for action, text in hotkeys.items():
            self.hotkeys[action] = parse_hotkey(text)

    # --- keys ---------------------------------------------------------------------------------------------

    def key_press(self, event: QKeyEvent) -> None:
        scancode = self._scancode(event)
        log.debug(
            "key press native %#x vk %#x -> scancode %s",
            event.nativeScanCode(),
            event.nativeVirtualKey(),
            None if scancode is None else hex(scancode),
        )
        name = keymap.name_of_scancode(scancode) if scancode is not None else None
        if name is not None and not event.isAutoRepeat():
            self._held_names.add(_hotkey_name(name))
            for action, keys in self.hotkeys.items():
                if keys and keys <= self._held_names and action not in self._fired:
                    self._fired.add(action)
                    self._run_hotkey(action)
                    if not keys <= MODIFIER_NAMES:
                        # A hotkey with an ordinary key is the viewer's, not the guest's.
                        self._swallowed.add(scancode)  # type: ignore[arg-type]
        if scancode is None or self.inputs is None or scancode in self._swallowed:
            return
        self.send_scancode(scancode, down=True)

    def _run_hotkey(self, action: str) -> None:
        if action == "release-cursor":
            self.release_grabs()
        elif self.on_hotkey is not None:
            self.on_hotkey(action)

    def key_release(self, event: QKeyEvent) -> None:
        if event.isAutoRepeat():
            return
        scancode = self._scancode(event)
        if scancode is None:
            return
        name = keymap.name_of_scancode(scancode)
        if name is not None:
            self._held_names.discard(_hotkey_name(name))
            self._fired = {a for a in self._fired if self.hotkeys.get(a, frozenset()) <= self._held_names}
        if scancode in self._swallowed:
            self._swallowed.discard(scancode)
            return
        if self.inputs is not None and scancode in self.inputs.pressed:
            self.send_scancode(scancode, down=False)

    def send_scancode(self, scancode: int, down: bool) -> None:
        if self.inputs is None:
            return
        if down:
            self.inputs.key_down(keymap.key_down_codes(scancode), scancode)
        else:
            self.inputs.key_up(keymap.key_up_codes(scancode), scancode)

    def send_keys(self, names: list[str]) -> None:
        """Press the keys in order and release them in reverse (the send-key menu: Ctrl+Alt+Del ...)."""
        codes = [keymap.scancode_for_name(name) for name in names]
        for code in codes:
            self.send_scancode(code, down=True)
        for code in reversed(codes):
            self.send_scancode(code, down=False)

    def release_all_keys(self) -> None:
        """Losing the keyboard with keys down would leave them stuck in the guest."""
        self._held_names.clear()
        if self.inputs is None:
            return
        for scancode in list(self.inputs.pressed):
            self.send_scancode(scancode, down=False)

    def _scancode(self, event: QKeyEvent) -> int | None:
        return keymap.scancode_from_event(
            self.platform, event.nativeScanCode(), event.nativeVirtualKey(), int(event.key())
        )

    # --- mouse --------------------------------------------------------------------------------------------

    def mouse_move(self, event: QMouseEvent) -> None:
        if self.inputs is None:
            return
        if self.mouse_mode == MouseMode.CLIENT:
            x, y = self.screen.to_guest(event.position())
            self.inputs.position(x, y, self.buttons, self.display_id)
        elif self.pointer_grabbed:
            center = self.screen.rect().center()
            delta = event.position().toPoint() - center
            if delta.x() or delta.y():
                scale = self.screen.guest_scale()
                self.inputs.motion(round(delta.x() / scale), round(delta.y() / scale), self.buttons)
                self._warp_to_center()

    def mouse_press(self, event: QMouseEvent) -> None:
        if self.mouse_mode == MouseMode.SERVER and not self.pointer_grabbed:
            self.grab_pointer()
            return  # the click that grabs is not the guest's
        button = QT_BUTTONS.get(event.button())
        if button is None or self.inputs is None:
            return
        if self.mouse_mode == MouseMode.CLIENT:
            x, y = self.screen.to_guest(event.position())
            self.inputs.position(x, y, self.buttons, self.display_id)
        self.buttons |= MASKS[button]
        self.inputs.button_press(button, self.buttons)

    def mouse_release(self, event: QMouseEvent) -> None:
        button = QT_BUTTONS.get(event.button())
        if button is None or self.inputs is None or not self.buttons & MASKS[button]:
            return
        self.buttons &= ~MASKS[button]
        self.inputs.button_release(button, self.buttons)

    def wheel(self, event: QWheelEvent) -> None:
        if self.inputs is None:
            return
        # Touchpads send small deltas: add them up and send a notch per 120 (one wheel click).
        self._wheel += event.angleDelta().y()
        steps = int(self._wheel / 120)
        self._wheel -= steps * 120
        # SPICE's wheel is a button press and release per notch; it has no horizontal buttons.
        button = MouseButton.UP if steps > 0 else MouseButton.DOWN
        for _ in range(abs(steps)):
            self.inputs.button_press(button, self.buttons | MASKS[button])
            self.inputs.button_release(button, self.buttons)

    # --- grabs and focus ----------------------------------------------------------------------------------

    def grab_pointer(self) -> None:
        self.pointer_grabbed = True
        self.screen.grabMouse()
        self.screen.setCursor(Qt.CursorShape.BlankCursor)
        self.grab_keyboard()
        self._warp_to_center()
        self._grab_changed()

    def ungrab(self) -> None:
        if self.pointer_grabbed:
            self.pointer_grabbed = False
            self.screen.releaseMouse()
            self.screen.update_local_cursor()
        self._grab_changed()

    def grab_keyboard(self) -> None:
        if not self.keyboard_grabbed:
            self.keyboard_grabbed = True
            self.screen.grabKeyboard()
            self.sync_locks()

    def release_keyboard(self) -> None:
        if self.keyboard_grabbed:
            self.keyboard_grabbed = False
            self.screen.releaseKeyboard()

    def release_grabs(self) -> None:
        """The release hotkey: give back pointer and keyboard until the next click or entry."""
        self.ungrab()
        self.release_keyboard()

    def sync_locks(self) -> None:
        state = client_lock_state(self.platform)
        if state is not None and self.inputs is not None and state != self.inputs.guest_modifiers:
            self.inputs.set_lock_state(state)

    def focus_in(self) -> None:
        self.sync_locks()

    def focus_out(self) -> None:
        self.release_all_keys()
        self._fired.clear()
        self._swallowed.clear()
        self.release_grabs()

    def enter(self) -> None:
        if self.screen.isActiveWindow():
            self.grab_keyboard()

    def leave(self) -> None:
        if not self.pointer_grabbed:
            self.release_keyboard()

    def _warp_to_center(self) -> None:
        QCursor.setPos(self.screen.mapToGlobal(self.screen.rect().center()))

    def _grab_changed(self) -> None:
        if self.on_grab_changed is not None:
            self.on_grab_changed(self.pointer_grabbed)


def _hotkey_name(name: str) -> str:
    """Left and right modifiers count the same for hotkeys ('lctrl' -> 'ctrl'; AltGr stays itself)."""
    if name[:1] in ("l", "r") and name[1:] in MODIFIER_NAMES:
        return name[1:]
    return name
