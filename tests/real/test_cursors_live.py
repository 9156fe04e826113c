"""Cursor shapes from a real Xspice, decoded, equal to what XFixes says the X server shows."""

from __future__ import annotations

import numpy as np
import pytest

from spiceview.canvas.cursors import CursorCache
from spiceview.protocol.constants import CursorFlags


def _live_requirements() -> None:
    from spiceview_lab.requirements import require

    require("xsetroot", "xdotool")
    from cursor_capture import cursor_theme_available

    if not cursor_theme_available():
        pytest.skip("the Adwaita cursor theme (adwaita-icon-theme) is not installed")


@pytest.mark.xspice
def test_live_xspice_cursors_match_xfixes(xspice) -> None:
    _live_requirements()
    from cursor_capture import CursorTap, set_root_cursor, xfixes_cursor

    server = xspice()
    with CursorTap(server.port) as tap:
        init = tap.messages[0].message
        assert tap.messages[0].name == "init" and init.cursor.flags & CursorFlags.NONE
        server.run(["xdotool", "mousemove", "100", "100"])
        cache = CursorCache()
        for name, size in [
            ("left_ptr", 24),
            ("watch", 24),
            ("xterm", 32),
            ("hand2", 48),
            ("left_ptr", 64),
            ("hand2", 96),
        ]:
            start = len(tap.messages)
            set_root_cursor(server, name, size=size)
            tap.pump_quiet(0.3)
            sets = tap.shapes_since(start)
            assert sets, f"{name}@{size}: no SET"
            shape = cache.resolve(sets[-1].message.cursor)
            x = xfixes_cursor(server.display)
            assert shape is not None and x.name == name
            assert (shape.width, shape.height, shape.hot_x, shape.hot_y) == (x.width, x.height, x.xhot, x.yhot)
            assert np.array_equal(shape.argb, x.bgra), f"{name}@{size} differs from XFixes"


@pytest.mark.xspice
def test_live_xspice_animated_cursor_frames_match_xfixes(xspice) -> None:
    # An animated X cursor: the X server switches frames itself and Xspice sends a SET for every frame.
    _live_requirements()
    from cursor_capture import CursorTap, set_root_cursor, xfixes_cursor

    server = xspice()
    with CursorTap(server.port) as tap:
        server.run(["xdotool", "mousemove", "200", "150"])
        start = len(tap.messages)
        set_root_cursor(server, "watch", size=24, animate=True)
        samples = []
        for _ in range(12):
            tap.pump(0.07)
            samples.append(xfixes_cursor(server.display).bgra)
        tap.pump(0.3)
        cache = CursorCache()
        frames = {}
        for m in tap.shapes_since(start):
            shape = cache.resolve(m.message.cursor)
            assert shape is not None
            frames[shape.argb.tobytes()] = shape
        assert len(frames) > 5, "the watch did not animate"
        for i, sample in enumerate(samples):
            assert sample.tobytes() in frames, f"XFixes sample {i} matches no decoded SET frame"
