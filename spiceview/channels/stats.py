"""Live statistics of a session: what the link carries and what the display does, as figures and a minute of
history for graphs (the overlay, --stats-json, the headless API).

`sample()` reads the session's counters (bytes each way per channel, drawing messages, stream frames and bytes,
decode times, caches, the frame schedule, the kernel's TCP round-trip time) and turns what changed since the
previous sample into rates. Cheap: counters only, no locks held for long; call it about once a second.
"""

from __future__ import annotations

import collections
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..protocol.constants import ImageType, VideoCodecType

if TYPE_CHECKING:
    from .spice_session import SpiceSession

HISTORY_S = 60.0
RTT_SOURCE = "kernel TCP_INFO of the main channel's socket: the round trip to the next hop (a proxy hides the rest)"

LIP_SYNC_SOURCE = (
    "when each scheduled video frame was shown, after its mm-time, on the clock of the sound being heard "
    "(> 0: the picture behind the sound); None while no frame waits for a clock"
)


@dataclass(frozen=True)
class Point:
    """One sample, for the graphs."""

    t: float
    kbit_in: float
    kbit_out: float
    updates: float  # display updates (drawing messages and stream frames) per second
    presented: float | None  # frames the windows painted per second (None without windows)
    rtt_ms: float | None


@dataclass(frozen=True)
class Counters:
    """The session's counters at one moment (what rates are computed from)."""

    t: float
    channels: dict[str, tuple[int, int]]  # name -> (bytes in, bytes out)
    draws: int
    frames: int
    streams: dict[tuple[str, int], tuple[int, int]]  # (display, stream id) -> (frames, bytes)
    presented: int | None


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class SessionStats:
    def __init__(
        self,
        session: SpiceSession,
        presented: Callable[[], int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`presented`: how many frames the windows have painted so far (the viewer counts its repaints)."""
        self.session = session
        self.presented = presented
        self.clock = clock
        self.history: collections.deque[Point] = collections.deque()
        # The first sample's rates are averages since now (--stats-json on exit without the overlay ever shown).
        self._last: Counters = self._counters()

    def _counters(self) -> Counters:
        channels: dict[str, tuple[int, int]] = {}
        for channel in [self.session.main, *self.session.all_channels()]:
            loop = channel.loop
            channels[channel.name] = (loop.bytes_in, loop.bytes_out) if loop is not None else (0, 0)
        draws = frames = 0
        streams: dict[tuple[str, int], tuple[int, int]] = {}
        for display in self.session.displays():
            draws += sum(n for name, n in display.received.items() if name.startswith("draw_") or name == "copy_bits")
            frames += display.stream_frames
            for stream in list(display.streams.values()):
                streams[(display.name, stream.id)] = (stream.frames, stream.bytes)
        presented = self.presented() if self.presented is not None else None
        return Counters(self.clock(), channels, draws, frames, streams, presented)

    def sample(self) -> dict[str, Any]:
        """The figures now (rates over the time since the previous sample) and one more point of history."""
        now = self._counters()
        last, self._last = self._last, now
        span = now.t - last.t

        def rate(new: float, old: float) -> float:
            return max(0.0, new - old) / span if span > 0 else 0.0

        channels = {}
        kbit_in = kbit_out = 0.0
        for name, (bytes_in, bytes_out) in now.channels.items():
            old_in, old_out = last.channels.get(name, (0, 0))  # a channel that came since: all of it is new
            k_in, k_out = rate(bytes_in, old_in) * 8 / 1000, rate(bytes_out, old_out) * 8 / 1000
            kbit_in, kbit_out = kbit_in + k_in, kbit_out + k_out
            channels[name] = {
                "kbit_s_in": round(k_in, 1),
                "kbit_s_out": round(k_out, 1),
                "bytes_in": bytes_in,
                "bytes_out": bytes_out,
            }
        updates = rate(now.draws, last.draws) + rate(now.frames, last.frames)
        presented = None
        if now.presented is not None and last.presented is not None and span > 0:
            presented = rate(now.presented, last.presented)
        rtt = self.session.main.loop.tcp_rtt_ms() if self.session.main.loop is not None else None
        self.history.append(Point(now.t, kbit_in, kbit_out, updates, presented, rtt))
        while self.history and self.history[0].t < now.t - HISTORY_S:
            self.history.popleft()
        return {
            "channels": channels,
            "kbit_s_in": round(kbit_in, 1),
            "kbit_s_out": round(kbit_out, 1),
            "display_updates_per_s": round(updates, 1),
            "stream_frames_per_s": round(rate(now.frames, last.frames), 1),
            "presented_per_s": None if presented is None else round(presented, 1),
            "decode_ms": self._decode_times(),
            "streams": self._streams(now, last, rate),
            "frames_late": sum(d.schedule.late for d in self.session.displays()),
            "frames_dropped": sum(
                d.schedule.dropped + sum(s.drops for s in list(d.streams.values())) for d in self.session.displays()
            ),
            "audio": self._audio(),
            "lip_sync": self._lip_sync(),
            "cache": self._cache(),
            "rtt_ms": None if rtt is None else round(rtt, 2),
            "rtt_source": RTT_SOURCE,
        }

    def _decode_times(self) -> dict[str, dict[str, float]]:
        merged: dict[int, list[float]] = {}
        for display in self.session.displays():
            for kind, times in list(display.resolver.decode_ms.items()):
                merged.setdefault(kind, []).extend(list(times))
        return {
            _image_name(kind): {
                "median": round(statistics.median(times), 3),
                "p95": round(percentile(times, 0.95), 3),
                "count": len(times),
            }
            for kind, times in merged.items()
            if times
        }

    def _streams(self, now: Counters, last: Counters, rate: Callable[[float, float], float]) -> list[dict[str, Any]]:
        result = []
        for display in self.session.displays():
            for stream in list(display.streams.values()):
                key = (display.name, stream.id)
                frames, size = now.streams.get(key, (stream.frames, stream.bytes))
                old_frames, old_size = last.streams.get(key, (0, 0))
                x0, y0, x1, y1 = stream.dest
                result.append(
                    {
                        "display": display.name,
                        "id": stream.id,
                        "codec": _codec_name(stream.codec),
                        "width": x1 - x0,
                        "height": y1 - y0,
                        "fps": round(rate(frames, old_frames), 1),
                        "kbit_s": round(rate(size, old_size) * 8 / 1000, 1),
                    }
                )
        return result

    def _audio(self) -> dict[str, float | None]:
        playback = self.session.playback()
        if playback is None:
            return {"buffer_ms": None}
        return {"buffer_ms": round(playback.sink.delay_ms(), 1)}

    def _lip_sync(self) -> dict[str, float | str | None]:
        offsets = [float(o) for d in self.session.displays() for o in list(d.schedule.offsets)]
        return {
            "offset_ms": round(statistics.median(offsets), 1) if offsets else None,
            "p95_ms": round(percentile(offsets, 0.95), 1) if offsets else None,
            "source": LIP_SYNC_SOURCE,
        }

    def _cache(self) -> dict[str, Any]:
        hits = sum(
            d.resolver.seen_types.get("FROM_CACHE", 0) + d.resolver.seen_types.get("FROM_CACHE_LOSSLESS", 0)
            for d in self.session.displays()
        )
        pixmaps = self.session.pixmap_cache
        glz = self.session.glz_window
        return {
            "hits": hits,
            "pixmap_cache_used_pct": round(100.0 * pixmaps.pixels / max(1, pixmaps.max_pixels), 1),
            "glz_window_images": len(glz) if glz is not None else 0,
        }


def _image_name(kind: int) -> str:
    try:
        return ImageType(kind).name
    except ValueError:
        return str(kind)


def _codec_name(codec: int) -> str:
    try:
        return VideoCodecType(codec).name
    except ValueError:
        return str(codec)
