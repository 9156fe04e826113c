"""RecordChannel without a server: what it sends for the server's START (MODE, START_MARK, 10 ms DATA frames),
raw exactly and Opus as the same tone, volume and mute from the server, stop and restart, hostile messages.

No real server here records: QEMU starts recording only when a guest OS opens its capture device, and Xspice
has no record FIFO. The messages are checked through the schema's own encoder and decoder instead."""

from __future__ import annotations

import random

import numpy as np
import pytest
from values import ValueGen

from spiceview.audio.source import QueueSource
from spiceview.channels.record_channel import RecordChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.codecs.audio import AudioDecoder, opus_available
from spiceview.protocol.constants import AudioDataMode, AudioFmt, RecordCap
from spiceview.protocol.messages import audio as a
from spiceview.protocol.schema import build_body, parse_body
from spiceview.transport.connect import Endpoint

RATE = 48000


def make_record(server_caps: set[int] | None = None, opus: bool = True) -> tuple[RecordChannel, list]:
    client = SpiceSession(
        lambda ctype, tls: Endpoint("127.0.0.1", 1), audio_source_factory=QueueSource, audio_opus=opus
    )
    client.set_mm_time(123_456)
    channel = RecordChannel(client, 0, QueueSource)
    channel.server_caps = frozenset(server_caps if server_caps is not None else {RecordCap.VOLUME, RecordCap.OPUS})
    sent: list = []

    def send(message) -> None:
        # Through the wire format and back, as the channel's loop would send it.
        defn = type(message).__spice_message__
        sent.append((defn.name, parse_body(defn.layout, build_body(defn.layout, message))))

    channel.send = send  # type: ignore[method-assign]
    return channel, sent


def start(channel: RecordChannel, rate: int = RATE, channels: int = 2, fmt: int = AudioFmt.S16) -> None:
    channel.on_message(a.MSG_RECORD_START.cls(channels=channels, format=fmt, frequency=rate), 1)


