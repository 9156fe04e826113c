"""`spiceview --screenshot` of a screen that never stops changing: QEMU showing SeaBIOS (no guest disk), whose
text cursor blinks every few hundred ms, so 300 ms of quiet never comes. The screenshot must still be taken
(once the screen has had its bounded time to settle) and show what QEMU's own screendump shows."""

from __future__ import annotations

import time

import numpy as np
import pytest

from spiceview_lab import xwd
from spiceview_lab.pixels import load_png
from spiceview_lab.reference import spicy_screenshot
from spiceview_lab.requirements import require
from spiceview_lab.viewer import run_viewer_cli

pytestmark = pytest.mark.qemu

CURSOR_BLINK_PIXELS = 18  # SeaBIOS's blinking text cursor


def test_a_blinking_cursor_does_not_stop_the_screenshot(tmp_path) -> None:  # noqa: ANN001
    require("qemu-system-x86_64", "spicy-screenshot")
    from spiceview_lab.qemu import QemuServer

    with QemuServer() as server:
        # Wait for SeaBIOS's text screen (it starts in 640x480 graphics, then 720x400 text).
        deadline = time.monotonic() + 60
        while True:
            seen = spicy_screenshot(port=server.port)
            if seen.shape == (400, 720, 4) and len(np.unique(seen.reshape(-1, 4), axis=0)) > 1:
                break
            assert time.monotonic() < deadline, "SeaBIOS never showed its text screen"
            time.sleep(0.5)
        out = tmp_path / "shot.png"
        run = run_viewer_cli(["-v", "--screenshot", str(out), "--timeout", "20", server.uri], timeout=90)
        assert run.returncode == 0, run.stderr[-2000:]
        assert "Traceback" not in run.stderr
        got = load_png(out)
        dump = xwd.load_ppm(server.qmp.screendump(server.tmpdir / "dump.ppm"))
        assert got.shape == dump.shape == (400, 720, 4)
        assert xwd.compare(dump, got)[0] <= CURSOR_BLINK_PIXELS
