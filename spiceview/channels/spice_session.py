"""SpiceSession: what one connection to a SPICE server shares across its channels.

It owns the session-wide state (connection settings and TLS policy, the session id, image caches and the GLZ
window, the multimedia clock, sound factories) and the channels themselves: the main channel links first and
reports the channel list, and the session attaches one channel object per offered channel spiceview speaks
(CHANNEL_FACTORIES). Channels see it through the small ChannelSession interface.
"""

from __future__ import annotations

import getpass
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from ..protocol.agent.display_settings import DisplaySettings
from ..protocol.connection import ChannelConnection
from ..protocol.constants import ChannelType
from ..protocol.errors import AuthError
from ..protocol.sasl import SaslCredentials
from ..session.params import UsbDeviceShare, UsbShare
from ..transport.connect import Endpoint
from ..transport.tls_config import TlsConfig
from .channel_base import ChannelBase
from .display_link import PIXMAP_CACHE_PIXELS, display_caps, display_link_messages
from .failures import is_permanent
from .limits import MAX_GLZ_WINDOW_BYTES, MIN_GLZ_WINDOW_BYTES
from .main_channel import MainChannel
from .signals import Signal

if TYPE_CHECKING:
    from ..audio.sink import AudioSink
    from ..audio.source import AudioSource
    from ..canvas.caches import PaletteCache, PixmapCache
    from ..canvas.surface import PixelMemory
    from ..codecs.glz import GlzWindow
    from ..codecs.image import DecodedImage
    from ..protocol.messages.classes import Image
    from ..protocol.sasl import SaslClient, SaslFactory
    from ..usb.backend import UsbBackend
    from .agent_link import AgentLink
    from .cursor_channel import CursorChannel

    # Imported when first offered (start-up time), so only named here. The display's (numpy, the canvas, the
    # codecs: half of a screenshot's imports) waits for the main channel's link, which it overlaps: see _display.
    from .display_channel import DisplayChannel
    from .inputs_channel import InputsChannel
    from .migration import Destination, Migration
    from .playback_channel import PlaybackChannel
    from .pre_connection import PreConnection
    from .record_channel import RecordChannel
    from .usb_devices import UsbDevices

EndpointFactory = Callable[[int, bool], Endpoint]


