"""What a channel needs from its session: the small interface channels depend on.

`SpiceSession` is the one implementation; a test may bring its own. Keeping the list short keeps the channels
independent of how the session is built, and of the main channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..canvas.caches import PaletteCache, PixmapCache
    from ..canvas.surface import PixelMemory
    from ..codecs.glz import GlzWindow
    from ..codecs.image import DecodedImage
    from ..protocol.messages.classes import Image
    from ..protocol.sasl import SaslFactory
    from ..transport.connect import Endpoint
    from .channel_base import ChannelBase
    from .playback_channel import PlaybackChannel


class ChannelSession(Protocol):
    # Linking: which server, which port (plain or TLS), which credentials.
    session_id: int
    password: str
    connect_timeout: float

    def endpoint_for(self, channel_type: int, tls: bool) -> Endpoint: ...
    def sasl_factory(self, host: str) -> SaslFactory | None: ...
    def wants_tls(self, channel_type: int) -> bool: ...
    def can_use_tls(self) -> bool: ...
    def can_use_plain(self) -> bool: ...

    # A display links first (spice-server makes each link's RSA key in turn): the others start once it settles.
    def display_settled(self) -> None: ...

    # A seamless migration: each channel moves to the destination when the source tells it to (MIGRATE).
    def seamless_move_ready(self) -> bool: ...
    def move_channel(self, channel: ChannelBase, migrate_data: bytes | None) -> None: ...

    # Images: caches and the GLZ dictionary shared by every display channel, and what to ask the server for.
    @property
    def pixmap_cache(self) -> PixmapCache: ...
    @property
    def palette_cache(self) -> PaletteCache: ...

    glz_window: GlzWindow | None
    glz_window_bytes: int
    preferred_compression: int | None
    preferred_video_codecs: tuple[int, ...]
    image_recorder: Callable[[Image, DecodedImage], None] | None
    primary_memory: PixelMemory | None  # where primary surfaces keep their pixels (None: ordinary memory)

    # Time: the local clock (monotonic seconds; tests bring their own) and the server's multimedia clock, which
    # video frames and sound are stamped with.
    def now(self) -> float: ...
    def mm_time(self) -> int | None: ...
    def set_mm_time(self, mm_time: int) -> None: ...

    # Ordering across channels (WAIT_FOR_CHANNELS): how many wait, and waiting for another channel's progress.
    serial_waiters: int

    def channel_progressed(self) -> None: ...
    def wait_for_channel(self, channel_type: int, channel_id: int, serial: int) -> bool: ...

    # Sound: what video is synchronised with, and whether Opus is offered.
    audio_opus: bool

    def playback(self) -> PlaybackChannel | None: ...
    def playback_active(self) -> bool: ...

    # Is the server still there: bytes received so far on all of the session's channels.
    def bytes_received(self) -> int: ...

    # USB redirection: a slot whose device was taken out is closed and offered again.
    def free_usb_slot(self, channel: ChannelBase) -> None: ...
