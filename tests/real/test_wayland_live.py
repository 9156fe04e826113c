"""Issue 17: spiceview under Wayland (Qt's wayland platform on weston's headless backend, pixman renderer).

What this shows: the window opens and shows the guest exactly (found pixel for pixel in weston's own screenshot),
and full screen covers weston's output (its panel gone). What it cannot show here: keyboard and pointer input and
the clipboard, which need a seat that weston's headless backend does not give clients without its test plugins.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from spiceview.canvas.png import read_png
from spiceview.scripting.matching import find
from spiceview_lab.requirements import require
from spiceview_lab.scenes import hide_cursor, standard_scene

pytestmark = [pytest.mark.xspice]

OUTPUT = (1280, 1024)


@pytest.fixture
def weston(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A headless weston (screenshots allowed: --debug); the environment of a Wayland client of it."""
    require("weston", "weston-screenshooter")
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "WAYLAND_DISPLAY": "wayland-spiceview"}
    env.pop("DISPLAY", None)
    proc = subprocess.Popen(
        ["weston", "--debug", "--backend=headless-backend.so", "--use-pixman", "--socket=wayland-spiceview",
         f"--width={OUTPUT[0]}", f"--height={OUTPUT[1]}", "--idle-time=0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "weston.log").open("w"),
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while not (runtime / "wayland-spiceview").exists():
        assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "weston.log").read_text()[-2000:]
        time.sleep(0.1)
    yield env
    proc.terminate()
    proc.wait(10)


def screenshot(env: dict[str, str], folder: Path) -> np.ndarray:
    folder.mkdir(exist_ok=True)
    before = set(folder.glob("*.png"))
    subprocess.run(["weston-screenshooter"], env=env, cwd=folder, check=True, timeout=30)
    (new,) = set(folder.glob("*.png")) - before
    return read_png(str(new))


def shows_guest(env: dict[str, str], folder: Path, guest: np.ndarray, timeout: float = 30) -> tuple[np.ndarray, tuple]:
    """Weston's picture once the guest's (a 400x300 part of it) is in it, and where that part is."""
    part = guest[40:340, 20:420]
    deadline = time.monotonic() + timeout
    while True:
        shot = screenshot(env, folder)
        where = find(shot, part)
        if where is not None or time.monotonic() > deadline:
            return shot, where
        time.sleep(0.5)


@pytest.mark.parametrize("fullscreen", [False, True], ids=["window", "fullscreen"])
def test_the_window_shows_the_guest_under_wayland(weston, xspice, tmp_path: Path, fullscreen: bool) -> None:  # noqa: ANN001
    server = xspice(size=(1024, 768))
    hide_cursor(server.display)
    standard_scene(server)
    guest = server.screenshot()[..., 2::-1]
    argv = [sys.executable, "-m", "spiceview", *(["-f"] if fullscreen else []), server.uri]
    log = tmp_path / "viewer.log"
    viewer = subprocess.Popen(argv, env={**weston, "QT_QPA_PLATFORM": "wayland"}, stderr=log.open("w"))
    try:
        if fullscreen:
            shot = fills_the_output(weston, tmp_path / "shots", guest)
        else:
            shot, where = shows_guest(weston, tmp_path / "shots", guest)
        assert viewer.poll() is None, log.read_text()[-2000:]
    finally:
        viewer.terminate()
        viewer.wait(10)
    if not fullscreen:
        assert where is not None, f"the guest's picture is not on weston's output; log: {log.read_text()[-1500:]}"
        assert where[1] > 40  # below weston's panel and the window's title bar (client-side decoration)
    else:
        assert shot is not None, f"the guest does not fill weston's output; log: {log.read_text()[-1500:]}"


def fills_the_output(env: dict[str, str], folder: Path, guest: np.ndarray, timeout: float = 30) -> np.ndarray | None:
    """Full screen without a guest agent shows the guest scaled to the output (its height here: 1.25 times):
    sampled back at guest size, the picture is the guest's but for the scaling's smoothing at edges."""
    scale = min(OUTPUT[0] / guest.shape[1], OUTPUT[1] / guest.shape[0])
    ys = (np.arange(guest.shape[0]) * scale + scale / 2).astype(int)
    xs = (np.arange(guest.shape[1]) * scale + scale / 2).astype(int)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shot = screenshot(env, folder)
        top = (OUTPUT[1] - round(guest.shape[0] * scale)) // 2
        left = (OUTPUT[0] - round(guest.shape[1] * scale)) // 2
        for dy, dx in {(top, left), (0, 0)}:
            sampled = shot[np.clip(ys + dy, 0, OUTPUT[1] - 1)][:, np.clip(xs + dx, 0, OUTPUT[0] - 1)]
            if float(np.abs(sampled.astype(int) - guest.astype(int)).mean()) < 6:
                return shot
        time.sleep(0.5)
    return None
