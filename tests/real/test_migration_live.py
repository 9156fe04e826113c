"""Live migration between two real QEMUs: the session follows the VM to the destination server.

QEMU 7.2 tells a client that did not take part in a seamless migration to switch host once the VM has moved.
spiceview then reconnects every channel to the destination (a fresh connection id, empty caches), and the
picture is the destination's. Stopping the source afterwards must not end the session: it really moved.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from spiceview.headless.session import HeadlessSession
from spiceview_lab import xwd
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

CURSOR_BLINK_PIXELS = 18  # SeaBIOS's blinking text cursor


def test_session_follows_the_vm_to_the_destination(artifacts_dir: Path) -> None:
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    with QemuServer() as src, HeadlessSession(src.uri, timeout=60) as s:
        s.wait_for_frame()
        before = s.display()
        with QemuServer(incoming=True) as dst:
            assert src.migrate_to(dst)["status"] == "completed"
            s.wait_until(
                lambda: (
                    s.client.redirect is not None
                    and s.client.displays()
                    and s.client.displays()[0] is not before
                    and s.client.displays()[0].primary is not None
                ),
                timeout=30,
                what="the display of the destination",
            )
            assert s.client.redirect[:2] == ("127.0.0.1", dst.port)
            src.stop()  # the source is gone: only the destination serves the session now
            s.wait_for_frame()
            time.sleep(1.0)
            assert s.error is None
            assert all(c.is_linked for c in s.client.all_channels())
            assert {c.name for c in s.client.all_channels()} >= {"display-0", "inputs-0", "cursor-0"}
            s.wait_until(lambda: all(c.finished() for c in s.client.retired_channels), timeout=10)
            dump = xwd.load_ppm(dst.qmp.screendump(artifacts_dir / "dst.ppm"))
            shot = s.screenshot(artifacts_dir / "spiceview.png")
            assert shot.shape[:2] == dump.shape[:2]
            differing = int(np.any(shot[..., :3] != dump[..., :3], axis=-1).sum())
            assert differing <= CURSOR_BLINK_PIXELS, f"{differing} pixels differ from the destination's screendump"


def test_viewer_window_survives_the_move(artifacts_dir: Path) -> None:
    """The real viewer: after the migration and the source's end it is still running, on the destination."""
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    log = artifacts_dir / "viewer.log"
    with QemuServer() as src:
        viewer = subprocess.Popen(
            [sys.executable, "-m", "spiceview", "--debug", "--spice-disable-audio", src.uri],
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        try:
            deadline = time.monotonic() + 60
            while "channel.display-0 DEBUG: linked" not in log.read_text():
                assert viewer.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)
            with QemuServer(incoming=True) as dst:
                assert src.migrate_to(dst)["status"] == "completed"
                while log.read_text().count("channel.display-0 DEBUG: linked") < 2:
                    assert viewer.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                    time.sleep(0.2)
                src.stop()
                time.sleep(2.0)
                assert viewer.poll() is None, log.read_text()[-3000:]
                text = log.read_text()
                assert f"the session moves to 127.0.0.1 (port {dst.port}" in text
                assert f"connecting to 127.0.0.1:{dst.port}" in text
        finally:
            viewer.terminate()
            viewer.wait(10)
