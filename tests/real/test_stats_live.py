"""Issue 15: the live statistics against the truth, on a real Xspice through the lab's counting proxy: bytes per
channel equal what crossed the proxy, the stream frame rate equals the frames the server sent in the same time,
and the stream is described with the codec the wire carried."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from spiceview.headless.session import HeadlessSession
from spiceview.protocol.constants import ChannelType
from spiceview_lab.media import make_clip
from spiceview_lab.requirements import require
from spiceview_lab.scenes import hide_cursor
from spiceview_lab.wire_proxy import WireProxy

pytestmark = pytest.mark.xspice


def test_figures_match_what_crossed_the_wire(xspice, tmp_path: Path) -> None:
    require("ffmpeg", "mpv")
    clip = make_clip(tmp_path / "clip.mp4", "testsrc=size=320x240:rate=25", 4, timeout=60)
    server = xspice(streaming_video="all", video_codecs="spice:mjpeg")
    hide_cursor(server.display)
    with WireProxy(server.port) as proxy, HeadlessSession(proxy.uri, timeout=60) as s:
        s.wait_for_frame()
        player = server.run_client(["mpv", "--vo=x11", "--ao=null", "--loop=inf", "--no-osc", str(clip)])
        try:
            s.wait_until(lambda: any(d.streams for d in s.client.displays()), 30, "a stream")
            time.sleep(1.0)
            s.statistics()  # starts the window
            before = proxy.snapshot()
            time.sleep(3.0)
            figures = s.statistics()
            window = proxy.snapshot() - before
            rate_span = 3.0
        finally:
            os.kill(player.pid, signal.SIGKILL)
            player.wait(10)
        s.wait_idle(settle_ms=1500, timeout=30)
        total = s.statistics()
        wire = proxy.snapshot()
    # Totals: every byte the proxy carried to spiceview's display and main channels, and from them.
    for channel_type, name in ((ChannelType.DISPLAY, "display-0"), (ChannelType.MAIN, "main-0")):
        assert total["channels"][name]["bytes_in"] == wire[channel_type].bytes_to_client, name
        assert total["channels"][name]["bytes_out"] == wire[channel_type].bytes_to_server, name
    # Rates over the same window: within the few frames a sample boundary can move (and the clock's drift).
    sent_fps = window.display.stream_data / rate_span
    assert abs(figures["stream_frames_per_s"] - sent_fps) <= max(3.0, 0.15 * sent_fps), (figures, sent_fps)
    kbit = window.display.bytes_to_client * 8 / 1000 / rate_span
    assert abs(figures["channels"]["display-0"]["kbit_s_in"] - kbit) <= 0.2 * kbit, (figures, kbit)
    assert figures["streams"] and figures["streams"][0]["codec"] == "MJPEG", figures["streams"]
    assert figures["streams"][0]["fps"] > 0 and figures["rtt_ms"] is not None
    assert "JPEG" not in figures["decode_ms"] or figures["decode_ms"]["JPEG"]["count"] > 0
