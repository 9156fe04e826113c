"""The playback channel's decoder: raw S16 PCM, or Opus through PyAV (its bundled libopus).

One decoder per playback stream; `decode` takes one DATA message's bytes and returns interleaved signed 16-bit
samples shaped (frames, channels). Broken data raises DecodeError (the channel logs it and plays on).
"""

from __future__ import annotations

from typing import cast

import av
import numpy as np

from ...protocol.constants import AudioDataMode
from ..errors import DecodeError
from .opus import MAX_CHANNELS, OPUS_RATE, layout_name, opus_codec_name

# A SPICE Opus packet carries at most 2880 samples (60 ms); raw packets are bounded by the channel's message size.
MAX_OPUS_FRAME_SAMPLES = 2880


class AudioDecoder:
    """Decodes one playback stream: `mode` is the SPICE data mode (RAW or OPUS)."""

    def __init__(self, mode: int, channels: int, rate: int) -> None:
        if not 1 <= channels <= MAX_CHANNELS:
            raise DecodeError(f"unsupported channel count {channels}")
        if not 8000 <= rate <= 192000:
            raise DecodeError(f"unsupported sample rate {rate}")
        try:
            self.mode = AudioDataMode(mode)
        except ValueError:
            raise DecodeError(f"unknown audio mode {mode}") from None
        self.channels = channels
        self.rate = rate
        self._context: av.AudioCodecContext | None = None
        self._resampler: av.AudioResampler | None = None
        if self.mode is AudioDataMode.OPUS:
            name = opus_codec_name("r")
            if name is None:
                raise DecodeError("no Opus decoder in this PyAV build")
            if rate != OPUS_RATE:
                raise DecodeError(f"Opus stream at {rate} Hz (only {OPUS_RATE} is sent)")
            self._context = cast(av.AudioCodecContext, av.CodecContext.create(name, "r"))
            self._context.sample_rate = rate
            self._context.layout = layout_name(channels)
            # Decoders give float planar or s16; the sink wants interleaved s16 at the stream's own layout.
            self._resampler = av.AudioResampler(format="s16", layout=layout_name(channels), rate=rate)
        elif self.mode is not AudioDataMode.RAW:
            raise DecodeError(f"audio mode {self.mode.name} is not supported")

    def decode(self, data: bytes | memoryview) -> np.ndarray:
        if self._context is None:
            return self._decode_raw(memoryview(data))
        return self._decode_opus(bytes(data))

    def _decode_raw(self, data: memoryview) -> np.ndarray:
        frame_bytes = 2 * self.channels
        if len(data) % frame_bytes:
            raise DecodeError(f"raw audio of {len(data)} bytes is not whole {self.channels}-channel S16 frames")
        return np.frombuffer(data, dtype="<i2").astype(np.int16).reshape(-1, self.channels)

    def _decode_opus(self, data: bytes) -> np.ndarray:
        assert self._context is not None and self._resampler is not None
        if not data:
            raise DecodeError("empty Opus packet")
        try:
            frames = self._context.decode(av.Packet(data))
        except av.error.FFmpegError as exc:
            raise DecodeError(f"corrupt Opus packet: {exc}") from None
        parts = []
        for frame in frames:
            if frame.samples > MAX_OPUS_FRAME_SAMPLES:
                raise DecodeError(f"Opus frame of {frame.samples} samples")
            for converted in self._resampler.resample(frame):
                parts.append(converted.to_ndarray().reshape(-1, self.channels))
        if not parts:
            return np.zeros((0, self.channels), dtype=np.int16)
        return np.concatenate(parts).astype(np.int16, copy=False)
