"""Physical keys -> PC AT set-1 scancodes for SPICE's inputs channel (pure Python, no Qt import).

spiceview sends the key the user pressed, never the character it produced, so the guest's own layout decides
what a key means and non-US layouts work. Per platform the physical key comes from a different field of Qt's
QKeyEvent:

========  ===========================================================================================
xcb       ``nativeScanCode()`` = X11/XKB keycode = Linux evdev code + 8 (also Wayland, XWayland, offscreen)
wayland   ``nativeScanCode()`` = XKB keycode = evdev + 8
windows   ``nativeScanCode()`` = ``(lParam >> 16) & 0x1FF``: the set-1 code, 0x100 set for E0-prefixed keys
          (qwindowskeymapper.cpp, Qt 5 and 6); ``nativeVirtualKey()`` = VK_* (wParam)
cocoa     ``nativeVirtualKey()`` = Carbon kVK_* (``[NSEvent keyCode]``); ``nativeScanCode()`` is a dummy 1 for
          real keyboard events and 0 for events without native data
========  ===========================================================================================

``qt_key`` (``QKeyEvent.key()``) is only a last resort for events that carry no native code (synthesised events,
some input methods), interpreted as a US-layout position.

Scancodes use spice-gtk's encoding (``spice_inputs_channel_key_press``): a set-1 make code, ``0x100 | code`` for
E0-prefixed keys, the constant :data:`PAUSE` for Pause (set-1 ``E1 1D 45``) and the single high-bit make bytes
``0xF2`` (Hangul) / ``0xF1`` (Hanja). The code tables come from QEMU's keycodemapdb (generated into
``_tables.py`` by ``_generate.py``); the overrides below are where this module deliberately differs from it.
"""

from __future__ import annotations

import re

from ._tables import EVDEV_TO_SET1 as _EVDEV_CSV
from ._tables import MACOS_VK_TO_SET1 as _MACOS_CSV
from ._tables import WIN32_VK_TO_SET1 as _WIN32_CSV

__all__ = [
    "PAUSE",
    "PRINT_SCREEN",
    "BREAK",
    "HANGUL",
    "HANJA",
    "MODIFIER_SCANCODES",
    "EVDEV_TO_SET1",
    "MACOS_VK_TO_SET1",
    "WIN32_VK_TO_SET1",
    "scancode_from_event",
    "key_down_codes",
    "key_up_codes",
    "pause_sequence",
    "press_release_bytes",
    "wire_bytes",
    "is_valid_scancode",
    "scancode_for_name",
    "scancodes_for_combo",
    "name_of_scancode",
    "canonical_name",
]

# Pause/Break sends E1 1D 45 (make) E1 9D C5 (break) in set 1; no 0x1NN value can describe it.
PAUSE = 0xE11D45
# PrintScreen: E0 37 on its own (a real keyboard adds a fake E0 2A shift before it; guests do not need it).
PRINT_SCREEN = 0x137
# Ctrl+Pause: E0 46.
BREAK = 0x146
# Korean keys: a single make byte with bit 7 set, and no break code (keycodemapdb, Linux atkbd).
HANGUL = 0xF2
HANJA = 0xF1
_HIGH_BIT_MAKE_CODES = (HANJA, HANGUL)
# E0 2A / E0 36: the fake shifts a keyboard wraps around some E0 keys; never keys of their own.
_FAKE_SHIFTS = (0x12A, 0x136)

MODIFIER_SCANCODES: dict[str, int] = {
    "lctrl": 0x1D,
    "rctrl": 0x11D,
    "lshift": 0x2A,
    "rshift": 0x36,
    "lalt": 0x38,
    "ralt": 0x138,  # AltGr
    "lsuper": 0x15B,
    "rsuper": 0x15C,
    "caps": 0x3A,
    "num": 0x45,
    "scroll": 0x46,
}

# --- tables: keycodemapdb plus deliberate overrides -------------------------------------------------------------

