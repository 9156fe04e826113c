"""Key names as vncdotool writes them, and text as key strokes: what `key`, `keydown`, `keyup` and `type` send.

A key combination is names joined by '-' ("ctrl-alt-delete", "shift-a"; a lone "-" is the minus key, and in a
combination it is written "minus"), or by '+' as spiceview's own hotkeys are ("ctrl+alt+f2"). Names are
vncdotool's (bsp, esc, pgdn, lctrl, kpenter, caplk ...) and everything spiceview's keymap knows (see
spiceview.protocol.keymap.scancode_for_name); a single character is the US key that types it.

Text is typed as a US keyboard would type it: each character becomes the physical key (and Shift) that produces
it on the US layout, sent as scancodes; the guest's own keyboard layout then decides what character appears,
as for a person typing on a US keyboard plugged into it. A character the US layout has no key for (é, ß, €, CJK)
is refused before anything is sent, with its position: put such text on the guest's clipboard instead
(Console.set_clipboard, `clipboard-set`) and paste it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol import keymap

SHIFT = keymap.LEFT_SHIFT
# vncdotool's names that spiceview's keymap spells differently (the rest are the same or already aliases).
VNCDO_NAMES = {
    "bsp": "backspace",
    "bslash": "backslash",
    "fslash": "slash",
    "spacebar": "space",
    "sb": "space",
    "scrlk": "scroll",
    "numlk": "num",
    "caplk": "caps",
    "kpenter": "kp_enter",
    "lmeta": "lsuper",
    "rmeta": "rsuper",
}


class KeyNameError(ValueError):
    """A key name or a character that cannot be sent; the message names it."""


@dataclass(frozen=True)
class Stroke:
    """Keys pressed in order, then released in reverse."""

    scancodes: tuple[int, ...]


def scancode(name: str) -> int:
    """One key: a vncdotool name, a keymap name, or one character (its US key, without Shift)."""
    if name in ("", " "):
        raise KeyNameError(f"empty key name in {name!r}")
    lowered = name.lower() if len(name) > 1 else name
    try:
        return keymap.scancode_for_name(VNCDO_NAMES.get(lowered, name))
    except KeyError:
        raise KeyNameError(
            f"unknown key name {name!r} (names: esc, enter, bsp, ctrl, alt, shift, f1, kp5 ...)"
        ) from None


def parse_combo(combo: str) -> Stroke:
    """ "ctrl-alt-delete" / "ctrl+alt+delete" / "A" -> the keys to press; a capital letter or a shifted symbol
    alone brings its Shift (vncdotool sends the keysym, which types the capital)."""
    text = combo.strip()
    if text in ("-", "+"):
        return Stroke((scancode(text),))
    if len(text) == 1:
        return char_stroke(text, 0)
    separator = "+" if "+" in text and "-" not in text else "-"
    parts = text.split(separator)
    if any(not part for part in parts):
        raise KeyNameError(f"empty key in {combo!r} (write the minus key as 'minus', plus as 'plus')")
    codes = tuple(scancode(part) for part in parts)
    return Stroke(codes)


def char_stroke(ch: str, index: int) -> Stroke:
    if ch == "\r":
        return Stroke(())  # CRLF types as LF
    try:
        return Stroke(keymap.us_scancodes_for_char(ch))
    except KeyError:
        raise KeyNameError(
            f"character {ch!r} at position {index + 1} has no key on the US layout; "
            "put such text on the guest's clipboard (clipboard-set) and paste it"
        ) from None


def text_strokes(text: str) -> list[Stroke]:
    """Every character's stroke, checked before any is sent (KeyNameError names the first that cannot be typed)."""
    return [stroke for i, ch in enumerate(text) if (stroke := char_stroke(ch, i)).scancodes]
