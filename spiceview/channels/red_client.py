"""RedClient: the main channel, and the owner of every other channel of the session.

It links first, learns the session id and the channel list from the server, and attaches one channel object
per offered channel that spiceview speaks. Session-wide state (image caches, the GLZ window) lives here.
"""

from __future__ import annotations

import threading
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Signal

from ..canvas.caches import PaletteCache, PixmapCache
from ..codecs.glz import GlzWindow
from ..protocol.agent.monitors import DisplaySettings
from ..protocol.constants import ChannelType, MainCap, MouseMode
from ..protocol.messages import main as mainmsg
from ..protocol.messages.classes import (
    MsgMainAgentConnected,
    MsgMainAgentConnectedTokens,
    MsgMainAgentDisconnected,
    MsgMainAgentToken,
    MsgMainChannelsList,
    MsgMainInit,
    MsgMainMigrateBegin,
    MsgMainMigrateBeginSeamless,
    MsgMainMigrateSwitchHost,
    MsgMainMouseMode,
    MsgMainMultiMediaTime,
    MsgMainName,
    MsgMainUuid,
)
from ..transport.connect import Endpoint
from ..transport.tls_config import TlsConfig
from .agent_link import AgentLink
from .channel_base import ChannelBase
from .display_channel import DisplayChannel
from .limits import MAX_GLZ_WINDOW_BYTES, MIN_GLZ_WINDOW_BYTES

if TYPE_CHECKING:
    from ..audio.sink import AudioSink
    from ..audio.source import AudioSource

    # Imported when first offered (start-up time), so only named here.
    from .inputs_channel import InputsChannel
    from .playback_channel import PlaybackChannel
    from .record_channel import RecordChannel

EndpointFactory = Callable[[int, bool], Endpoint]
NO_PORT = 0xFFFF  # what a server's u16 port field holds for "none" (QEMU sends -1 for a missing TLS port)


