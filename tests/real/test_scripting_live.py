"""Issue 16: scripts drive real servers through spiceview-do and the Python API.

Xspice: a script types a shell command into an xterm and waits for its output (a picture of that output captured
earlier by spiceview-do itself), then clicks xmessage's button and sees the effect (the answer xmessage printed, the
shell's next line), and captures the screen, which equals the X server's own (xwd) pixel for pixel.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from spiceview.canvas.png import read_png, write_png
from spiceview_lab.scenes import FONT, hide_cursor, wait_mapped

pytestmark = [pytest.mark.xspice]

PROMPT = "$ "
# Each output line is made by the shell ($((...))), so the command line typed never shows the same text.
OUTPUT = "spice-$((6*7))"
DONE = "clicked-$((1+1))"
XMESSAGE_AT = (400, 300)


def spiceview_do(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    command = shutil.which("spiceview-do")
    prefix = [command] if command else [sys.executable, "-m", "spiceview.scripting.cli"]
    return subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=timeout)


def start_xterm(server, title: str = "script-xterm") -> subprocess.Popen:  # noqa: ANN001
    proc = server.run_client(
        ["xterm", "-fa", FONT, "-fs", "14", "-geometry", "70x12+0+0", "-T", title, "-bw", "0"]
        + ["-xrm", "XTerm*pointerMode: 0", "-e", "env", f"PS1={PROMPT}", "sh"]
    )
    wait_mapped(server.display, title)
    time.sleep(0.5)  # the shell's first prompt
    return proc


def ink_lines(picture: np.ndarray, width: int) -> list[np.ndarray]:
    """The text lines in the top-left `width` columns of an xterm picture, each cropped to its ink."""
    area = picture[:, :width]
    background = area[0, -1]  # the xterm's own background, right of the text
    ink = np.any(area != background, axis=2)
    rows = np.flatnonzero(ink.any(axis=1))
    lines, start = [], rows[0]
    for previous, row in zip(rows, [*rows[1:], -1], strict=True):
        if row != previous + 1:
            band = ink[start : previous + 1]
            cols = np.flatnonzero(band.any(axis=0))
            lines.append(area[start : previous + 1, cols[0] : cols[-1] + 1].copy())
            start = row
    return lines


def xmessage_button(server) -> tuple[int, int]:  # noqa: ANN001
    """The centre of xmessage's button: the lowest window of xmessage's tree (X toolkit widgets are windows)."""
    tree = server.run(["xwininfo", "-root", "-tree"]).stdout
    boxes = [tuple(map(int, m.groups())) for m in re.finditer(r"(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)", tree)]
    w, h, x, y = max((b for b in boxes if b[2] >= XMESSAGE_AT[0] and b[3] >= XMESSAGE_AT[1]), key=lambda b: b[3])
    return x + w // 2, y + h // 2


@pytest.fixture
def templates(xspice, tmp_path: Path):  # noqa: ANN001, ANN201
    """(server, folder): an Xspice with a fresh xterm, and the pictures a script expects, captured by spiceview-do
    from a first run (the output lines, and xmessage's window as it first appears)."""
    server = xspice(size=(1024, 768))
    hide_cursor(server.display)  # Xspice draws the pointer into its picture, xwd leaves it out: none over the root
    xterm = start_xterm(server)
    first = tmp_path / "first.png"
    done = spiceview_do(
        server.uri, "move", "200", "100", "type", f"clear; echo {OUTPUT}; echo {DONE}", "key", "enter",
        "stable", "1", "capture", str(first),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    output, clicked = ink_lines(read_png(str(first)), 400)[:2]
    write_png(output, str(tmp_path / "output.png"))
    write_png(clicked, str(tmp_path / "clicked.png"))
    note = server.run_client(["xmessage", "-geometry", "+{}+{}".format(*XMESSAGE_AT), "-buttons", "Ok2", "hello"])
    wait_mapped(server.display, "xmessage")
    time.sleep(0.5)
    width, height = 70, 68  # xmessage's size with this text and button (xwininfo says so; checked below)
    done = spiceview_do(server.uri, "stable", "0.5", "rcapture", str(tmp_path / "xmessage.png"),
                        *map(str, XMESSAGE_AT), str(width), str(height))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{width}x{height}+" in server.run(["xwininfo", "-name", "xmessage"]).stdout
    button = xmessage_button(server)
    note.kill()
    xterm.kill()
    note.wait(5)
    xterm.wait(5)
    start_xterm(server)  # a fresh screen: none of the expected pictures is on it
    return server, tmp_path, button


def test_spiceview_do_types_waits_clicks_and_captures(templates) -> None:  # noqa: ANN001
    server, folder, (bx, by) = templates
    answer, result = folder / "answer.txt", folder / "result.png"
    script = folder / "script.vdo"
    script.write_text(
        f"""# type a command, wait for its output
move 200 100
type 'echo {OUTPUT}'
key enter
expect {folder / "output.png"}
# start an X program with a button, wait for it, click the button
type 'xmessage -geometry +{XMESSAGE_AT[0]}+{XMESSAGE_AT[1]} -buttons Ok2 -print hello > {answer}; echo {DONE}'
key enter
rexpect {folder / "xmessage.png"} {XMESSAGE_AT[0]} {XMESSAGE_AT[1]}
move {bx} {by}
click 1
expect {folder / "clicked.png"}
stable 0.5
capture {result}
"""
    )
    done = spiceview_do("--timeout", "20", server.uri, str(script))
    assert done.returncode == 0, done.stderr
    assert answer.read_text() == "Ok2\n"  # xmessage printed the label of the button clicked
    truth = server.screenshot()[..., 2::-1]  # xwd: B, G, R, X
    assert np.array_equal(read_png(str(result)), truth)


def test_spiceview_do_names_the_verb_that_timed_out(templates) -> None:  # noqa: ANN001
    server, folder, _button = templates
    done = spiceview_do("--timeout", "2", server.uri, "expect", str(folder / "clicked.png"), "capture", "never.png")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"spiceview-do: verb 1 `expect {folder / 'clicked.png'}` failed: timed out after 2 s waiting for "
        f"{folder / 'clicked.png'} on the screen"
    )
    assert not Path("never.png").exists()


def test_the_api_does_the_same(templates) -> None:  # noqa: ANN001
    import spiceview

    server, folder, (bx, by) = templates
    answer = folder / "answer-api.txt"
    with spiceview.connect(server.uri, timeout=20) as vm:
        vm.move(200, 100)
        vm.type(f"echo {OUTPUT}\n")
        x, y = vm.wait_for_image(folder / "output.png")
        assert x < 20 and 0 < y < 200  # first column of the xterm, below the command line
        vm.type(f"xmessage -geometry +{XMESSAGE_AT[0]}+{XMESSAGE_AT[1]} -buttons Ok2 -print hello > {answer}; ")
        vm.type(f"echo {DONE}\n")
        vm.wait_for_image_at(read_png(str(folder / "xmessage.png")), *XMESSAGE_AT)
        before = vm.screenshot(region=(*XMESSAGE_AT, 70, 68))
        vm.click(bx, by)
        vm.wait_for_change(region=(*XMESSAGE_AT, 70, 68))
        assert not np.array_equal(vm.screenshot(region=(*XMESSAGE_AT, 70, 68)), before)
        vm.wait_for_image(folder / "clicked.png")
        vm.wait_until_stable(0.5)
        shot = vm.screenshot()
        stats = vm.statistics()
    assert answer.read_text() == "Ok2\n"
    assert np.array_equal(shot, server.screenshot()[..., 2::-1])
    assert sum(c["bytes_in"] for name, c in stats["channels"].items() if name.startswith("display")) > 0


XEV_EVENT = re.compile(
    r"^(KeyPress|KeyRelease|ButtonPress|ButtonRelease|MotionNotify) event.*?root:\((-?\d+),(-?\d+)\),\s*"
    r"state (0x[0-9a-f]+), (?:keycode \d+ \(keysym 0x[0-9a-f]+, (\w+)\)|button (\d+)|is_hint)",
    re.S | re.M,
)


def xev_events(text: str) -> list[tuple[str, str, int, int, int]]:
    """(event, key name or button, root x, root y, state) for each input event xev logged."""
    events = []
    for block in text.split("\n\n"):
        m = XEV_EVENT.search(block)
        if m:
            kind, x, y, state, key, button = m.groups()
            events.append((kind, key or button or "", int(x), int(y), int(state, 16)))
    return events


def test_every_input_verb_reaches_the_guest(xspice, tmp_path: Path) -> None:  # noqa: ANN001
    """key, press/release, type, move, click, double_click, drag, scroll: xev in the guest says what X got."""
    import spiceview

    server = xspice(size=(1024, 768))
    hide_cursor(server.display)
    log = tmp_path / "xev.log"
    with log.open("w") as out:
        xev = subprocess.Popen(
            ["xev", "-geometry", "400x300+300+200", "-name", "xev-target", "-event", "keyboard", "-event", "mouse"],
            env=server.env,
            stdout=out,
        )
    try:
        wait_mapped(server.display, "xev-target")
        with spiceview.connect(server.uri, timeout=20) as vm:
            vm.move(500, 350)
            vm.key("ctrl-a")
            vm.press("shift")
            vm.type("b")
            vm.release("shift")
            vm.click(420, 260)
            vm.double_click(510, 360, button=3)
            vm.drag(450, 300, to=(600, 400))
            vm.scroll(-2)
            vm.scroll(1, 520, 380)
            time.sleep(1.0)  # xev writes as the events come
    finally:
        xev.kill()
        xev.wait(5)
    events = xev_events(log.read_text())
    keys = [(kind, name, state) for kind, name, _x, _y, state in events if kind.startswith("Key")]
    assert keys == [
        ("KeyPress", "Control_L", 0),
        ("KeyPress", "a", 0x4),
        ("KeyRelease", "a", 0x4),
        ("KeyRelease", "Control_L", 0x4),
        ("KeyPress", "Shift_L", 0),
        ("KeyPress", "B", 0x1),  # held Shift: a capital
        ("KeyRelease", "B", 0x1),
        ("KeyRelease", "Shift_L", 0x1),
    ]
    buttons = [(kind, name, x, y) for kind, name, x, y, _state in events if kind.startswith("Button")]
    assert buttons == [
        ("ButtonPress", "1", 420, 260),
        ("ButtonRelease", "1", 420, 260),
        *[("ButtonPress", "3", 510, 360), ("ButtonRelease", "3", 510, 360)] * 2,
        ("ButtonPress", "1", 450, 300),
        ("ButtonRelease", "1", 600, 400),
        *[("ButtonPress", "5", 600, 400), ("ButtonRelease", "5", 600, 400)] * 2,
        ("ButtonPress", "4", 520, 380),
        ("ButtonRelease", "4", 520, 380),
    ]
    # Between the drag's press and release the pointer moved with the button held, through the middle.
    press = events.index(next(e for e in events if e[0] == "ButtonPress" and e[2:4] == (450, 300)))
    dragged = [e for e in events[press:] if e[0] == "MotionNotify"][:10]
    assert len(dragged) >= 5 and all(e[4] & 0x100 for e in dragged)
    assert any(500 < e[2] < 560 and 320 < e[3] < 380 for e in dragged)


def test_clipboard_and_files_through_the_guest_agent(xspice, tmp_path: Path) -> None:  # noqa: ANN001
    """clipboard-set (the guest pastes it), clipboard-get (what the guest copied) and send-file, by spiceview-do."""
    from spiceview_lab.requirements import require

    require("spice-vdagent", "spice-vdagentd", "xclip")
    server = xspice(vdagent=True)
    command = shutil.which("spiceview-do")
    prefix = [command] if command else [sys.executable, "-m", "spiceview.scripting.cli"]
    offering = subprocess.Popen(
        [*prefix, "--timeout", "20", server.uri, "clipboard-set", "from spiceview-do", "pause", "8"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pasted = ""
        deadline = time.monotonic() + 15
        while pasted != "from spiceview-do" and time.monotonic() < deadline:
            time.sleep(0.3)
            got = subprocess.run(
                ["xclip", "-o", "-selection", "clipboard"], env=server.env, capture_output=True, text=True, timeout=10
            )
            pasted = got.stdout
        assert pasted == "from spiceview-do"
    finally:
        offering.kill()
        offering.wait(10)
    start_xterm(server)
    payload = tmp_path / "payload.bin"
    payload.write_bytes(bytes(range(256)) * 100)
    # The guest copies during the session (its agent announces what it copied then), typed into its xterm.
    copy = "printf 'copied in the guest' | xclip -selection clipboard"
    done = spiceview_do(
        "--timeout", "20", server.uri, "move", "200", "100", "type", copy, "key", "enter",
        "clipboard-get", "send-file", str(payload),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "copied in the guest\n"
    assert server.transfer_dir is not None
    assert (server.transfer_dir / "payload.bin").read_bytes() == payload.read_bytes()
