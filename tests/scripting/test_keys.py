"""vncdotool's key names and combinations, and text as US key strokes (no server)."""

from __future__ import annotations

import pytest

from spiceview.protocol import keymap
from spiceview.scripting.keys import SHIFT, KeyNameError, parse_combo, scancode, text_strokes

CTRL, ALT, DELETE = (keymap.scancode_for_name(n) for n in ("ctrl", "alt", "delete"))


@pytest.mark.parametrize(
    ("vncdo", "ours"),
    [
        ("bsp", "backspace"), ("tab", "tab"), ("return", "enter"), ("enter", "enter"), ("esc", "escape"),
        ("ins", "insert"), ("delete", "delete"), ("del", "delete"), ("home", "home"), ("end", "end"),
        ("pgup", "pageup"), ("pgdn", "pagedown"), ("left", "left"), ("up", "up"), ("slash", "slash"),
        ("bslash", "backslash"), ("fslash", "slash"), ("spacebar", "space"), ("space", "space"), ("sb", "space"),
        ("f1", "f1"), ("f12", "f12"), ("lshift", "shift"), ("shift", "shift"), ("rshift", "rshift"),
        ("lctrl", "ctrl"), ("ctrl", "ctrl"), ("rctrl", "rctrl"), ("lmeta", "lsuper"), ("meta", "lsuper"),
        ("rmeta", "rsuper"), ("lalt", "alt"), ("alt", "alt"), ("ralt", "ralt"), ("scrlk", "scroll"),
        ("sysrq", "print"), ("numlk", "num"), ("caplk", "caps"), ("pause", "pause"), ("lsuper", "lsuper"),
        ("super", "lsuper"), ("rsuper", "rsuper"), ("kp0", "kp_0"), ("kp9", "kp_9"), ("kpenter", "kp_enter"),
        ("minus", "minus"),
    ],
)  # fmt: skip
def test_every_vncdo_name_is_a_key(vncdo: str, ours: str) -> None:
    assert scancode(vncdo) == keymap.scancode_for_name(ours)


def test_combinations_with_dashes_or_pluses() -> None:
    assert parse_combo("ctrl-alt-delete").scancodes == (CTRL, ALT, DELETE)
    assert parse_combo("ctrl+alt+del").scancodes == (CTRL, ALT, DELETE)
    assert parse_combo("-").scancodes == (keymap.scancode_for_name("minus"),)
    assert parse_combo("ctrl-minus").scancodes == (CTRL, keymap.scancode_for_name("minus"))
    assert parse_combo("A").scancodes == (SHIFT, keymap.scancode_for_name("a"))  # a capital brings its Shift
    assert parse_combo("?").scancodes == (SHIFT, keymap.scancode_for_name("/"))


@pytest.mark.parametrize("bad", ["ctrl--", "hyperdrive", "ctrl-", "", "ctrl-alt-é"])
def test_unknown_keys_are_named(bad: str) -> None:
    with pytest.raises(KeyNameError) as info:
        parse_combo(bad)
    assert "\n" not in str(info.value)


def test_text_is_typed_as_on_a_us_keyboard() -> None:
    strokes = [s.scancodes for s in text_strokes('Ab1!\n\t "~')]
    a, b, one = (keymap.scancode_for_name(c) for c in "ab1")
    assert strokes[:4] == [(SHIFT, a), (b,), (one,), (SHIFT, one)]
    assert strokes[4:] == [
        (keymap.scancode_for_name("enter"),),
        (keymap.scancode_for_name("tab"),),
        (keymap.scancode_for_name("space"),),
        (SHIFT, keymap.scancode_for_name("'")),
        (SHIFT, keymap.scancode_for_name("`")),
    ]
    assert text_strokes("a\r\nb") == text_strokes("a\nb")  # CRLF types as LF


def test_a_character_without_a_us_key_is_refused_with_its_position() -> None:
    with pytest.raises(KeyNameError, match="'é' at position 4 has no key on the US layout"):
        text_strokes("café")
