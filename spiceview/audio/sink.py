"""The AudioSink interface, and the sinks that need no sound device."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

MAX_VOLUME = 0xFFFF  # SPICE volumes are u16 per channel; spice-gtk scales them linearly


def volume_gain(volumes: Sequence[int]) -> float:
    """One linear gain for the server's per-channel volumes (their mean, as a fraction of full scale)."""
    if not volumes:
        return 1.0
    return min(max(sum(volumes) / len(volumes) / MAX_VOLUME, 0.0), 1.0)


class AudioSink:
    """Plays one stream at a time: open(rate, channels), write() samples, close(). Safe from one writer thread."""

    def __init__(self) -> None:
        self.rate = 0
        self.channels = 0
        self.gain = 1.0
        self.muted = False  # the guest's mute
        self.local_muted = False  # the user's, in the viewer: kept apart so the guest cannot undo it

    def open(self, rate: int, channels: int) -> None:
        self.rate, self.channels = rate, channels

    def write(self, samples: np.ndarray) -> None:
        raise NotImplementedError

    def delay_ms(self) -> float:
        """How long until a sample written now is heard (the lip-sync correction)."""
        return 0.0

    def set_latency(self, ms: int) -> None:
        """The server's minimum latency: how much to buffer before playing."""

    def set_volume(self, gain: float) -> None:
        self.gain = gain

    def set_mute(self, muted: bool) -> None:
        self.muted = muted

    def stop(self) -> None:
        """The stream ended: play out what is buffered, then let the device go."""

    def close(self) -> None:
        """Stop playing now; a later open() starts again."""

    def effective_gain(self) -> float:
        return 0.0 if self.muted or self.local_muted else self.gain


class NullSink(AudioSink):
    """Drops everything (audio turned off, or no sound device)."""

    def write(self, samples: np.ndarray) -> None:
        pass


class MemorySink(AudioSink):
    """Keeps what the guest played, with volume and mute applied, for the headless API and tests."""

    def __init__(self, max_seconds: float = 120.0) -> None:
        super().__init__()
        self.max_seconds = max_seconds
        self._lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._frames = 0

    def write(self, samples: np.ndarray) -> None:
        gain = self.effective_gain()
        scaled = samples if gain == 1.0 else (samples.astype(np.float32) * gain).astype(np.int16)
        with self._lock:
            self._chunks.append(scaled)
            self._frames += len(scaled)
            limit = int(self.max_seconds * (self.rate or 48000))
            while self._frames > limit and len(self._chunks) > 1:
                self._frames -= len(self._chunks.pop(0))

    def samples(self) -> np.ndarray:
        """Everything kept so far, shaped (frames, channels)."""
        with self._lock:
            if not self._chunks:
                return np.zeros((0, max(self.channels, 1)), dtype=np.int16)
            return np.concatenate(self._chunks)

    def clear(self) -> None:
        with self._lock:
            self._chunks.clear()
            self._frames = 0
