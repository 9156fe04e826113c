"""The record channel's encoder: 10 ms frames of S16 samples to raw PCM or to Opus packets (PyAV's libopus)."""

from __future__ import annotations

from typing import cast

import av
import numpy as np

from ...protocol.constants import AudioDataMode
from .opus import MAX_CHANNELS, OPUS_FRAME_SAMPLES, OPUS_MAX_PACKET_BYTES, OPUS_RATE, layout_name, opus_codec_name


class EncodeError(RuntimeError):
    """The encoder could not be made, or refused a frame."""


class AudioEncoder:
    """Encodes one recording. `frame_samples` is how many samples each DATA message carries."""

    frame_samples = OPUS_FRAME_SAMPLES  # spice-gtk sends 10 ms per message in both modes

    def __init__(self, mode: int, channels: int, rate: int) -> None:
        if not 1 <= channels <= MAX_CHANNELS:
            raise EncodeError(f"unsupported channel count {channels}")
        if not 8000 <= rate <= 192000:
            raise EncodeError(f"unsupported sample rate {rate}")
        self.mode = AudioDataMode(mode)
        self.channels = channels
        self.rate = rate
        self._context: av.AudioCodecContext | None = None
        self._pts = 0
        if self.mode is AudioDataMode.OPUS:
            name = opus_codec_name("w")
            if name is None or rate != OPUS_RATE:
                raise EncodeError(f"no Opus encoder for {rate} Hz")
            context = cast(av.AudioCodecContext, av.CodecContext.create(name, "w"))
            context.sample_rate = rate
            context.layout = layout_name(channels)
            context.format = "s16"
            context.options = {"frame_duration": "10", "application": "audio"}  # SPICE's frame, as spice-common
            context.open()
            self._context = context
        elif self.mode is not AudioDataMode.RAW:
            raise EncodeError(f"audio mode {self.mode.name} is not supported")

    def encode(self, frame: np.ndarray) -> list[bytes]:
        """One frame of `frame_samples` x `channels` int16 samples; the messages' payloads (Opus may hold back)."""
        if frame.shape != (self.frame_samples, self.channels):
            raise EncodeError(f"frame of shape {frame.shape}, expected {(self.frame_samples, self.channels)}")
        samples = np.ascontiguousarray(frame, dtype="<i2")
        if self._context is None:
            return [samples.tobytes()]
        av_frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout=layout_name(self.channels))
        av_frame.sample_rate = self.rate
        av_frame.pts = self._pts
        self._pts += self.frame_samples
        try:
            packets = [bytes(p) for p in self._context.encode(av_frame)]
        except av.error.FFmpegError as exc:
            raise EncodeError(f"Opus encoder: {exc}") from None
        return [p for p in packets if len(p) <= OPUS_MAX_PACKET_BYTES]
