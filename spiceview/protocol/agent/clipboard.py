"""The shared clipboard over the guest agent, sans-IO: one small state machine per selection.

Either side *grabs* a selection with the types it can provide (CLIPBOARD_GRAB), the other side *requests* one
type when someone pastes (CLIPBOARD_REQUEST) and gets the data back (CLIPBOARD); the owner *releases* it when its
content goes away (CLIPBOARD_RELEASE). A new grab replaces the old owner without a release in between.

Rules kept here (facts from spice-gtk's channel-main.c / spice-gtk-session.c and spice-vdagentd):
- CLIPBOARD_BY_DEMAND is required; PRIMARY and SECONDARY exist only when both sides announce CLIPBOARD_SELECTION
  (then every clipboard message starts with a 4-byte selection prefix).
- With CLIPBOARD_GRAB_SERIAL on both sides a grab carries a per-selection serial. Both sides count accepted grabs
  from 0 (the daemon resets when the client announces with request=1); a guest grab whose serial is not ours is a
  stale one that lost a race and is dropped (the daemon lets the client's grab win the same race).
- An agent without CLIPBOARD_NO_RELEASE_ON_REGRAB sends RELEASE between two grabs: that release is held back for
  `release_delay` seconds and a grab in the meantime cancels it, so the local clipboard does not flicker.
- Every guest request gets exactly one answer; when there is nothing to give, the answer is empty (the daemon
  does the same), and replies larger than the limit are replaced by an empty one.
- MAX_CLIPBOARD: the client tells an agent that has the capability how much it accepts; received data larger
  than our own limit is refused. Should an agent announce a limit, nothing larger is sent to it.
- Text (UTF8_TEXT) line ends follow the guest's GUEST_LINEEND_LF / GUEST_LINEEND_CRLF capability; trailing NULs
  are dropped both ways.

Timers are the caller's: `next_deadline()` in `clock()` time, then `on_timer()`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..errors import ProtocolError
from .messages import (
    AgentCap,
    AgentMsg,
    ClipboardType,
    MaxClipboard,
    Selection,
    build_payload,
    clipboard_layout,
    parse_payload,
)

DEFAULT_MAX_CLIPBOARD = 100 * 1024 * 1024  # spice-gtk's default
RELEASE_DELAY = 0.5  # seconds, as spice-gtk
REQUEST_TIMEOUT = 10.0
MAX_PENDING = 32  # outstanding requests per selection and direction
MAX_TYPES = 64

Send = Callable[[int, bytes], None]
Emit = Callable[[object], None]


class Owner(Enum):
    NONE = "none"
    CLIENT = "client"
    GUEST = "guest"


# --- events -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GuestClipboardGrab:
    """The guest owns `selection` and offers these ClipboardType values."""

    selection: int
    types: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class GuestClipboardRelease:
    selection: int


@dataclass(frozen=True, slots=True)
class GuestClipboardRequest:
    """The guest pastes what the client grabbed: answer with `ClipboardManager.reply()`."""

    selection: int
    type: int


@dataclass(frozen=True, slots=True)
class ClipboardData:
    """The answer to `request()`; text already has local line ends."""

    selection: int
    type: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ClipboardRequestFailed:
    selection: int
    type: int
    reason: str


@dataclass(frozen=True, slots=True)
class ClipboardTooLarge:
    """A reply was larger than the limit; the guest got an empty answer instead."""

    selection: int
    type: int
    size: int
    limit: int


ClipboardEvent = (
    GuestClipboardGrab
    | GuestClipboardRelease
    | GuestClipboardRequest
    | ClipboardData
    | ClipboardRequestFailed
    | ClipboardTooLarge
)


# --- line ends ----------------------------------------------------------------------------------------------


def _guest_eol(caps: frozenset[int]) -> bytes | None:
    if AgentCap.GUEST_LINEEND_CRLF in caps:
        return b"\r\n"
    if AgentCap.GUEST_LINEEND_LF in caps:
        return b"\n"
    return None


def text_to_guest(data: bytes, agent_caps: frozenset[int]) -> bytes:
    """UTF-8 text on its way to the guest: its line ends, no trailing NULs."""
    data = data.rstrip(b"\0")
    eol = _guest_eol(agent_caps)
    if eol is None:
        return data
    data = data.replace(b"\r\n", b"\n")
    return data if eol == b"\n" else data.replace(b"\n", eol)


def text_from_guest(data: bytes, agent_caps: frozenset[int], local_eol: bytes = b"\n") -> bytes:
    """UTF-8 text from the guest: local line ends, no trailing NULs."""
    data = data.rstrip(b"\0")
    if _guest_eol(agent_caps) is None:
        return data
    data = data.replace(b"\r\n", b"\n")
    return data if local_eol == b"\n" else data.replace(b"\n", local_eol)


# --- the state machine --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Request:
    type: int
    deadline: float


@dataclass(slots=True)
class _SelectionState:
    owner: Owner = Owner.NONE
    client_types: tuple[int, ...] = ()
    guest_types: tuple[int, ...] = ()
    serial: int = 0
    to_guest: deque[_Request] = field(default_factory=deque)  # our requests, oldest first
    from_guest: deque[int] = field(default_factory=deque)  # guest requests not answered yet
    release_at: float | None = None  # a guest release held back until then


class ClipboardManager:
    def __init__(
        self,
        send: Send,
        emit: Emit,
        *,
        our_caps: Iterable[int] = (),
        max_clipboard: int = DEFAULT_MAX_CLIPBOARD,
        local_lineend: str = "\n",
        clock: Callable[[], float] = time.monotonic,
        release_delay: float = RELEASE_DELAY,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        if not 0 <= max_clipboard <= 0x7FFFFFFF:
            raise ValueError("max_clipboard must fit a signed 32-bit integer")
        self._send = send
        self._emit = emit
        self.our_caps = frozenset(our_caps)
        self.agent_caps: frozenset[int] = frozenset()
        self.max_clipboard = max_clipboard
        self.peer_max: int | None = None
        self.local_eol = local_lineend.encode()
        self._clock = clock
        self.release_delay = release_delay
        self.request_timeout = request_timeout
        self._sel = {s: _SelectionState() for s in Selection}
        self._regrab: dict[Selection, tuple[int, ...]] = {}

    # --- capabilities --------------------------------------------------------------------------------------

    def _both(self, cap: AgentCap) -> bool:
        return cap in self.agent_caps and cap in self.our_caps

    @property
    def available(self) -> bool:
        return self._both(AgentCap.CLIPBOARD_BY_DEMAND)

    def supports(self, selection: int) -> bool:
        if not self.available:
            return False
        if selection == Selection.CLIPBOARD:
            return True
        return self._both(AgentCap.CLIPBOARD_SELECTION) and selection in Selection._value2member_map_

    def owner(self, selection: int) -> Owner:
        return self._sel[Selection(selection)].owner

    def guest_types(self, selection: int) -> tuple[int, ...]:
        return self._sel[Selection(selection)].guest_types

    def set_agent_caps(self, caps: frozenset[int]) -> None:
        """The agent announced its capabilities; a client grab that predates the agent is offered again."""
        self.agent_caps = frozenset(caps)
        regrab, self._regrab = self._regrab, {}
        for selection, types in regrab.items():
            if self.owner(selection) is Owner.NONE:
                self.grab(selection, types)

    def send_max_clipboard(self) -> bool:
        """Tell the agent our limit (after its capabilities arrive); False when it lacks MAX_CLIPBOARD."""
        if AgentCap.MAX_CLIPBOARD not in self.agent_caps:
            return False
        self._send(AgentMsg.MAX_CLIPBOARD, build_payload(MaxClipboard, MaxClipboard.cls(max=self.max_clipboard)))
        return True

    def reset(self, reason: str = "the agent disconnected") -> None:
        """The agent went away: pending requests fail, guest ownership ends, serials restart at 0."""
        for selection, s in self._sel.items():
            self._fail_requests(selection, s, reason)
            if s.owner is Owner.GUEST:
                self._emit(GuestClipboardRelease(selection))
            elif s.owner is Owner.CLIENT:
                self._regrab[selection] = s.client_types
            self._sel[selection] = _SelectionState()
        self.agent_caps = frozenset()
        self.peer_max = None

    # --- what the client does ------------------------------------------------------------------------------

    def grab(self, selection: int, types: Iterable[int]) -> bool:
        """The client's clipboard has new content of these types (a re-grab sends no release first)."""
        wanted = tuple(dict.fromkeys(int(t) for t in types if 0 < int(t) <= 0xFFFFFFFF))[:MAX_TYPES]
        if not wanted:
            return False
        if not self.supports(selection):
            if not self.agent_caps and selection in Selection._value2member_map_:
                self._regrab[Selection(selection)] = wanted  # offered once the agent announces itself
            return False
        sel = Selection(selection)
        s = self._sel[sel]
        if s.owner is Owner.GUEST:
            self._fail_requests(sel, s, "the client took the clipboard")
        s.owner, s.client_types, s.guest_types, s.release_at = Owner.CLIENT, wanted, (), None
        fields: dict[str, object] = {"types": list(wanted)}
        if self._both(AgentCap.CLIPBOARD_GRAB_SERIAL):
            fields["serial"] = s.serial
            s.serial = (s.serial + 1) & 0xFFFFFFFF
        self._send_clipboard(AgentMsg.CLIPBOARD_GRAB, sel, fields)
        return True

    def release(self, selection: int) -> bool:
        """The client's clipboard lost its content; only the current owner releases."""
        if selection in Selection._value2member_map_:
            self._regrab.pop(Selection(selection), None)
        if not self.supports(selection):
            return False
        sel = Selection(selection)
        s = self._sel[sel]
        if s.owner is not Owner.CLIENT:
            return False
        while s.from_guest:
            self._send_data(sel, s.from_guest.popleft(), b"")
        s.owner, s.client_types = Owner.NONE, ()
        self._send_clipboard(AgentMsg.CLIPBOARD_RELEASE, sel, {})
        return True

    def request(self, selection: int, clip_type: int) -> bool:
        """Ask the guest for one of the types it offered; the answer comes as ClipboardData or ...Failed."""
        if not self.supports(selection):
            return False
        sel = Selection(selection)
        s = self._sel[sel]
        if s.owner is not Owner.GUEST or s.release_at is not None or clip_type not in s.guest_types:
            return False
        if len(s.to_guest) >= MAX_PENDING:
            return False
        s.to_guest.append(_Request(clip_type, self._clock() + self.request_timeout))
        self._send_clipboard(AgentMsg.CLIPBOARD_REQUEST, sel, {"type": clip_type})
        return True

    def reply(self, selection: int, clip_type: int, data: bytes | None) -> bool:
        """Answer a GuestClipboardRequest (None or b"": nothing to give). False when none is pending."""
        if selection not in Selection._value2member_map_:
            return False
        sel = Selection(selection)
        s = self._sel[sel]
        if clip_type not in s.from_guest:
            return False
        s.from_guest.remove(clip_type)
        self._send_data(sel, clip_type, bytes(data or b""))
        return True

    # --- what the guest does -------------------------------------------------------------------------------

    def on_message(self, msg_type: int, payload: bytes) -> None:
        """A clipboard message from the agent (or MAX_CLIPBOARD). Raises ProtocolError when malformed."""
        if msg_type == AgentMsg.MAX_CLIPBOARD:
            limit = parse_payload(MaxClipboard, payload).max
            self.peer_max = limit if limit >= 0 else None
            return
        layout = clipboard_layout(
            msg_type,
            selection=self._both(AgentCap.CLIPBOARD_SELECTION),
            serial=self._both(AgentCap.CLIPBOARD_GRAB_SERIAL),
        )
        value = parse_payload(layout, payload)
        raw_selection = getattr(value, "selection", Selection.CLIPBOARD)
        if raw_selection not in Selection._value2member_map_:
            raise ProtocolError(f"clipboard message for unknown selection {raw_selection}")
        sel = Selection(raw_selection)
        s = self._sel[sel]
        if msg_type == AgentMsg.CLIPBOARD_GRAB:
            self._on_grab(sel, s, value)
        elif msg_type == AgentMsg.CLIPBOARD_REQUEST:
            self._on_request(sel, s, value.type)
        elif msg_type == AgentMsg.CLIPBOARD:
            self._on_data(sel, s, value.type, value.data)
        else:
            self._on_release(sel, s)

    def _on_grab(self, sel: Selection, s: _SelectionState, value: Any) -> None:
        if self._both(AgentCap.CLIPBOARD_GRAB_SERIAL):
            if value.serial != s.serial:
                return  # a stale grab that lost a race with ours
            s.serial = (s.serial + 1) & 0xFFFFFFFF
        types = tuple(dict.fromkeys(t for t in value.types if t != ClipboardType.NONE))[:MAX_TYPES]
        if s.owner is Owner.CLIENT:
            s.from_guest.clear()  # the agent gave up on those when it took the selection
        s.owner, s.client_types, s.guest_types, s.release_at = Owner.GUEST, (), types, None
        self._emit(GuestClipboardGrab(sel, types))

    def _on_request(self, sel: Selection, s: _SelectionState, clip_type: int) -> None:
        if s.owner is Owner.CLIENT and clip_type in s.client_types and len(s.from_guest) < MAX_PENDING:
            s.from_guest.append(clip_type)
            self._emit(GuestClipboardRequest(sel, clip_type))
        else:
            self._send_data(sel, clip_type, b"")  # nothing to give; never leave the agent waiting

    def _on_data(self, sel: Selection, s: _SelectionState, clip_type: int, data: bytes) -> None:
        req = next((r for r in s.to_guest if r.type == clip_type), None)
        if req is None and clip_type == ClipboardType.NONE and s.to_guest:
            req = s.to_guest[0]  # "no data" answers carry type NONE
        if req is None:
            return  # unsolicited, or the answer to a request that already failed
        s.to_guest.remove(req)
        if clip_type == ClipboardType.NONE or not data:
            self._emit(ClipboardRequestFailed(sel, req.type, "the guest sent no data"))
        elif len(data) > self.max_clipboard:
            reason = f"{len(data)} bytes exceed the {self.max_clipboard}-byte limit"
            self._emit(ClipboardRequestFailed(sel, req.type, reason))
        else:
            if clip_type == ClipboardType.UTF8_TEXT:
                data = text_from_guest(data, self.agent_caps, self.local_eol)
            self._emit(ClipboardData(sel, req.type, data))

    def _on_release(self, sel: Selection, s: _SelectionState) -> None:
        if s.owner is not Owner.GUEST:
            return
        if AgentCap.CLIPBOARD_NO_RELEASE_ON_REGRAB in self.agent_caps:
            self._guest_released(sel, s)
        elif s.release_at is None:
            s.release_at = self._clock() + self.release_delay

    def _guest_released(self, sel: Selection, s: _SelectionState) -> None:
        self._fail_requests(sel, s, "the guest released the clipboard")
        s.owner, s.guest_types, s.release_at = Owner.NONE, (), None
        self._emit(GuestClipboardRelease(sel))

    def skipped_data(self, head: bytes) -> None:
        """A CLIPBOARD message too large for the stream was skipped: fail the request it answered."""
        offset = 4 if self._both(AgentCap.CLIPBOARD_SELECTION) else 0
        if len(head) < offset + 4:
            return
        sel_value = head[0] if offset else Selection.CLIPBOARD
        if sel_value not in Selection._value2member_map_:
            return
        sel = Selection(sel_value)
        s = self._sel[sel]
        clip_type = int.from_bytes(head[offset : offset + 4], "little")
        req = next((r for r in s.to_guest if r.type == clip_type), None)
        if req is not None:
            s.to_guest.remove(req)
            self._emit(ClipboardRequestFailed(sel, clip_type, "the guest's data was larger than the limit"))

    # --- timers --------------------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        times = [s.release_at for s in self._sel.values() if s.release_at is not None]
        times += [s.to_guest[0].deadline for s in self._sel.values() if s.to_guest]
        return min(times, default=None)

    def on_timer(self) -> None:
        now = self._clock()
        for sel, s in self._sel.items():
            while s.to_guest and s.to_guest[0].deadline <= now:
                req = s.to_guest.popleft()
                self._emit(ClipboardRequestFailed(sel, req.type, "the guest did not answer in time"))
            if s.release_at is not None and s.release_at <= now:
                self._guest_released(sel, s)

    # --- helpers -------------------------------------------------------------------------------------------

    def _fail_requests(self, sel: Selection, s: _SelectionState, reason: str) -> None:
        while s.to_guest:
            self._emit(ClipboardRequestFailed(sel, s.to_guest.popleft().type, reason))

    def _send_limit(self) -> int:
        return self.max_clipboard if self.peer_max is None else min(self.max_clipboard, self.peer_max)

    def _send_data(self, sel: Selection, clip_type: int, data: bytes) -> None:
        if data and clip_type == ClipboardType.UTF8_TEXT:
            data = text_to_guest(data, self.agent_caps)
        limit = self._send_limit()
        if len(data) > limit:
            self._emit(ClipboardTooLarge(sel, clip_type, len(data), limit))
            data = b""
        self._send_clipboard(AgentMsg.CLIPBOARD, sel, {"type": clip_type, "data": data})

    def _send_clipboard(self, msg_type: AgentMsg, sel: Selection, fields: dict[str, object]) -> None:
        selection = self._both(AgentCap.CLIPBOARD_SELECTION)
        layout = clipboard_layout(msg_type, selection=selection, serial=self._both(AgentCap.CLIPBOARD_GRAB_SERIAL))
        if selection:
            fields = {"selection": int(sel), **fields}
        self._send(msg_type, build_payload(layout, layout.cls(**fields)))
