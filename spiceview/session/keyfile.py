"""GLib key-file syntax, as used by virt-viewer's .vv files (no GLib needed).

``[group]`` headers, ``key=value`` lines, ``#`` comments and blank lines. Whitespace around the
``=`` is dropped; a value keeps its trailing spaces. Values may hold the escapes ``\\s``
(space), ``\\n``, ``\\t``, ``\\r`` and ``\\\\``; lists are separated by ``;`` (``\\;`` is a
literal ``;``). ``title[fr]=...`` is the French translation of ``title``. A key given twice
keeps its last value; a group given twice is merged. ``;`` does not start a comment. Errors
are :class:`ConfigError` with the line (and key) but no source: the caller adds that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from spiceview.session.errors import ConfigError

WHITESPACE = " \t\n\r\v\f"
_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}
_LOCALE = re.compile(r"[\w.@-]+")
_INT = re.compile(r"[+-]?[0-9]{1,18}")
_LINE_RULES = "key=value, [group] or # comment; a value fits on one line, with line breaks written \\n"


def unescape(raw: str, *, split: bool = False) -> list[str]:
    """GLib's value unescaping; with *split*, also cut the value at unescaped ``;``."""
    pieces: list[str] = []
    buf: list[str] = []
    chars = iter(raw)
    for char in chars:
        if char == "\\":
            nxt = next(chars, None)
            if nxt is None:
                raise ConfigError("the value ends with a lone '\\'", expected="'\\\\' for a backslash")
            if nxt in _ESCAPES:
                buf.append(_ESCAPES[nxt])
            elif split and nxt == ";":
                buf.append(";")
            else:
                raise ConfigError(f"invalid escape sequence '\\{nxt}'", expected="\\s \\n \\t \\r or \\\\")
        elif split and char == ";":
            pieces.append("".join(buf))
            buf = []
        else:
            buf.append(char)
    if buf or not split:
        pieces.append("".join(buf))
    return pieces


def read_string(raw: str) -> str:
    """A string value, escapes decoded."""
    return unescape(raw)[0]


def read_list(raw: str) -> list[str]:
    """A ``;``-separated list, items stripped of surrounding spaces, empty items dropped."""
    return [item.strip() for item in unescape(raw, split=True) if item.strip()]


def read_int(raw: str) -> int:
    """An integer: optional sign and decimal digits (trailing spaces allowed, as in GLib)."""
    text = raw.rstrip(WHITESPACE)
    if not _INT.fullmatch(text):
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise ConfigError(f"'{shown}' is not a whole number", expected="an integer")
    return int(text)


def read_bool(raw: str) -> bool:
    """``0``/``1`` as remote-viewer reads its flags, and GLib's ``true``/``false``."""
    text = raw.rstrip(WHITESPACE).lower()
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    raise ConfigError(f"'{text[:40]}' is not a boolean", expected="0 or 1; true and false also work")


@dataclass
class Entry:
    """One ``key=value`` line: the value as written (escapes not decoded) and its line number."""

    raw: str
    line: int


@dataclass
class Group:
    """The keys of one group; ``translations[key][locale]`` holds the ``key[locale]`` lines."""

    entries: dict[str, Entry] = field(default_factory=dict)
    translations: dict[str, dict[str, Entry]] = field(default_factory=dict)


def split_key(key: str) -> tuple[str, str | None]:
    """``"title[fr]"`` gives ``("title", "fr")``, ``"title"`` gives ``("title", None)``."""
    name, bracket, rest = key.partition("[")
    locale = rest[:-1] if rest.endswith("]") else ""
    if not name or name != name.strip(WHITESPACE) or "]" in name or (bracket and not _LOCALE.fullmatch(locale)):
        raise ConfigError("invalid key name", expected="a name, or name[locale] for a translation")
    return name, (locale if bracket else None)


def read_groups(text: str) -> dict[str, Group]:
    """Every group of a key file by name; ConfigError (with the line) for a line GLib refuses."""
    groups: dict[str, Group] = {}
    current: Group | None = None
    for number, line in enumerate(text.split("\n"), 1):
        body = line.removesuffix("\r").lstrip(WHITESPACE)
        if not body or body.startswith("#"):
            continue
        if body.startswith("["):
            end = body.find("]")
            name = body[1:end]
            if end < 0 or body[end + 1 :].strip(" \t"):
                raise ConfigError("malformed group header", line=number, expected="[name] alone on its line")
            if not name or "[" in name or any(ord(c) < 32 or ord(c) == 127 for c in name):
                raise ConfigError("invalid group name", line=number, expected="[virt-viewer]")
            current = groups.setdefault(name, Group())
            continue
        key, eq, raw = body.partition("=")
        if not eq or not key:
            problem = (
                "';' does not start a comment here, '#' does"
                if body.startswith(";")
                else ("this line is not a key=value pair, a [group] header or a # comment")
            )
            raise ConfigError(problem, line=number, expected=_LINE_RULES)
        if current is None:
            raise ConfigError(
                "a key comes before the first [group] header",
                line=number,
                expected="[virt-viewer] before the keys",
            )
        try:
            name, locale = split_key(key.rstrip(WHITESPACE))
        except ConfigError as exc:
            raise exc.with_context(line=number, key=key.rstrip(WHITESPACE)[:40]) from None
        entry = Entry(raw.lstrip(WHITESPACE), number)
        if locale is None:
            current.entries[name] = entry
        else:
            current.translations.setdefault(name, {})[locale] = entry
    return groups


def locale_variants(language: str) -> list[str]:
    """GLib's order: ``en_GB.UTF-8@euro`` gives en_GB.UTF-8@euro, en_GB@euro, ..., en."""
    match = re.fullmatch(r"([^_.@]+)(_[^.@]*)?(\.[^@]*)?(@.*)?", language)
    if not match:
        return [language]
    lang, country, codeset, modifier = (part or "" for part in match.groups())
    variants: list[str] = []
    for mod in [modifier, ""] if modifier else [""]:
        for middle in (country + codeset, country, codeset, ""):
            if lang + middle + mod not in variants:
                variants.append(lang + middle + mod)
    return variants
