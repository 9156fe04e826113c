"""The guest agent as the main channel sees it, sans-IO: one object per main channel.

Feed it what the main channel receives about the agent, take back the main-channel messages to send:

    INIT                     -> on_init(msg.agent_connected, msg.agent_tokens)
    AGENT_CONNECTED          -> on_agent_connected()
    AGENT_CONNECTED_TOKENS   -> on_agent_connected(msg.num_tokens)
    AGENT_DATA               -> on_agent_data(msg.data)
    AGENT_TOKEN              -> on_agent_token(msg.num_tokens)
    AGENT_DISCONNECTED       -> on_agent_disconnected(msg.error_code)
    take_messages()          -> MSGC_AGENT_START / MSGC_AGENT_DATA / MSGC_AGENT_TOKEN objects for conn.send()

Every on_* call returns the events it produced (together with any left from the client's own calls, which
`take_events()` also hands out). On connection the client starts the agent (AGENT_START with `receive_window`
tokens) and announces its capabilities with request=1; when the agent's capabilities come, it answers a request,
sends DISPLAY_CONFIG (if configured and the agent has the capability), MAX_CLIPBOARD, the last monitors config,
and offers a client clipboard grabbed before the agent was there. A disconnection fails every file transfer and
clipboard request and ends guest clipboard ownership; nothing queued for the old agent is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..caps import caps_to_words, words_to_caps
from ..messages import main as mainmsg
from .clipboard import DEFAULT_MAX_CLIPBOARD, ClipboardManager
from .display_settings import DisplaySettings
from .file_xfer import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_ACTIVE, FileXferManager, Reader
from .messages import (
    AgentCap,
    AgentMsg,
    AnnounceCapabilities,
    Reply,
    build_payload,
    parse_payload,
    type_name,
)
from .monitors import MonitorSpec, encode_display_config, encode_monitors_config
from .stream import (
    DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_RECEIVE_WINDOW,
    AgentMessage,
    AgentStream,
    SkippedMessage,
    StreamError,
)

# What spice-gtk announces, and what spiceview implements.
DEFAULT_CLIENT_CAPS = frozenset(
    {
        AgentCap.MOUSE_STATE,
        AgentCap.MONITORS_CONFIG,
        AgentCap.REPLY,
        AgentCap.DISPLAY_CONFIG,
        AgentCap.CLIPBOARD_BY_DEMAND,
        AgentCap.CLIPBOARD_SELECTION,
        AgentCap.MONITORS_CONFIG_POSITION,
        AgentCap.FILE_XFER_DETAILED_ERRORS,
        AgentCap.CLIPBOARD_NO_RELEASE_ON_REGRAB,
        AgentCap.CLIPBOARD_GRAB_SERIAL,
    }
)
MAX_CAP_WORDS = 8  # capability words read from an announcement; the rest is ignored
_CLIPBOARD_TYPES = frozenset(
    {
        AgentMsg.CLIPBOARD,
        AgentMsg.CLIPBOARD_GRAB,
        AgentMsg.CLIPBOARD_REQUEST,
        AgentMsg.CLIPBOARD_RELEASE,
        AgentMsg.MAX_CLIPBOARD,
    }
)


@dataclass(frozen=True, slots=True)
class AgentConnected:
    pass


@dataclass(frozen=True, slots=True)
class AgentDisconnected:
    error_code: int


@dataclass(frozen=True, slots=True)
class AgentCapabilities:
    caps: frozenset[int]
    request: bool


@dataclass(frozen=True, slots=True)
class AgentReply:
    """The agent's answer to MONITORS_CONFIG or DISPLAY_CONFIG."""

    type: int
    error: int

    @property
    def ok(self) -> bool:
        return self.error == 1  # VD_AGENT_SUCCESS


@dataclass(frozen=True, slots=True)
class AgentMalformedMessage:
    """A message whose payload broke its layout; it was dropped."""

    type: int
    reason: str


@dataclass(frozen=True, slots=True)
class AgentIgnoredMessage:
    """A message a client has no use for (unknown, or meant for the server or the agent)."""

    type: int
    size: int
    reason: str


class AgentNotReady(RuntimeError):
    """The agent is not connected (or refuses the operation)."""