class SpiceSession:
    display_added = Signal(object)  # DisplayChannel
    channel_added = Signal(object)  # any ChannelBase
    session_closed = Signal(str)  # "" on a clean disconnect, else the reason
    host_switched = Signal(str)  # the new server, after a live migration moved the session there

    def __init__(
        self,
        endpoint_for: EndpointFactory,
        password: str = "",
        *,
        username: str = "",
        can_use_tls: bool = False,
        can_use_plain: bool = True,
        secure_channels: Callable[[int], bool] = lambda _type: False,
        connect_timeout: float = 10.0,
        preferred_compression: int | None = None,
        preferred_video_codecs: tuple[int, ...] = (),
        display_settings: DisplaySettings | None = None,
        max_clipboard: int | None = None,
        audio_sink_factory: Callable[[], AudioSink] | None = None,
        audio_source_factory: Callable[[], AudioSource] | None = None,
        audio_opus: bool = True,
        with_agent: bool = True,
        disabled_channels: frozenset[int] = frozenset(),
        usb_shares: tuple[UsbShare | UsbDeviceShare, ...] = (),
        usbredir_enabled: bool = True,
        usb_autoshare: bool = True,
        usb_auto_filter: str | None = None,
        usb_redirect_on_connect: str | None = None,
        usb_backend_factory: Callable[[], UsbBackend] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`with_agent=False`: never start the guest agent (a screenshot needs none, and skips loading it)."""
        self.session_id = 0
        self.password = password
        self.username = username  # for SASL (the local user's name when empty, as spice-gtk does)
        self.connect_timeout = connect_timeout
        self._endpoint_for = endpoint_for
        self._can_use_tls = can_use_tls
        self._can_use_plain = can_use_plain
        self._secure_channels = secure_channels
        self._clock = clock  # seconds, monotonic: what the multimedia clock is followed with
        self.preferred_compression = preferred_compression
        self.preferred_video_codecs = preferred_video_codecs  # most wanted first; () leaves the server's order
        # Made with the first display channel (see image_caches), as the display's modules are imported then.
        self._image_caches: tuple[PixmapCache, PaletteCache] | None = None
        self._image_caches_lock = threading.Lock()
        self.glz_window: GlzWindow | None = None
        self.glz_window_bytes = MIN_GLZ_WINDOW_BYTES
        self.image_recorder: Callable[[Image, DecodedImage], None] | None = None  # --record-images
        # Where primary surfaces keep their pixels: the viewer's memory the X server reads them from (x11_shm.py).
        self.primary_memory: PixelMemory | None = None
        self.want_cursor_channel = True  # a headless screenshot has no pointer to show
        self.disabled_channels = disabled_channels  # channel types never attached (.vv disable-channels)
        # Where the guest's sound goes (an AudioSink per playback channel); None: no playback channel.
        self.audio_sink_factory = audio_sink_factory
        # What the guest records (an AudioSource per record channel); None: no record channel.
        self.audio_source_factory = audio_source_factory
        self.audio_opus = audio_opus  # offer Opus both ways (else raw PCM)
        # Images to share as USB drives, one per usbredir channel the server offers, in order.
        self.usb_shares = list(usb_shares)
        self.usbredir_enabled = usbredir_enabled  # a .vv file's enable-usbredir=0 turns sharing off
        # This computer's USB devices (channels/usb_devices.py), made when first needed: the USB code is 10 ms of
        # imports a session without usb-redir slots never uses.
        self._usb: UsbDevices | None = None
        self._usb_options = (usb_autoshare, usb_auto_filter, usb_redirect_on_connect, usb_backend_factory)
        self.mm_time_offset: float | None = None
        self.channels: dict[tuple[int, int], ChannelBase] = {}
        self._declined: set[tuple[int, int]] = set()  # offered channels not attached (disabled, not spoken)
        # The first channel of each type, remade when channels come or go: playback is looked up for every video
        # frame (lip-sync, reports), and scanning the channels under their lock each time showed in profiles.
        self._first_of_type: dict[int, ChannelBase] = {}
        self._first_of_type_key: tuple[int, int] | None = None
        self._channels_generation = 0
        self._channels_lock = threading.Lock()
        # A display links before the other channels of the first list: spice-server makes an RSA key for each
        # link, one at a time (~13 ms each on these machines), and a display whose ticket (or first request)
        # arrived behind the inputs', cursor's and sound channels' keys waited for all of them before its first
        # picture. The others wait here (made and attached, not started) until a display has its first screen,
        # or failed to link.
        self._held: list[ChannelBase] = []
        self._display_settled = False
        # Set by whoever imports the display's modules while the main channel links (a one-shot screenshot): the
        # first display links meanwhile too (spice-server makes its RSA key, ~10 ms, then its first screen), over
        # a PreConnection its channel adopts once the modules are in. See _link_early.
        self.link_display_early = False
        self._early_link: _EarlyLink | None = None  # being made (closed with the session)
        self._closing = False
        self.ended_for_good = False  # the session ended in a way a reconnect cannot fix (password, certificate)
        self.login_refused = False
        self.login_was_sasl = False
        self.serial_waiters = 0  # channels holding in WAIT_FOR_CHANNELS (others signal progress only then)
        self._serial_cond = threading.Condition()
        # After a migration's SWITCH_HOST: (host, port, TLS port, certificate subject) replacing the original.
        self.redirect: tuple[str, int, int, str | None] | None = None
        self.retired_channels: list[ChannelBase] = []  # the previous server's channels, until their threads end
        self.migration: Migration | None = None  # a live migration being followed (channels/migration.py)
        self.migrations: list[dict[str, object]] = []  # how each earlier one went (--stats-json)
        self.main = MainChannel(self, display_settings, max_clipboard, with_agent=with_agent)
        self.main.closed.connect(self._main_closed)

    @property
    def pixmap_cache(self) -> PixmapCache:
        return self.image_caches()[0]

    @property
    def palette_cache(self) -> PaletteCache:
        return self.image_caches()[1]

    def image_caches(self) -> tuple[PixmapCache, PaletteCache]:
        """The pixmap and palette caches every display channel shares (made on first use, from any thread)."""
        caches = self._image_caches
        if caches is None:
            from ..canvas.caches import PaletteCache, PixmapCache

            with self._image_caches_lock:
                if self._image_caches is None:
                    self._image_caches = (PixmapCache(PIXMAP_CACHE_PIXELS), PaletteCache())
                caches = self._image_caches
        return caches

    @property
    def agent(self) -> AgentLink:
        """The guest agent, reached through the main channel."""
        if self.main.agent is None:
            raise RuntimeError("this session was opened without the guest agent")
        return self.main.agent

    # --- connection settings used by every channel ----------------------------------------------------------

    def endpoint_for(self, channel_type: int, tls: bool) -> Endpoint:
        if self.redirect is None:
            return self._endpoint_for(channel_type, tls)
        return self.endpoint_at(self.redirect, channel_type, tls)

    def endpoint_at(self, redirect: tuple[str, int, int, str | None], channel_type: int, tls: bool) -> Endpoint:
        """Where a channel links on another server (a migration's destination), with this session's TLS settings."""
        host, port, sport, subject = redirect
        try:
            base = self._endpoint_for(channel_type, tls)
        except ValueError:  # the first server had no TLS port; the new one has
            base = Endpoint(host, sport, TlsConfig())
        tls_config = base.tls
        if tls_config is not None and subject:
            tls_config = replace(tls_config, host_subject=subject)
        return replace(base, host=host, port=sport if tls else port, tls=tls_config)

    def sasl_factory(self, host: str) -> SaslFactory | None:
        """What answers a server that asks for SASL. libsasl2 is loaded only then (start-up time): without it
        that link ends with one line saying so."""
        credentials = SaslCredentials(self.username or _local_user(), self.password)

        def start(tls_bits: int) -> SaslClient:
            from ..transport.sasl import SaslSession

            return SaslSession(host, credentials, over_tls=tls_bits > 0, tls_bits=tls_bits)

        return start

    def wants_tls(self, channel_type: int) -> bool:
        return self._secure_channels(channel_type)

    def can_use_plain(self) -> bool:
        """A plain port is known (a channel the server keeps plain can be linked there)."""
        if self.redirect is not None:
            return self.redirect[1] > 0
        return self._can_use_plain

    def can_use_tls(self) -> bool:
        if self.redirect is not None:
            return self.redirect[2] > 0
        return self._can_use_tls

    # --- life cycle ---------------------------------------------------------------------------------------

    def connect_session(self) -> None:
        self.main.start()

    def disconnect_session(self) -> None:
        self._closing = True
        early = self._early_link
        if early is not None:
            early.pre.close()  # its waiter (attach_channels, on the main channel's thread) goes on at once
        for channel in self.all_channels():
            channel.stop()
        self.main.stop()

    def finished_all(self) -> bool:
        """Every thread of the session (main and channels) has ended."""
        return self.main.finished() and all(c.finished() for c in [*self.all_channels(), *self.retired_channels])

    def wait_all(self, timeout_ms: int = 5000) -> None:
        for channel in [*self.all_channels(), *self.retired_channels]:
            channel.wait(timeout_ms)
        self.main.wait(timeout_ms)
        if self._closing and self._usb is not None:
            self._usb.close()  # every slot has given its device back: libusb's event thread can stop

    def _main_closed(self, error: str) -> None:
        # Without the main channel the session is over: close the others too.
        for channel in self.all_channels():
            channel.stop()
        self.ended_for_good = is_permanent(self.main.failure)
        failure = self.main.failure
        # The login was refused: a window may ask for the credentials again (the user name too with SASL).
        self.login_refused = isinstance(failure, AuthError)
        self.login_was_sasl = isinstance(failure, AuthError) and failure.sasl
        self.session_closed.emit("" if self._closing else error or "the server closed the session")

    # --- what the main channel reports -----------------------------------------------------------------------

    def begin(self, session_id: int, mm_time: int, ram_hint: int) -> None:
        """The server's INIT: the session id the other channels link with, its clock, its memory."""
        self.session_id = session_id
        self.set_mm_time(mm_time)
        # Size the GLZ window from the server's RAM hint, within spice-gtk's bounds.
        self.glz_window_bytes = max(MIN_GLZ_WINDOW_BYTES, min(ram_hint // 3, MAX_GLZ_WINDOW_BYTES))
        migration = self.migration
        if migration is not None and migration.awaiting_init():
            # Semi-seamless: every channel moves now, as spice-gtk does, not after a channel list. The
            # destination's display waits for DISPLAY_INIT in its worker thread, and QEMU's main thread, which
            # would answer ATTACH_CHANNELS, soon waits for that worker: asking first stalls both for 30 s.
            self.attach_channels(migration.waiting_links())

    def attach_channels(self, offered: list[tuple[int, int]]) -> None:
        """Start a channel object for every offered (type, id) spiceview speaks and does not have yet (a display
        first: see _held)."""
        hold = (
            not self._display_settled
            and self.migration is None
            and ChannelType.DISPLAY not in self.disabled_channels
            and any(key[0] == ChannelType.DISPLAY for key in offered)
        )
        for key in offered:
            with self._channels_lock:
                if key in self.channels:
                    continue
            if key in self._declined:
                continue  # said once (the list comes again with every liveness probe)
            if key[0] in self.disabled_channels:
                self._declined.add(key)
                self.main.log.info(
                    "channel %s-%d offered; disabled by the connection's settings", _type_name(key[0]), key[1]
                )
                continue
            early = self._link_early(key) if self._wants_early_link(key) else None
            channel = self._make_channel(*key)  # (a display waits here for its modules)
            if channel is None:
                if early is not None:
                    early.pre.close()
                self._declined.add(key)
                if key[0] == ChannelType.USBREDIR:
                    self.main.log.info("USB redirection slot %d free (nothing shared in it)", key[1])
                else:
                    why = "not used by this session" if key[0] in CHANNEL_FACTORIES else "not supported yet"
                    self.main.log.info("channel %s-%d offered; %s, skipped", _type_name(key[0]), key[1], why)
                continue
            pre = self.migration.take(key) if self.migration is not None else None  # a link made in advance
            refused: BaseException | None = None
            if early is not None:
                pre, refused = self._linked_early(early)
                if self._closing:
                    if pre is not None:
                        pre.close()
                    return  # disconnected meanwhile: nothing more to start
            with self._channels_lock:
                self.channels[key] = channel
                displays = sum(1 for c in self.channels.values() if c.channel_type == ChannelType.DISPLAY)
            if displays > 1:
                # Display channels fill the shared cache concurrently: a lookup may have to wait for another.
                self.pixmap_cache.wait_seconds = 2.0
            is_display = channel.channel_type == ChannelType.DISPLAY
            if refused is not None:
                channel.start_after(refused)
            elif not (hold and not is_display and self._hold(channel)):
                channel.start(pre)  # (no link made in advance while holding: that is a migration's)
            self.channel_added.emit(channel)
            if is_display:
                self.display_added.emit(channel)
        if hold:
            with self._channels_lock:
                started_display = any(c.channel_type == ChannelType.DISPLAY for c in self.channels.values())
            if not started_display:
                self.display_settled()  # no display after all: nothing to wait for
        if self.migration is not None:
            self.migration.listed()
        if any(key[0] == ChannelType.USBREDIR for key in offered):
            self.usb.slots_known()

    def _wants_early_link(self, key: tuple[int, int]) -> bool:
        return (
            self.link_display_early
            and key[0] == ChannelType.DISPLAY
            and self.migration is None
            and not self._closing
            and not any(c.channel_type == ChannelType.DISPLAY for c in self.all_channels())
        )

    def _link_early(self, key: tuple[int, int]) -> _EarlyLink:
        """Start linking the first display before its channel object can be made; _linked_early() hands it over."""
        from ..transport.connect import open_socket
        from .pre_connection import PreConnection

        tls = self.wants_tls(key[0])
        endpoint = self.endpoint_for(key[0], tls)
        conn = ChannelConnection(
            key[0],
            key[1],
            connection_id=self.session_id,
            password=self.password,
            channel_caps=display_caps(),
            sasl=self.sasl_factory(endpoint.host),
            with_ticket=lambda caps: display_link_messages(
                caps,
                cache_pixels=PIXMAP_CACHE_PIXELS,
                glz_window_bytes=self.glz_window_bytes,
                compression=self.preferred_compression,
            ),
        )
        early = _EarlyLink()
        timeout = self.connect_timeout
        early.pre = PreConnection(
            conn,
            lambda: open_socket(endpoint, timeout),
            name=f"display-{key[1]}",
            purpose="linking",
            tls=tls,
            link_timeout=timeout,
            on_linked=lambda _pre: early.done.set(),
            on_failed=early.failed,
        )
        early.pre.start()
        self._early_link = early
        if self._closing:  # disconnected meanwhile, and disconnect_session() may not have seen it
            early.pre.close()
        return early

    def _linked_early(self, early: _EarlyLink) -> tuple[PreConnection | None, BaseException | None]:
        """(the early link once it is up, for the channel to adopt, None), or (None, why it failed): the channel
        then links afresh, on the port the server named if it refused the link for that (NEED_SECURED)."""
        linked = early.done.wait(self.connect_timeout) and early.pre.linked is not None
        self._early_link = None
        if linked:
            return early.pre, None
        error = early.error
        early.pre.close()
        return None, error

    def _hold(self, channel: ChannelBase) -> bool:
        """Keep `channel` for display_settled(), unless a display has settled already (its thread may be quick)."""
        with self._channels_lock:
            if self._display_settled:
                return False
            self._held.append(channel)
            return True

    def display_settled(self) -> None:
        """A display channel has its first screen, or failed to link: start the channels held back for it (any
        thread; once)."""
        with self._channels_lock:
            self._display_settled = True
            held, self._held = self._held, []
        for channel in held:
            if not self._closing:
                channel.start()

    @property
    def usb(self) -> UsbDevices:
        """This computer's USB devices: redirected on request, on connect, when plugged in."""
        if self._usb is None:
            from ..usb.backend import UsbBackend
            from .usb_devices import UsbDevices

            autoshare, auto_filter, on_connect, factory = self._usb_options
            self._usb = UsbDevices(self, autoshare=autoshare, auto_filter=auto_filter,
                                   redirect_on_connect=on_connect, backend_factory=factory or UsbBackend)  # fmt: skip
        return self._usb

    def usb_slots(self) -> tuple[list[ChannelBase], int]:
        """(the usbredir channels sharing something, how many of the VM's other slots are free)."""
        with self._channels_lock:
            used = [c for key, c in self.channels.items() if key[0] == ChannelType.USBREDIR]
        free = sum(1 for key in self._declined if key[0] == ChannelType.USBREDIR)
        return used, free

    def share_usb(self, share: UsbShare | UsbDeviceShare) -> str | None:
        """Share an image or a device in a free usbredir slot now (any thread); None, or why it cannot be."""
        if not self.usbredir_enabled:
            return "this connection turns USB redirection off (enable-usbredir=0)"
        free = sorted(key for key in self._declined if key[0] == ChannelType.USBREDIR)
        if not free:
            used, _ = self.usb_slots()
            return (
                f"no free USB redirection slot (the VM has {len(used)}, all in use)"
                if used
                else ("the VM has no USB redirection slot (QEMU: -device usb-redir)")
            )
        self.usb_shares.insert(0, share)
        self._declined.discard(free[0])
        self.attach_channels([free[0]])
        if free[0] not in self.channels:
            if isinstance(share, UsbShare):
                return f"{share.path} could not be opened"
            return self.usb.last_error or "the device could not be opened"
        return None

    def free_usb_slot(self, channel: ChannelBase) -> None:
        """A usbredir slot whose device was taken out: close its channel (QEMU forgets the device with the
        connection) and offer the slot again (any thread)."""
        key = (channel.channel_type, channel.channel_id)
        with self._channels_lock:
            if self.channels.get(key) is not channel:
                return
            del self.channels[key]
            self._channels_generation += 1  # channels were only ever added until now: the lookup cache knows
        self.retired_channels.append(channel)
        channel.stop()
        self._declined.add(key)
        self.main.log.info("USB redirection slot %d free again", key[1])

    def switch_host(self, host: str, port: int, sport: int, subject: str | None) -> None:
        """A live migration moved the VM: drop every channel but main and what the old server's cache held."""
        from ..protocol.migration import Phase as MigrationPhase

        migration = self.migration
        if migration is None:
            why = "the source did not announce the destination before the VM moved"
        elif migration.phase is MigrationPhase.CONNECTING:
            why = "the VM finished moving before the links to the destination were up (the source does not wait)"
        elif migration.phase is MigrationPhase.FAILED:
            why = f"the links to the destination could not be made in advance: {migration.plan.reason}"
        else:
            why = f"the source chose switch-host after a {migration.phase.value} {migration.plan.mode} migration"
        self.cancel_migration(why, record=False)
        self.migrations.append({"destination": f"{host}:{port or sport}", "mode": "switch-host", "reason": why})
        self.restart_at((host, port, sport, subject))
        self.session_id = 0

    def restart_at(self, redirect: tuple[str, int, int, str | None]) -> None:
        """The session starts afresh on another server: every channel but main is dropped, and what the old
        server's caches and GLZ window held."""
        self.redirect = redirect
        with self._channels_lock:
            old = list(self.channels.values())
            self.channels.clear()
            self._channels_generation += 1
        for channel in old:
            channel.stop()
        self.retired_channels = [c for c in [*self.retired_channels, *old] if not c.finished()]
        self.pixmap_cache.clear()
        self.palette_cache.clear()
        self.glz_window = None  # a new server, a new GLZ dictionary
        self._declined.clear()

    # --- what the user asks the server for while connected -------------------------------------------------

    def set_preferences(self, *, compression: int | None = None, video_codecs: tuple[int, ...] | None = None) -> None:
        """Ask every display channel's server for this image compression and this order of video codecs now
        (each only where the server declared the capability); later display channels ask at link."""
        if compression is not None:
            self.preferred_compression = compression
        if video_codecs is not None:
            self.preferred_video_codecs = video_codecs
        for display in self.displays():
            display.send_preferences()

    # --- following a live migration (channels/migration.py) -------------------------------------------------

    def channels_by_key(self) -> dict[tuple[int, int], ChannelBase]:
        with self._channels_lock:
            return dict(self.channels)

    def begin_migration(self, destination: Destination, *, seamless: bool, src_version: int = 0) -> Migration:
        from .migration import Migration

        self.cancel_migration("the server started another migration")
        migration = Migration(self, destination, seamless_offered=seamless, src_version=src_version)
        self.migration = migration
        migration.start()
        return migration

    def cancel_migration(self, why: str, *, record: bool = True) -> None:
        migration = self.migration
        if migration is None:
            return
        migration.cancel(why)
        if record:
            self.migration_finished(migration)
        else:
            self.migration = None

    def migration_finished(self, migration: Migration) -> None:
        if migration is not self.migration:
            return
        self.migration = None
        record = migration.describe()
        self.migrations.append(record)
        if record["mode"] != "failed":
            self.host_switched.emit(f"{migration.destination.host}:{migration.destination.port}")

    def seamless_move_ready(self) -> bool:
        migration = self.migration
        return migration is not None and migration.seamless_ready()

    def move_channel(self, channel: ChannelBase, migrate_data: bytes | None) -> None:
        migration = self.migration
        if migration is not None:
            migration.move(channel, migrate_data)

    def _make_channel(self, channel_type: int, channel_id: int) -> ChannelBase | None:
        make = CHANNEL_FACTORIES.get(channel_type)
        return make(self, channel_id) if make is not None else None

    # --- ordering across channels -------------------------------------------------------------------------

    def wait_for_channel(self, channel_type: int, channel_id: int, serial: int) -> bool:
        """Block (a channel's thread) until that channel has handled message `serial`, it is gone or closed, or
        WAIT_FOR_CHANNEL_S passed; False only on the time limit."""
        from .channel_base import WAIT_FOR_CHANNEL_S

        channel: ChannelBase | None = self.main if (channel_type, channel_id) == (ChannelType.MAIN, 0) else None
        if channel is None:
            with self._channels_lock:
                channel = self.channels.get((channel_type, channel_id))
        if channel is None:
            return True  # not attached (or not spoken): nothing to wait for

        def reached() -> bool:
            return channel.serial_done >= serial or not channel.is_linked

        with self._serial_cond:
            self.serial_waiters += 1
            try:
                return self._serial_cond.wait_for(reached, WAIT_FOR_CHANNEL_S)
            finally:
                self.serial_waiters -= 1

    def channel_progressed(self) -> None:
        with self._serial_cond:
            self._serial_cond.notify_all()

    # --- the multimedia clock -----------------------------------------------------------------------------

    def now(self) -> float:
        """The session's clock: monotonic seconds (another clock in tests)."""
        return self._clock()

    def set_mm_time(self, mm_time: int) -> None:
        """The server's multimedia clock now (from the main channel, or from playback for lip-sync)."""
        self.mm_time_offset = mm_time - self._clock() * 1000.0

    def mm_time(self) -> int | None:
        """The server's multimedia time now, as this client follows it (None before the first)."""
        offset = self.mm_time_offset
        return None if offset is None else int(self._clock() * 1000.0 + offset) & 0xFFFFFFFF

    # --- the channels ------------------------------------------------------------------------------------

    def all_channels(self) -> list[ChannelBase]:
        """The attached channels (main is not among them: it is `main`)."""
        with self._channels_lock:
            return list(self.channels.values())

    def bytes_received(self) -> int:
        """Bytes from the server so far, on main and every attached channel (read without their threads' help:
        a count one batch behind only moves the liveness check's next look)."""
        return sum(loop.bytes_in for c in [self.main, *self.all_channels()] if (loop := c.loop) is not None)

    def displays(self) -> list[DisplayChannel]:
        return [cast("DisplayChannel", c) for c in self.all_channels() if c.channel_type == ChannelType.DISPLAY]

    def _channel_of(self, channel_type: int) -> ChannelBase | None:
        key = (self._channels_generation, len(self.channels))  # added, or removed with a new generation
        if key != self._first_of_type_key:
            first: dict[int, ChannelBase] = {}
            for channel in self.all_channels():
                first.setdefault(channel.channel_type, channel)
            self._first_of_type, self._first_of_type_key = first, key
        return self._first_of_type.get(channel_type)

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

    def inputs(self) -> InputsChannel | None:
        """The inputs channel, once attached (None before, or if the server offers none)."""
        return cast("InputsChannel | None", self._channel_of(ChannelType.INPUTS))

    def cursor(self) -> CursorChannel | None:
        """The cursor channel of display 0, once attached (None before, or if the server offers none)."""
        return cast("CursorChannel | None", self._channel_of(ChannelType.CURSOR))

    def stats(self) -> dict[str, Any]:
        """What the session received, by channel and image type (spiceview --stats-json)."""
        image_types: dict[str, int] = {}
        errors = 0
        codecs: dict[str, int] = {}
        frames = 0
        for display in self.displays():
            for name, count in display.resolver.seen_types.items():
                image_types[name] = image_types.get(name, 0) + count
            errors += display.errors
            for name, count in display.stream_codecs.items():
                codecs[name] = codecs.get(name, 0) + count
            frames += display.stream_frames
        migrations = list(self.migrations)
        if self.migration is not None:
            migrations.append(self.migration.describe())
        return {
            "channels": {c.name: dict(c.received) for c in [self.main, *self.all_channels()]},
            "migrations": migrations,
            "image_types": image_types,
            "stream_codecs": codecs,
            "stream_frames_decoded": frames,
            "draw_errors": errors,
            "server_name": self.main.server_name,
        }


class _EarlyLink:
    """The first display's link, started while its modules load (SpiceSession.link_display_early)."""

    pre: PreConnection

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None

    def failed(self, _pre: PreConnection, error: BaseException | None) -> None:
        if not self.done.is_set():  # the first word: closing it afterwards says nothing new
            self.error = error
        self.done.set()


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no USER and no passwd entry (a bare container)
        return ""


def _type_name(channel_type: int) -> str:
    try:
        return ChannelType(channel_type).name.lower()
    except ValueError:
        return str(channel_type)


# --- which class serves each channel type ------------------------------------------------------------------
# Modules other than the display's are imported when their channel is first offered (start-up time). A factory
# returns None for a channel this session does not want (no cursor in a screenshot, no sound device).


def _display(session: SpiceSession, channel_id: int) -> ChannelBase | None:
    from ..codecs.glz import GlzWindow
    from .display_channel import DisplayChannel

    session.image_caches()
    if session.glz_window is None:  # the first display of this server (after INIT: its size is known)
        session.glz_window = GlzWindow(session.glz_window_bytes // 4)
    return DisplayChannel(session, channel_id)


def _inputs(session: SpiceSession, channel_id: int) -> ChannelBase | None:
    from .inputs_channel import InputsChannel

    return InputsChannel(session, channel_id)


def _cursor(session: SpiceSession, channel_id: int) -> ChannelBase | None:
    if not session.want_cursor_channel:
        return None
    from .cursor_channel import CursorChannel

    return CursorChannel(session, channel_id)


def _playback(session: SpiceSession, channel_id: int) -> ChannelBase | None:
    if session.audio_sink_factory is None:
        return None
    from .playback_channel import PlaybackChannel

    return PlaybackChannel(session, channel_id, session.audio_sink_factory)


def _record(session: SpiceSession, channel_id: int) -> ChannelBase | None:
    if session.audio_source_factory is None:
        return None
    from .record_channel import RecordChannel

    return RecordChannel(session, channel_id, session.audio_source_factory)


def _usbredir(session: SpiceSession, channel_id: int) -> ChannelBase | None:
    if not session.usb_shares:
        return None  # nothing (more) to share: the slot stays free
    share = session.usb_shares.pop(0)
    if not isinstance(share, UsbShare):
        return session.usb.open_channel(channel_id, share)
    from ..session.usb_share import open_disk_image
    from .usbredir_channel import UsbredirChannel

    path, writable = share.path, share.writable and not share.cdrom
    try:
        host = open_disk_image(path, writable, cdrom=share.cdrom)
    except OSError as exc:
        session.main.log.warning("cannot share %s: %s", path, exc.strerror or exc)
        return None
    what = "a USB CD-ROM" if share.cdrom else f"a USB drive ({'read-write' if writable else 'read-only'})"
    session.main.log.info("sharing %s as %s in slot %d", path, what, channel_id)
    return UsbredirChannel(session, channel_id, lambda: host)


CHANNEL_FACTORIES: dict[int, Callable[[SpiceSession, int], ChannelBase | None]] = {
    ChannelType.DISPLAY: _display,
    ChannelType.INPUTS: _inputs,
    ChannelType.CURSOR: _cursor,
    ChannelType.PLAYBACK: _playback,
    ChannelType.RECORD: _record,
    ChannelType.USBREDIR: _usbredir,
}