EVDEV_TO_SET1: dict[int, int] = dict(_EVDEV_CSV)
# KEY_SYSRQ: keycodemapdb says 0x54 (what the key sends with Alt held). E0 37 is the plain PrintScreen make code,
# which spice-gtk sends on Windows; QEMU reads both as Print, Xspice only understands E0 37 (0x54 + 8 is its
# ISO_Level3_Shift keycode). So the key is always E0 37.
EVDEV_TO_SET1[99] = PRINT_SCREEN
# KEY_PAUSE: keycodemapdb says E0 46 (Ctrl+Break). The key itself is E1 1D 45, as spice-gtk sends it.
EVDEV_TO_SET1[119] = PAUSE
# evdev 84 is no key (the XKB <LVL3> placeholder, keycode 92); keycodemapdb's 0x54 for it is historical.
EVDEV_TO_SET1.pop(84, None)
# KEY_BASSBOOST: keycodemapdb gives it E0 36, the fake right shift that guests discard; no usable code.
EVDEV_TO_SET1.pop(209, None)

MACOS_VK_TO_SET1: dict[int, int] = dict(_MACOS_CSV)
# kVK_Help (0x72) is the key in the Insert position of Apple's extended keyboards and what a PC keyboard's Insert
# reports on macOS; a guest wants Insert, not the rare Help key (QEMU's cocoa UI does the same).
MACOS_VK_TO_SET1[0x72] = 0x152

_VK_CANCEL = 0x03
_VK_PAUSE = 0x13
_VK_SNAPSHOT = 0x2C
_VK_NUMLOCK = 0x90
_VK_F13, _VK_F24 = 0x7C, 0x87
_VK_PACKET = 0xE7

WIN32_VK_TO_SET1: dict[int, int] = dict(_WIN32_CSV)
WIN32_VK_TO_SET1[_VK_PAUSE] = PAUSE
WIN32_VK_TO_SET1[_VK_SNAPSHOT] = PRINT_SCREEN
WIN32_VK_TO_SET1[_VK_CANCEL] = BREAK

# kVK_ANSI_Grave and kVK_ISO_Section trade places on ISO Apple keyboards (keycodemapdb cannot encode that).
_KVK_ISO_SECTION = 0x0A
_KVK_ANSI_GRAVE = 0x32

# --- Qt::Key fallback (US positions) ----------------------------------------------------------------------------

# Unshifted and shifted US characters -> the key that types them (also used for one-character names).
_US_CHARS: dict[str, int] = {}
for _row, _codes in (("1234567890-=", range(0x02, 0x0E)), ("qwertyuiop[]", range(0x10, 0x1C)),
                     ("asdfghjkl;'`", range(0x1E, 0x2A)), ("\\zxcvbnm,./", range(0x2B, 0x36)),
                     ('!@#$%^&*()_+', range(0x02, 0x0E)), ("QWERTYUIOP{}", range(0x10, 0x1C)),
                     ('ASDFGHJKL:"~', range(0x1E, 0x2A)), ("|ZXCVBNM<>?", range(0x2B, 0x36))):  # fmt: skip
    for _char, _code in zip(_row, _codes, strict=True):
        _US_CHARS[_char] = _code
_US_CHARS[" "] = 0x39
_US_SHIFTED = frozenset('!@#$%^&*()_+QWERTYUIOP{}ASDFGHJKL:"~|ZXCVBNM<>?')
_US_NAMED = {"\n": 0x1C, "\t": 0x0F}  # Enter, Tab
LEFT_SHIFT = 0x2A


def us_scancodes_for_char(ch: str) -> tuple[int, ...]:
    """The keys a US keyboard presses for a character (Shift first when it needs it): "A" -> (0x2A, 0x1E),
    "\\n" -> Enter. KeyError for a character the US layout has no key for."""
    code = _US_NAMED.get(ch) or _US_CHARS.get(ch)
    if code is None:
        raise KeyError(f"no US key types {ch!r}")
    return (LEFT_SHIFT, code) if ch in _US_SHIFTED else (code,)