def tone(freq: float, seconds: float, amplitude: int = 8000) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    mono = (np.sin(2 * np.pi * freq * t) * amplitude).astype(np.int16)
    return np.stack([mono, mono // 2], axis=1)


def kinds(sent: list) -> list[str]:
    return [name for name, _ in sent]


def bodies(sent: list) -> list:
    return [body for _, body in sent]


def test_raw_frames_are_sent_exactly_after_mode_and_mark() -> None:
    channel, sent = make_record(server_caps={RecordCap.VOLUME})
    start(channel, rate=44100)
    samples = np.arange(1000 * 2, dtype=np.int16).reshape(-1, 2)
    assert channel.source.push(samples)
    assert kinds(sent) == ["mode", "start_mark", "data", "data"]
    mode, mark, *data = bodies(sent)
    assert mode.mode == AudioDataMode.RAW and mark.time == mode.time
    assert abs(mark.time - 123_456) < 1000  # the session's multimedia clock
    assert b"".join(bytes(m.data) for m in data) == samples[:960].tobytes()
    channel.source.push(np.zeros((440, 2), dtype=np.int16))  # completes a third frame with the 40 held back
    assert kinds(sent)[4:] == ["data"]
    assert bytes(bodies(sent)[4].data)[: 40 * 4] == samples[960:].tobytes()
    assert channel.frames_sent == 1440


@pytest.mark.skipif(not opus_available("w"), reason="PyAV without libopus")
def test_opus_when_the_server_takes_it_and_it_decodes_to_the_tone() -> None:
    channel, sent = make_record()
    start(channel)
    pcm = tone(440, 1.0)
    for i in range(0, len(pcm), 1024):  # a device delivers blocks that are not frames
        channel.source.push(pcm[i : i + 1024])
    assert bodies(sent)[0].mode == AudioDataMode.OPUS
    packets = [bytes(m.data) for name, m in sent if name == "data"]
    assert len(packets) >= 95 and all(0 < len(p) <= 480 for p in packets)
    decoder = AudioDecoder(AudioDataMode.OPUS, 2, RATE)
    out = np.concatenate([decoder.decode(p) for p in packets])
    middle = out[4800:43200].astype(np.float64)
    spectrum = np.abs(np.fft.rfft(middle[:, 0] * np.hanning(len(middle))))
    assert abs(np.argmax(spectrum) * RATE / len(middle) - 440) < 3
    ratio = np.sqrt(np.mean(middle[:, 1] ** 2) / np.mean(middle[:, 0] ** 2))
    assert 0.4 < ratio < 0.6


@pytest.mark.parametrize(
    ("server_caps", "rate", "opus"),
    [({RecordCap.VOLUME}, RATE, True), ({RecordCap.OPUS}, 44100, True), ({RecordCap.OPUS}, RATE, False)],
)
def test_raw_when_opus_is_not_for_this_stream(server_caps: set[int], rate: int, opus: bool) -> None:
    channel, sent = make_record(server_caps, opus=opus)
    start(channel, rate=rate)
    channel.source.push(np.zeros((480, 2), dtype=np.int16))
    assert bodies(sent)[0].mode == AudioDataMode.RAW
    assert len(bytes(bodies(sent)[2].data)) == 480 * 4


def test_server_volume_and_mute_apply_to_what_is_sent() -> None:
    channel, sent = make_record(server_caps=set())
    start(channel)
    channel.on_message(a.MSG_RECORD_VOLUME.cls(nchannels=2, volume=[0x8000, 0x8000]), 2)
    channel.source.push(np.full((480, 2), 1000, dtype=np.int16))
    channel.on_message(a.MSG_RECORD_MUTE.cls(mute=1), 3)
    channel.source.push(np.full((480, 2), 1000, dtype=np.int16))
    first, second = (np.frombuffer(bytes(m.data), dtype="<i2") for m in bodies(sent)[2:4])
    assert (first == 500).all() and not second.any()


def test_stop_closes_the_source_and_a_new_start_marks_again() -> None:
    channel, sent = make_record(server_caps=set())
    start(channel)
    channel.source.push(np.zeros((480, 2), dtype=np.int16))
    channel.on_message(a.MSG_RECORD_STOP.cls(), 2)
    assert not channel.source.is_open
    assert not channel.source.push(np.zeros((480, 2), dtype=np.int16))
    start(channel, channels=1)
    channel.source.push(np.zeros((480, 1), dtype=np.int16))
    assert kinds(sent) == ["mode", "start_mark", "data", "mode", "start_mark", "data"]
    assert len(bytes(bodies(sent)[-1].data)) == 480 * 2


@pytest.mark.parametrize(
    ("channels", "fmt", "rate"),
    [(2, AudioFmt.INVALID, RATE), (0, AudioFmt.S16, RATE), (0xFFFFFFFF, AudioFmt.S16, RATE), (2, AudioFmt.S16, 7)],
)
def test_unrecordable_start_opens_nothing(channels: int, fmt: int, rate: int) -> None:
    channel, sent = make_record()
    start(channel, rate=rate, channels=channels, fmt=fmt)
    assert channel.errors == 1 and not channel.source.is_open and sent == []


@pytest.mark.parametrize("seed", range(20))
def test_random_record_messages_never_escape(seed: int) -> None:
    rng = random.Random(seed)
    gen = ValueGen(rng, max_items=3, max_bytes=64, max_dim=12)
    channel, sent = make_record()
    messages = list(a.RECORD.server.values())
    for i in range(200):
        channel.on_message(gen.message(rng.choice(messages)), i)  # must not raise
        if channel.source.is_open:
            channel.source.push(np.zeros((rng.randrange(2000), channel.source.channels), dtype=np.int16))
    start(channel)
    channel.on_message(a.MSG_RECORD_MUTE.cls(mute=0), 998)
    before = channel.frames_sent
    channel.source.push(np.zeros((480, 2), dtype=np.int16))
    assert channel.frames_sent == before + 480
