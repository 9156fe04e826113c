"""Lip-sync against a real Xspice: while the guest's sound plays, each video frame is shown when the sound
stamped with the same multimedia time is heard, not when the frame arrives.

The guest plays a video (mpv, streamed as MJPEG) and a tone written in real time into its playback FIFO. The
client's sound device is a memory sink that says 200 ms of sound are queued in it, as a real device's buffer
would: the session clock then runs 200 ms behind the newest sound packet, so frames, which the server stamps
with the same clock as the sound, wait about that long. Each frame must be shown no earlier than its time and
soon after it. Without sound the same frames are shown on arrival.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from spiceview.audio import MemorySink
from spiceview.channels.signals import wait_for_events
from spiceview.headless.session import HeadlessSession
from spiceview_lab import procs
from spiceview_lab.media import make_clip
from spiceview_lab.requirements import require
from spiceview_lab.scenes import hide_cursor

pytestmark = pytest.mark.xspice

DEVICE_DELAY_MS = 200
RATE = 48000


class DeviceLikeSink(MemorySink):
    def delay_ms(self) -> float:
        return float(DEVICE_DELAY_MS)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    require("ffmpeg", "mpv")
    return make_clip(tmp_path_factory.mktemp("video") / "clip.mp4", "testsrc2=size=320x240:rate=25", 20, timeout=60)


def feed_tone(fifo: Path, seconds: float, stop: threading.Event) -> None:
    """Write a tone into the server's FIFO at the pace it is played (10 ms at a time)."""
    t = np.arange(RATE // 100) / RATE
    chunk = np.repeat((np.sin(2 * np.pi * 500 * t) * 4000).astype("<i2")[:, None], 2, axis=1).tobytes()
    fd = os.open(fifo, os.O_WRONLY)
    try:
        start = time.monotonic()
        for i in range(int(seconds * 100)):
            if stop.is_set():
                break
            os.write(fd, chunk)
            time.sleep(max(0.0, start + (i + 1) / 100 - time.monotonic()))
    finally:
        os.close(fd)


def watch_frames(s: HeadlessSession, seconds: float) -> tuple[list[int], list[int], list[int]]:
    """(margin at arrival, lateness when shown, lateness beyond what the frame already had when it arrived) per
    frame, in ms of the session's clock. A stream's first frames can arrive after their time (the server sends a
    backlog of them at once): those can only be shown at once."""
    display = s.display()
    arrivals: list[int] = []
    shown: list[int] = []
    added: list[int] = []
    margins: dict[int, int] = {}
    push, show = display.schedule.push, display._show_frame

    def on_push(frame, now) -> None:  # noqa: ANN001
        arrivals.append(frame.mm_time - now)
        margins[id(frame)] = frame.mm_time - now
        push(frame, now)

    def on_show(frame) -> None:  # noqa: ANN001
        now = s.client.mm_time()
        late = ((now - frame.mm_time + 0x80000000) & 0xFFFFFFFF) - 0x80000000
        shown.append(late)
        margin = margins.pop(id(frame), None)
        if margin is not None:
            added.append(late - max(0, -margin))
        show(frame)

    display.schedule.push, display._show_frame = on_push, on_show
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        wait_for_events(0.005)
    return arrivals, shown, added


def test_frames_wait_for_the_sound(xspice, clip: Path) -> None:
    server = xspice(audio=True, streaming_video="all", video_codecs="spice:mjpeg", size=(1024, 768))
    hide_cursor(server.display)
    with HeadlessSession(server.uri, audio=DeviceLikeSink) as s:
        s.wait_for_frame()
        s.wait_until(lambda: s.client.playback() is not None and s.client.playback().is_linked, what="playback")
        stop = threading.Event()
        writer = threading.Thread(target=feed_tone, args=(server.new_audio_fifo(), 12, stop), daemon=True)
        writer.start()
        s.wait_until(s.client.playback_active, timeout=10, what="the sound to start")
        player = server.run_client(["mpv", "--vo=x11", "--ao=null", "--no-osc", "--geometry=+40+40", str(clip)])
        try:
            s.wait_until(lambda: s.display().streams, timeout=15, what="a video stream")
            arrivals, shown, added = watch_frames(s, 5.0)
            lip_sync = s.statistics()["lip_sync"]
        finally:
            stop.set()
            procs.stop_child(player)
            writer.join(5)
        display = s.display()
    assert len(arrivals) >= 50, f"only {len(arrivals)} frames arrived while the sound played"
    # Held back by about the device's delay (the server stamps sound and video with one clock).
    assert DEVICE_DELAY_MS - 60 <= float(np.median(arrivals)) <= DEVICE_DELAY_MS + 60, np.median(arrivals)
    # Shown at their time: never early, and nearly all within 30 ms of it (the loop's timer and the test's
    # polling), or of their arrival for those that came after it.
    assert min(shown) >= 0
    assert len(added) >= 50 and np.mean(np.array(added) <= 30) >= 0.9, sorted(added)[-10:]
    assert display.schedule.dropped <= len(arrivals) // 10
    # The statistics' lip-sync figure is the same lateness, as the schedule saw it.
    assert lip_sync["offset_ms"] is not None and abs(lip_sync["offset_ms"] - float(np.median(shown))) <= 10, lip_sync


def test_without_sound_frames_are_not_held(xspice, clip: Path) -> None:
    server = xspice(streaming_video="all", video_codecs="spice:mjpeg", size=(1024, 768))
    hide_cursor(server.display)
    with HeadlessSession(server.uri) as s:
        s.wait_for_frame()
        player = server.run_client(["mpv", "--vo=x11", "--ao=null", "--no-osc", "--geometry=+40+40", str(clip)])
        try:
            s.wait_until(lambda: s.display().streams, timeout=15, what="a video stream")
            arrivals, shown, _added = watch_frames(s, 3.0)
            lip_sync = s.statistics()["lip_sync"]
        finally:
            procs.stop_child(player)
        display = s.display()
    assert arrivals == []  # nothing went through the schedule
    assert lip_sync["offset_ms"] is None  # no sound, so no lip-sync to speak of
    # Xspice asked for stream reports (adaptive streaming) and got them.
    assert display.received["stream_activate_report"] >= 1 and display.reports_sent >= 5
    # Xspice stamps frames 400 ms ahead of the clock it gives clients: shown that much before their time.
    assert len(shown) >= 30 and float(np.median(shown)) < -300