# Qt::Key values (qnamespace.h; stable across Qt 5 and 6).
_QT_KEYS: dict[int, int] = {
    0x01000000: 0x01,  # Key_Escape
    0x01000001: 0x0F,  # Key_Tab
    0x01000002: 0x0F,  # Key_Backtab (Shift+Tab)
    0x01000003: 0x0E,  # Key_Backspace
    0x01000004: 0x1C,  # Key_Return
    0x01000005: 0x11C,  # Key_Enter (keypad)
    0x01000006: 0x152,  # Key_Insert
    0x01000007: 0x153,  # Key_Delete
    0x01000008: PAUSE,  # Key_Pause
    0x01000009: PRINT_SCREEN,  # Key_Print
    0x0100000A: PRINT_SCREEN,  # Key_SysReq
    0x01000010: 0x147,  # Key_Home
    0x01000011: 0x14F,  # Key_End
    0x01000012: 0x14B,  # Key_Left
    0x01000013: 0x148,  # Key_Up
    0x01000014: 0x14D,  # Key_Right
    0x01000015: 0x150,  # Key_Down
    0x01000016: 0x149,  # Key_PageUp
    0x01000017: 0x151,  # Key_PageDown
    0x01000020: 0x2A,  # Key_Shift
    0x01000021: 0x1D,  # Key_Control (Command on macOS: see _QT_KEYS_COCOA)
    0x01000022: 0x15B,  # Key_Meta (the Windows key; Control on macOS)
    0x01000023: 0x38,  # Key_Alt
    0x01000024: 0x3A,  # Key_CapsLock
    0x01000025: 0x45,  # Key_NumLock
    0x01000026: 0x46,  # Key_ScrollLock
    0x01000053: 0x15B,  # Key_Super_L
    0x01000054: 0x15C,  # Key_Super_R
    0x01000055: 0x15D,  # Key_Menu
    0x01000058: 0x175,  # Key_Help
    0x01001103: 0x138,  # Key_AltGr
    0x01001122: 0x7B,  # Key_Muhenkan
    0x01001123: 0x79,  # Key_Henkan
    0x01001127: 0x70,  # Key_Hiragana_Katakana
    0x0100112A: 0x29,  # Key_Zenkaku_Hankaku (the JIS key left of 1)
    0x01001131: HANGUL,  # Key_Hangul
    0x01001134: HANJA,  # Key_Hangul_Hanja
    0x000000A5: 0x7D,  # Key_yen
    0x01000070: 0x12E,  # Key_VolumeDown
    0x01000071: 0x120,  # Key_VolumeMute
    0x01000072: 0x130,  # Key_VolumeUp
    0x01000080: 0x122,  # Key_MediaPlay
    0x01000081: 0x124,  # Key_MediaStop
    0x01000082: 0x110,  # Key_MediaPrevious
    0x01000083: 0x119,  # Key_MediaNext
    0x01000086: 0x122,  # Key_MediaTogglePlayPause
    0x01000061: 0x16A,  # Key_Back
    0x01000062: 0x169,  # Key_Forward
    0x01000063: 0x168,  # Key_Stop
    0x01000064: 0x167,  # Key_Refresh
    0x01000090: 0x132,  # Key_HomePage
    0x01000091: 0x166,  # Key_Favorites
    0x01000092: 0x165,  # Key_Search
    0x010000A0: 0x16C,  # Key_LaunchMail
    0x010000CB: 0x121,  # Key_Calculator
    0x010000B7: 0x15E,  # Key_PowerOff
    0x010000B8: 0x163,  # Key_WakeUp
    0x01020004: 0x15F,  # Key_Sleep
}
_QT_KEY_F1 = 0x01000030
# F1..F24 as keycodemapdb numbers them (F13 and up follow Linux/QEMU, as the evdev and macOS tables do).
_F_KEYS = [0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x40, 0x41, 0x42, 0x43, 0x44, 0x57, 0x58] + [
    _EVDEV_CSV[evdev]
    for evdev in range(183, 195)  # KEY_F13..KEY_F24
]
for _i, _code in enumerate(_F_KEYS):
    _QT_KEYS[_QT_KEY_F1 + _i] = _code
for _char, _code in _US_CHARS.items():
    if not _char.islower():  # Qt::Key for a letter is the upper-case code point
        _QT_KEYS.setdefault(ord(_char), _code)
# Qt swaps Control and Meta on macOS: Key_Control is the Command key, Key_Meta the Control key.
_QT_KEYS_COCOA = {0x01000021: 0x15B, 0x01000022: 0x1D}


