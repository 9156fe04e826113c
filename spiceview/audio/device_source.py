"""SoundDeviceSource: the default input device (microphone) through PortAudio, for the record channel."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from .device_sink import AudioDeviceError
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
            import sounddevice  # here: spiceview runs without PortAudio, only without a microphone

            self._stream = sounddevice.InputStream(
                samplerate=rate,
                channels=channels,
                dtype="int16",
                device=self.device,
                latency=DEVICE_LATENCY_S,
                callback=self._callback,
            )
            self._stream.start()
        except Exception as exc:  # noqa: BLE001 - OSError (no library) or PortAudioError (no device)
            self._stream = None
            super().close()
            raise AudioDeviceError(f"cannot record sound: {exc}") from None
        log.info("recording %d Hz, %d channel(s) from %s", rate, channels, self._stream.device)

    def _callback(self, indata: np.ndarray, _frames: int, _time: Any, _status: Any) -> None:
        self.emit(indata.copy())  # PortAudio reuses its buffer after the callback

    def close(self) -> None:
        stream, self._stream = self._stream, None
        super().close()
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as exc:  # noqa: BLE001 - a device that vanished: nothing left to stop
                log.debug("closing the input device: %s", exc)
