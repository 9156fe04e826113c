"""The guest agent as the main channel carries it: spiceview.protocol.agent's AgentSession on the main channel's
thread, its events turned into Qt signals for the GUI, and a thread-safe API for clipboard, files and monitors.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..protocol.agent import clipboard as clip
from ..protocol.agent import file_xfer as xfer
from ..protocol.agent.display_settings import DisplaySettings
from ..protocol.agent.monitors import MonitorSpec
from ..protocol.agent.session import AgentCapabilities, AgentConnected, AgentDisconnected, AgentReply, AgentSession
from .signals import Signal

if TYPE_CHECKING:
    from .main_channel import MainChannel

log = logging.getLogger("spiceview.agent")


class AgentLink:
    # All emitted on the main channel's thread; receivers in the GUI thread get them queued.
    connected_changed = Signal(bool)
    capabilities_changed = Signal(object)  # frozenset of VD_AGENT_CAP_*
    guest_clipboard_grab = Signal(int, object)  # selection, tuple of ClipboardType
    guest_clipboard_release = Signal(int)
    guest_clipboard_request = Signal(int, int)  # selection, type
    clipboard_data = Signal(int, int, bytes)  # selection, type, data
    clipboard_failed = Signal(int, int, str)
    file_progress = Signal(int, int, int)  # id, sent, size
    file_finished = Signal(int)
    file_failed = Signal(int, str)
    reply = Signal(int, bool)  # message type the agent answered, ok

    def __init__(
        self, main: MainChannel, display_settings: DisplaySettings | None = None, max_clipboard: int | None = None
    ) -> None:
        self.main = main  # the agent's messages ride on the main channel
        self.session = (
            AgentSession(display_settings=display_settings)
            if max_clipboard is None
            else AgentSession(display_settings=display_settings, max_clipboard=max_clipboard)
        )
        self.connected = False
        self.caps: frozenset[int] = frozenset()
        self.files: dict[int, str] = {}
        self._handles: dict[int, Any] = {}

    # --- main channel messages (on its thread) ------------------------------------------------------------

    def on_init(self, agent_connected: bool, agent_tokens: int) -> None:
        self._handle(self.session.on_init(agent_connected, agent_tokens))

    def on_agent_connected(self, tokens: int | None = None) -> None:
        self._handle(self.session.on_agent_connected(tokens))

    def on_agent_disconnected(self, error_code: int) -> None:
        self._handle(self.session.on_agent_disconnected(error_code))

    def on_agent_data(self, data: bytes) -> None:
        self._handle(self.session.on_agent_data(data))

    def on_agent_token(self, tokens: int) -> None:
        self._handle(self.session.on_agent_token(tokens))

    # --- API (any thread) ---------------------------------------------------------------------------------

    def clipboard_grab(self, selection: int, types: tuple[int, ...]) -> None:
        self._call(lambda: self.session.clipboard_grab(selection, types))

    def clipboard_release(self, selection: int) -> None:
        self._call(lambda: self.session.clipboard_release(selection))

    def clipboard_request(self, selection: int, clip_type: int) -> None:
        self._call(lambda: self.session.clipboard_request(selection, clip_type))

    def clipboard_reply(self, selection: int, clip_type: int, data: bytes | None) -> None:
        self._call(lambda: self.session.clipboard_reply(selection, clip_type, data))

    def send_monitors(self, monitors: list[MonitorSpec]) -> None:
        self._call(lambda: self.session.send_monitors_config(monitors))

    def send_display_config(self, settings: DisplaySettings) -> None:
        self._call(lambda: self.session.send_display_config(settings))

    def send_file(self, path: str | os.PathLike[str]) -> None:
        """Stream a file into the guest's transfer directory; progress and the outcome come as signals."""
        path = Path(path)

        def start() -> None:
            try:
                handle = path.open("rb")
                size = path.stat().st_size
            except OSError as exc:
                self.file_failed.emit(-1, f"{path.name}: {exc.strerror or exc}")
                return
            try:
                xfer_id = self.session.send_file(path.name, size, handle.read)
            except Exception as exc:  # noqa: BLE001 - no agent, or a refusal: report it, keep the session
                handle.close()
                self.file_failed.emit(-1, f"{path.name}: {exc}")
                return
            self.files[xfer_id] = path.name
            self._handles[xfer_id] = handle

        self._call(start)

    def cancel_file(self, xfer_id: int) -> None:
        self._call(lambda: self.session.cancel_file(xfer_id))

    # --- plumbing -----------------------------------------------------------------------------------------

    def _call(self, fn: Callable[[], object]) -> None:
        def run() -> None:
            try:
                fn()
            except ValueError as exc:
                log.warning("agent request refused: %s", exc)
            self._handle(self.session.take_events())

        loop = self.main.loop
        if loop is not None:
            loop.call_soon(run)

    def _handle(self, events: list[object]) -> None:
        loop = self.main.loop
        conn = loop.conn if loop is not None else None
        for message in self.session.take_messages():
            if conn is not None:
                conn.send(message)
        for event in events:
            self._emit(event)
        if loop is not None:
            deadline = self.session.next_deadline()
            loop.set_timer(deadline, self._on_timer, "agent")

    def _on_timer(self) -> None:
        self._handle(self.session.on_timer())

    def _emit(self, event: object) -> None:
        if isinstance(event, AgentConnected):
            self.connected = True
            self.connected_changed.emit(True)
        elif isinstance(event, AgentDisconnected):
            self.connected = False
            self.caps = frozenset()
            self.connected_changed.emit(False)
        elif isinstance(event, AgentCapabilities):
            self.caps = frozenset(event.caps)
            self.capabilities_changed.emit(self.caps)
        elif isinstance(event, AgentReply):
            self.reply.emit(event.type, event.ok)
        elif isinstance(event, clip.GuestClipboardGrab):
            self.guest_clipboard_grab.emit(event.selection, tuple(event.types))
        elif isinstance(event, clip.GuestClipboardRelease):
            self.guest_clipboard_release.emit(event.selection)
        elif isinstance(event, clip.GuestClipboardRequest):
            self.guest_clipboard_request.emit(event.selection, event.type)
        elif isinstance(event, clip.ClipboardData):
            self.clipboard_data.emit(event.selection, event.type, bytes(event.data))
        elif isinstance(event, clip.ClipboardRequestFailed):
            self.clipboard_failed.emit(event.selection, event.type, event.reason)
        elif isinstance(event, clip.ClipboardTooLarge):
            self.clipboard_failed.emit(event.selection, 0, "larger than the clipboard limit")
        elif isinstance(event, xfer.FileXferProgress):
            self.file_progress.emit(event.id, event.sent, event.size)
        elif isinstance(event, xfer.FileXferFinished):
            self._close_file(event.id)
            self.file_finished.emit(event.id)
        elif isinstance(event, xfer.FileXferFailed):
            self._close_file(event.id)
            self.file_failed.emit(event.id, event.reason)
        else:
            log.debug("agent event %s", type(event).__name__)

    def _close_file(self, xfer_id: int) -> None:
        handle = self._handles.pop(xfer_id, None)
        if handle is not None:
            handle.close()