def _from_qt_key(platform: str, qt_key: int) -> int | None:
    if platform == "cocoa" and qt_key in _QT_KEYS_COCOA:
        return _QT_KEYS_COCOA[qt_key]
    return _QT_KEYS.get(qt_key)


# --- native codes -----------------------------------------------------------------------------------------------


def _from_xkb(keycode: int) -> int | None:
    return EVDEV_TO_SET1.get(keycode - 8) if keycode >= 8 else None


def _from_windows(scan: int, vk: int) -> int | None:
    if vk == _VK_PAUSE:
        return PAUSE  # Windows reports Pause as scan 0x45 without the extended flag, NumLock with it
    if _VK_F13 <= vk <= _VK_F24:
        # Windows scan codes for F13-F24 are Microsoft's (0x64...); keep keycodemapdb's, like the other platforms.
        return WIN32_VK_TO_SET1[vk]
    if vk == _VK_PACKET:
        return None  # a character injected by SendInput(KEYEVENTF_UNICODE): no key at all
    scan &= 0x1FF
    if scan == 0x145:
        return 0x45  # NumLock carries the extended flag on Windows but is a plain 0x45 in set 1
    if scan == 0x45:
        return 0x45 if vk == _VK_NUMLOCK else PAUSE
    if scan == 0x54:
        return PRINT_SCREEN  # Alt+PrintScreen (SysRq): the same key, sent as E0 37 everywhere (see EVDEV_TO_SET1)
    if scan == 0x136:
        return 0x36  # right shift flagged extended by some drivers and hooks
    if scan in (0x71, 0x72):
        return scan | 0x80  # Hangul/Hanja if a driver dropped their high bit
    if scan in _HIGH_BIT_MAKE_CODES:
        return scan
    if scan & 0x7F and not scan & 0x80 and scan not in _FAKE_SHIFTS:
        return scan
    return WIN32_VK_TO_SET1.get(vk)  # no usable scan code (synthesised events, IMEs)


def _from_cocoa(kvk: int, iso: bool) -> int | None:
    if iso and kvk in (_KVK_ISO_SECTION, _KVK_ANSI_GRAVE):
        kvk = _KVK_ANSI_GRAVE if kvk == _KVK_ISO_SECTION else _KVK_ISO_SECTION
    return MACOS_VK_TO_SET1.get(kvk)


def scancode_from_event(platform: str, native_scan_code: int, native_virtual_key: int, qt_key: int, *,
                        macos_iso: bool = False) -> int | None:  # fmt: skip
    """The physical key of a Qt key event as a spice-gtk-style set-1 scancode, or None if it has none.

    ``platform`` is ``QGuiApplication.platformName()``: "xcb", "wayland" (and "wayland-egl" ...), "offscreen"
    (treated as xcb), "windows" (and "direct2d"), "cocoa"; anything else uses ``qt_key`` alone. When the event has
    native data, an unknown native code gives None rather than a guess from ``qt_key``.

    ``macos_iso``: the Mac keyboard is an ISO one (Carbon ``KBGetLayoutType(LMGetKbdType()) == kKeyboardISO``); macOS
    then reports the key left of 1 and the key right of left Shift with swapped codes, which this undoes.
    """
    xkb = platform in ("xcb", "offscreen") or platform.startswith("wayland")
    if xkb and native_scan_code:
        return _from_xkb(native_scan_code)
    if platform in ("windows", "direct2d") and (native_scan_code or native_virtual_key):
        return _from_windows(native_scan_code, native_virtual_key)
    if platform == "cocoa" and native_scan_code:  # Qt puts a dummy 1 here for real key events; 0: no native data
        return _from_cocoa(native_virtual_key, macos_iso)
    return _from_qt_key(platform, qt_key)


# --- wire encoding ----------------------------------------------------------------------------------------------


def is_valid_scancode(scancode: int) -> bool:
    """A code this module can send: a set-1 make code, 0x100 | an E0 make code, Hangul/Hanja, or PAUSE."""
    if scancode == PAUSE or scancode in _HIGH_BIT_MAKE_CODES:
        return True
    if 0x01 <= scancode <= 0x7F:
        return True
    return 0x101 <= scancode <= 0x17F and scancode not in _FAKE_SHIFTS


