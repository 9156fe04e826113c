"""Audio decoders: raw S16 PCM exactly, Opus packets made by libopus back to the same tone, bad data refused."""

from __future__ import annotations

import random

import av
import numpy as np
import pytest

from spiceview.codecs.audio import AudioDecoder, opus_available
from spiceview.codecs.errors import DecodeError
from spiceview.protocol.constants import AudioDataMode

RATE = 48000


def tone(freq: float, seconds: float, channels: int = 2, amplitude: int = 10000) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    mono = (np.sin(2 * np.pi * freq * t) * amplitude).astype(np.int16)
    return np.repeat(mono[:, None], channels, axis=1)


def dominant_frequency(samples: np.ndarray) -> float:
    mono = samples[:, 0].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.argmax(spectrum) * RATE / len(mono))


def opus_packets(pcm: np.ndarray, frame: int = 480) -> list[bytes]:
    """What spice-server sends: one libopus packet per 10 ms of 48 kHz S16 audio."""
    channels = pcm.shape[1]
    enc = av.CodecContext.create("libopus", "w")
    enc.sample_rate = RATE
    enc.layout = "stereo" if channels == 2 else "mono"
    enc.format = "s16"
    enc.bit_rate = 96000
    enc.open()
    packets = []
    for start in range(0, len(pcm) - frame + 1, frame):
        f = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pcm[start : start + frame]).reshape(1, -1), format="s16", layout=enc.layout.name
        )
        f.sample_rate = RATE
        f.pts = start
        packets.extend(bytes(p) for p in enc.encode(f))
    return packets


def test_raw_is_passed_through_exactly() -> None:
    pcm = tone(440, 0.1)
    decoder = AudioDecoder(AudioDataMode.RAW, 2, RATE)
    out = decoder.decode(pcm.tobytes())
    assert out.dtype == np.int16 and out.shape == pcm.shape
    assert np.array_equal(out, pcm)


def test_raw_partial_frame_is_refused() -> None:
    with pytest.raises(DecodeError):
        AudioDecoder(AudioDataMode.RAW, 2, RATE).decode(b"\x00" * 7)


@pytest.mark.parametrize(
    ("mode", "channels", "rate"),
    [(AudioDataMode.CELT_0_5_1, 2, RATE), (99, 2, RATE), (AudioDataMode.RAW, 0, RATE), (AudioDataMode.RAW, 2, 1)],
)
def test_unsupported_streams_are_refused(mode: int, channels: int, rate: int) -> None:
    with pytest.raises(DecodeError):
        AudioDecoder(mode, channels, rate)


@pytest.mark.skipif(not opus_available(), reason="PyAV without an Opus decoder")
def test_opus_gives_back_the_tone() -> None:
    pcm = tone(440, 1.0)
    decoder = AudioDecoder(AudioDataMode.OPUS, 2, RATE)
    out = np.concatenate([decoder.decode(p) for p in opus_packets(pcm)])
    assert out.dtype == np.int16 and out.shape[1] == 2
    assert abs(len(out) - len(pcm)) <= 960
    assert abs(dominant_frequency(out[4800:]) - 440) < 2
    # Loud enough and not clipped: the codec keeps the level within a few dB.
    rms = np.sqrt(np.mean(out[4800:, 0].astype(np.float64) ** 2))
    assert 0.7 * 10000 / np.sqrt(2) < rms < 1.3 * 10000 / np.sqrt(2)


@pytest.mark.skipif(not opus_available(), reason="PyAV without an Opus decoder")
def test_opus_at_another_rate_is_refused() -> None:
    with pytest.raises(DecodeError):
        AudioDecoder(AudioDataMode.OPUS, 2, 44100)


@pytest.mark.skipif(not opus_available(), reason="PyAV without an Opus decoder")
def test_corrupt_opus_packets_raise_decode_error_only() -> None:
    packets = opus_packets(tone(1000, 0.2))
    decoder = AudioDecoder(AudioDataMode.OPUS, 2, RATE)
    rng = random.Random(7)
    with pytest.raises(DecodeError):
        decoder.decode(b"")
    for i in range(3000):
        data = bytearray(packets[i % len(packets)])
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data))] or bytearray(b"\xff")
        try:
            out = decoder.decode(bytes(data))
        except DecodeError:
            continue
        assert out.dtype == np.int16 and out.shape[1] == 2 and len(out) <= 2880
