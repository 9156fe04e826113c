"""Issue 7: kiosk mode, and what `--kiosk-quit` does when the server goes away.

spiceview -k fills the client screen with the guest (no menus). With `--kiosk-quit never` (the default) a lost
session is followed by a new one to the same address: a server that comes back on that port is shown again.
With `--kiosk-quit on-disconnect` the viewer quits.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from spiceview_lab import xwd
from spiceview_lab.pixels import save_png
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.xspice, pytest.mark.xvfb]


def wait_for(condition, timeout: float = 30.0, what: str = "condition"):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def start_guest(xspice, port: int | None = None, logo: str = "300x300+100+100"):  # noqa: ANN001, ANN201
    from spiceview_lab.scenes import hide_cursor

    guest = xspice(port=port, size=(1024, 768))
    hide_cursor(guest.display)
    guest.run_client(["xlogo", "-geometry", logo])
    time.sleep(1.0)
    return guest


def start_kiosk(client, guest, log: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "spiceview", "--debug", "-k", *args, guest.uri],
        env={**client.env, "QT_QPA_PLATFORM": "xcb"},
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )


def screen_is_guest(client, guest, artifacts: Path, name: str) -> bool:
    truth = xwd.capture(guest.display)
    screen = xwd.capture(client.display)
    save_png(screen, artifacts / f"client-{name}.png")
    return truth.shape == screen.shape and np.array_equal(truth[..., :3], screen[..., :3])


def test_kiosk_never_quits_and_reconnects(xspice, xvfb, artifacts_dir: Path) -> None:
    require("xlogo", "xwd")
    client = xvfb(width=1024, height=768)
    guest = start_guest(xspice)
    port = guest.port
    viewer = start_kiosk(client, guest, artifacts_dir / "viewer.log")
    try:
        wait_for(lambda: screen_is_guest(client, guest, artifacts_dir, "first"), 30, "the kiosk to show the guest")
        guest.stop()
        time.sleep(3.0)
        assert viewer.poll() is None, "the kiosk viewer quit when the server went away"
        # The server comes back on the same port with another picture: the kiosk shows it without any help.
        back = start_guest(xspice, port=port, logo="200x200+600+300")
        wait_for(lambda: screen_is_guest(client, back, artifacts_dir, "again"), 40, "the kiosk to show the new guest")
        assert viewer.poll() is None
    finally:
        viewer.terminate()
        viewer.wait(10)
    log = (artifacts_dir / "viewer.log").read_text()
    assert "reconnecting" in log and "Traceback" not in log and "QThread: Destroyed" not in log


def test_kiosk_quit_on_disconnect(xspice, xvfb, artifacts_dir: Path) -> None:
    require("xlogo", "xwd")
    client = xvfb(width=1024, height=768)
    guest = start_guest(xspice)
    viewer = start_kiosk(client, guest, artifacts_dir / "viewer.log", "--kiosk-quit", "on-disconnect")
    try:
        wait_for(lambda: screen_is_guest(client, guest, artifacts_dir, "first"), 30, "the kiosk to show the guest")
        guest.stop()
        assert viewer.wait(15) == 1, "an ended session is an error exit"
    finally:
        if viewer.poll() is None:
            viewer.kill()
            viewer.wait(10)