class AgentSession:
    def __init__(
        self,
        *,
        caps: Iterable[int] = DEFAULT_CLIENT_CAPS,
        receive_window: int = DEFAULT_RECEIVE_WINDOW,
        max_clipboard: int = DEFAULT_MAX_CLIPBOARD,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        file_chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_active_transfers: int = DEFAULT_MAX_ACTIVE,
        display_settings: DisplaySettings | None = None,
        local_lineend: str = "\n",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.caps = frozenset(caps)
        self.display_settings = display_settings
        self._out: list[Any] = []
        self._events: list[object] = []
        self.connected = False
        self.caps_received = False
        self.agent_caps: frozenset[int] = frozenset()
        self._display_sent = False
        self._monitors: tuple[tuple[MonitorSpec, ...], bool, bool] | None = None
        # Room for the largest clipboard we accept plus its headers.
        self.stream = AgentStream(
            max_message_size=max(max_message_size, max_clipboard + 64), receive_window=receive_window
        )
        self.clipboard = ClipboardManager(
            self._send_agent,
            self._events.append,
            our_caps=self.caps,
            max_clipboard=max_clipboard,
            local_lineend=local_lineend,
            clock=clock,
        )
        self.files = FileXferManager(
            self._send_agent, self._events.append, chunk_size=file_chunk_size, max_active=max_active_transfers
        )

    # --- output --------------------------------------------------------------------------------------------

    def take_messages(self) -> list[Any]:
        """Main-channel client messages to send, in order."""
        out, self._out = self._out, []
        return out

    def take_events(self) -> list[object]:
        events = list(self._events)
        self._events.clear()
        return events

    def _send_agent(self, msg_type: int, payload: bytes) -> None:
        if not self.connected:
            return
        for chunk in self.stream.send(msg_type, payload):
            self._out.append(mainmsg.MSGC_AGENT_DATA.cls(data=chunk))

    def _pump(self) -> list[object]:
        """Let file transfers fill the link while nothing else waits for tokens; then hand out the events."""
        self._fill()
        return self.take_events()

    def _fill(self) -> None:
        while self.connected and not self.stream.pending and self.stream.client_tokens > 0:
            if not self.files.produce():
                break

    # --- the server's messages -----------------------------------------------------------------------------

    def on_init(self, agent_connected: bool, agent_tokens: int) -> list[object]:
        """MSG_MAIN_INIT: the tokens for our AGENT_DATA, and whether an agent is already there."""
        self.stream.client_tokens = agent_tokens
        if agent_connected:
            return self.on_agent_connected(None)
        return self.take_events()

    def on_agent_connected(self, tokens: int | None = None) -> list[object]:
        """AGENT_CONNECTED (tokens None: keep INIT's count) or AGENT_CONNECTED_TOKENS."""
        if self.connected:
            self._drop_agent("the agent reconnected")
        self.stream.reset(tokens)
        self.connected = True
        self._out.append(mainmsg.MSGC_AGENT_START.cls(num_tokens=self.stream.receive_window))
        self._events.append(AgentConnected())
        self._announce(request=True)
        return self._pump()

    def on_agent_token(self, num_tokens: int) -> list[object]:
        if self.connected:
            for chunk in self.stream.on_tokens(num_tokens):
                self._out.append(mainmsg.MSGC_AGENT_DATA.cls(data=chunk))
        return self._pump()

    def on_agent_disconnected(self, error_code: int = 0) -> list[object]:
        if self.connected:
            self._drop_agent("the agent disconnected")
            self._events.append(AgentDisconnected(error_code))
        return self.take_events()

    def on_agent_data(self, data: bytes | bytearray | memoryview) -> list[object]:
        """One AGENT_DATA payload. Never raises for anything the agent sends."""
        if not self.connected:
            self._events.append(StreamError("agent data while no agent is connected", len(data)))
            return self.take_events()
        for item in self.stream.feed(data):
            if isinstance(item, AgentMessage):
                self._dispatch(item)
            else:
                self._events.append(item)
                if isinstance(item, SkippedMessage) and item.type == AgentMsg.CLIPBOARD:
                    self.clipboard.skipped_data(item.head)
        tokens = self.stream.tokens_to_return()
        if tokens:
            self._out.append(mainmsg.MSGC_AGENT_TOKEN.cls(num_tokens=tokens))
        return self._pump()

    def _dispatch(self, msg: AgentMessage) -> None:
        try:
            if msg.type == AgentMsg.ANNOUNCE_CAPABILITIES:
                self._on_capabilities(msg.payload)
            elif msg.type == AgentMsg.REPLY:
                reply = parse_payload(Reply, msg.payload)
                self._events.append(AgentReply(reply.type, reply.error))
            elif msg.type in _CLIPBOARD_TYPES:
                self.clipboard.on_message(msg.type, msg.payload)
            elif msg.type == AgentMsg.FILE_XFER_STATUS:
                self.files.on_status(msg.payload)
            else:
                known = msg.type in AgentMsg._value2member_map_
                reason = "not meant for a client" if known else "unknown message type"
                self._events.append(AgentIgnoredMessage(msg.type, len(msg.payload), reason))
        except ValueError as exc:  # ProtocolError, and anything else a payload can trip
            self._events.append(AgentMalformedMessage(msg.type, f"{type_name(msg.type)}: {exc}"))

    def _on_capabilities(self, payload: bytes) -> None:
        msg = parse_payload(AnnounceCapabilities, payload)
        caps = words_to_caps(msg.caps[:MAX_CAP_WORDS])
        self.agent_caps = caps
        self.caps_received = True
        self.files.set_agent_caps(caps)
        self._events.append(AgentCapabilities(caps, bool(msg.request)))
        if msg.request:
            self._announce(request=False)
        if self.display_settings is not None and AgentCap.DISPLAY_CONFIG in caps and not self._display_sent:
            self._send_agent(AgentMsg.DISPLAY_CONFIG, encode_display_config(self.display_settings))
            self._display_sent = True
        self.clipboard.set_agent_caps(caps)
        self.clipboard.send_max_clipboard()
        if self._monitors is not None:
            self._send_monitors()

    def _announce(self, request: bool) -> None:
        words = caps_to_words(self.caps) or [0]
        value = AnnounceCapabilities.cls(request=int(request), caps=words)
        self._send_agent(AgentMsg.ANNOUNCE_CAPABILITIES, build_payload(AnnounceCapabilities, value))

    def _drop_agent(self, reason: str) -> None:
        self.connected = False
        self.caps_received = False
        self.agent_caps = frozenset()
        self._display_sent = False
        self.files.fail_all(reason)
        self.clipboard.reset(reason)
        self.stream.reset(None)
        self._out.clear()  # all of it was for the old agent; the server would drop it

    # --- timers --------------------------------------------------------------------------------------------

    def next_deadline(self) -> float | None:
        """When on_timer() has work to do, in the session clock's time (None: never)."""
        return self.clipboard.next_deadline()

    def on_timer(self) -> list[object]:
        self.clipboard.on_timer()
        return self.take_events()

    # --- what the client asks for --------------------------------------------------------------------------

    def clipboard_grab(self, selection: int, types: Iterable[int]) -> bool:
        return self.clipboard.grab(selection, types)

    def clipboard_release(self, selection: int) -> bool:
        return self.clipboard.release(selection)

    def clipboard_request(self, selection: int, clip_type: int) -> bool:
        return self.clipboard.request(selection, clip_type)

    def clipboard_reply(self, selection: int, clip_type: int, data: bytes | None) -> bool:
        return self.clipboard.reply(selection, clip_type, data)

    def send_file(self, name: str, size: int, read: Reader) -> int:
        """Start copying a file into the guest; returns the transfer id. Raises AgentNotReady / ValueError."""
        if not self.connected:
            raise AgentNotReady("the guest agent is not connected")
        xfer_id = self.files.start(name, size, read)
        self._fill()
        return xfer_id

    def cancel_file(self, xfer_id: int) -> bool:
        done = self.files.cancel(xfer_id)
        self._fill()
        return done

    def send_monitors_config(
        self, monitors: Sequence[MonitorSpec], *, use_position: bool = True, physical_size: bool = False
    ) -> bool:
        """Ask the guest for this monitor layout; True if sent now, False if kept until the agent is ready.

        Raises ValueError for a layout SPICE cannot carry. The layout is sent again whenever the agent
        (re)announces its capabilities.
        """
        encode_monitors_config(monitors, self.agent_caps, use_position=use_position, physical_size=physical_size)
        self._monitors = (tuple(monitors), use_position, physical_size)
        if not (self.connected and self.caps_received):
            return False
        self._send_monitors()
        return True

    def _send_monitors(self) -> None:
        assert self._monitors is not None
        monitors, use_position, physical_size = self._monitors
        payload = encode_monitors_config(
            monitors, self.agent_caps, use_position=use_position, physical_size=physical_size
        )
        self._send_agent(AgentMsg.MONITORS_CONFIG, payload)

    def send_display_config(self, settings: DisplaySettings) -> bool:
        """DISPLAY_CONFIG now if the agent takes it; kept for the next agent otherwise."""
        self.display_settings = settings
        if not (self.connected and AgentCap.DISPLAY_CONFIG in self.agent_caps):
            self._display_sent = False
            return False
        self._send_agent(AgentMsg.DISPLAY_CONFIG, encode_display_config(settings))
        self._display_sent = True
        return True
