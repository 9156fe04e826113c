"""Issue 16 on QEMU: scripts that wait for pictures before the guest has an OS, and on a booting Linux.

The pictures a script waits for are cut from QEMU's own screendump of an earlier run driven by QMP (the truth,
not spiceview's rendering); then a fresh QEMU is driven by spiceview-do or the API alone.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from spiceview.canvas.png import write_png
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.qemu]

# An empty CD drive gives SeaBIOS's boot menu a second entry: picking it is seen as "Booting from DVD/CD...".
BIOS_ARGS = ["-boot", "menu=on,splash-time=20000", "-drive", "if=ide,index=2,media=cdrom"]


def spiceview_do(*argv: str, timeout: float = 180) -> subprocess.CompletedProcess:
    command = shutil.which("spiceview-do")
    prefix = [command] if command else [sys.executable, "-m", "spiceview.scripting.cli"]
    return subprocess.run([*prefix, *argv], capture_output=True, text=True, timeout=timeout)


def screendump(server) -> np.ndarray:  # noqa: ANN001
    from spiceview_lab.pixels import load_ppm

    assert server.tmpdir is not None
    path = server.tmpdir / "dump.ppm"
    server.qmp.screendump(path)
    return load_ppm(path)[..., :3]


def text_lines(picture: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) pixel rows of each line of light text on a dark screen (not the blinking cursor: a line
    of its own, a few pixels high)."""
    rows = np.flatnonzero((picture.max(axis=2) > 64).any(axis=1))
    lines, start = [], rows[0]
    for previous, row in zip(rows, [*rows[1:], -1], strict=True):
        if row != previous + 1:
            if previous - start >= 4:
                lines.append((int(start), int(previous)))
            start = row
    return lines


def cut_line(picture: np.ndarray, line: tuple[int, int], columns: int | None = None) -> np.ndarray:
    """A line cropped to its ink (or to its first `columns` pixels)."""
    band = picture[line[0] : line[1] + 1]
    cols = np.flatnonzero((band.max(axis=2) > 64).any(axis=0))
    end = cols[-1] + 1 if columns is None else columns
    return band[:, cols[0] : end].copy()


def send_keys(server, *keys: str) -> None:  # noqa: ANN001
    """QMP send-key, one key or a 'shift-4' chord at a time, at a typist's pace."""
    for key in keys:
        server.qmp.command("send-key", keys=[{"type": "qcode", "data": part} for part in key.split("-")])
        time.sleep(0.08)


def settle(server, seconds: float = 1.0, timeout: float = 30.0) -> np.ndarray:  # noqa: ANN001
    """QEMU's picture once the text stops changing (the blinking cursor aside: the text rows are compared)."""
    last, since, deadline = None, time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = screendump(server)
        lines = text_lines(now) if now.max() > 64 else []
        if last is None or lines != last[0]:
            last, since = (lines, now), time.monotonic()
        elif time.monotonic() - since >= seconds:
            return now
        time.sleep(0.1)
    raise AssertionError("QEMU's screen did not settle")


@pytest.fixture(scope="module")
def bios_pictures(tmp_path_factory) -> Path:  # noqa: ANN001
    """prompt.png ("Press ESC for boot menu."), menu.png ("Select boot device:") and dvd.png ("Booting from
    DVD/CD...", shown only once entry 2 was picked), from QEMU's own screendumps."""
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    folder = tmp_path_factory.mktemp("bios")
    with QemuServer(extra_args=BIOS_ARGS) as server:
        prompt = settle(server)
        send_keys(server, "esc")
        menu = settle(server)
        send_keys(server, "2")
        picked = settle(server, 0.5)
    write_png(cut_line(prompt, text_lines(prompt)[-1]), str(folder / "prompt.png"))
    write_png(cut_line(menu, text_lines(menu)[2]), str(folder / "menu.png"))
    write_png(cut_line(picked, text_lines(picked)[5]), str(folder / "dvd.png"))
    return folder


def test_spiceview_do_opens_the_seabios_boot_menu_and_picks_an_entry(bios_pictures: Path) -> None:
    from spiceview_lab.qemu import QemuServer

    pictures = bios_pictures
    with QemuServer(extra_args=BIOS_ARGS) as server:
        done = spiceview_do(
            "--timeout", "20", server.uri,
            "expect", str(pictures / "prompt.png"), "key", "esc",
            "expect", str(pictures / "menu.png"), "key", "2",
            "expect", str(pictures / "dvd.png"), "capture", str(pictures / "after.png"),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert any(line for line in text_lines(screendump(server)))  # QEMU still runs, its screen has text


def test_the_api_opens_the_boot_menu_too(bios_pictures: Path) -> None:
    import spiceview
    from spiceview_lab.qemu import QemuServer

    pictures = bios_pictures
    with QemuServer(extra_args=BIOS_ARGS) as server, spiceview.connect(server.uri, timeout=20) as vm:
        vm.wait_for_image(pictures / "prompt.png")
        vm.key("esc")
        x, y = vm.wait_for_image(pictures / "menu.png")
        assert x == 0 and 16 <= y <= 80  # the third line of the text screen
        vm.key("2")
        vm.wait_for_image(pictures / "dvd.png", region=(0, y, 720, 400 - y))
        truth = settle(server, 0.5)
        shown = vm.screenshot()
    rows = slice(0, text_lines(truth)[5][1] + 1)  # up to "Booting from DVD/CD...": the rest may still change
    assert np.array_equal(shown[rows], truth[rows])


@pytest.fixture(scope="module")
def shell_pictures(tmp_path_factory) -> Path:  # noqa: ANN001
    """prompt.png (busybox's "/ #") and output.png ("guest-42") from a first boot typed into by QMP."""
    require("qemu-system-x86_64", "busybox-static", "cpio", "modinfo")
    from spiceview_lab.linux_guest import LinuxGuest

    folder = tmp_path_factory.mktemp("shell")
    with LinuxGuest() as guest:
        guest.wait_for_shell(timeout=90)
        settle(guest)
        send_keys(guest, "c", "l", "e", "a", "r", "ret")
        settle(guest)
        keys = ["e", "c", "h", "o", "spc", "g", "u", "e", "s", "t", "minus", "shift-4", "shift-9", "shift-9"]
        send_keys(guest, *keys, "6", "shift-8", "7", "shift-0", "shift-0", "ret")
        shown = settle(guest)
    lines = text_lines(shown)
    write_png(cut_line(shown, lines[0], columns=24), str(folder / "prompt.png"))  # "/ #": 3 cells of 8 pixels
    write_png(cut_line(shown, lines[1]), str(folder / "output.png"))
    return folder


def test_spiceview_do_waits_for_a_linux_shell_types_and_sees_the_output(shell_pictures: Path) -> None:
    from spiceview_lab.linux_guest import LinuxGuest

    pictures = shell_pictures
    with LinuxGuest() as guest:
        done = spiceview_do(
            "--timeout", "90", server_uri := guest.uri,
            "expect", str(pictures / "prompt.png"),
            "type", "echo guest-$((6*7))", "key", "enter",
            "expect", str(pictures / "output.png"),
        )  # fmt: skip
        assert done.returncode == 0, f"{server_uri}: {done.stderr}"
