"""Issue 15: the image compression and the video codec order changed while connected, on a real Xspice.

The session asks with PREFERRED_COMPRESSION / PREFERRED_VIDEO_CODEC_TYPE at once; what the server sends next
changes: the image types of new pictures (the display's own counters), the codec of new video streams, and the
picture stays exact in the lossless modes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from spiceview.headless.session import HeadlessSession
from spiceview.protocol.constants import ImageCompression, VideoCodecType
from spiceview_lab.media import make_clip
from spiceview_lab.pixels import load_png
from spiceview_lab.requirements import require
from spiceview_lab.scenes import hide_cursor, make_photo, show_image, wait_idle
from spiceview_lab.viewer import assert_same_picture

pytestmark = pytest.mark.xspice


def image_types(s: HeadlessSession) -> dict[str, int]:
    return dict(s.client.stats()["image_types"])


def new_types(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name, count in after.items() if count > before.get(name, 0)}


def test_switching_the_image_compression_changes_what_the_server_sends(xspice, artifacts_dir: Path) -> None:
    require("display")
    server = xspice(image_compression="auto_glz")
    hide_cursor(server.display)
    with HeadlessSession(server.uri, timeout=60) as s:
        s.wait_for_frame()
        assert s.display().can_prefer() == (True, True)
        shown = []
        for n, (compression, expected) in enumerate(
            [(ImageCompression.QUIC, "QUIC"), (ImageCompression.LZ, "LZ_RGB"), (ImageCompression.GLZ, "GLZ_RGB")]
        ):
            s.client.set_preferences(compression=compression)
            time.sleep(0.3)  # the message is on its way before the next picture is drawn
            before = image_types(s)
            shown.append(show_image(server, make_photo(320, 240, seed=n + 1), x=40 + 60 * n, y=40 + 50 * n))
            s.wait_until(lambda e=expected, b=before: e in new_types(b, image_types(s)), 30, f"a {expected} image")
            assert new_types(before, image_types(s)) <= {expected, "FROM_CACHE", "SURFACE"}, image_types(s)
        truth = wait_idle(server.display)
        s.wait_idle(settle_ms=500, timeout=30)
        s.screenshot(artifacts_dir / "spiceview.png")
        got = load_png(artifacts_dir / "spiceview.png")
        assert_same_picture(got, truth, artifacts_dir)


def video_guest(xspice, tmp_path: Path, codecs: str):  # noqa: ANN001, ANN201
    """An Xspice streaming every video with these codecs, and a short clip for mpv to play in it."""
    require("ffmpeg", "mpv")
    clip = make_clip(tmp_path / "clip.mp4", "testsrc=size=320x240:rate=25", 4, timeout=60)
    server = xspice(streaming_video="all", video_codecs=codecs)
    hide_cursor(server.display)
    return server, clip


@contextlib.contextmanager
def playing(server, clip: Path):  # noqa: ANN001, ANN201
    player = server.run_client(
        ["mpv", "--vo=x11", "--ao=null", "--loop=inf", "--no-osc", "--geometry=+40+40", str(clip)]
    )
    try:
        yield player
    finally:
        os.kill(player.pid, signal.SIGKILL)
        player.wait(10)


def wait_for_new_stream(s: HeadlessSession, codec: VideoCodecType, before: dict[str, int], what: str) -> None:
    name = codec.name
    s.wait_until(lambda: s.client.stats()["stream_codecs"].get(name, 0) > before.get(name, 0), 30, what)


def test_switching_the_video_codec_changes_the_next_stream(xspice, tmp_path: Path) -> None:
    server, clip = video_guest(xspice, tmp_path, "spice:mjpeg;gstreamer:vp8")
    with HeadlessSession(server.uri, timeout=60) as s:
        s.wait_for_frame()
        for codec in (VideoCodecType.VP8, VideoCodecType.MJPEG):
            s.client.set_preferences(video_codecs=(codec,))
            time.sleep(0.3)
            before = dict(s.client.stats()["stream_codecs"])
            with playing(server, clip):
                wait_for_new_stream(s, codec, before, f"a {codec.name} stream")
            time.sleep(1.5)  # the stream ends before the next one starts


def test_switching_the_codec_while_a_video_plays(xspice, tmp_path: Path) -> None:
    """Mid-stream: the server replaces the playing streams with the codec asked for, and keeps running."""
    server, clip = video_guest(xspice, tmp_path, "spice:mjpeg;gstreamer:vp8;gstreamer:vp9")
    with HeadlessSession(server.uri, timeout=60) as s:
        s.wait_for_frame()
        with playing(server, clip):
            s.wait_until(lambda: bool(s.client.stats()["stream_codecs"]), 30, "a stream")
            for codec in (VideoCodecType.VP8, VideoCodecType.MJPEG, VideoCodecType.VP9):
                before = dict(s.client.stats()["stream_codecs"])
                s.client.set_preferences(video_codecs=(codec,))
                wait_for_new_stream(s, codec, before, f"a {codec.name} stream while the video plays")
                frames = s.client.stats()["stream_frames_decoded"]
                s.wait_until(lambda f=frames: s.client.stats()["stream_frames_decoded"] > f + 10, 30, "frames")
        assert s.error is None and s.client.stats()["draw_errors"] == 0
    assert "Segmentation fault" not in server.log_path.read_text(errors="replace")
