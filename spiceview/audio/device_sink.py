"""SoundDeviceSink: plays through the default output device with PortAudio (the `sounddevice` package).

The channel thread appends samples to a buffer; PortAudio's callback takes them from there. Playback starts
once the target latency is buffered (and again after running dry), so network jitter does not crackle, and
the buffer is bounded, so a sound card slower than the server's clock cannot make the delay grow for ever.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from .portaudio import close_stream, open_stream
from .sink import AudioSink

log = logging.getLogger(__name__)

DEFAULT_LATENCY_MS = 100
# Past the target latency by this much, the oldest samples are dropped back to the target: a device that
# stalled (PulseAudio took 1.5 s to start pulling here) or runs slower than the server's clock must not leave
# the sound late for the rest of the session.
MAX_EXCESS_MS = 200
MAX_BUFFER_MS = 1000
# PortAudio's own buffer: sound servers behind ALSA want tens of milliseconds; lip-sync accounts for it.
DEVICE_LATENCY_S = 0.1


class SoundDeviceSink(AudioSink):
    def __init__(self, device: int | str | None = None) -> None:
        super().__init__()
        self.device = device
        self.latency_ms = DEFAULT_LATENCY_MS
        self.underruns = 0
        self.dropped = 0  # frames thrown away to catch up
        self._lock = threading.Lock()
        self._buffer = np.zeros((0, 1), dtype=np.int16)
        self._primed = False
        self._draining = False
        self._stream: Any = None

    def open(self, rate: int, channels: int) -> None:
        if self._stream is not None and self._stream.active and (rate, channels) == (self.rate, self.channels):
            self._draining = False
            return
        self.close()
        super().open(rate, channels)
        self._stream = open_stream("output", rate, channels, self.device, DEVICE_LATENCY_S, self._callback)
        with self._lock:
            self._buffer = np.zeros((0, channels), dtype=np.int16)
            self._primed = self._draining = False
        log.info("playing %d Hz, %d channel(s) on %s", rate, channels, self._stream.device)

    def write(self, samples: np.ndarray) -> None:
        if self._stream is None or samples.shape[1:] != (self.channels,):
            return
        target = self.rate * self.latency_ms // 1000
        limit = target + self.rate * MAX_EXCESS_MS // 1000
        with self._lock:
            buffer = np.concatenate([self._buffer, samples])
            if len(buffer) > limit:
                self.dropped += len(buffer) - target
                buffer = buffer[len(buffer) - target :]  # fell behind: drop the oldest, back to the target
            self._buffer = buffer

    def _callback(self, outdata: np.ndarray, frames: int, _time: Any, _status: Any) -> None:
        with self._lock:
            target = self.rate * self.latency_ms // 1000
            if not self._primed and (len(self._buffer) >= target or self._draining):
                self._primed = True
            if self._draining and not len(self._buffer):
                outdata.fill(0)
                import sounddevice

                raise sounddevice.CallbackStop  # played out after the server's STOP: release the device
            if not self._primed:
                outdata.fill(0)
                return
            taken = self._buffer[:frames]
            self._buffer = self._buffer[frames:]
            if len(taken) < frames:
                self._primed = False
                self.underruns += 1
        gain = self.effective_gain()
        if gain == 1.0:
            outdata[: len(taken)] = taken
        else:
            outdata[: len(taken)] = (taken.astype(np.float32) * gain).astype(np.int16)
        outdata[len(taken) :] = 0

    def delay_ms(self) -> float:
        if self._stream is None or not self.rate:
            return 0.0
        with self._lock:
            buffered = len(self._buffer)
        return buffered * 1000.0 / self.rate + float(self._stream.latency) * 1000.0

    def stop(self) -> None:
        self._draining = True

    def set_latency(self, ms: int) -> None:
        self.latency_ms = min(max(int(ms), 20), MAX_BUFFER_MS // 2)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        close_stream(stream)
