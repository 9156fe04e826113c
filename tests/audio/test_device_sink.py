"""SoundDeviceSink's buffering without a sound card: PortAudio's callback is called by hand."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from spiceview.audio.device_sink import MAX_EXCESS_MS, SoundDeviceSink
from spiceview.audio.portaudio import AudioDeviceError

RATE = 48000


def ready_sink(latency_ms: int = 100) -> SoundDeviceSink:
    sink = SoundDeviceSink()
    sink.rate, sink.channels = RATE, 2
    sink._buffer = np.zeros((0, 2), dtype=np.int16)
    sink._stream = SimpleNamespace(latency=0.05, active=True)  # stands in for PortAudio's stream
    sink.set_latency(latency_ms)
    return sink


def pull(sink: SoundDeviceSink, frames: int) -> np.ndarray:
    out = np.full((frames, 2), 12345, dtype=np.int16)
    sink._callback(out, frames, None, None)
    return out


def samples(frames: int, value: int) -> np.ndarray:
    return np.full((frames, 2), value, dtype=np.int16)


def test_waits_for_the_target_latency_then_plays_in_order() -> None:
    sink = ready_sink(100)
    sink.write(samples(2400, 7))  # 50 ms: not yet
    assert not pull(sink, 480).any()
    sink.write(samples(2400, 8))  # 100 ms buffered: playing
    out = pull(sink, 4800)
    assert (out[:2400] == 7).all() and (out[2400:] == 8).all()
    assert sink.underruns == 0


def test_running_dry_pads_with_silence_and_primes_again() -> None:
    sink = ready_sink(20)
    sink.write(samples(960, 3))
    out = pull(sink, 1500)
    assert (out[:960] == 3).all() and not out[960:].any()
    assert sink.underruns == 1
    sink.write(samples(480, 4))  # 10 ms, below the 20 ms target: silence until there is enough
    assert not pull(sink, 480).any()


def test_delay_counts_the_buffer_and_the_device() -> None:
    sink = ready_sink(100)
    sink.write(samples(4800, 1))
    assert sink.delay_ms() == pytest.approx(100 + 50)


def test_falling_behind_drops_the_oldest_back_to_the_target() -> None:
    sink = ready_sink(100)
    too_much = RATE * (100 + MAX_EXCESS_MS) // 1000 + 480
    sink.write(np.arange(too_much, dtype=np.int16).repeat(2).reshape(-1, 2))
    assert len(sink._buffer) == RATE * 100 // 1000
    assert sink._buffer[-1, 0] == too_much - 1  # the newest kept
    assert sink.dropped > 0


def test_volume_and_mute_are_applied_on_output() -> None:
    sink = ready_sink(20)
    sink.write(samples(960, 1000))
    sink.set_volume(0.5)
    assert (pull(sink, 480) == 500).all()
    sink.set_mute(True)
    assert not pull(sink, 480).any()


def test_wrong_shape_is_ignored() -> None:
    sink = ready_sink(20)
    sink.write(np.zeros((10, 1), dtype=np.int16))
    assert len(sink._buffer) == 0


def test_a_device_that_does_not_exist_is_a_clear_error() -> None:
    with pytest.raises(AudioDeviceError, match="cannot play sound"):
        SoundDeviceSink(device=9999).open(RATE, 2)
