"""Opening and closing PortAudio streams (the `sounddevice` package) for the sink and the source."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class AudioDeviceError(RuntimeError):
    """No sound device could be opened (no PortAudio library, no device, or it refused the format)."""


def open_stream(
    direction: str, rate: int, channels: int, device: int | str | None, latency: float, callback: Callable
) -> Any:
    """A started int16 stream ("output" or "input"); AudioDeviceError when there is none to be had."""
    try:
        import sounddevice  # imported here: a machine without PortAudio still runs spiceview, silently

        kind = sounddevice.OutputStream if direction == "output" else sounddevice.InputStream
        stream = kind(
            samplerate=rate, channels=channels, dtype="int16", device=device, latency=latency, callback=callback
        )
        stream.start()
    except Exception as exc:  # noqa: BLE001 - OSError (no library) or PortAudioError (no device)
        verb = "play" if direction == "output" else "record"
        raise AudioDeviceError(f"cannot {verb} sound: {exc}") from None
    return stream


def close_stream(stream: Any) -> None:
    """Stop and close; a device that vanished meanwhile leaves nothing to stop."""
    if stream is None:
        return
    try:
        stream.stop()
        stream.close()
    except Exception as exc:  # noqa: BLE001
        log.debug("closing the sound device: %s", exc)
