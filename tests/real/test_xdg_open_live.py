"""Issue 17: after `spiceview --install-desktop user --default-handler`, `xdg-open console.vv` and
`xdg-open spice://...` start spiceview (xdg-utils in its generic mode, under Xvfb), and it shows the guest."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spiceview_lab.requirements import require

pytestmark = [pytest.mark.xspice, pytest.mark.xvfb]


def windows_named(display: str, name: str) -> list[str]:
    done = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", name],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=10,
    )
    return done.stdout.split()


@pytest.fixture
def desktop_home(tmp_path: Path) -> dict[str, str]:
    """A user with spiceview installed as the default handler (its own XDG folders), environment for xdg-open."""
    require("xdg-open", "xdg-mime", "mimetype", "update-mime-database", "xdotool")
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "QT_QPA_PLATFORM": "xcb",
    }
    for key in ("XDG_CURRENT_DESKTOP", "DESKTOP_SESSION", "KDE_FULL_SESSION", "GNOME_DESKTOP_SESSION_ID"):
        env.pop(key, None)  # xdg-open's generic mode: what a plain X session has
    done = subprocess.run(
        [sys.executable, "-m", "spiceview", "--install-desktop", "user", "--default-handler"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return env


def open_and_find_window(env: dict[str, str], display: str, what: str, title: str) -> None:
    opener = subprocess.Popen(
        ["xdg-open", what],
        env={**env, "DISPLAY": display},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not windows_named(display, title):
            if opener.poll() not in (None, 0) or time.monotonic() > deadline:
                out = opener.stdout.read().decode(errors="replace") if opener.stdout and opener.poll() else ""
                raise AssertionError(f"no window {title!r} after xdg-open {what}: {out[-1500:]}")
            time.sleep(0.3)
    finally:
        with_group = opener.pid
        try:
            os.killpg(with_group, signal.SIGTERM)
        except ProcessLookupError:
            pass
        opener.wait(10)


def test_xdg_open_a_vv_file_starts_spiceview(xspice, desktop_home: dict[str, str], tmp_path: Path) -> None:
    from spiceview_lab.xvfb import XvfbServer

    server = xspice()
    vv = tmp_path / "console.vv"
    vv.write_text(f"[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport={server.port}\ntitle=opened-by-xdg\n")
    query = subprocess.run(
        ["xdg-mime", "query", "filetype", str(vv)], env=desktop_home, capture_output=True, text=True, timeout=30
    )
    assert query.stdout.strip() == "application/x-virt-viewer"
    with XvfbServer(1280, 1024) as xvfb:
        open_and_find_window(desktop_home, xvfb.display, str(vv), "opened-by-xdg")


def test_xdg_open_a_spice_link_starts_spiceview(xspice, desktop_home: dict[str, str]) -> None:
    from spiceview_lab.xvfb import XvfbServer

    server = xspice()
    query = subprocess.run(
        ["xdg-mime", "query", "default", "x-scheme-handler/spice"],
        env=desktop_home,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert query.stdout.strip() == "spiceview.desktop"
    assert shutil.which("spiceview", path=desktop_home["PATH"])
    with XvfbServer(1280, 1024) as xvfb:
        # The window's title names the guest (Xspice calls itself after its display): spiceview, not another viewer.
        open_and_find_window(desktop_home, xvfb.display, server.uri, "spiceview")
