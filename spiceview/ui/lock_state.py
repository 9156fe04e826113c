"""The client keyboard's lock state (Caps, Num, Scroll), read from the platform: Qt has no API for it.

Sent to the guest when the window gets the keyboard, so both sides agree (as spice-gtk does).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

from ..protocol.constants import KeyboardModifiers

_XKB_USE_CORE_KBD = 0x0100


class _X11Locks:
    def __init__(self) -> None:
        name = ctypes.util.find_library("X11")
        self._lib = ctypes.CDLL(name) if name else None
        self._display = None
        if self._lib is not None:
            self._lib.XOpenDisplay.restype = ctypes.c_void_p
            self._lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
            self._lib.XkbGetIndicatorState.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.POINTER(ctypes.c_uint)]
            self._display = self._lib.XOpenDisplay(None)

    def read(self) -> int | None:
        if self._lib is None or not self._display:
            return None
        state = ctypes.c_uint(0)
        if self._lib.XkbGetIndicatorState(self._display, _XKB_USE_CORE_KBD, ctypes.byref(state)) != 0:
            return None
        # The core keyboard's standard indicators: Caps Lock, Num Lock, Scroll Lock in bits 0, 1, 2.
        mods = 0
        if state.value & 1:
            mods |= KeyboardModifiers.CAPS_LOCK
        if state.value & 2:
            mods |= KeyboardModifiers.NUM_LOCK
        if state.value & 4:
            mods |= KeyboardModifiers.SCROLL_LOCK
        return mods


def _windows_locks() -> int | None:
    user32 = ctypes.windll.user32  # type: ignore[attr-defined]
    mods = 0
    if user32.GetKeyState(0x14) & 1:
        mods |= KeyboardModifiers.CAPS_LOCK
    if user32.GetKeyState(0x90) & 1:
        mods |= KeyboardModifiers.NUM_LOCK
    if user32.GetKeyState(0x91) & 1:
        mods |= KeyboardModifiers.SCROLL_LOCK
    return mods


def _mac_locks() -> int | None:
    name = ctypes.util.find_library("ApplicationServices")
    if not name:
        return None
    lib = ctypes.CDLL(name)
    lib.CGEventSourceFlagsState.restype = ctypes.c_uint64
    lib.CGEventSourceFlagsState.argtypes = [ctypes.c_int32]
    flags = lib.CGEventSourceFlagsState(1)  # kCGEventSourceStateHIDSystemState
    return int(KeyboardModifiers.CAPS_LOCK) if flags & 0x10000 else 0  # kCGEventFlagMaskAlphaShift


_x11: _X11Locks | None = None


def client_lock_state(platform: str) -> int | None:
    """KeyboardModifiers bits of the client's locks, or None when the platform does not tell."""
    global _x11
    try:
        if platform == "xcb":
            if _x11 is None:
                _x11 = _X11Locks()
            return _x11.read()
        if sys.platform == "win32":
            return _windows_locks()
        if sys.platform == "darwin":
            return _mac_locks()
    except (OSError, AttributeError):
        return None
    return None
