"""A real Linux guest (spiceview_lab/linux_guest.py: Debian's kernel, a busybox initramfs, the guest's own qxl
driver): text typed through spiceview's window runs in the guest's shell (its output comes back on the serial
line), and QEMU restarted under the window (same port) is shown again in the same window, where typing works again.
"""

from __future__ import annotations

import time

import pytest

from spiceview.session.reconnect import Phase
from spiceview.ui.app import SessionRunner
from spiceview.ui.main_window import MainWindow
from spiceview_lab.qt_wait import pump
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.qemu]

SHIFTED = set('~!@#$%^&*()_+{}|:"<>?')


def type_text(qt_application, window: MainWindow, text: str) -> None:  # noqa: ANN001
    """Each character as the US keys that type it, through the window's input handler (as a key press would), at
    a typist's pace: QEMU's emulated PS/2 controller keeps only a few keys, and a burst loses all but the first."""
    names = {" ": "space", "\n": "return"}
    for ch in text:
        keys = [names.get(ch, ch.lower())]
        if ch in SHIFTED or ch.isupper():
            keys.insert(0, "shift")
        window.screen_widget.input.send_keys(keys)
        end = time.monotonic() + 0.04
        while time.monotonic() < end:
            qt_application.processEvents()
            time.sleep(0.005)


def run_in_guest(qt_application, window: MainWindow, guest, command: str, expect: str) -> None:  # noqa: ANN001
    """Type `command` and wait for `expect` on the serial line. Typed twice at most: under a loaded machine the
    guest's emulated keyboard controller can drop a key (a mangled first line fails in the shell, harmlessly)."""
    for attempt in range(2):
        type_text(qt_application, window, command + "\n")
        try:
            pump(qt_application, lambda: expect in guest.serial_text(), 20, f"{command!r} to run in the guest")
            return
        except AssertionError:
            if attempt:
                raise


def shows_guest(runner: SessionRunner) -> MainWindow | None:
    """The window showing the guest's 1024x768 console, once keys can reach the guest (inputs linked)."""
    viewer = runner.viewer
    assert viewer is not None
    if viewer.inputs is None or not viewer.inputs.is_linked:
        return None
    for key, monitor in viewer.monitors.items():
        if monitor.area.width() == 1024 and not viewer.windows[key].lost_overlay.isVisible():
            return viewer.windows[key]
    return None


def start_linux(port: int | None = None):  # noqa: ANN201
    from spiceview_lab.linux_guest import LinuxGuest

    guest = LinuxGuest(port=port).start()
    guest.wait_for_shell(timeout=90)
    time.sleep(1.0)  # the shell's prompt
    return guest


def test_typing_reaches_a_linux_shell_and_a_restarted_qemu_comes_back(qt_application, runner_for) -> None:  # noqa: ANN001
    require("qemu-system-x86_64", "busybox-static", "cpio", "modinfo")
    guest = start_linux()
    again = None
    try:
        runner = runner_for(guest.uri)
        window = pump(qt_application, lambda: shows_guest(runner), 60, "the guest's 1024x768 console")
        assert isinstance(window, MainWindow)
        run_in_guest(qt_application, window, guest, "echo guest-$((6*7)) > /dev/ttyS0", "guest-42")

        port = guest.port
        guest.stop()
        pump(qt_application, lambda: window.lost_overlay.isVisible(), 10, "the lost session to be shown")
        again = start_linux(port=port)
        back = pump(qt_application, lambda: shows_guest(runner), 60, "the restarted guest in the window")
        assert back is window and runner.plan.phase is Phase.CONNECTED
        assert runner.viewer is not None and runner.viewer.all_windows() == [window]
        run_in_guest(qt_application, window, again, "echo back-$((6*9)) > /dev/ttyS0", "back-54")
    finally:
        guest.stop()
        if again is not None:
            again.stop()
