"""The counting proxy between spiceview and a real Xspice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from spiceview.protocol.constants import DisplayCap
from spiceview.protocol.messages import display as dmsg
from spiceview.protocol.messages import main as mmsg
from spiceview_lab.wire_proxy import WireProxy

# -- a scripted SPICE conversation ---------------------------------------------------------------------


@pytest.mark.xspice
def test_live_screenshot_of_xspice_through_the_proxy(xspice, tmp_path: Path) -> None:
    """spiceview --screenshot through the proxy: every channel links, the picture arrives, it is counted."""
    from spiceview_lab.requirements import require
    from spiceview_lab.scenes import hide_cursor, show_logo
    from spiceview_lab.viewer import assert_same_picture, screenshot

    require("xlogo", "xwd")
    server = xspice(size=(640, 480))
    show_logo(server, 40, 40, 200)
    hide_cursor(server.display)
    time.sleep(0.3)
    truth = server.screenshot()
    with WireProxy(server.port) as proxy:
        got, _run = screenshot(proxy.uri, tmp_path / "shot.png", "--settle-ms", "100")
        snap = proxy.snapshot()
        assert not proxy.errors, proxy.errors
    assert_same_picture(got, truth, tmp_path)
    d, m = snap.display, snap.main
    assert m.connections == 1 and d.connections == 1
    assert m.mini_header and d.mini_header  # spiceview and spice-server both offer it
    assert DisplayCap.SIZED_STREAM in d.client_caps and DisplayCap.CODEC_MJPEG in d.client_caps
    assert m.by_type[mmsg.MSG_INIT.number] == 1
    assert d.by_type[dmsg.MSG_SURFACE_CREATE.number] >= 1
    assert d.draws >= 1  # the screen arrives as drawing (an image copy)
    assert d.bytes_to_client > 1000 and d.bytes_to_server > 0
    assert d.stream_data == 0 and not d.stream_codecs
