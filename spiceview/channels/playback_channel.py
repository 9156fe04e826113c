"""PlaybackChannel: the guest's sound, decoded (raw or Opus) and handed to an AudioSink.

Lip-sync as spice-gtk does it: each DATA carries the server's multimedia time of its first sample; the session's
mm-time is set to that time minus what is still queued in the sink, so video frames stamped with mm-time are
shown when their sound is heard. Unlike spice-gtk, the clock is not set from each packet alone: a packet handled
late (a busy machine, a network burst) would pull it back and show frames early. Lateness only ever makes that
estimate smaller, so the clock follows the largest estimate of the last second, and starts again from the newest
when they disagree by more than a jump could explain (a new stream, a migration).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..audio import AudioSink, NullSink, volume_gain
from ..audio.portaudio import AudioDeviceError
from ..codecs.audio import AudioDecoder, opus_available
from ..codecs.errors import DecodeError
from ..protocol.audio_clock import AudioClock
from ..protocol.constants import AudioDataMode, AudioFmt, ChannelType, PlaybackCap
from ..protocol.messages import audio as amsg
from ..protocol.messages.classes import (
    MsgPlaybackData,
    MsgPlaybackLatency,
    MsgPlaybackMode,
    MsgPlaybackMute,
    MsgPlaybackStart,
    MsgPlaybackStop,
    MsgPlaybackVolume,
)
from .channel_base import ChannelBase
from .signals import Signal

if TYPE_CHECKING:
    from .channel_session import ChannelSession

SinkFactory = Callable[[], AudioSink]


class PlaybackChannel(ChannelBase):
    channel_type = ChannelType.PLAYBACK

    # Emitted on the channel thread.
    started = Signal(int, int)  # rate, channels
    stopped = Signal()
    volume_changed = Signal(float, bool)  # gain, muted

    def __init__(self, session: ChannelSession, channel_id: int = 0, sink_factory: SinkFactory = NullSink) -> None:
        super().__init__(session, channel_id)
        self.sink = sink_factory()
        self.mode = AudioDataMode.RAW
        self.decoder: AudioDecoder | None = None
        self.last_time = 0
        self.latency_ms = 0
        self.frames_played = 0
        self.errors = 0
        self.clock = AudioClock()  # the session's mm-time, followed from what is heard
        self.handlers.update(
            {
                amsg.MSG_PLAYBACK_MODE: self._on_mode,
                amsg.MSG_PLAYBACK_START: self._on_start,
                amsg.MSG_PLAYBACK_DATA: self._on_data,
                amsg.MSG_PLAYBACK_STOP: self._on_stop,
                amsg.MSG_PLAYBACK_VOLUME: self._on_volume,
                amsg.MSG_PLAYBACK_MUTE: self._on_mute,
                amsg.MSG_PLAYBACK_LATENCY: self._on_latency,
            }
        )

    def channel_caps(self) -> frozenset[int]:
        caps = {PlaybackCap.VOLUME, PlaybackCap.LATENCY}
        if opus_available() and self.session.audio_opus:
            caps.add(PlaybackCap.OPUS)
        return frozenset(caps)

    @property
    def active(self) -> bool:
        """Between the server's START and STOP, with a stream this client can play."""
        return self.decoder is not None

    def on_down(self) -> None:
        self.decoder = None
        self.sink.close()

    def _on_mode(self, msg: MsgPlaybackMode) -> None:
        self.last_time = msg.time
        try:
            self.mode = AudioDataMode(msg.mode)
        except ValueError:
            self.mode = AudioDataMode.INVALID
        self.log.debug("data mode %s", self.mode.name)

    def _on_start(self, msg: MsgPlaybackStart) -> None:
        self.last_time = msg.time
        self.decoder = None
        self.clock.reset()
        if msg.format != AudioFmt.S16:
            self.errors += 1
            self.log.warning("playback in sample format %d is not supported; staying silent", msg.format)
            return
        try:
            self.decoder = AudioDecoder(self.mode, msg.channels, msg.frequency)
        except DecodeError as exc:
            self.errors += 1
            self.log.warning("playback not started: %s", exc)
            return
        try:
            self.sink.open(msg.frequency, msg.channels)
        except AudioDeviceError as exc:
            self.log.warning("%s; the guest's sound is dropped", exc)
            self.sink = NullSink()
            self.sink.open(msg.frequency, msg.channels)
        self.log.info("playback started: %s, %d Hz, %d channel(s)", self.mode.name, msg.frequency, msg.channels)
        self.started.emit(msg.frequency, msg.channels)

    def _on_data(self, msg: MsgPlaybackData) -> None:
        if self.decoder is None:
            return
        try:
            samples = self.decoder.decode(msg.data)
        except DecodeError as exc:
            self.errors += 1
            self.log.debug("audio packet dropped: %s", exc)
            return
        self.last_time = msg.time
        self.sink.write(samples)
        self.frames_played += len(samples)
        heard_now = self.clock.heard(msg.time - self.sink.delay_ms(), self.session.now() * 1000.0)
        self.session.set_mm_time(heard_now)

    def _on_stop(self, msg: MsgPlaybackStop) -> None:
        self.sink.stop()
        self.decoder = None
        self.log.info("playback stopped")
        self.stopped.emit()

    def _on_volume(self, msg: MsgPlaybackVolume) -> None:
        self.sink.set_volume(volume_gain(msg.volume))
        self.volume_changed.emit(self.sink.gain, self.sink.muted)

    def _on_mute(self, msg: MsgPlaybackMute) -> None:
        self.sink.set_mute(bool(msg.mute))
        self.volume_changed.emit(self.sink.gain, self.sink.muted)

    def _on_latency(self, msg: MsgPlaybackLatency) -> None:
        self.latency_ms = msg.latency_ms
        self.sink.set_latency(msg.latency_ms)
