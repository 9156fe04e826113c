"""RecordChannel: the client's microphone to the guest, as spice-gtk sends it.

On the server's START the channel picks Opus when the server can take it (and the rate is 48 kHz), else raw
PCM, and opens its AudioSource. Captured samples are cut into 10 ms frames; before the first frame go MODE and
START_MARK, then one DATA message per frame, stamped with the session's multimedia time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..audio import volume_gain
from ..audio.portaudio import AudioDeviceError
from ..audio.source import AudioSource, NullSource
from ..codecs.audio import AudioEncoder, opus_available
from ..codecs.audio.encoder import EncodeError
from ..protocol.constants import AudioDataMode, AudioFmt, ChannelType, RecordCap
from ..protocol.messages import audio as amsg
from ..protocol.messages.classes import MsgRecordStart, MsgRecordStop
from .channel_base import ChannelBase
from .signals import Signal

if TYPE_CHECKING:
    from .channel_session import ChannelSession

SourceFactory = Callable[[], AudioSource]
MAX_PENDING_FRAMES = 48000  # a second at 48 kHz: a source delivering faster than sent loses the oldest


class RecordChannel(ChannelBase):
    channel_type = ChannelType.RECORD

    # Emitted on the channel thread.
    started = Signal(int, int)  # rate, channels
    stopped = Signal()

    def __init__(
        self, session: ChannelSession, channel_id: int = 0, source_factory: SourceFactory = NullSource
    ) -> None:
        super().__init__(session, channel_id)
        self.source = source_factory()
        self.encoder: AudioEncoder | None = None
        self.mode = AudioDataMode.RAW
        self.frames_sent = 0
        self.errors = 0
        self._lock = threading.Lock()
        self._pending = np.zeros((0, 1), dtype=np.int16)
        self._marked = False
        self.handlers.update(
            {
                amsg.MSG_RECORD_START: self._on_start,
                amsg.MSG_RECORD_STOP: self._on_stop,
                amsg.MSG_RECORD_VOLUME: lambda m: self.source.set_volume(volume_gain(m.volume)),
                amsg.MSG_RECORD_MUTE: lambda m: self.source.set_mute(bool(m.mute)),
            }
        )

    def channel_caps(self) -> frozenset[int]:
        caps = {RecordCap.VOLUME}
        if opus_available("w") and self.session.audio_opus:
            caps.add(RecordCap.OPUS)
        return frozenset(caps)

    def on_down(self) -> None:
        self._stop_source()

    def _on_start(self, msg: MsgRecordStart) -> None:
        self._stop_source()
        if msg.format != AudioFmt.S16:
            self.errors += 1
            self.log.warning("recording in sample format %d is not supported", msg.format)
            return
        wants_opus = RecordCap.OPUS in self.server_caps and RecordCap.OPUS in self.channel_caps()
        self.mode = AudioDataMode.OPUS if wants_opus and msg.frequency == 48000 else AudioDataMode.RAW
        try:
            encoder = AudioEncoder(self.mode, msg.channels, msg.frequency)
        except (EncodeError, ValueError) as exc:
            self.errors += 1
            self.log.warning("recording not started: %s", exc)
            return
        with self._lock:
            self.encoder = encoder
            self._pending = np.zeros((0, msg.channels), dtype=np.int16)
            self._marked = False
        try:
            self.source.open(msg.frequency, msg.channels, self._captured)
        except AudioDeviceError as exc:
            self.log.warning("%s; the guest hears silence", exc)
            self.source = NullSource()
            return
        self.log.info("recording started: %s, %d Hz, %d channel(s)", self.mode.name, msg.frequency, msg.channels)
        self.started.emit(msg.frequency, msg.channels)

    def _on_stop(self, msg: MsgRecordStop) -> None:
        self._stop_source()
        self.log.info("recording stopped")
        self.stopped.emit()

    def _stop_source(self) -> None:
        self.source.close()
        with self._lock:
            self.encoder = None

    def _captured(self, samples: np.ndarray) -> None:
        """From the source's thread: frame the samples, encode, send."""
        with self._lock:
            encoder = self.encoder
            if encoder is None or samples.shape[1:] != (encoder.channels,):
                return
            pending = np.concatenate([self._pending, samples])
            if len(pending) > MAX_PENDING_FRAMES:
                pending = pending[len(pending) - MAX_PENDING_FRAMES :]
            step = encoder.frame_samples
            whole = len(pending) // step * step
            frames, self._pending = pending[:whole], pending[whole:]
            if not whole:
                return
            now = self.session.mm_time() or 0
            if not self._marked:
                self._marked = True
                self.send(amsg.MSGC_RECORD_MODE.cls(time=now, mode=self.mode, data=b""))
                self.send(amsg.MSGC_RECORD_START_MARK.cls(time=now))
            for start in range(0, whole, step):
                try:
                    payloads = encoder.encode(frames[start : start + step])
                except EncodeError as exc:
                    self.errors += 1
                    self.log.warning("recording frame dropped: %s", exc)
                    continue
                for payload in payloads:
                    self.send(amsg.MSGC_RECORD_DATA.cls(time=now, data=payload))
                self.frames_sent += step