def _check(scancode: int) -> None:
    if not is_valid_scancode(scancode):
        raise ValueError(f"not a set-1 scancode: {scancode:#x}")


def key_down_codes(scancode: int) -> list[int]:
    """The ``code`` values of the KEY_DOWN messages that press ``scancode``.

    Each is spice_make_scancode()'s u32: the scancode bytes least significant first (the server pushes bytes from
    the low end until a zero byte), so ``0x1E`` for A and ``0x48E0`` for E0 48 (Up). Pause is two messages, E1 1D
    then 45, exactly as spice-gtk sends it; :func:`pause_sequence` is the same key for one KEY_SCANCODE message.
    Hangul/Hanja press as their make byte without bit 7 (QEMU reads bit 7 as "released"; its keyboard model then
    emits the real F2/F1 make code).
    """
    _check(scancode)
    if scancode == PAUSE:
        return [0x1DE1, 0x45]
    if scancode in _HIGH_BIT_MAKE_CODES:
        return [scancode & 0x7F]
    if scancode < 0x100:
        return [scancode]
    return [0xE0 | (scancode & 0x7F) << 8]


def key_up_codes(scancode: int) -> list[int]:
    """The ``code`` values of the KEY_UP messages that release ``scancode`` (break codes: bit 7 set)."""
    _check(scancode)
    if scancode == PAUSE:
        return [0x9DE1, 0xC5]
    if scancode in _HIGH_BIT_MAKE_CODES:
        return [scancode]
    if scancode < 0x100:
        return [scancode | 0x80]
    return [0xE0 | (scancode & 0x7F | 0x80) << 8]


def wire_bytes(code: int) -> bytes:
    """The scancode bytes a KEY_DOWN/KEY_UP ``code`` stands for (spice-server: low byte first, stop at a zero)."""
    out = bytearray()
    for _ in range(4):
        if not code & 0xFF:
            break
        out.append(code & 0xFF)
        code >>= 8
    return bytes(out)


def pause_sequence() -> bytes:
    """Pause pressed and released, as the raw bytes of one KEY_SCANCODE message: E1 1D 45 E1 9D C5."""
    return bytes((0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5))


def press_release_bytes(scancode: int) -> bytes:
    """One KEY_SCANCODE message's bytes that press and release ``scancode`` (spice-gtk's press_and_release)."""
    return b"".join(wire_bytes(code) for code in key_down_codes(scancode) + key_up_codes(scancode))


# --- names ------------------------------------------------------------------------------------------------------

# One canonical name per key (name_of_scancode returns these). Modifiers use MODIFIER_SCANCODES' names.
_CANONICAL: dict[str, int] = {"escape": 0x01}
_CANONICAL.update({c: _US_CHARS[c] for c in "1234567890"})
_CANONICAL.update({"minus": 0x0C, "equal": 0x0D, "backspace": 0x0E, "tab": 0x0F})
_CANONICAL.update({c: _US_CHARS[c] for c in "qwertyuiop"})
_CANONICAL.update({"bracketleft": 0x1A, "bracketright": 0x1B, "enter": 0x1C})
_CANONICAL.update({c: _US_CHARS[c] for c in "asdfghjkl"})
_CANONICAL.update({"semicolon": 0x27, "apostrophe": 0x28, "grave": 0x29, "backslash": 0x2B})
_CANONICAL.update({c: _US_CHARS[c] for c in "zxcvbnm"})
_CANONICAL.update({"comma": 0x33, "period": 0x34, "slash": 0x35, "space": 0x39, "102nd": 0x56})
_CANONICAL.update(MODIFIER_SCANCODES)
_CANONICAL.update({f"f{i + 1}": code for i, code in enumerate(_F_KEYS)})
_CANONICAL.update({
    "print": PRINT_SCREEN, "pause": PAUSE, "break": BREAK,
    "insert": 0x152, "delete": 0x153, "home": 0x147, "end": 0x14F, "pageup": 0x149, "pagedown": 0x151,
    "up": 0x148, "down": 0x150, "left": 0x14B, "right": 0x14D, "menu": 0x15D,
    "kp_0": 0x52, "kp_1": 0x4F, "kp_2": 0x50, "kp_3": 0x51, "kp_4": 0x4B, "kp_5": 0x4C, "kp_6": 0x4D,
    "kp_7": 0x47, "kp_8": 0x48, "kp_9": 0x49, "kp_decimal": 0x53, "kp_add": 0x4E, "kp_subtract": 0x4A,
    "kp_multiply": 0x37, "kp_divide": 0x135, "kp_enter": 0x11C, "kp_equal": 0x59, "kp_comma": 0x7E,
    "kp_jpcomma": 0x5C,
    "katakanahiragana": 0x70, "henkan": 0x79, "muhenkan": 0x7B, "ro": 0x73, "yen": 0x7D, "katakana": 0x78,
    "hiragana": 0x77, "hangul": HANGUL, "hanja": HANJA,
    "mute": 0x120, "volumedown": 0x12E, "volumeup": 0x130, "playpause": 0x122, "mediastop": 0x124,
    "nextsong": 0x119, "previoussong": 0x110, "calculator": 0x121, "mail": 0x16C, "homepage": 0x132,
    "search": 0x165, "back": 0x16A, "forward": 0x169, "refresh": 0x167, "stop": 0x168, "bookmarks": 0x166,
    "computer": 0x16B, "media": 0x16D, "help": 0x175, "power": 0x15E, "sleep": 0x15F, "wake": 0x163,
})  # fmt: skip

