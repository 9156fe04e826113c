"""PlaybackChannel without a server: the message sequence a server sends, volume and mute, lip-sync of the
session's mm-time, and hostile messages (odd formats, absurd rates, data before start, random fields)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from values import ValueGen

from spiceview.audio import MemorySink
from spiceview.channels.playback_channel import PlaybackChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.constants import AudioDataMode, AudioFmt, PlaybackCap
from spiceview.protocol.messages import audio as a
from spiceview.transport.connect import Endpoint


class DelayedSink(MemorySink):
    """A memory sink that says it holds 80 ms of sound, like a device with a buffer."""

    def delay_ms(self) -> float:
        return 80.0


class FakeClock:
    """The session's clock, moved by the test (seconds)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_playback(sink_class: type = MemorySink, opus: bool = True, clock: FakeClock | None = None) -> PlaybackChannel:
    client = SpiceSession(
        lambda ctype, tls: Endpoint("127.0.0.1", 1),
        audio_sink_factory=sink_class,
        audio_opus=opus,
        clock=clock or FakeClock(),
    )
    return PlaybackChannel(client, 0, sink_class)


def start(channel: PlaybackChannel, mode: int = AudioDataMode.RAW, channels: int = 2, rate: int = 48000) -> None:
    channel.on_message(a.MSG_PLAYBACK_MODE.cls(time=1000, mode=mode, data=b""), 1)
    channel.on_message(a.MSG_PLAYBACK_START.cls(channels=channels, format=AudioFmt.S16, frequency=rate, time=1000), 2)


def pcm(frames: int, value: int = 1000) -> np.ndarray:
    return np.full((frames, 2), value, dtype=np.int16)


def test_raw_stream_reaches_the_sink() -> None:
    channel = make_playback()
    start(channel)
    for i in range(5):
        channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=1000 + 10 * i, data=pcm(480, i).tobytes()), 3 + i)
    got = channel.sink.samples()
    assert got.shape == (2400, 2)
    assert [int(got[480 * i, 0]) for i in range(5)] == [0, 1, 2, 3, 4]
    assert channel.frames_played == 2400 and channel.errors == 0


def test_volume_and_mute_apply_to_what_is_played() -> None:
    channel = make_playback()
    start(channel)
    channel.on_message(a.MSG_PLAYBACK_VOLUME.cls(nchannels=2, volume=[0x8000, 0x8000]), 3)
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=1000, data=pcm(10, 1000).tobytes()), 4)
    channel.on_message(a.MSG_PLAYBACK_MUTE.cls(mute=1), 5)
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=1010, data=pcm(10, 1000).tobytes()), 6)
    channel.on_message(a.MSG_PLAYBACK_MUTE.cls(mute=0), 7)
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=1020, data=pcm(10, 1000).tobytes()), 8)
    got = channel.sink.samples()[:, 0]
    assert list(got[[0, 10, 20]]) == [500, 0, 500]


def test_mm_time_follows_what_is_heard() -> None:
    """The session's clock is the time of the last packet minus what the sink still has to play."""
    channel = make_playback(DelayedSink)
    start(channel)
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=50_000, data=pcm(480).tobytes()), 3)
    now = channel.session.mm_time()
    assert now is not None and 50_000 - 80 - 5 <= now <= 50_000 - 80 + 5


def test_caps_offer_opus_only_when_asked() -> None:
    assert PlaybackCap.OPUS in make_playback(opus=True).channel_caps()
    assert PlaybackCap.OPUS not in make_playback(opus=False).channel_caps()
    assert {PlaybackCap.VOLUME, PlaybackCap.LATENCY} <= make_playback(opus=False).channel_caps()


@pytest.mark.parametrize(
    "bad_start",
    [
        dict(channels=2, format=AudioFmt.INVALID, frequency=48000, time=0),
        dict(channels=0, format=AudioFmt.S16, frequency=48000, time=0),
        dict(channels=0xFFFFFFFF, format=AudioFmt.S16, frequency=48000, time=0),
        dict(channels=2, format=AudioFmt.S16, frequency=0xFFFFFFFF, time=0),
    ],
)
def test_unplayable_start_stays_silent_then_recovers(bad_start: dict) -> None:
    channel = make_playback()
    channel.on_message(a.MSG_PLAYBACK_START.cls(**bad_start), 1)
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=0, data=pcm(10).tobytes()), 2)
    assert channel.errors == 1 and len(channel.sink.samples()) == 0
    start(channel)
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=0, data=pcm(10).tobytes()), 3)
    assert len(channel.sink.samples()) == 10


def test_data_before_start_and_broken_data_are_dropped() -> None:
    channel = make_playback()
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=0, data=pcm(10).tobytes()), 1)
    start(channel, mode=AudioDataMode.OPUS)
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=0, data=b"\xff" * 3), 2)
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=0, data=b""), 3)
    start(channel, mode=AudioDataMode.RAW)
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=0, data=b"\x01\x02\x03"), 4)
    assert channel.errors >= 2
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=0, data=pcm(10).tobytes()), 5)
    assert len(channel.sink.samples()) == 10


@pytest.mark.parametrize("seed", range(20))
def test_random_playback_messages_never_escape(seed: int) -> None:
    rng = random.Random(seed)
    gen = ValueGen(rng, max_items=3, max_bytes=64, max_dim=12)
    channel = make_playback()
    messages = list(a.PLAYBACK.server.values())
    for i in range(200):
        msg = gen.message(rng.choice(messages))
        if rng.random() < 0.3 and hasattr(msg, "mode"):
            msg.mode = rng.choice(list(AudioDataMode))
        channel.on_message(msg, i)  # must not raise
    start(channel)
    before = len(channel.sink.samples())
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=0, data=pcm(10).tobytes()), 999)
    assert len(channel.sink.samples()) == before + 10


def test_a_packet_handled_late_does_not_pull_the_clock_back() -> None:
    clock = FakeClock()
    channel = make_playback(DelayedSink, clock=clock)
    start(channel)
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=50_000, data=pcm(480).tobytes()), 3)
    assert channel.session.mm_time() == 50_000 - 80  # the device still holds 80 ms
    # The next packet (10 ms later in the stream) is handled 100 ms later: its estimate is 90 ms behind.
    clock.now += 0.100
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=50_010, data=pcm(480).tobytes()), 4)
    assert channel.session.mm_time() == 50_000 - 80 + 100


def test_a_jump_restarts_the_clock() -> None:
    clock = FakeClock()
    channel = make_playback(DelayedSink, clock=clock)
    start(channel)
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=50_000, data=pcm(480).tobytes()), 3)
    clock.now += 0.010
    channel.on_message(a.MSG_PLAYBACK_DATA.cls(time=10_000, data=pcm(480).tobytes()), 4)
    assert channel.session.mm_time() == 10_000 - 80
