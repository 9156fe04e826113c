"""The desktop files spiceview installs: valid by the desktop's own validators, complete, installed per user or
system-wide (a prefix here), the menu entry starting the spiceview that installed it, and the default handler."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from spiceview import desktop

DATA = Path(desktop.__file__).parent / "data"


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli (package appstream) is missing")
def test_appstream_metadata_validates() -> None:
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", "--pedantic", str(DATA / desktop.METAINFO)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation was successful" in done.stdout and "pedantic" not in done.stdout


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils is missing")
def test_the_desktop_entry_validates() -> None:
    done = subprocess.run(["desktop-file-validate", str(DATA / desktop.DESKTOP_ID)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_icons_at_every_size(qt_application) -> None:  # noqa: ANN001
    for size in desktop.ICON_SIZES:
        image = QImage(str(DATA / "icons" / f"{size}x{size}.png"))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel() and image.pixelColor(0, 0).alpha() == 0  # round corners: transparent


def test_install_and_remove_under_a_prefix(tmp_path: Path) -> None:
    share = desktop.install(prefix=tmp_path)
    assert share == tmp_path / "share"
    installed = {path.relative_to(share).as_posix() for path in share.rglob("*") if path.is_file()}
    expected = {path.relative_to(share).as_posix() for path in desktop.targets(share).values()}
    assert expected <= installed
    assert "metainfo/org.spiceview.spiceview.metainfo.xml" in installed
    assert "icons/hicolor/48x48/apps/spiceview.png" in installed
    if shutil.which("update-mime-database"):
        assert "application/x-virt-viewer:*.vv" in (share / "mime" / "globs2").read_text()
    if shutil.which("update-desktop-database"):
        cache = (share / "applications" / "mimeinfo.cache").read_text()
        assert "x-scheme-handler/spice=spiceview.desktop;" in cache
    desktop.remove(prefix=tmp_path)
    assert not any(path.exists() for path in desktop.targets(share).values())


def test_a_bundle_installs_a_menu_entry_that_runs_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/spice view/spiceview")
    entry = desktop.desktop_entry(desktop.launcher())
    assert 'Exec="/opt/spice view/spiceview" %u' in entry.splitlines()
    assert "TryExec=/opt/spice view/spiceview" in entry.splitlines()


def test_the_default_handler_goes_into_mimeapps_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "mimeapps.list").write_text(
        "[Added Associations]\ntext/plain=gedit.desktop;\n\n[Default Applications]\n"
        "x-scheme-handler/spice=remote-viewer.desktop\ntext/html=firefox.desktop\n"
    )
    desktop.set_default_handler()
    desktop.set_default_handler()  # twice: the same file
    text = (tmp_path / "mimeapps.list").read_text()
    assert text.count("x-scheme-handler/spice=spiceview.desktop") == 1
    assert "remote-viewer.desktop" not in text and "text/html=firefox.desktop" in text
    assert "text/plain=gedit.desktop;" in text and "application/x-virt-viewer=spiceview.desktop" in text


def test_the_command_line_installs_and_removes(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}
    import os

    env = {**os.environ, **env}
    done = subprocess.run(
        [sys.executable, "-m", "spiceview", "--install-desktop", "user", "--default-handler"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "applications" / "spiceview.desktop").is_file()
    assert "spiceview.desktop" in (tmp_path / "config" / "mimeapps.list").read_text()
    done = subprocess.run(
        [sys.executable, "-m", "spiceview", "--uninstall-desktop", "user"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0 and not (tmp_path / "data" / "applications" / "spiceview.desktop").exists()