class RedClient(ChannelBase):
    channel_type = ChannelType.MAIN

    name_changed = Signal(str)
    uuid_changed = Signal(str)
    display_added = Signal(object)  # DisplayChannel
    channel_added = Signal(object)  # any ChannelBase
    mouse_mode_changed = Signal(int)
    session_closed = Signal(str)  # "" on a clean disconnect, else the reason
    host_switched = Signal(str)  # the new server, after a live migration moved the session there

    def __init__(
        self,
        endpoint_for: EndpointFactory,
        password: str = "",
        *,
        can_use_tls: bool = False,
        secure_channels: Callable[[int], bool] = lambda _type: False,
        connect_timeout: float = 10.0,
        preferred_compression: int | None = None,
        display_settings: DisplaySettings | None = None,
        max_clipboard: int | None = None,
        audio_sink_factory: Callable[[], AudioSink] | None = None,
        audio_source_factory: Callable[[], AudioSource] | None = None,
        audio_opus: bool = True,
    ) -> None:
        super().__init__(self, 0)
        self.session_id = 0
        self.password = password
        self.connect_timeout = connect_timeout
        self._endpoint_for = endpoint_for
        self._can_use_tls = can_use_tls
        self._secure_channels = secure_channels
        self.preferred_compression = preferred_compression
        self.handlers.update(
            {
                mainmsg.MSG_INIT: self._on_init,
                mainmsg.MSG_CHANNELS_LIST: self._on_channels_list,
                mainmsg.MSG_NAME: self._on_name,
                mainmsg.MSG_UUID: self._on_uuid,
                mainmsg.MSG_MOUSE_MODE: self._on_mouse_mode,
                mainmsg.MSG_MULTI_MEDIA_TIME: self._on_mm_time,
                mainmsg.MSG_AGENT_CONNECTED: self._on_agent_connected,
                mainmsg.MSG_AGENT_CONNECTED_TOKENS: self._on_agent_connected_tokens,
                mainmsg.MSG_AGENT_DISCONNECTED: self._on_agent_disconnected,
                mainmsg.MSG_AGENT_TOKEN: self._on_agent_token,
                mainmsg.MSG_AGENT_DATA: lambda m: self.agent.on_agent_data(bytes(m.data)),
                mainmsg.MSG_MIGRATE_BEGIN: self._on_migrate_begin,
                mainmsg.MSG_MIGRATE_BEGIN_SEAMLESS: self._on_migrate_begin,
                mainmsg.MSG_MIGRATE_CANCEL: lambda m: self.log.info("migration cancelled"),
                mainmsg.MSG_MIGRATE_SWITCH_HOST: self._on_switch_host,
                mainmsg.MSG_MIGRATE_END: lambda m: self.log.info("migration end"),
            }
        )
        self.agent: AgentLink = AgentLink(self, display_settings, max_clipboard)
        self.pixmap_cache: PixmapCache = PixmapCache()
        self.palette_cache: PaletteCache = PaletteCache()
        self.glz_window: GlzWindow | None = None
        self.image_recorder: Callable[[Any, Any], None] | None = None  # --record-images
        self.want_cursor_channel = True  # a headless screenshot has no pointer to show
        # Where the guest's sound goes (an AudioSink per playback channel); None: no playback channel.
        self.audio_sink_factory = audio_sink_factory
        # What the guest records (an AudioSource per record channel); None: no record channel.
        self.audio_source_factory = audio_source_factory
        self.audio_opus = audio_opus  # offer Opus both ways (else raw PCM)
        self.glz_window_bytes = MIN_GLZ_WINDOW_BYTES
        self.channels: dict[tuple[int, int], ChannelBase] = {}
        # The first channel of each type, remade when channels come or go: playback is looked up for every video
        # frame (lip-sync, reports), and scanning the channels under their lock each time showed in profiles.
        self._first_of_type: dict[int, ChannelBase] = {}
        self._first_of_type_key: tuple[int, int] | None = None
        self._channels_generation = 0
        self._channels_lock = threading.Lock()
        self.server_name = ""
        self.server_uuid = ""
        self.mouse_mode = MouseMode.SERVER
        self.supported_mouse_modes = MouseMode.SERVER
        self.agent_connected = False
        self.agent_tokens = 0
        self.mm_time_offset: float | None = None
        self._closing = False
        # After a migration's SWITCH_HOST: (host, port, TLS port, certificate subject) replacing the original.
        self.redirect: tuple[str, int, int, str | None] | None = None
        self.retired_channels: list[ChannelBase] = []  # the previous server's channels, until their threads end
        self.closed.connect(self._main_closed)

    # --- session configuration used by every channel ------------------------------------------------------

    def endpoint_for(self, channel_type: int, tls: bool) -> Endpoint:
        if self.redirect is None:
            return self._endpoint_for(channel_type, tls)
        host, port, sport, subject = self.redirect
        try:
            base = self._endpoint_for(channel_type, tls)
        except ValueError:  # the first server had no TLS port; the new one has
            base = Endpoint(host, sport, TlsConfig())
        tls_config = base.tls
        if tls_config is not None and subject:
            tls_config = replace(tls_config, host_subject=subject)
        return replace(base, host=host, port=sport if tls else port, tls=tls_config)

    def wants_tls(self, channel_type: int) -> bool:
        return self._secure_channels(channel_type)

    def can_use_tls(self) -> bool:
        if self.redirect is not None:
            return self.redirect[2] > 0
        return self._can_use_tls

    def channel_caps(self) -> frozenset[int]:
        return frozenset({MainCap.NAME_AND_UUID, MainCap.AGENT_CONNECTED_TOKENS})

    # --- life cycle ---------------------------------------------------------------------------------------

    def connect_session(self) -> None:
        self.start()

    def disconnect_session(self) -> None:
        self._closing = True
        for channel in self.all_channels():
            channel.stop()
        self.stop()

    def finished_all(self) -> bool:
        """Every thread of the session (main and channels) has ended."""
        return self.finished() and all(c.finished() for c in [*self.all_channels(), *self.retired_channels])

    def wait_all(self, timeout_ms: int = 5000) -> None:
        for channel in [*self.all_channels(), *self.retired_channels]:
            channel.wait(timeout_ms)
        self.wait(timeout_ms)

    def all_channels(self) -> list[ChannelBase]:
        with self._channels_lock:
            return list(self.channels.values())

    def displays(self) -> list[DisplayChannel]:
        return [c for c in self.all_channels() if isinstance(c, DisplayChannel)]

    def stats(self) -> dict[str, Any]:
        """What the session received, by channel and image type (spiceview --stats-json)."""
        image_types: dict[str, int] = {}
        errors = 0
        for display in self.displays():
            for name, count in display.resolver.seen_types.items():
                image_types[name] = image_types.get(name, 0) + count
            errors += display.errors
        codecs: dict[str, int] = {}
        frames = 0
        for display in self.displays():
            for name, count in display.stream_codecs.items():
                codecs[name] = codecs.get(name, 0) + count
            frames += display.stream_frames
        return {
            "channels": {c.name: dict(c.received) for c in [self, *self.all_channels()]},
            "image_types": image_types,
            "stream_codecs": codecs,
            "stream_frames_decoded": frames,
            "draw_errors": errors,
            "server_name": self.server_name,
        }

    def _main_closed(self, error: str) -> None:
        # Without the main channel the session is over: close the others too.
        for channel in self.all_channels():
            channel.stop()
        self.session_closed.emit("" if self._closing else error or "the server closed the session")

    # --- main channel messages ------------------------------------------------------------------------------

    def _on_init(self, msg: MsgMainInit) -> None:
        self.session_id = msg.session_id
        self.supported_mouse_modes = MouseMode(msg.supported_mouse_modes & 3)
        self.mouse_mode = MouseMode(msg.current_mouse_mode & 3) or MouseMode.SERVER
        self.agent_connected = bool(msg.agent_connected)
        self.agent_tokens = msg.agent_tokens
        self.set_mm_time(msg.multi_media_time)
        # Size the GLZ window from the server's RAM hint, within spice-gtk's bounds.
        self.glz_window_bytes = max(MIN_GLZ_WINDOW_BYTES, min(msg.ram_hint // 3, MAX_GLZ_WINDOW_BYTES))
        if self.glz_window is None:
            self.glz_window = GlzWindow(self.glz_window_bytes // 4)
        if self.supported_mouse_modes & MouseMode.CLIENT and self.mouse_mode != MouseMode.CLIENT:
            self.send(mainmsg.MSGC_MOUSE_MODE_REQUEST.cls(mode=MouseMode.CLIENT))
        self.mouse_mode_changed.emit(int(self.mouse_mode))
        self.send(mainmsg.MSGC_ATTACH_CHANNELS.cls())
        self.agent.on_init(self.agent_connected, self.agent_tokens)

    def _on_channels_list(self, msg: MsgMainChannelsList) -> None:
        for entry in msg.channels:
            key = (entry.type, entry.id)
            with self._channels_lock:
                if key in self.channels:
                    continue
            channel = self._make_channel(entry.type, entry.id)
            if channel is None:
                self.log.info("channel %s-%d offered; not supported yet, skipped", _type_name(entry.type), entry.id)
                continue
            with self._channels_lock:
                self.channels[key] = channel
                displays = sum(1 for c in self.channels.values() if isinstance(c, DisplayChannel))
            if displays > 1:
                # Display channels fill the shared cache concurrently: a lookup may have to wait for another.
                self.pixmap_cache.wait_seconds = 2.0
            channel.start()
            self.channel_added.emit(channel)
            if isinstance(channel, DisplayChannel):
                self.display_added.emit(channel)

    def _make_channel(self, channel_type: int, channel_id: int) -> ChannelBase | None:
        make = CHANNEL_FACTORIES.get(channel_type)
        return make(self, channel_id) if make is not None else None

    def playback(self) -> PlaybackChannel | None:
        """The playback channel, once attached (None before, without audio, or if the server offers none)."""
        return cast("PlaybackChannel | None", self._channel_of(ChannelType.PLAYBACK))

    def playback_active(self) -> bool:
        """The guest's sound is playing now (what video frames are synchronised with)."""
        playback = self.playback()
        return playback is not None and playback.active

    def record(self) -> RecordChannel | None:
        """The record channel, once attached (None before, without recording, or if the server offers none)."""
        return cast("RecordChannel | None", self._channel_of(ChannelType.RECORD))

    def _channel_of(self, channel_type: int) -> ChannelBase | None:
        key = (self._channels_generation, len(self.channels))  # channels are only ever added, or all cleared
        if key != self._first_of_type_key:
            first: dict[int, ChannelBase] = {}
            for channel in self.all_channels():
                first.setdefault(channel.channel_type, channel)
            self._first_of_type, self._first_of_type_key = first, key
        return self._first_of_type.get(channel_type)

    def inputs(self) -> InputsChannel | None:
        """The inputs channel, once attached (None before, or if the server offers none)."""
        return cast("InputsChannel | None", self._channel_of(ChannelType.INPUTS))

    def _on_name(self, msg: MsgMainName) -> None:
        self.server_name = bytes(msg.name).rstrip(b"\0").decode("utf-8", "replace")
        self.name_changed.emit(self.server_name)

    def _on_uuid(self, msg: MsgMainUuid) -> None:
        self.server_uuid = str(uuidlib.UUID(bytes=bytes(msg.uuid)))
        self.uuid_changed.emit(self.server_uuid)

    def _on_mouse_mode(self, msg: MsgMainMouseMode) -> None:
        self.supported_mouse_modes = MouseMode(msg.supported_modes & 3)
        self.mouse_mode = MouseMode(msg.current_mode & 3) or MouseMode.SERVER
        self.mouse_mode_changed.emit(int(self.mouse_mode))

    def _on_mm_time(self, msg: MsgMainMultiMediaTime) -> None:
        self.set_mm_time(msg.time)

    def set_mm_time(self, mm_time: int) -> None:
        """The server's multimedia clock now (from the main channel, or from playback for lip-sync)."""
        self.mm_time_offset = mm_time - time.monotonic() * 1000.0

    def mm_time(self) -> int | None:
        """The server's multimedia time now, as this client follows it (None before the first)."""
        offset = self.mm_time_offset
        return None if offset is None else int(time.monotonic() * 1000.0 + offset) & 0xFFFFFFFF

    def _on_agent_connected(self, msg: MsgMainAgentConnected) -> None:
        self.agent_connected = True
        self.agent.on_agent_connected()

    def _on_agent_connected_tokens(self, msg: MsgMainAgentConnectedTokens) -> None:
        self.agent_connected = True
        self.agent_tokens = msg.num_tokens
        self.agent.on_agent_connected(msg.num_tokens)

    def _on_agent_disconnected(self, msg: MsgMainAgentDisconnected) -> None:
        self.agent_connected = False
        self.agent_tokens = 0
        self.agent.on_agent_disconnected(msg.error_code)

    def _on_agent_token(self, msg: MsgMainAgentToken) -> None:
        self.agent_tokens += msg.num_tokens
        self.agent.on_agent_token(msg.num_tokens)

    def _on_migrate_begin(self, msg: MsgMainMigrateBegin | MsgMainMigrateBeginSeamless) -> None:
        # Migration is not implemented yet: tell the server, so it does not wait for us.
        self.log.info("server started a migration; spiceview does not follow it yet")
        self.send(mainmsg.MSGC_MIGRATE_CONNECT_ERROR.cls())

    def _on_switch_host(self, msg: MsgMainMigrateSwitchHost) -> None:
        """The VM moved to another server (live migration without a seamless hand-over): go there.

        As spice-gtk does: every channel but main is closed, the caches are emptied, and main reconnects to the
        new host with a fresh connection id; the new server then lists its channels as on a first connection.
        """
        host = _c_string(msg.host_data)
        subject = _c_string(msg.cert_subject_data) or None
        port, sport = (p if p != NO_PORT else 0 for p in (msg.port, msg.sport))
        if not host or not (port or sport):
            self.log.warning("switch-host without a usable destination ignored")
            return
        self.log.info("the session moves to %s (port %d, TLS port %d)", host, port, sport)
        self.redirect = (host, port, sport, subject)
        with self._channels_lock:
            old = list(self.channels.values())
            self.channels.clear()
            self._channels_generation += 1
        for channel in old:
            channel.stop()
        self.retired_channels = [c for c in [*self.retired_channels, *old] if not c.finished()]
        self.agent.on_agent_disconnected(0)
        self.agent_connected = False
        self.pixmap_cache.clear()
        self.palette_cache.clear()
        self.glz_window = None  # a new server, a new GLZ dictionary
        self.session_id = 0
        self.reconnect()
        self.host_switched.emit(f"{host}:{port or sport}")


def _type_name(channel_type: int) -> str:
    try:
        return ChannelType(channel_type).name.lower()
    except ValueError:
        return str(channel_type)


def _c_string(data: bytes | None) -> str:
    """A NUL-terminated string field (None or empty when absent)."""
    return bytes(data or b"").split(b"\0", 1)[0].decode("utf-8", "replace")


# --- which class serves each channel type ------------------------------------------------------------------
# Modules other than the display's are imported when their channel is first offered (start-up time). A factory
# returns None for a channel this session does not want (no cursor in a screenshot, no sound device).


def _display(client: RedClient, channel_id: int) -> ChannelBase | None:
    return DisplayChannel(client, channel_id)


def _inputs(client: RedClient, channel_id: int) -> ChannelBase | None:
    from .inputs_channel import InputsChannel

    return InputsChannel(client, channel_id)


def _cursor(client: RedClient, channel_id: int) -> ChannelBase | None:
    if not client.want_cursor_channel:
        return None
    from .cursor_channel import CursorChannel

    return CursorChannel(client, channel_id)


def _playback(client: RedClient, channel_id: int) -> ChannelBase | None:
    if client.audio_sink_factory is None:
        return None
    from .playback_channel import PlaybackChannel

    return PlaybackChannel(client, channel_id, client.audio_sink_factory)


def _record(client: RedClient, channel_id: int) -> ChannelBase | None:
    if client.audio_source_factory is None:
        return None
    from .record_channel import RecordChannel

    return RecordChannel(client, channel_id, client.audio_source_factory)


CHANNEL_FACTORIES: dict[int, Callable[[RedClient, int], ChannelBase | None]] = {
    ChannelType.DISPLAY: _display,
    ChannelType.INPUTS: _inputs,
    ChannelType.CURSOR: _cursor,
    ChannelType.PLAYBACK: _playback,
    ChannelType.RECORD: _record,
}