# Other spellings, including remote-viewer's --hotkeys names (ctrl, alt, shift, cmd, win and their l/r/left-/right-
# forms, esc, ins, del, pgup, pageup, pgdn, pagedown, end, enter) and X11 keysym names (lower-cased).
_ALIASES: dict[str, str] = {
    "esc": "escape", "ctrl": "lctrl", "control": "lctrl", "control_l": "lctrl", "ctrl_l": "lctrl",
    "leftctrl": "lctrl", "left_ctrl": "lctrl", "rightctrl": "rctrl", "right_ctrl": "rctrl", "control_r": "rctrl",
    "ctrl_r": "rctrl", "alt": "lalt", "alt_l": "lalt", "leftalt": "lalt", "left_alt": "lalt", "option": "lalt",
    "rightalt": "ralt", "right_alt": "ralt", "alt_r": "ralt", "altgr": "ralt", "alt_gr": "ralt",
    "iso_level3_shift": "ralt", "shift": "lshift", "shift_l": "lshift", "leftshift": "lshift",
    "left_shift": "lshift", "rightshift": "rshift", "right_shift": "rshift", "shift_r": "rshift",
    "super": "lsuper", "super_l": "lsuper", "win": "lsuper", "lwin": "lsuper", "leftwin": "lsuper",
    "left_win": "lsuper", "meta": "lsuper", "meta_l": "lsuper", "cmd": "lsuper", "lcmd": "lsuper",
    "leftcmd": "lsuper", "left_cmd": "lsuper", "command": "lsuper", "windows": "lsuper",
    "super_r": "rsuper", "rwin": "rsuper", "rightwin": "rsuper", "right_win": "rsuper", "meta_r": "rsuper",
    "rcmd": "rsuper", "rightcmd": "rsuper", "right_cmd": "rsuper",
    "capslock": "caps", "caps_lock": "caps", "numlock": "num", "num_lock": "num", "scrolllock": "scroll",
    "scroll_lock": "scroll",
    "del": "delete", "ins": "insert", "pgup": "pageup", "page_up": "pageup", "prior": "pageup",
    "pgdn": "pagedown", "page_down": "pagedown", "next": "pagedown", "return": "enter", "ret": "enter",
    "back_space": "backspace", "bksp": "backspace", "spc": "space",
    "prtsc": "print", "printscreen": "print", "print_screen": "print", "sysrq": "print", "sys_req": "print",
    "apps": "menu", "compose": "menu", "context_menu": "menu", "less": "102nd", "lsgt": "102nd",
    "iso_102nd": "102nd", "oem_102": "102nd", "dot": "period", "equals": "equal", "quote": "apostrophe",
    "bracket_left": "bracketleft", "bracket_right": "bracketright", "grave_accent": "grave",
    "kp_slash": "kp_divide", "kp_asterisk": "kp_multiply", "kp_star": "kp_multiply", "kp_minus": "kp_subtract",
    "kp_plus": "kp_add", "kp_dot": "kp_decimal", "kp_period": "kp_decimal", "kp_equals": "kp_equal",
    "kp_return": "kp_enter",
    "hiragana_katakana": "katakanahiragana", "kana": "katakanahiragana", "convert": "henkan",
    "nonconvert": "muhenkan", "intl_ro": "ro", "intl_yen": "yen", "hangeul": "hangul", "hangul_hanja": "hanja",
    "lang1": "hangul", "lang2": "hanja",
    "audiomute": "mute", "volume_mute": "mute", "volumemute": "mute", "volume_down": "volumedown",
    "volume_up": "volumeup", "play_pause": "playpause", "media_play_pause": "playpause", "audioplay": "playpause",
    "media_stop": "mediastop", "audiostop": "mediastop", "stopcd": "mediastop", "media_next": "nextsong",
    "next_track": "nextsong", "audionext": "nextsong", "media_prev": "previoussong",
    "media_previous": "previoussong", "prev_track": "previoussong", "audioprev": "previoussong",
    "calc": "calculator", "www": "homepage", "browser_home": "homepage", "browser_back": "back",
    "browser_forward": "forward", "browser_refresh": "refresh", "browser_stop": "stop",
    "browser_search": "search", "favorites": "bookmarks", "my_computer": "computer",
}  # fmt: skip
_EXTRA_NAMES: dict[str, int] = {
    # The JIS key left of 1 sends 0x29 (the US grave position); it is not keycodemapdb's Lang5 0x76.
    "zenkaku_hankaku": 0x29, "zenkakuhankaku": 0x29, "hankaku": 0x29,
}  # fmt: skip

