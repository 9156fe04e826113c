"""DisplayChannel: routes display messages to the canvas and tells the presentation what changed."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from ..canvas.canvas import Canvas, Changed
from ..canvas.dirty import DirtyBoxes
from ..canvas.errors import DrawError
from ..canvas.frame_schedule import FrameSchedule, PendingFrame, mm_diff
from ..canvas.geometry import Box, rect_box
from ..canvas.images import ImageResolver
from ..canvas.streams import Stream, direct_rows, put_frame, stream_direct_rows
from ..canvas.surface import Surface
from ..codecs.errors import DecodeError
from ..codecs.video import supported_codecs
from ..protocol.constants import (
    MAX_NUM_STREAMS,
    ChannelType,
    DisplayCap,
    ResourceType,
    SurfaceFlags,
    SurfaceFmt,
    VideoCodecType,
)
from ..protocol.messages import display as dmsg
from ..protocol.messages.classes import (
    Head,
    MsgcDisplayStreamReport,
    MsgDisplayCopyBits,
    MsgDisplayDrawAlphaBlend,
    MsgDisplayDrawBlackness,
    MsgDisplayDrawBlend,
    MsgDisplayDrawComposite,
    MsgDisplayDrawCopy,
    MsgDisplayDrawFill,
    MsgDisplayDrawInvers,
    MsgDisplayDrawOpaque,
    MsgDisplayDrawRop3,
    MsgDisplayDrawStroke,
    MsgDisplayDrawText,
    MsgDisplayDrawTransparent,
    MsgDisplayDrawWhiteness,
    MsgDisplayInvalAllPixmaps,
    MsgDisplayInvalList,
    MsgDisplayMark,
    MsgDisplayMode,
    MsgDisplayMonitorsConfig,
    MsgDisplayReset,
    MsgDisplayStreamActivateReport,
    MsgDisplayStreamClip,
    MsgDisplayStreamCreate,
    MsgDisplayStreamData,
    MsgDisplayStreamDataSized,
    MsgDisplaySurfaceCreate,
    MsgDisplaySurfaceDestroy,
    Rect,
)
from ..protocol.schema import WireStruct
from ..protocol.stream_report import StreamReport, unknown_stream_report
from .channel_base import ChannelBase
from .display_link import display_caps, display_link_messages
from .signals import Signal

if TYPE_CHECKING:
    from ..transport.channel_loop import ChannelLoop
    from .channel_session import ChannelSession


M = TypeVar("M")  # a draw message class
MAX_PREFERRED_CODECS = 8  # spice-protocol knows five; the message's count is a byte
# A video frame comes as a burst of strips (Xspice: a dozen 1280x48 streams) over a few milliseconds: its first strip
# waits this long for the rest before the viewer is told, so that the frame is one repaint and one wake-up of the
# GUI thread, not several. The socket is not read meanwhile: the rest of the burst is read and decoded in one turn of
# the loop, not one per strip (a drawing that arrives then, a typed letter's echo, waits at most this long too).
STREAM_GATHER_S = 0.006

# How long the other channels of a new session wait for the first display's first screen (see on_up).
FIRST_SCREEN_WAIT_S = 0.5


class DisplayChannel(ChannelBase):
    channel_type = ChannelType.DISPLAY

    primary_created = Signal(object)  # Surface
    primary_destroyed = Signal(int)
    # Emitted when what arrived together has been drawn and the areas were clean before; the receiver collects the
    # areas with take_dirty(). One signal per batch rather than one per command keeps cross-thread traffic small,
    # and a picture sent as several commands (a surface copy, a fill, an image) is repainted once, not per command.
    dirty = Signal()
    marked = Signal()
    monitors_changed = Signal(object)  # list of Head

    def __init__(self, session: ChannelSession, channel_id: int = 0) -> None:
        super().__init__(session, channel_id)
        self.resolver = ImageResolver(
            session.pixmap_cache, session.palette_cache, self._surface_or_none, session.glz_window
        )
        self.resolver.recorder = session.image_recorder
        self.canvas = Canvas(self.resolver, session.primary_memory)
        self.primary: Surface | None = None
        self.monitors: list[Head] = []
        # Read by the headless screenshot from another thread: when did drawing last happen, was MARK seen.
        self.mark_event = threading.Event()
        self.last_draw = time.monotonic()
        self.draw_count = 0
        self._dirty: dict[int, DirtyBoxes] = {}
        self._dirty_lock = threading.Lock()
        self._dirty_signal_due = False
        # The loop whose timer lets stream strips wait for the rest of their frame (a new connection has none set).
        self._gathering_on: ChannelLoop | None = None
        # Drawn by a drawing command (not a stream frame) since the areas were last taken: a typed letter's echo
        # is painted as soon as it is read, even while a video gathers its strips (the viewer reads this).
        self.dirty_is_urgent = False
        self.errors = 0
        # Draw commands: the canvas draws, the wrapper counts, logs a command it cannot draw, marks what changed.
        self.handlers[dmsg.MSG_DRAW_FILL] = self._drawing(self._draw_fill)
        self.handlers[dmsg.MSG_DRAW_COPY] = self._drawing(self._draw_copy)
        self.handlers[dmsg.MSG_DRAW_BLEND] = self._drawing(self._draw_blend)
        self.handlers[dmsg.MSG_DRAW_OPAQUE] = self._drawing(self._draw_opaque)
        self.handlers[dmsg.MSG_DRAW_BLACKNESS] = self._drawing(self._draw_blackness)
        self.handlers[dmsg.MSG_DRAW_WHITENESS] = self._drawing(self._draw_whiteness)
        self.handlers[dmsg.MSG_DRAW_INVERS] = self._drawing(self._draw_invers)
        self.handlers[dmsg.MSG_DRAW_ROP3] = self._drawing(self._draw_rop3)
        self.handlers[dmsg.MSG_DRAW_STROKE] = self._drawing(self._draw_stroke)
        self.handlers[dmsg.MSG_DRAW_TEXT] = self._drawing(self._draw_text)
        self.handlers[dmsg.MSG_DRAW_TRANSPARENT] = self._drawing(self._draw_transparent)
        self.handlers[dmsg.MSG_DRAW_ALPHA_BLEND] = self._drawing(self._draw_alpha_blend)
        self.handlers[dmsg.MSG_DRAW_COMPOSITE] = self._drawing(self._draw_composite)
        self.handlers[dmsg.MSG_COPY_BITS] = self._drawing(self._draw_copy_bits)
        self.handlers.update(
            {
                dmsg.MSG_SURFACE_CREATE: self._on_surface_create,
                dmsg.MSG_SURFACE_DESTROY: self._on_surface_destroy,
                dmsg.MSG_MODE: self._on_mode,
                dmsg.MSG_MARK: self._on_mark,
                dmsg.MSG_RESET: self._on_reset,
                dmsg.MSG_INVAL_LIST: self._on_inval_list,
                dmsg.MSG_INVAL_ALL_PIXMAPS: self._on_inval_all_pixmaps,
                dmsg.MSG_INVAL_PALETTE: lambda m: session.palette_cache.remove(m.id),
                dmsg.MSG_INVAL_ALL_PALETTES: lambda m: session.palette_cache.clear(),
                dmsg.MSG_MONITORS_CONFIG: self._on_monitors_config,
                dmsg.MSG_STREAM_CREATE: self._on_stream_create,
                dmsg.MSG_STREAM_DATA: self._on_stream_data,
                dmsg.MSG_STREAM_DATA_SIZED: self._on_stream_data,
                dmsg.MSG_STREAM_CLIP: self._on_stream_clip,
                dmsg.MSG_STREAM_DESTROY: lambda m: self._destroy_stream(m.id),
                dmsg.MSG_STREAM_DESTROY_ALL: lambda m: self._destroy_all_streams(),
                dmsg.MSG_STREAM_ACTIVATE_REPORT: self._on_activate_report,
            }
        )
        self.streams: dict[int, Stream] = {}
        self.stream_codecs: Counter[str] = Counter()
        self.stream_frames = 0
        # Lip-sync: while the guest's sound plays, frames wait for their mm-time. Without sound there is
        # nothing to wait for, and frames are shown as they arrive (spice-gtk delays them by the server's
        # ~400 ms mm-time margin even then).
        self.schedule = FrameSchedule()
        self.reports: dict[int, StreamReport] = {}  # streams the server wants reports for
        self.reports_sent = 0

    def channel_caps(self) -> frozenset[int]:
        return display_caps()

    def link_messages(self, server_caps: frozenset[int]) -> list[WireStruct]:
        session = self.session
        return display_link_messages(
            server_caps,
            cache_pixels=session.pixmap_cache.max_pixels,
            glz_window_bytes=session.glz_window_bytes,
            compression=session.preferred_compression,
        )

    def on_up(self) -> None:
        if self.mark_event.is_set():
            self._send_codec_order()  # a new link of a channel that had its screen (see send_preferences)
        # The other channels wait for this display's first screen (MARK), so that the server makes their link keys
        # after it, not before; a server that sends no MARK holds them up this long at most.
        if self._loop is not None:
            self._loop.set_timer(time.monotonic() + FIRST_SCREEN_WAIT_S, self.session.display_settled, "settle")

    def on_down(self) -> None:
        self.session.display_settled()  # failed to link: the channels waiting for a display go ahead anyway

    def can_prefer(self) -> tuple[bool, bool]:
        """Whether this channel's server takes an image compression / a video codec order from the client."""
        caps = self.server_caps
        return DisplayCap.PREF_COMPRESSION in caps, DisplayCap.PREF_VIDEO_CODEC_TYPE in caps

    def send_preferences(self) -> None:
        """Tell the server the session's image compression and video codec order (what it takes of them)."""
        if not self.is_linked:
            return  # on_up sends them
        compression_ok, _codecs_ok = self.can_prefer()
        pref = self.session.preferred_compression
        if pref is not None and compression_ok:
            self.send(dmsg.MSGC_PREFERRED_COMPRESSION.cls(image_compression=pref))
        # The codec order waits for the initial screen (MARK): spice-server 0.15.1's Xspice crashed (SIGSEGV in its
        # worker) when the order arrived while the streams of a video already playing were being set up at connect
        # over a slow link (bench_slow_link). spice-gtk sends it only when asked, never at connect.
        if self.mark_event.is_set():
            self._send_codec_order()

    def _send_codec_order(self) -> None:
        codecs = [c for c in self.session.preferred_video_codecs if c in supported_codecs()][:MAX_PREFERRED_CODECS]
        if codecs and self.can_prefer()[1]:
            self.send(dmsg.MSGC_PREFERRED_VIDEO_CODEC_TYPE.cls(num_of_codecs=len(codecs), codecs=codecs))

    # --- drawing: each draw command's base (surface, box, clip) and body, handed to the canvas ----------------

    def _draw_fill(self, m: MsgDisplayDrawFill) -> Changed:
        return self.canvas.fill(m.base, m.data)

    def _draw_copy(self, m: MsgDisplayDrawCopy) -> Changed:
        return self.canvas.copy(m.base, m.data)

    def _draw_blend(self, m: MsgDisplayDrawBlend) -> Changed:
        return self.canvas.copy(m.base, m.data)

    def _draw_opaque(self, m: MsgDisplayDrawOpaque) -> Changed:
        return self.canvas.opaque(m.base, m.data)

    def _draw_blackness(self, m: MsgDisplayDrawBlackness) -> Changed:
        return self.canvas.blackness(m.base, m.data)

    def _draw_whiteness(self, m: MsgDisplayDrawWhiteness) -> Changed:
        return self.canvas.whiteness(m.base, m.data)

    def _draw_invers(self, m: MsgDisplayDrawInvers) -> Changed:
        return self.canvas.invers(m.base, m.data)

    def _draw_rop3(self, m: MsgDisplayDrawRop3) -> Changed:
        return self.canvas.rop3(m.base, m.data)

    def _draw_stroke(self, m: MsgDisplayDrawStroke) -> Changed:
        return self.canvas.stroke(m.base, m.data)

    def _draw_text(self, m: MsgDisplayDrawText) -> Changed:
        return self.canvas.text(m.base, m.data)

    def _draw_transparent(self, m: MsgDisplayDrawTransparent) -> Changed:
        return self.canvas.transparent(m.base, m.data)

    def _draw_alpha_blend(self, m: MsgDisplayDrawAlphaBlend) -> Changed:
        return self.canvas.alpha_blend(m.base, m.data)

    def _draw_composite(self, m: MsgDisplayDrawComposite) -> Changed:
        return self.canvas.composite(m.base, m.data)

    def _draw_copy_bits(self, m: MsgDisplayCopyBits) -> Changed:
        return self.canvas.copy_bits(m.base, m.src_pos)

    # --- drawing ------------------------------------------------------------------------------------------

    def _drawing(self, draw: Callable[[M], Changed]) -> Callable[[M], None]:
        def handle(msg: M) -> None:
            try:
                changed = draw(msg)
            except (DrawError, DecodeError) as exc:
                self.errors += 1
                self.log.warning("%s skipped: %s", type(msg).__name__, exc)
                return
            self.last_draw = time.monotonic()
            self.draw_count += 1
            if changed is not None:
                self._mark_dirty(changed[0].id, changed[1])

        return handle

    def _mark_dirty(self, surface_id: int, box: Box, *, stream: bool = False) -> None:
        primary = self.primary
        if primary is None or surface_id != primary.id:
            # Only the primary surface is shown: drawing into an off-screen one (a guest's pixmap, later copied
            # to the screen) need not wake the GUI thread. feh draws each picture so: two of its three commands.
            return
        with self._dirty_lock:
            was_clean = not self._dirty
            first_urgent = not stream and not self.dirty_is_urgent
            boxes = self._dirty.get(surface_id)
            if boxes is None:
                boxes = self._dirty[surface_id] = DirtyBoxes()
            boxes.add(box)
            if first_urgent:
                self.dirty_is_urgent = True
        if was_clean or first_urgent:  # again for a drawing among pending stream strips: it should not wait
            self._dirty_signal_due = True

    def on_batch_done(self) -> None:
        if not self._dirty_signal_due:
            return
        loop = self._loop
        if self.dirty_is_urgent or loop is None:
            self._dirty_signal_due = False
            self.dirty.emit()
        elif self._gathering_on is not loop:
            self._gathering_on = loop
            until = time.monotonic() + STREAM_GATHER_S
            loop.set_timer(until, self._end_gathering, "gather")
            loop.hold_reads(until)

    def _end_gathering(self) -> None:
        """The strips of a frame have had their time to arrive: tell the viewer (unless a drawing already did)."""
        self._gathering_on = None
        if self._dirty_signal_due:
            self._dirty_signal_due = False
            self.dirty.emit()

    def take_dirty(self) -> dict[int, list[Box]]:
        """The areas drawn since the last call, by surface id, as few (x0, y0, x1, y1) boxes; call from the GUI
        thread. Until it is called, further drawing only adds to the areas (no more signals)."""
        with self._dirty_lock:
            dirty, self._dirty = self._dirty, {}
            self.dirty_is_urgent = False
        return {sid: boxes.boxes for sid, boxes in dirty.items()}

    def _surface_or_none(self, surface_id: int) -> Surface | None:
        return self.canvas.surfaces.get(surface_id)

    def _on_inval_all_pixmaps(self, msg: MsgDisplayInvalAllPixmaps) -> None:
        # Other display channels may still draw from the cache up to the listed messages: wait for them first.
        self.wait_for_channels(msg.wait_list)
        self.session.pixmap_cache.clear()

    def _on_surface_create(self, msg: MsgDisplaySurfaceCreate) -> None:
        try:
            surface = self.canvas.create_surface(msg.surface_id, msg.width, msg.height, msg.format, msg.flags)
        except DrawError as exc:
            self.errors += 1
            self.log.warning("surface create refused: %s", exc)
            return
        self.last_draw = time.monotonic()
        if surface.primary:
            self.primary = surface
            self.mark_event.clear()
            self.primary_created.emit(surface)

    def _on_surface_destroy(self, msg: MsgDisplaySurfaceDestroy) -> None:
        surface = self.canvas.destroy_surface(msg.surface_id)
        if surface is not None and surface is self.primary:
            self.primary = None
            self.primary_destroyed.emit(msg.surface_id)

    def _on_mode(self, msg: MsgDisplayMode) -> None:
        # Old servers announce the primary surface with MODE (32 bits per pixel, surface 0).
        fake = dmsg.MSG_SURFACE_CREATE.cls(
            surface_id=0, width=msg.x_res, height=msg.y_res, format=SurfaceFmt.FMT_32_xRGB, flags=SurfaceFlags.PRIMARY
        )
        self._on_surface_create(fake)

    def _on_mark(self, msg: MsgDisplayMark) -> None:
        if not self.mark_event.is_set():
            self._send_codec_order()  # the initial screen is in: now the server can take it (see send_preferences)
            self.session.display_settled()
        self.mark_event.set()
        self.marked.emit()

    def _on_reset(self, msg: MsgDisplayReset) -> None:
        self.canvas.clear()
        self.primary = None
        self.session.palette_cache.clear()

    def _on_inval_list(self, msg: MsgDisplayInvalList) -> None:
        for res in msg.resources:
            if res.type == ResourceType.PIXMAP:
                self.session.pixmap_cache.remove(res.id)

    # --- video streams -------------------------------------------------------------------------------------

    def _on_stream_create(self, msg: MsgDisplayStreamCreate) -> None:
        if msg.id >= MAX_NUM_STREAMS:
            self.errors += 1
            self.log.warning("stream id %d out of range", msg.id)
            return
        self._destroy_stream(msg.id)
        from ..codecs.video.decoder import VideoDecoder  # libjpeg-turbo and the Y'CbCr kernels: with the first stream

        try:
            decoder = VideoDecoder(msg.codec_type)
        except DecodeError as exc:
            self.errors += 1
            self.log.warning("stream %d refused: %s", msg.id, exc)
            return
        self.stream_codecs[VideoCodecType(msg.codec_type).name] += 1
        self.streams[msg.id] = Stream(
            msg.id, msg.surface_id, msg.flags, msg.codec_type, rect_box(msg.dest), msg.clip, decoder
        )

    def _on_stream_data(self, msg: MsgDisplayStreamData | MsgDisplayStreamDataSized) -> None:
        stream = self.streams.get(msg.base.id)
        if stream is None:
            self.log.debug("data for unknown stream %d", msg.base.id)
            if DisplayCap.STREAM_REPORT in self.server_caps:
                self._send_report(unknown_stream_report(msg.base.id))
            return
        # Looked up once per frame: this runs hundreds of times a second for Xspice's video strips.
        frame_time = msg.base.multi_media_time
        now = self.session.mm_time()
        sound = self.session.playback_active()
        if stream.id in self.reports:
            self._count_for_report(stream.id, frame_time, now, sound)
        surface = self.canvas.surfaces.get(stream.surface_id)
        shown_now = now is None or not sound  # else it waits in the schedule and needs its own memory
        dest = getattr(msg, "dest", None)
        in_place = None
        try:
            if shown_now and surface is not None:
                in_place = self._decode_in_place(stream, surface, msg.data, dest)
            pixels = stream.decoder.decode(msg.data, scratch=shown_now) if in_place is None else None
        except DecodeError as exc:
            stream.drops += 1
            self.errors += 1
            self.log.warning("stream %d frame dropped: %s", stream.id, exc)
            return
        stream.frames += 1
        stream.bytes += len(msg.data)
        self.stream_frames += 1
        stream.last_mm_time = frame_time
        if in_place is not None and surface is not None:
            self._drawn(surface, in_place)
            return
        if pixels is None or surface is None:
            return
        frame = PendingFrame(stream.id, frame_time, pixels, dest)
        if shown_now:
            self._show_frame(frame)
            return
        assert now is not None  # not shown now: there is a clock to wait for
        self.schedule.push(frame, now)
        self._run_schedule()

    def _decode_in_place(
        self, stream: Stream, surface: Surface, data: bytes | memoryview, dest: Rect | None
    ) -> Box | None:
        """An MJPEG frame shown at once, decoded straight into the surface rows it fills (no scratch copy):
        the box drawn, or None when the frame cannot go there (then it is decoded as usual)."""
        if stream.codec != VideoCodecType.MJPEG:
            return None  # FFmpeg's planes are converted straight into the surface anyway
        target = stream_direct_rows(surface, stream) if dest is None else direct_rows(surface, stream, dest)
        if target is None:
            return None
        rows, box = target
        with surface.lock:
            return box if stream.decoder.decode_into(data, rows) else None

    def _on_activate_report(self, msg: MsgDisplayStreamActivateReport) -> None:
        if msg.stream_id not in self.streams:
            self.log.debug("report asked for unknown stream %d", msg.stream_id)
            return
        self.reports[msg.stream_id] = StreamReport(
            msg.stream_id, msg.unique_id, max(1, msg.max_window_size), msg.timeout_ms / 1000.0
        )

    def _count_for_report(self, stream_id: int, frame_mm_time: int, now: int | None, sound: bool) -> None:
        margin = mm_diff(frame_mm_time, now) if now is not None else 0
        playback = self.session.playback() if sound else None
        audio_delay = int(playback.sink.delay_ms()) if playback is not None else None
        message = self.reports[stream_id].on_frame(frame_mm_time, margin, audio_delay, self.session.now())
        if message is not None:
            self._send_report(message)

    def _send_report(self, message: MsgcDisplayStreamReport) -> None:
        self.reports_sent += 1
        self.send(message)

    def _run_schedule(self) -> None:
        """Show the frames whose time has come, and wake up for the next one (channel thread)."""
        now = self.session.mm_time()
        if now is None:
            return
        for frame in self.schedule.take_due(now):
            self._show_frame(frame)
        wait = self.schedule.next_wait_ms(now)
        if self._loop is not None:
            deadline = None if wait is None else time.monotonic() + wait / 1000.0
            self._loop.set_timer(deadline, self._run_schedule, "video")

    def _show_frame(self, frame: PendingFrame) -> None:
        stream = self.streams.get(frame.stream_id)
        surface = self.canvas.surfaces.get(stream.surface_id) if stream is not None else None
        if stream is None or surface is None:
            return
        self._drawn(surface, put_frame(surface, stream, frame.pixels, frame.dest))

    def _drawn(self, surface: Surface, box: Box | None) -> None:
        """A stream frame went into `surface` (`box` changed, if any)."""
        self.last_draw = time.monotonic()
        if box is not None:
            self._mark_dirty(surface.id, box, stream=True)

    def _on_stream_clip(self, msg: MsgDisplayStreamClip) -> None:
        stream = self.streams.get(msg.id)
        if stream is not None:
            stream.set_clip(msg.clip)

    def _destroy_stream(self, stream_id: int) -> None:
        self.schedule.drop_stream(stream_id)
        self.reports.pop(stream_id, None)
        stream = self.streams.pop(stream_id, None)
        if stream is not None:
            stream.decoder.close()

    def _destroy_all_streams(self) -> None:
        for stream_id in list(self.streams):
            self._destroy_stream(stream_id)

    def _on_monitors_config(self, msg: MsgDisplayMonitorsConfig) -> None:
        self.monitors = list(msg.heads)
        self.monitors_changed.emit(self.monitors)
