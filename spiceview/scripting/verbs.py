"""`spiceview-do`'s verbs, read from the command line, a script file or standard input, checked before connecting.

Each verb takes the words after it: `key ctrl-alt-delete type hello key enter expect done.png`. A word in verb
position that names an existing file is read as more verbs (split like a shell line: quotes group, '#' starts a
comment), and a lone '-' reads them from standard input, as vncdo does. Everything is parsed and checked (verb
names, counts and types of arguments) before the session starts: a typo never runs half a script.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


class UsageError(ValueError):
    """A script that cannot run as written; the message names the word."""


def _int(word: str) -> int:
    return int(word)


def _number(word: str) -> float:
    value = float(word)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(word)
    return value


def _seconds(word: str) -> float:
    value = _number(word)
    if value < 0:
        raise ValueError(word)
    return value


def _threshold(word: str) -> float:
    value = _number(word)
    if not 0 <= value <= 255:
        raise ValueError(word)
    return value


def _button(word: str) -> int:
    value = int(word)
    if value not in range(1, 6):
        raise ValueError(word)
    return value


def _text(word: str) -> str:
    return word


Kind = Callable[[str], object]


@dataclass(frozen=True)
class VerbSpec:
    name: str
    required: tuple[tuple[str, Kind], ...]
    optional: tuple[tuple[str, Kind], ...] = ()
    help: str = ""


SPECS = [
    VerbSpec("key", (("KEY", _text),), help="press and release a key or combination: enter, ctrl-alt-delete"),
    VerbSpec("keydown", (("KEY", _text),), help="press a key and hold it"),
    VerbSpec("keyup", (("KEY", _text),), help="release a held key"),
    VerbSpec("type", (("TEXT", _text),), help="type text as a US keyboard would"),
    VerbSpec("typefile", (("FILE", _text),), help="type a file's text (newlines as enter)"),
    VerbSpec("move", (("X", _int), ("Y", _int)), help="put the pointer at X,Y"),
    VerbSpec("click", (), (("BUTTON", _button),), help="click (1 left, 2 middle, 3 right) where the pointer is"),
    VerbSpec("doubleclick", (), (("BUTTON", _button),), help="click twice"),
    VerbSpec("mousedown", (("BUTTON", _button),), help="press a button and hold it"),
    VerbSpec("mouseup", (("BUTTON", _button),), help="release a held button"),
    VerbSpec("drag", (("X", _int), ("Y", _int)), help="drag with the left button from the pointer to X,Y"),
    VerbSpec("scroll", (("CLICKS", _int),), help="turn the wheel: up for CLICKS > 0, down below"),
    VerbSpec("capture", (("FILE", _text),), help="save the screen as PNG"),
    VerbSpec("rcapture", (("FILE", _text), ("X", _int), ("Y", _int), ("W", _int), ("H", _int)), help="save a region"),
    VerbSpec("expect", (("FILE", _text),), (("THRESHOLD", _threshold),), help="wait until the picture is on screen"),
    VerbSpec(
        "rexpect",
        (("FILE", _text), ("X", _int), ("Y", _int)),
        (("THRESHOLD", _threshold),),
        help="wait until the screen at X,Y shows the picture",
    ),
    VerbSpec(
        "find",
        (("FILE", _text),),
        (("THRESHOLD", _threshold),),
        help="wait until the picture is on screen, put the pointer on its centre",
    ),
    VerbSpec("stable", (("SECONDS", _seconds),), help="wait until the screen has not changed for SECONDS"),
    VerbSpec(
        "rstable",
        (("SECONDS", _seconds), ("X", _int), ("Y", _int), ("W", _int), ("H", _int)),
        help="the same for a region",
    ),
    VerbSpec("pause", (("SECONDS", _seconds),), help="wait SECONDS"),
    VerbSpec("clipboard-set", (("TEXT", _text),), help="offer text as the clipboard (the guest agent pastes it)"),
    VerbSpec("clipboard-get", (), (("FILE", _text),), help="the guest's clipboard text, to FILE or printed"),
    VerbSpec("pastefile", (("FILE", _text),), help="a file's text as the clipboard"),
    VerbSpec("send-file", (("FILE", _text),), help="copy a file into the guest (its agent)"),
    VerbSpec("stats", (("FILE", _text),), help="write the session's statistics as JSON"),
]
BY_NAME = {spec.name: spec for spec in SPECS}
ALIASES = {"kdown": "keydown", "kup": "keyup", "mousemove": "move", "mdown": "mousedown", "mup": "mouseup"}
ALIASES.update({"sleep": "pause", "clipboard": "clipboard-set", "send": "send-file"})
MAX_SCRIPT_DEPTH = 8  # script files that name script files


@dataclass(frozen=True)
class Step:
    verb: str
    args: tuple[object, ...]
    text: str  # as written, for messages

    def __str__(self) -> str:
        return self.text


def read_words(path: str) -> list[str]:
    """The words of a script file ('-': standard input)."""
    try:
        source = sys.stdin.read() if path == "-" else Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the script {path}: {exc}") from None
    try:
        return shlex.split(source, comments=True)
    except ValueError as exc:
        raise UsageError(f"{path}: {exc}") from None


def parse(words: Sequence[str], *, depth: int = 0) -> list[Step]:
    """Steps from words; UsageError naming the first word that does not fit."""
    steps: list[Step] = []
    i = 0
    while i < len(words):
        word = words[i]
        name = ALIASES.get(word, word)
        spec = BY_NAME.get(name)
        if spec is None:
            if word == "-" or Path(word).is_file():
                if depth >= MAX_SCRIPT_DEPTH:
                    raise UsageError(f"{word}: scripts nested more than {MAX_SCRIPT_DEPTH} deep")
                steps += parse(read_words(word), depth=depth + 1)
                i += 1
                continue
            raise UsageError(f"unknown verb {word!r} (verbs: {', '.join(sorted(BY_NAME))})")
        args: list[object] = []
        i += 1
        for label, kind in spec.required:
            if i >= len(words):
                raise UsageError(f"{word} needs {' '.join(label for label, _ in spec.required)}")
            args.append(_convert(word, label, kind, words[i]))
            i += 1
        for _label, kind in spec.optional:
            if i < len(words) and _fits(kind, words[i]):
                args.append(kind(words[i]))
                i += 1
        steps.append(Step(name, tuple(args), shlex.join([word, *(str(a) for a in args)])))
    return steps


def _convert(verb: str, label: str, kind: Kind, word: str) -> object:
    try:
        return kind(word)
    except ValueError:
        raise UsageError(f"{verb}: {label} {word!r} is not {_describe(kind)}") from None


def _fits(kind: Kind, word: str) -> bool:
    """An optional argument is taken only if it reads as one (else it is the next verb)."""
    if kind is _text:
        return word not in BY_NAME and word not in ALIASES
    try:
        kind(word)
    except ValueError:
        return False
    return True


def _describe(kind: Kind) -> str:
    names: dict[Kind, str] = {
        _int: "a whole number",
        _number: "a number",
        _seconds: "a number of seconds (0 or more)",
        _threshold: "a threshold from 0 to 255",
        _button: "a mouse button from 1 to 5",
    }
    return names.get(kind, "usable")
