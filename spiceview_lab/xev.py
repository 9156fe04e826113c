"""Reading what a guest program received: `xev` run inside the server, its output parsed into events."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

_HEADER = re.compile(r"^(KeyPress|KeyRelease|ButtonPress|ButtonRelease|MotionNotify) event")
_POS = re.compile(r"\((-?\d+),(-?\d+)\), root:\((-?\d+),(-?\d+)\)")
_KEY = re.compile(r"state (0x[0-9a-f]+), keycode (\d+) \(keysym (0x[0-9a-f]+), ([^)]*)\)")
_BUTTON = re.compile(r"state (0x[0-9a-f]+), button (\d+)")
_TEXT = re.compile(r'XLookupString gives (\d+) bytes: (?:\(([0-9a-f ]*)\) "(.*)")?')


@dataclass
class XEvent:
    kind: str
    x: int = 0
    y: int = 0
    root_x: int = 0
    root_y: int = 0
    state: int = 0
    keycode: int = 0
    keysym: str = ""
    button: int = 0
    text: str = ""


def parse_xev(text: str) -> list[XEvent]:
    events: list[XEvent] = []
    current: XEvent | None = None
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            current = XEvent(header.group(1))
            events.append(current)
            continue
        if current is None:
            continue
        pos = _POS.search(line)
        if pos:
            current.x, current.y, current.root_x, current.root_y = map(int, pos.groups())
        key = _KEY.search(line)
        if key:
            current.state, current.keycode = int(key.group(1), 16), int(key.group(2))
            current.keysym = key.group(4)
        button = _BUTTON.search(line)
        if button:
            current.state, current.button = int(button.group(1), 16), int(button.group(2))
        typed = _TEXT.search(line)
        if typed and typed.group(3) is not None and current.kind == "KeyPress":
            current.text = typed.group(3)
    return events


def wait_for_events(log: Path, predicate, timeout: float = 15.0) -> list[XEvent]:  # noqa: ANN001
    """Poll an xev log until predicate(events) holds; returns the events (AssertionError on timeout)."""
    deadline = time.monotonic() + timeout
    events: list[XEvent] = []
    while time.monotonic() < deadline:
        if log.exists():
            events = parse_xev(log.read_text(errors="replace"))
            if predicate(events):
                return events
        time.sleep(0.1)
    raise AssertionError(f"xev never saw the expected events; last {len(events)}: {events[-10:]}")
