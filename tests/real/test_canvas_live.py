"""Issue 4: X drawing and Render paths on a real Xspice, drawn while spiceview is connected.

Each scene runs X clients (x11perf tests stopped mid-run with SIGSTOP so their last frame stays, xlogo -render,
xeyes, xclock -render, an xterm with Xft text); spiceview's screenshot must equal xwd -root pixel for pixel.
The test records which QXL commands the scene produced (artifacts: commands.json). With Xspice these are
FILL, COPY, COPY_BITS and surface create/destroy: its driver never uses COMPOSITE or A8 surfaces (a FIXME in
xf86-video-qxl's spiceqxl build) and renders Render, lines, arcs and text in software. The commands only a
Windows or KMS guest sends are covered by tests/canvas/test_canvas_commands.py and friends.
Video streaming is off here: streams are another feature; these scenes are about the canvas.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from spiceview_lab.live_capture import capture_live
from spiceview_lab.scenes import hide_cursor, show_text
from spiceview_lab.viewer import assert_same_picture

pytestmark = pytest.mark.xspice

X11PERF = ["-seg100", "-circle100", "-fcircle100", "-rect100", "-tilerect100", "-ftext", "-copywinwin100",
           "-trap100", "-oddtilerect100", "-ellipse100", "-wline10", "-fspcircle100"]  # fmt: skip
CLIENTS = {
    "xlogo-render": [["xlogo", "-render", "-geometry", "300x300+20+20"]],
    "xeyes": [["xeyes", "-geometry", "300x200+350+20"]],
    "xclock-render": [["xclock", "-render", "-update", "3600", "-geometry", "250x250+20+350"]],
}


def wait_for_line(log: Path, text: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {log}")


def run_scene(xspice, artifacts: Path, draw) -> dict:
    server = xspice(image_compression="off", streaming_video="off")

    def scene() -> None:
        hide_cursor(server.display)
        draw(server)

    capture = capture_live(server, artifacts, scene)
    commands = {
        k: v
        for k, v in capture.stats["channels"]["display-0"].items()
        if k.startswith(("draw_", "copy_bits", "surface_"))
    }
    (artifacts / "commands.json").write_text(json.dumps(commands, indent=1))
    assert capture.stats["draw_errors"] == 0
    assert_same_picture(capture.got, capture.truth, artifacts)
    return commands


@pytest.mark.parametrize("test", X11PERF)
def test_x11perf_frame(test: str, xspice, artifacts_dir: Path) -> None:
    def draw(server) -> None:
        log = artifacts_dir / "x11perf.log"
        # stdbuf: x11perf writes to a file, which would otherwise hold its lines until it exits.
        proc = server.run_client(["stdbuf", "-oL", "x11perf", "-repeat", "1", "-time", "30", test], log=log)
        # x11perf measures its round-trip time first and prints it; the test's drawing starts right after.
        wait_for_line(log, "Sync time adjustment")
        time.sleep(1.0)
        os.kill(proc.pid, signal.SIGSTOP)  # keep its last frame on screen; the server finishes what it got

    commands = run_scene(xspice, artifacts_dir, draw)
    assert sum(commands.values()) > 50, f"{test} produced almost no drawing: {commands}"


@pytest.mark.parametrize("scene", list(CLIENTS))
def test_x_clients(scene: str, xspice, artifacts_dir: Path) -> None:
    def draw(server) -> None:
        for argv in CLIENTS[scene]:
            server.run_client(argv)
        time.sleep(1.5)

    commands = run_scene(xspice, artifacts_dir, draw)
    assert commands.get("draw_copy", 0) + commands.get("draw_fill", 0) > 0


def test_xterm_xft_text(xspice, artifacts_dir: Path) -> None:
    text = "".join(f"{i:3d} The quick brown fox jumps over the lazy dog. ÄÖÜ äöü ß € {{}}[]\n" for i in range(30))
    commands = run_scene(xspice, artifacts_dir, lambda server: show_text(server, text, 10, 10, cols=90, rows=32))
    assert commands.get("draw_copy", 0) > 0
