"""spiceview_lab.xinput against a real Xvfb: XTest input reaches xev, XFixes gives the root cursor, damage arrives."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from spiceview_lab import ports, xinput, xwd
from spiceview_lab.requirements import require
from spiceview_lab.scenes import wait_mapped
from spiceview_lab.xvfb import XvfbServer

pytestmark = pytest.mark.xvfb
Xvfb = Callable[..., XvfbServer]  # the conftest fixture: xvfb(width, height) -> a started XvfbServer

XEV_TITLE = "Event Tester"  # the title xev gives its window


def _poll(read: Callable[[], str], pattern: str, what: str, timeout: float = 15.0) -> re.Match[str]:
    """Wait until read() matches pattern (a liveness wait, not a timing check)."""
    deadline = time.monotonic() + timeout
    while True:
        found = re.search(pattern, read(), re.MULTILINE)
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: no match for {pattern!r} in:\n{read()[-2000:]}")
        time.sleep(0.05)


def _xev(server: XvfbServer, log: Path) -> None:
    """xev at +50+50 (300x200; no window manager: exactly there), its events logged."""
    server.run_client(["xev", "-geometry", "300x200+50+50"], log=log)
    wait_mapped(server.display, XEV_TITLE)
    _poll(lambda: log.read_text(errors="replace"), r"^MapNotify event", "xev mapped its window")


def test_fake_motion_key_and_button_reach_xev(xvfb: Xvfb, tmp_path: Path) -> None:
    require("x11-utils")
    server = xvfb(640, 480)
    log = tmp_path / "xev.log"
    _xev(server, log)
    text = lambda: log.read_text(errors="replace")  # noqa: E731
    with xinput.XDisplay(server.display) as d:
        xinput.fake_motion(d, 150, 120)
        _poll(text, r"^MotionNotify event.*\n.*\(\d+,\d+\), root:\(150,120\)", "motion at (150, 120)")

        a = xinput.keycode(d, "a")
        xinput.fake_key(d, a, True)
        xinput.fake_key(d, a, False)
        _poll(text, rf"^KeyPress event.*\n.*\n.*keycode {a} \(keysym 0x61, a\)", "key press of a")
        _poll(text, rf"^KeyRelease event.*\n.*\n.*keycode {a} \(keysym 0x61, a\)", "key release of a")

        xinput.fake_button(d, 3, True)
        xinput.fake_button(d, 3, False)
        _poll(text, r"^ButtonPress event.*\n.*\n.*state 0x0, button 3", "button 3 press")
        _poll(text, r"^ButtonRelease event.*\n.*\n.*state 0x400, button 3", "button 3 release")
        assert d.take_errors() == []

    # A display name works too (a connection per call).
    xinput.tap_key(server.display, xinput.keycode(server.display, "Return"))
    _poll(text, r"^KeyPress event.*\n.*\n.*\(keysym 0xff0d, Return\)", "Return by display name")


def _xbm(name: str, rows: list[int], hot: tuple[int, int] | None = None) -> str:
    """A 16x16 XBM; rows[i] is row i with bit 0 = leftmost pixel."""
    head = f"#define {name}_width 16\n#define {name}_height 16\n"
    if hot is not None:
        head += f"#define {name}_x_hot {hot[0]}\n#define {name}_y_hot {hot[1]}\n"
    data = ", ".join(f"0x{b:02x}" for row in rows for b in (row & 0xFF, row >> 8))
    return head + f"static unsigned char {name}_bits[] = {{\n{data}}};\n"


def test_cursor_image_is_the_root_cursor(xvfb: Xvfb, tmp_path: Path) -> None:
    require("xsetroot")
    server = xvfb(640, 480)
    # A cursor with a known picture: the top-left 8x8 quarter foreground (black), the rest background (white),
    # the bottom row transparent (mask 0); hot spot (3, 5).
    shape = [0x00FF] * 8 + [0] * 8
    mask = [0xFFFF] * 15 + [0]
    (tmp_path / "c.xbm").write_text(_xbm("c", shape, hot=(3, 5)))
    (tmp_path / "m.xbm").write_text(_xbm("m", mask))
    subprocess.run(
        ["xsetroot", "-cursor", str(tmp_path / "c.xbm"), str(tmp_path / "m.xbm")],
        env=server.env,
        check=True,
        capture_output=True,
    )
    xinput.fake_motion(server.display, 300, 200)  # over the root window: its cursor shows

    pixels, xhot, yhot = xinput.cursor_image(server.display)

    assert pixels.shape == (16, 16, 4) and pixels.dtype == np.uint8
    assert (xhot, yhot) == (3, 5)
    want = np.zeros((16, 16, 4), np.uint8)  # B, G, R, A; transparent = all zero (premultiplied)
    want[:15] = (255, 255, 255, 255)
    want[:8, :8] = (0, 0, 0, 255)
    np.testing.assert_array_equal(pixels, want)


def test_damage_and_pixels_of_an_xterm(xvfb: Xvfb) -> None:
    require("xterm", "xwd", "xdotool")
    server = xvfb(640, 480)
    server.run_client(
        ["xterm", "-T", "lab-damage", "-geometry", "40x10+20+30", "+bc", "-e", "sh", "-c", "exec sleep infinity"]
    )
    wid = int(wait_mapped(server.display, "lab-damage"))
    with xinput.XDisplay(server.display) as d:
        width, height = xinput.window_size(d, wid)
        xinput.fake_motion(d, 20 + width // 2, 30 + height // 2)  # no window manager: focus follows the pointer
        with xinput.DamageWatch(d, wid) as watch:
            assert watch.wait_quiet(0.3, timeout=15)
            before = xinput.get_image(d, wid)
            assert before.shape == (height, width, 4)

            xinput.tap_key(d, xinput.keycode(d, "x"))  # the tty echoes it: xterm draws an x
            event, unchanged = xinput.wait_pixels_changed(watch, before, time.monotonic() + 15)
            assert event is not None, "typing into the xterm drew nothing"
            assert event.drawable == wid
            x, y, w, h = event.area
            assert 0 <= x < width and 0 <= y < height and w > 0 and h > 0

            # A damage object watches inferiors too: the root window sees the xterm's drawing.
            with xinput.DamageWatch(d, d.root) as root_watch:
                root_watch.drain()
                xinput.tap_key(d, xinput.keycode(d, "y"))
                assert root_watch.wait(15) is not None

            # With nothing happening, waiting times out with None.
            assert watch.wait_quiet(0.3, timeout=15)
            assert xinput.wait_damage(d, 0.2, watch.damage) is None

        # get_image is what the server shows: the root's pixels equal xwd's.
        root = xinput.get_image(d, d.root)
        np.testing.assert_array_equal(root[..., :3], xwd.capture(server.display)[..., :3])

        # The round trip, with a second connection watching the root as the "guest" screen (here the same one).
        codes = [xinput.keycode(d, c) for c in "abc"]
        with xinput.XDisplay(server.display) as g, xinput.DamageWatch(g, g.root) as screen:
            samples = xinput.key_roundtrip(d, wid, codes, timeout=15, gap=0.05, guest=screen)
        assert [s.keycode for s in samples] == codes
        assert all(s.seconds is not None and s.seconds > 0 for s in samples), samples
        assert all(s.guest_seconds is not None for s in samples), samples


def test_x_errors_raise_instead_of_exiting(xvfb: Xvfb) -> None:
    server = xvfb(320, 240)
    with xinput.XDisplay(server.display) as d:
        with pytest.raises(xinput.XInputError, match="XDamageCreate"):
            xinput.DamageWatch(d, 0x7FFFFFF)  # no such window: BadWindow/BadDrawable, recorded
        with pytest.raises(xinput.XInputError, match="XGetImage"):
            xinput.get_image(d, d.root, (300, 200, 100, 100))  # partly off screen: BadMatch
        xinput.fake_motion(d, 10, 10)  # the connection still works
        d.sync()
    with pytest.raises(xinput.XInputError, match="cannot open"):
        xinput.XDisplay(f":{ports.free_display()}")  # nobody serves it
