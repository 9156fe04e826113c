"""Video streams from a real Xspice: mpv plays a clip while spiceview is connected; the server streams it with
each codec it is told to use, spiceview decodes every frame, and once the video stops (the server then sends
the area losslessly) the screenshot equals xwd -root."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from spiceview_lab.live_capture import capture_live
from spiceview_lab.media import make_clip
from spiceview_lab.requirements import require
from spiceview_lab.scenes import hide_cursor
from spiceview_lab.viewer import assert_same_picture

pytestmark = pytest.mark.xspice

CODECS = {"spice:mjpeg": "MJPEG", "gstreamer:vp8": "VP8", "gstreamer:h264": "H264", "gstreamer:vp9": "VP9"}


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    require("ffmpeg", "mpv")
    return make_clip(tmp_path_factory.mktemp("video") / "clip.mp4", "testsrc=size=320x240:rate=25", 4, timeout=60)


@pytest.mark.parametrize("codecs", list(CODECS))
def test_stream_codec(codecs: str, clip: Path, xspice, artifacts_dir: Path) -> None:
    server = xspice(streaming_video="all", video_codecs=codecs)

    def play() -> None:
        hide_cursor(server.display)
        player = server.run_client(
            ["mpv", "--vo=x11", "--ao=null", "--loop=inf", "--no-osc", "--geometry=+40+40", str(clip)]
        )
        time.sleep(3.0)
        os.kill(player.pid, signal.SIGSTOP)

    # Once the video stops the server ends the stream after about a second and sends the area losslessly.
    capture = capture_live(server, artifacts_dir, play, settle_ms=2500)
    received = capture.stats
    (artifacts_dir / "streams.json").write_text(
        json.dumps({k: received[k] for k in ("stream_codecs", "stream_frames_decoded")})
    )
    assert CODECS[codecs] in received["stream_codecs"], received["stream_codecs"]
    assert received["stream_frames_decoded"] >= 20
    assert received["draw_errors"] == 0
    assert_same_picture(capture.got, capture.truth, artifacts_dir)
