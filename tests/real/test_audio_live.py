"""The guest's sound from a real Xspice: a tone written to its playback FIFO arrives in spiceview, exactly as
written when the stream is raw PCM, and as the same tone (frequency and level) when the server encodes Opus."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from spiceview.codecs.audio import opus_available
from spiceview.headless.session import HeadlessSession
from spiceview.protocol.constants import AudioDataMode

pytestmark = pytest.mark.xspice

RATE = 48000


def tone(freq: float, seconds: float, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    mono = (np.sin(2 * np.pi * freq * t) * amplitude).astype(np.int16)
    # Left and right differ (right at half level), so a swapped or mixed-down channel shows.
    return np.stack([mono, mono // 2], axis=1)


def play_into(server, pcm: np.ndarray) -> threading.Thread:
    """Write `pcm` to a new FIFO of the server's (it opens it and plays it to its clients)."""
    fifo = server.new_audio_fifo()

    def write() -> None:
        fd = os.open(fifo, os.O_WRONLY)  # blocks until the server opens its end
        try:
            os.write(fd, pcm.tobytes())
        finally:
            os.close(fd)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    return writer


def find(haystack: np.ndarray, needle: np.ndarray) -> int:
    """Where `needle` (frames, channels) starts in `haystack`, or -1."""
    first = needle[0]
    for start in np.flatnonzero((haystack == first).all(axis=1)):
        if start + len(needle) <= len(haystack) and np.array_equal(haystack[start : start + len(needle)], needle):
            return int(start)
    return -1


def dominant_frequency(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * RATE / len(samples))


def test_raw_playback_is_exact(xspice) -> None:
    server = xspice(audio=True)
    pcm = tone(440, 1.0)
    with HeadlessSession(server.uri, audio=True, opus=False) as s:
        s.wait_until(lambda: s.client.playback() is not None and s.client.playback().is_linked, what="playback")
        writer = play_into(server, pcm)
        got = s.wait_audio(0.95)
        writer.join(5)
        s.wait_until(lambda: s.client.playback().frames_played >= len(pcm), timeout=5, what="the whole tone")
        got = s.played_audio()
        playback = s.client.playback()
        assert playback.mode is AudioDataMode.RAW
        assert playback.errors == 0
        assert (playback.sink.rate, playback.sink.channels) == (RATE, 2)
        assert find(got, pcm[:4800]) >= 0, "the start of the tone is not in what was played"
        start = find(got, pcm[:4800])
        assert np.array_equal(got[start : start + len(pcm)], pcm)


@pytest.mark.skipif(not opus_available(), reason="PyAV without an Opus decoder")
def test_opus_playback_is_the_same_tone(xspice) -> None:
    server = xspice(audio=True)
    pcm = tone(1000, 1.0)
    with HeadlessSession(server.uri, audio=True, opus=True) as s:
        s.wait_until(lambda: s.client.playback() is not None and s.client.playback().is_linked, what="playback")
        writer = play_into(server, pcm)
        got = s.wait_audio(0.9)
        writer.join(5)
        playback = s.client.playback()
        assert playback.mode is AudioDataMode.OPUS
        assert playback.errors == 0
        loud = np.flatnonzero(np.abs(got[:, 0]) > 2000)
        assert len(loud), "nothing audible arrived"
        middle = got[loud[0] + 4800 : loud[0] + 4800 + 24000]
        assert len(middle) == 24000
        assert abs(dominant_frequency(middle[:, 0]) - 1000) < 5
        left = np.sqrt(np.mean(middle[:, 0].astype(np.float64) ** 2))
        right = np.sqrt(np.mean(middle[:, 1].astype(np.float64) ** 2))
        assert 0.8 < left / (8000 / np.sqrt(2)) < 1.2
        assert 0.4 < right / left < 0.6


def test_viewer_plays_the_guest_sound_on_the_sound_server(xspice, tmp_path, artifacts_dir) -> None:
    """The real viewer: the guest's tone comes out of the client's sound server (PulseAudio with a null sink,
    recorded from its monitor) at the right pitch, level and stereo balance."""
    import subprocess
    import sys
    import time

    from spiceview_lab.pulse import PulseNullSink

    server = xspice(audio=True)
    # Long enough to outlast PulseAudio's slow start of a new stream (1.5 s here, more under load: the viewer
    # drops what it cannot play rather than fall behind for good).
    pcm = tone(440, 6.0)
    log = artifacts_dir / "viewer.log"
    with PulseNullSink() as pulse:
        viewer = subprocess.Popen(
            [sys.executable, "-m", "spiceview", "--debug", server.uri],
            env={**pulse.env, "QT_QPA_PLATFORM": "offscreen"},
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        try:
            deadline = time.monotonic() + 30
            while "channel.playback-0 DEBUG: linked" not in log.read_text():
                assert viewer.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.1)
            recorder = pulse.record()
            writer = play_into(server, pcm)
            writer.join(20)
            time.sleep(1.0)  # what is still buffered in the viewer and the sound server
            heard = pulse.stop_recording(recorder)
        finally:
            viewer.terminate()
            viewer.wait(10)
    text = log.read_text()
    assert "playback started: OPUS" in text or "playback started: RAW" in text, text[-3000:]
    assert "cannot play sound" not in text, text[-3000:]
    loud = np.flatnonzero(np.abs(heard[:, 0]) > 2000)
    assert len(loud) > RATE, f"only {len(loud)} loud samples recorded"
    # The last second of the tone: by then the sound server has long been pulling at its pace.
    end = loud[-1]
    last = heard[end - RATE : end - RATE // 10]
    assert abs(dominant_frequency(last[:, 0]) - 440) < 3
    left = np.sqrt(np.mean(last[:, 0].astype(np.float64) ** 2))
    right = np.sqrt(np.mean(last[:, 1].astype(np.float64) ** 2))
    assert 0.8 < left / (8000 / np.sqrt(2)) < 1.2
    assert 0.4 < right / left < 0.6
