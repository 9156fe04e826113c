"""Issue 7: full screen over two client monitors, against Xspice with its agent and two heads.

The client side is Xorg with the dummy driver and two 1024x768 outputs side by side, with openbox (full screen
is a window manager's job). spiceview asks the guest for a monitor per client screen, placed like the client's
screens; each guest monitor then fills its own screen, so a capture of the whole client X screen must equal the
guest's `xwd -root`, pixel for pixel, in order and with the monitors swapped by a mapping.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from spiceview_lab import xwd
from spiceview_lab.pixels import save_png
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.xspice]


def wait_for(condition, timeout: float = 30.0, what: str = "condition"):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def client_screens() -> Iterator[object]:
    require("Xorg", "dummy-video", "xrandr", "openbox", "xdotool", "xwd")
    from spiceview_lab.xorg_dummy import XorgDummyServer

    with XorgDummyServer(monitors=2, window_manager="openbox") as server:
        yield server


@pytest.fixture
def guest(xspice):
    require("spice-vdagent", "spice-vdagentd", "xrandr", "xlogo", "xclock")
    return xspice(vdagent=True, numheads=2)


def guest_heads(server) -> list[tuple[str, int, int]]:
    """(output name, x, y) of each active guest monitor, from `xrandr --listactivemonitors`."""
    heads = []
    for line in server.run(["xrandr", "--listactivemonitors"]).stdout.splitlines()[1:]:
        fields = line.split()
        _, x, y = fields[2].split("+")
        heads.append((fields[-1], int(x), int(y)))
    return sorted(heads)


class FullScreenViewer:
    def __init__(self, client, guest, artifacts: Path, *args: str) -> None:
        self.client, self.guest, self.artifacts = client, guest, artifacts
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "spiceview", "--debug", *args, guest.uri],
            env={**client.env, "QT_QPA_PLATFORM": "xcb"},
            stdout=subprocess.DEVNULL,
            stderr=(artifacts / "viewer.log").open("w"),
        )

    def xdotool(self, *args: str) -> str:
        return subprocess.run(
            ["xdotool", *args], env=self.client.env, capture_output=True, text=True, check=False
        ).stdout

    def windows(self) -> list[str]:
        return self.xdotool("search", "--onlyvisible", "--pid", str(self.proc.pid)).split()

    def geometry(self, window: str) -> tuple[int, int, int, int]:
        lines = self.xdotool("getwindowgeometry", "--shell", window).splitlines()
        out = dict(line.split("=", 1) for line in lines if "=" in line)
        return int(out["X"]), int(out["Y"]), int(out["WIDTH"]), int(out["HEIGHT"])

    def shows_the_guest(self) -> bool:
        """The whole client screen equals the guest's root window (saved as PNGs for a look either way)."""
        truth = xwd.capture(self.guest.display)
        screen = xwd.capture(self.client.display)
        save_png(truth, self.artifacts / "guest.png")
        save_png(screen, self.artifacts / "client.png")
        return truth.shape == screen.shape and np.array_equal(truth[..., :3], screen[..., :3])

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def viewer(client_screens, guest, artifacts_dir: Path) -> Iterator:
    viewers: list[FullScreenViewer] = []

    def start(*args: str) -> FullScreenViewer:
        started = FullScreenViewer(client_screens, guest, artifacts_dir, *args)
        viewers.append(started)
        return started

    yield start
    for started in viewers:
        started.close()


def _draw_across_the_seam(guest) -> None:
    # Something on each guest monitor and something across the seam between them.
    guest.run_client(["xclock", "-geometry", "200x200+100+100"])
    guest.run_client(["xlogo", "-geometry", "300x300+870+100"])
    guest.run_client(["xlogo", "-geometry", "150x150+1700+500"])
    time.sleep(2.0)


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        (None, [("qxl-0", 0, 0), ("qxl-1", 1024, 0)]),
        ("1:2;2:1", [("qxl-0", 1024, 0), ("qxl-1", 0, 0)]),
    ],
    ids=["in-order", "swapped"],
)
def test_full_screen_on_two_screens(viewer, guest, mapping: str | None, expected) -> None:
    """`-f` enables the guest's second head; each guest monitor fills its client screen (or the mapped one)."""
    args = ["-f"] + (["--monitor-mapping", mapping] if mapping else [])
    started = viewer(*args)
    wait_for(lambda: guest_heads(guest) == expected, 40, f"the guest's heads to become {expected}")
    wait_for(lambda: len(started.windows()) == 2, 20, "two windows")
    _draw_across_the_seam(guest)
    # Guest monitor 1 (qxl-0) sits where its client screen is: swapped, it is the right half of both screens.
    wait_for(started.shows_the_guest, 20, "the client screen to equal the guest's xwd -root")


def test_toggle_hotkey_enters_and_leaves_full_screen(viewer, guest) -> None:
    """F11 puts the windows full screen with a guest monitor per client screen, and F11 again puts them back."""
    started = viewer("--scaling", "fit")
    window = wait_for(lambda: started.windows(), 30, "the window")[0]
    wait_for(lambda: started.geometry(window)[2] > 100, 10, "the window to be mapped")
    time.sleep(1.0)
    before = started.geometry(window)
    started.xdotool("windowactivate", "--sync", window)
    started.xdotool("key", "--window", window, "F11")
    wait_for(lambda: len(guest_heads(guest)) == 2, 40, "the guest's second head")
    wait_for(lambda: len(started.windows()) == 2, 20, "two windows")
    _draw_across_the_seam(guest)
    wait_for(started.shows_the_guest, 20, "the client screen to equal the guest's xwd -root")

    first = started.windows()[0]
    started.xdotool("windowactivate", "--sync", first)
    started.xdotool("key", "--window", first, "F11")
    # Fit mode: the guest gets back the single monitor it had, and the window goes back where it was.
    wait_for(lambda: len(guest_heads(guest)) == 1, 40, "the guest back to one head")
    wait_for(lambda: len(started.windows()) == 1, 20, "one window")
    wait_for(lambda: started.geometry(started.windows()[0]) == before, 10, f"the window back at {before}")
