"""Issue 2: under Xvfb, `spiceview spice://...` opens a window whose pixels equal the guest's xwd -root."""

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
from spiceview_lab.scenes import hide_cursor, make_photo, standard_scene, wait_idle

pytestmark = [pytest.mark.xspice, pytest.mark.xvfb]


def find_picture(
    screen: np.ndarray, picture: np.ndarray, near: tuple[int, int], search: int = 100
) -> tuple[int, int] | None:
    """Where `picture` appears in `screen` exactly, at most `search` pixels right of and below `near` (the window's
    origin: the picture sits below the menu bar, maybe centred).

    Candidates are first checked on a few hundred scattered sample pixels (a mostly black picture would
    otherwise match a blank screen's first row everywhere and make every candidate a full comparison).
    """
    h, w = picture.shape[:2]
    x0, y0 = max(0, near[0]), max(0, near[1])
    rng = np.random.default_rng(0)
    ys, xs = rng.integers(0, h, 400), rng.integers(0, w, 400)
    samples = picture[ys, xs, :3]
    for dy in range(y0, min(screen.shape[0] - h, y0 + search) + 1):
        for dx in range(x0, min(screen.shape[1] - w, x0 + search) + 1):
            if np.array_equal(screen[ys + dy, xs + dx, :3], samples) and np.array_equal(
                screen[dy : dy + h, dx : dx + w, :3], picture[..., :3]
            ):
                return dx, dy
    return None


def window_position(display: str, pid: int, timeout: float = 20.0) -> tuple[int, int]:
    env = {"DISPLAY": display, "PATH": "/usr/bin:/bin"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--pid", str(pid)], capture_output=True, text=True, env=env
        ).stdout.split()
        if found:
            geo = subprocess.run(
                ["xdotool", "getwindowgeometry", "--shell", found[-1]], capture_output=True, text=True, env=env
            ).stdout
            values = dict(line.split("=", 1) for line in geo.splitlines() if "=" in line)
            return int(values["X"]), int(values["Y"])
        time.sleep(0.2)
    raise AssertionError("spiceview's window never appeared")


def window_shows(uri: str, truth: np.ndarray, client_x, artifacts_dir: Path, *options: str) -> bool:  # noqa: ANN001
    """Start spiceview on `uri` in `client_x`; whether `truth` appears exactly in its window within 20 s (the last
    screen is saved as client-screen.png)."""
    viewer = subprocess.Popen(
        [sys.executable, "-m", "spiceview", *options, uri],
        env={**client_x.env, "QT_QPA_PLATFORM": "xcb"},
        stdout=subprocess.DEVNULL,
        stderr=(artifacts_dir / "viewer.log").open("w"),
    )
    try:
        near = window_position(client_x.display, viewer.pid)
        deadline = time.monotonic() + 20
        where = None
        while where is None and time.monotonic() < deadline:
            screen = xwd.capture(client_x.display)
            where = find_picture(screen, truth, near)
            if where is None:
                time.sleep(0.3)
        save_png(screen, artifacts_dir / "client-screen.png")
        return where is not None
    finally:
        viewer.terminate()
        try:
            viewer.wait(10)
        except subprocess.TimeoutExpired:
            viewer.kill()


def test_window_shows_guest_pixels(xspice, xvfb, artifacts_dir: Path) -> None:
    require("xdotool")
    server = xspice(image_compression="off")
    truth = standard_scene(server)
    client_x = xvfb(width=1400, height=1000)
    assert window_shows(server.uri, truth, client_x, artifacts_dir, "--debug"), (
        f"the guest picture never appeared exactly in the window (see {artifacts_dir})"
    )


def test_a_full_screen_picture_reaches_the_window_exactly(xspice, xvfb, artifacts_dir: Path) -> None:
    """feh -F draws each picture off-screen, then copies it to the whole screen: the canvas defers that copy and
    the window paints the picture itself (X bytes as the GLZ stream had them)."""
    require("xdotool", "feh")
    server = xspice(size=(640, 480), image_compression="glz")
    photo = artifacts_dir / "photo.png"
    save_png(make_photo(640, 480, seed=5), photo)
    server.run_client(["feh", "-F", "-Y", str(photo)])
    hide_cursor(server.display)
    truth = wait_idle(server.display)
    client_x = xvfb(width=900, height=700)
    assert window_shows(server.uri, truth, client_x, artifacts_dir), (
        f"the full-screen picture never appeared exactly in the window (see {artifacts_dir})"
    )