_BY_CODE: dict[int, str] = {}
for _name, _code in _CANONICAL.items():
    _BY_CODE.setdefault(_code, _name)

_KP_DIGITS = re.compile(r"^kp(\d)$")


def scancode_for_name(name: str) -> int:
    """A key name -> scancode: "ctrl", "ralt"/"altgr", "delete"/"del", "f1".."f24", "print", "super_l", "a", "5",
    "kp_enter", "pause" ..., case-insensitive, '-' and '_' alike; one character is the US key that types it; "0x1d"
    or "0x153" is taken as a scancode. Generic modifiers are the left one. Raises KeyError for an unknown name."""
    text = name.strip()
    if len(text) == 1:
        code = _US_CHARS.get(text)
        if code is None:
            raise KeyError(f"unknown key name {name!r}")
        return code
    key = text.lower().replace("-", "_")
    if key.startswith("0x"):
        try:
            code = int(key, 16)
        except ValueError:
            code = -1
        if is_valid_scancode(code):
            return code
        raise KeyError(f"not a set-1 scancode: {name!r}")
    if match := _KP_DIGITS.match(key):
        key = f"kp_{match.group(1)}"
    key = _ALIASES.get(key, key)
    if key in _CANONICAL:
        return _CANONICAL[key]
    if key in _EXTRA_NAMES:
        return _EXTRA_NAMES[key]
    raise KeyError(f"unknown key name {name!r}")


def scancodes_for_combo(combo: str) -> list[int]:
    """ "ctrl+alt+del" -> [0x1D, 0x38, 0x153]: the keys to press in order (and release in reverse)."""
    parts = [part for part in combo.split("+") if part.strip()]
    if combo.rstrip().endswith("++"):
        parts.append("+")
    if not parts:
        raise KeyError(f"empty key combination {combo!r}")
    return [scancode_for_name(part) for part in parts]


def name_of_scancode(scancode: int) -> str | None:
    """The canonical name of a scancode ("lctrl", "f12", "a", "kp_enter", "pause" ...); "0x1NN" for a valid code
    without a name; None for an invalid one. ``scancode_for_name(name_of_scancode(c)) == c``."""
    if not is_valid_scancode(scancode):
        return None
    return _BY_CODE.get(scancode, f"0x{scancode:x}")


def canonical_name(name: str) -> str:
    """Any accepted spelling -> the canonical one ("del" -> "delete", "ctrl" -> "lctrl", "AltGr" -> "ralt")."""
    result = name_of_scancode(scancode_for_name(name))
    assert result is not None
    return result
