"""The AudioSource interface (what the record channel sends to the guest), and the source a script feeds."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Deliver = Callable[[np.ndarray], None]  # called with int16 samples shaped (frames, channels), from any thread


class AudioSource:
    """Captures one stream at a time: open(rate, channels, deliver) until close(). Gain and mute come from the
    server (the guest's capture volume) and are applied before delivery."""

    def __init__(self) -> None:
        self.rate = 0
        self.channels = 0
        self.gain = 1.0
        self.muted = False  # the guest's mute
        self.local_muted = False  # the user's: the guest hears silence, whatever it asks
        self._deliver: Deliver | None = None

    def open(self, rate: int, channels: int, deliver: Deliver) -> None:
        self.rate, self.channels, self._deliver = rate, channels, deliver

    def close(self) -> None:
        self._deliver = None

    @property
    def is_open(self) -> bool:
        return self._deliver is not None

    def set_volume(self, gain: float) -> None:
        self.gain = gain

    def set_mute(self, muted: bool) -> None:
        self.muted = muted

    def emit(self, samples: np.ndarray) -> None:
        """Hand captured samples to the channel, with the volume applied."""
        deliver = self._deliver
        if deliver is None or samples.ndim != 2 or samples.shape[1] != self.channels:
            return
        if self.muted or self.local_muted:
            samples = np.zeros_like(samples, dtype=np.int16)
        elif self.gain != 1.0:
            samples = (samples.astype(np.float32) * self.gain).astype(np.int16)
        deliver(samples)


class NullSource(AudioSource):
    """Captures nothing (recording turned off, or no microphone)."""


class QueueSource(AudioSource):
    """Sends what a script gives it (HeadlessSession.send_audio, tests): push() whenever the guest records."""

    def push(self, samples: np.ndarray) -> bool:
        """Send these samples if the guest is recording now; False when it is not."""
        if not self.is_open:
            return False
        self.emit(np.asarray(samples, dtype=np.int16).reshape(-1, self.channels))
        return True
