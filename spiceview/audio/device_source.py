"""SoundDeviceSource: the default input device (microphone) through PortAudio, for the record channel."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from .portaudio import AudioDeviceError, close_stream, open_stream
from .source import AudioSource, Deliver

log = logging.getLogger(__name__)

DEVICE_LATENCY_S = 0.05


class SoundDeviceSource(AudioSource):
    def __init__(self, device: int | str | None = None) -> None:
        super().__init__()
        self.device = device
        self._stream: Any = None

    def open(self, rate: int, channels: int, deliver: Deliver) -> None:
        self.close()
        super().open(rate, channels, deliver)
        try:
            self._stream = open_stream("input", rate, channels, self.device, DEVICE_LATENCY_S, self._callback)
        except AudioDeviceError:
            super().close()
            raise
        log.info("recording %d Hz, %d channel(s) from %s", rate, channels, self._stream.device)

    def _callback(self, indata: np.ndarray, _frames: int, _time: Any, _status: Any) -> None:
        self.emit(indata.copy())  # PortAudio reuses its buffer after the callback

    def close(self) -> None:
        stream, self._stream = self._stream, None
        super().close()
        close_stream(stream)
