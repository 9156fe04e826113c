"""Connect dialog, recent connections, preferences and the desktop integration files (offscreen Qt)."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from spiceview.session.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "spiceview" / "data"
GUEST = "6F1B3A52-8C1E-4D7A-9F39-2B8E1C0D4A17"


@pytest.fixture(scope="module")
def qapp():
    from PySide6.QtWidgets import QApplication

    # The platform goes in argv, not the environment, so servers and viewers other tests start keep theirs.
    return QApplication.instance() or QApplication(["test", "-platform", "offscreen"])


@pytest.fixture
def recent(tmp_path: Path):
    from spiceview.ui.recent import RecentConnections

    return RecentConnections(tmp_path / "settings.ini")


@pytest.fixture
def dialog(qapp, recent) -> Iterator[object]:
    from spiceview.ui.connect_dialog import ConnectDialog

    dlg = ConnectDialog(recent=recent)
    dlg.show()
    yield dlg
    dlg.close()
    dlg.deleteLater()


def write_vv(path: Path, *extra: str) -> Path:
    path.write_text("\n".join(["[virt-viewer]", "type=spice", "host=10.1.2.3", "port=5900", *extra]) + "\n")
    return path


def type_into(edit, text: str) -> None:
    from PySide6.QtTest import QTest

    edit.setFocus()
    edit.selectAll()
    if text:
        QTest.keyClicks(edit, text)
    else:
        QTest.keyClick(edit, "\b")  # Backspace over the selection: edited by the user, so signals fire


def press_enter(widget) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyClick(widget, Qt.Key.Key_Return)


def error_text(dlg) -> str:
    return dlg.error_label.text() if dlg.error_label.isVisibleTo(dlg) else ""


# --- connect dialog -------------------------------------------------------------------------------------


def test_fields_give_params_and_uri_follows(dialog, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    type_into(dialog.host_edit, "vm.example.org")
    type_into(dialog.port_edit, "5900")
    assert dialog.uri_edit.text() == "spice://vm.example.org:5900"
    assert not dialog.tls_port_edit.isEnabled() and not dialog.ca_edit.isEnabled()
    dialog.tls_check.setChecked(True)
    assert dialog.tls_port_edit.isEnabled() and dialog.ca_edit.isEnabled()
    type_into(dialog.tls_port_edit, "5901")
    type_into(dialog.ca_edit, str(ca))
    type_into(dialog.password_edit, "s3cret")
    assert dialog.uri_edit.text() == "spice://vm.example.org:5900?tls-port=5901"
    assert dialog.password_edit.echoMode() == dialog.password_edit.EchoMode.Password
    press_enter(dialog.password_edit)
    params = dialog.result_params
    assert params is not None and not dialog.isVisible()
    assert (params.host, params.port, params.tls_port) == ("vm.example.org", 5900, 5901)
    assert params.password == "s3cret" and params.ca_file == str(ca)


def test_unchecking_tls_drops_the_tls_port(dialog) -> None:
    dialog.tls_check.setChecked(True)
    type_into(dialog.host_edit, "h")
    type_into(dialog.tls_port_edit, "5901")
    assert dialog.uri_edit.text() == "spice://h?tls-port=5901"
    dialog.tls_check.setChecked(False)
    assert dialog.uri_edit.text() == "spice://h"
    type_into(dialog.port_edit, "5900")
    dialog.connect_button.click()
    assert dialog.result_params.tls_port is None and dialog.result_params.port == 5900


def test_ipv6_host_is_bracketed_in_the_uri(dialog) -> None:
    type_into(dialog.host_edit, "fe80::1%eth0")
    type_into(dialog.port_edit, "5930")
    assert dialog.uri_edit.text() == "spice://[fe80::1%25eth0]:5930"
    dialog.connect_button.click()
    assert dialog.result_params.host == "fe80::1%eth0"


def test_uri_field_fills_the_fields(dialog) -> None:
    type_into(dialog.uri_edit, "spice://[::1]:5930?tls-port=5931&password=pw")
    assert dialog.host_edit.text() == "::1"
    assert dialog.port_edit.text() == "5930"
    assert dialog.tls_check.isChecked() and dialog.tls_port_edit.text() == "5931"
    assert dialog.password_edit.text() == "pw"
    press_enter(dialog.uri_edit)
    params = dialog.result_params
    assert (params.host, params.port, params.tls_port, params.password) == ("::1", 5930, 5931, "pw")


def test_spice_tls_uri_makes_every_channel_secure(dialog) -> None:
    type_into(dialog.uri_edit, "spice+tls://secure.example:5901")
    assert dialog.port_edit.text() == "" and dialog.tls_port_edit.text() == "5901"
    dialog.connect_button.click()
    assert dialog.result_params.secure_channels == ["all"] and dialog.result_params.tls_port == 5901


def test_unix_socket_uri_disables_the_address_fields(dialog) -> None:
    type_into(dialog.uri_edit, "spice+unix:///run/vm%20one.sock")
    assert not dialog.host_edit.isEnabled() and not dialog.port_edit.isEnabled()
    dialog.connect_button.click()
    assert dialog.result_params.unix_path == "/run/vm one.sock"


def test_clearing_the_uri_clears_the_fields(dialog) -> None:
    type_into(dialog.uri_edit, "spice://h:5900?tls-port=5901")
    type_into(dialog.uri_edit, "")
    assert (dialog.host_edit.text(), dialog.port_edit.text(), dialog.tls_check.isChecked()) == ("", "", False)


def test_uri_pasted_into_the_host_field_moves_to_the_uri_field(qapp, dialog) -> None:
    qapp.clipboard().setText("spice://pasted:5905")
    dialog.host_edit.paste()
    assert dialog.uri_edit.text() == "spice://pasted:5905"
    assert (dialog.host_edit.text(), dialog.port_edit.text()) == ("pasted", "5905")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"host": "h", "port": "59x"}, "Port '59x' is not a number (expected a port number 1-65535)"),
        ({"host": "h", "port": "70000"}, "Port 70000 is out of range"),
        ({"host": "my host", "port": "5900"}, "contains a space"),
        ({"host": "", "port": "5900"}, "No host given"),
        ({"host": "h", "port": ""}, "No port given"),
        ({"host": "h", "port": "5900", "tls": ""}, "Use TLS is on, but no TLS port is given"),
        ({"host": "h", "tls": "0"}, "TLS port 0 is out of range"),
        ({"host": "h", "tls": "5901", "ca": "/nonexistent/ca.pem"}, "CA file '/nonexistent/ca.pem' does not exist"),
    ],
)
def test_field_errors_show_inline(dialog, fields: dict[str, str], message: str) -> None:
    type_into(dialog.host_edit, fields["host"])
    type_into(dialog.port_edit, fields.get("port", ""))
    if "tls" in fields:
        dialog.tls_check.setChecked(True)
        type_into(dialog.tls_port_edit, fields["tls"])
        type_into(dialog.ca_edit, fields.get("ca", ""))
    press_enter(dialog.host_edit)
    assert dialog.isVisible() and dialog.result_params is None
    assert message in error_text(dialog)
    type_into(dialog.host_edit, "x")  # editing again clears the message
    assert error_text(dialog) == ""


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("spice://h:5900?colour=blue", "Unknown parameter 'colour' (expected port, tls-port or password)"),
        ("vnc://h:5900", "spiceview speaks SPICE only"),
        ("spice://h", "No port given"),
        ("spice://h:5900/path", "Unexpected path '/path' after the host"),
    ],
)
def test_uri_errors_show_inline(dialog, uri: str, message: str) -> None:
    type_into(dialog.host_edit, "before")
    type_into(dialog.port_edit, "5900")
    type_into(dialog.uri_edit, uri)
    press_enter(dialog.uri_edit)
    # The fields may still hold the last URI that parsed: the URI typed, bad as it is, wins.
    assert dialog.isVisible() and dialog.result_params is None
    assert message in error_text(dialog)


def test_password_is_not_remembered(dialog, recent, tmp_path: Path) -> None:
    type_into(dialog.uri_edit, "spice://h:5900?password=hunter2")
    type_into(dialog.password_edit, "other-secret")
    dialog.connect_button.click()
    assert dialog.result_params.password == "other-secret"
    assert [e.target for e in recent.entries()] == ["spice://h:5900"]
    stored = (tmp_path / "settings.ini").read_text()
    assert "hunter2" not in stored and "other-secret" not in stored and "password" not in stored


def test_recent_list_shows_entries_most_recent_first(qapp, recent, tmp_path: Path) -> None:
    from spiceview.ui.connect_dialog import ConnectDialog

    recent.add_uri("spice://old:5900", when=1)
    recent.add_vv(write_vv(tmp_path / "a.vv"), label="A console", when=2)
    recent.add_uri("spice://new:5900?tls-port=5901", ca_file="/etc/ca.pem", when=3)
    dlg = ConnectDialog(recent=recent)
    dlg.show()
    labels = [dlg.recent_list.item(i).text() for i in range(dlg.recent_list.count())]
    assert labels == ["new:5900 (TLS 5901)", "A console", "old:5900"]
    # The latest is selected and shown in the fields: Enter reconnects.
    assert dlg.recent_list.currentRow() == 0 and dlg.focusWidget() is dlg.recent_list
    assert (dlg.host_edit.text(), dlg.tls_port_edit.text(), dlg.ca_edit.text()) == ("new", "5901", "/etc/ca.pem")
    dlg.recent_list.setCurrentRow(2)
    assert dlg.uri_edit.text() == "spice://old:5900" and not dlg.tls_check.isChecked()
    press_enter(dlg.recent_list)
    assert dlg.result_params.host == "old"
    dlg.deleteLater()


def test_double_click_connects_a_recent_vv_file(qapp, recent, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from spiceview.ui.connect_dialog import ConnectDialog

    vv = write_vv(tmp_path / "b.vv", "title=Build box")
    recent.add_vv(vv, when=5)
    recent.add_uri("spice://other:5900", when=6)
    dlg = ConnectDialog(recent=recent)
    dlg.show()
    view = dlg.recent_list
    center = view.visualItemRect(view.item(1)).center()
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, center)
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, center)
    assert dlg.result_params is not None and dlg.result_params.host == "10.1.2.3"
    assert recent.entries()[0].target == str(vv)  # moved to the top
    dlg.deleteLater()


def test_delete_key_and_context_menu_remove_entries(qapp, recent) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from spiceview.ui.connect_dialog import ConnectDialog

    for n in range(3):
        recent.add_uri(f"spice://h{n}:5900", when=n)
    dlg = ConnectDialog(recent=recent)
    dlg.show()
    dlg.activateWindow()
    assert QTest.qWaitForWindowActive(dlg, 2000)
    dlg.recent_list.setFocus()
    dlg.recent_list.setCurrentRow(1)
    QTest.keyClick(dlg.recent_list, Qt.Key.Key_Delete)
    assert [e.target for e in recent.entries()] == ["spice://h2:5900", "spice://h0:5900"]
    assert dlg.recent_list.count() == 2 and dlg.recent_list.currentRow() == 1
    assert dlg.remove_action in dlg.recent_list.actions()  # the context menu holds the same action
    dlg.remove_action.trigger()
    assert [e.target for e in recent.entries()] == ["spice://h2:5900"]
    dlg.clear_action.trigger()
    assert recent.entries() == [] and dlg.recent_placeholder.isVisibleTo(dlg)
    dlg.deleteLater()


def test_open_vv_file_connects_and_is_remembered(dialog, recent, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    vv = write_vv(tmp_path / "console.vv", "password=ticket", "title=Windows 11")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(vv), "")))
    dialog.open_vv_button.click()
    assert dialog.result_params.password == "ticket" and dialog.result_params.title == "Windows 11"
    [entry] = recent.entries()
    assert entry.is_vv and entry.target == str(vv) and entry.label == "Windows 11"
    vv.unlink()
    assert recent.entries() == []  # listed only while the file exists


def test_open_vv_that_asks_to_be_deleted(dialog, recent, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.delenv("VIRT_VIEWER_KEEP_FILE", raising=False)
    vv = write_vv(tmp_path / "once.vv", "delete-this-file=1", "password=one-time")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(vv), "")))
    dialog.open_vv_button.click()
    assert dialog.result_params.password == "one-time"
    assert not vv.exists() and recent.entries() == []


def test_bad_vv_file_error_is_inline(dialog, tmp_path: Path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    vv = write_vv(tmp_path / "bad.vv", "tls-port=abc")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(vv), "")))
    dialog.open_vv_button.click()
    assert dialog.isVisible() and dialog.result_params is None
    assert "bad.vv, line 5, key 'tls-port'" in error_text(dialog)


def test_remember_false_defers_to_the_caller(qapp, recent) -> None:
    from spiceview.ui.connect_dialog import ConnectDialog

    dlg = ConnectDialog(recent=recent, remember=False)
    type_into(dlg.uri_edit, "spice://later:5900")
    dlg.connect_button.click()
    assert recent.entries() == []
    dlg.remember_chosen()
    assert [e.target for e in recent.entries()] == ["spice://later:5900"]
    dlg.deleteLater()


def test_initial_params_and_tab_order(qapp, recent) -> None:
    from spiceview.session.uri import parse_spice_uri
    from spiceview.ui.connect_dialog import ConnectDialog

    recent.add_uri("spice://ignored:1")
    dlg = ConnectDialog(recent=recent, initial=parse_spice_uri("spice://given:5910"))
    dlg.show()
    assert (dlg.host_edit.text(), dlg.port_edit.text()) == ("given", "5910") and dlg.focusWidget() is dlg.host_edit
    order, widget = [], dlg.recent_list
    for _ in range(10):
        order.append(widget)
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & widget.focusPolicy().TabFocus) or not widget.isEnabled():
            widget = widget.nextInFocusChain()
    expected = [dlg.recent_list, dlg.uri_edit, dlg.host_edit, dlg.port_edit, dlg.tls_check, dlg.password_edit]
    assert [w for w in order if w in expected][: len(expected)] == expected
    assert dlg.connect_button.isDefault()
    dlg.deleteLater()


# --- recent connections -----------------------------------------------------------------------------------


def test_recent_keeps_ten_most_recent_first(recent) -> None:
    for n in range(12):
        recent.add_uri(f"spice://host{n}:5900", when=n)
    recent.add_uri("spice://host5:5900", when=99)  # used again: back to the top, no duplicate
    targets = [e.target for e in recent.entries()]
    assert len(targets) == 10 and targets[0] == "spice://host5:5900" and targets[1] == "spice://host11:5900"
    assert targets.count("spice://host5:5900") == 1
    assert recent.entries()[0].timestamp == 99


def test_recent_uri_entries(recent) -> None:
    entry = recent.add_uri("spice://user@h:5900?password=x&tls-port=5901", ca_file="/ca.pem", when=7)
    assert entry.target == "spice://user@h:5900?tls-port=5901" and entry.label == "h:5900 (TLS 5901)"
    params = entry.params()
    assert (params.username, params.password, params.ca_file) == ("user", None, "/ca.pem")
    assert recent.add_uri("spice+tls://h:5901", label="Secure").label == "Secure"
    with pytest.raises(ConfigError):
        recent.add_uri("spice://h")  # nothing to reconnect to
    assert recent.remove("spice+tls://h:5901") and not recent.remove("spice+tls://h:5901")
    assert [e.target for e in recent.entries()] == [entry.target]


def test_recent_vv_entries(recent, tmp_path: Path) -> None:
    vv = write_vv(tmp_path / "c.vv")
    entry = recent.add_vv(vv)
    assert entry is not None and entry.label == "c.vv" and entry.target == str(vv)
    assert recent.add_vv(vv, delete_this_file=True) is None
    assert recent.entries() == []  # a file that will delete itself is forgotten
    recent.add_vv(vv)
    vv.unlink()
    assert recent.entries() == []
    vv.touch()
    assert len(recent.entries()) == 1  # back once the file is back


def test_recent_survives_hand_edited_settings(tmp_path: Path) -> None:
    from spiceview.ui.recent import RecentConnections

    ini = tmp_path / "hand.ini"
    ini.write_text(
        "[recent-connections]\n"
        '1\\kind=uri\n1\\target="spice://h:5900?password=leak"\n1\\label=H\n1\\timestamp=garbage\n'
        "2\\kind=weird\n2\\target=x\n"
        "3\\kind=uri\n3\\target=not a uri\n"
        "size=3\n"
    )
    [entry] = RecentConnections(ini).entries()
    assert entry.target == "spice://h:5900" and entry.label == "H" and entry.timestamp == 0.0


# --- preferences --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mapping"),
    [
        ("", {}),
        ("1:2;2:3", {1: 2, 2: 3}),
        (" 1 : 1 ; 2:2 ;", {1: 1, 2: 2}),
        ("3:1", {3: 1}),
        ("2:1;1:2", {2: 1, 1: 2}),
    ],
)
def test_monitor_mapping_good(text: str, mapping: dict[int, int]) -> None:
    from spiceview.ui.preferences import format_monitor_mapping, parse_monitor_mapping

    assert parse_monitor_mapping(text) == mapping
    assert parse_monitor_mapping(format_monitor_mapping(mapping)) == mapping


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1:2;1:3", "guest monitor 1 is mapped twice"),
        ("1:2;2:2", "guest monitors 1 and 2 are both on client screen 2"),
        ("0:1", "numbered from 1"),
        ("1:0", "numbered from 1"),
        ("1-2", "has no ':'"),
        ("a:b", "is not a number"),
        ("1:2x", "is not a number"),
        ("-1:2", "is not a number"),
        ("1:", "is not a number"),
        ("1:2:3", "is not a number"),
        ("99:1", "out of range"),
    ],
)
def test_monitor_mapping_bad(text: str, message: str) -> None:
    from spiceview.ui.preferences import parse_monitor_mapping

    with pytest.raises(ConfigError, match=message):
        parse_monitor_mapping(text)


def test_monitor_mapping_client_screen_count() -> None:
    from spiceview.ui.preferences import parse_monitor_mapping

    assert parse_monitor_mapping("1:2", client_screens=2) == {1: 2}
    with pytest.raises(ConfigError, match="client screen 3 does not exist"):
        parse_monitor_mapping("1:3", client_screens=2)


def test_preferences_round_trip(qapp, tmp_path: Path) -> None:
    from spiceview.ui.preferences import Preferences

    ini = tmp_path / "prefs.ini"
    assert Preferences.load(ini) == Preferences()
    prefs = Preferences(
        renderer="gl",
        scaling="1:1",
        share_clipboard=False,
        auto_resize=False,
        release_hotkey="Shift+F12",
        zoom=150,
        play_sound=False,
        share_microphone=False,
    )
    prefs.set_monitor_mapping(GUEST, "2:1; 1:2")
    assert prefs.monitor_mappings == {GUEST.lower(): "1:2;2:1"}
    prefs.release_hotkey = "shift+f12"
    prefs.save(ini)
    loaded = Preferences.load(ini)
    assert loaded == prefs
    assert loaded.monitor_mapping(GUEST) == {1: 2, 2: 1}
    assert loaded.monitor_mapping("00000000-0000-0000-0000-000000000000") == {}
    prefs.set_monitor_mapping(GUEST, "")
    prefs.save(ini)
    assert Preferences.load(ini).monitor_mappings == {}


def test_preferences_bad_values(qapp, tmp_path: Path) -> None:
    from spiceview.ui.preferences import Preferences

    ini = tmp_path / "bad.ini"
    ini.write_text(
        "[preferences]\nrenderer=vulkan\nscaling=1:1\nzoom=5000\nshare-clipboard=maybe\nauto-resize=false\n"
        "release-hotkey=ctrl+nosuchkey\n"
        # Qt's INI files quote values holding ';' (else a comment)
        "[monitor-mapping]\nnot-a-uuid=1:1\n" + GUEST + '="1:1;2:1"\n'
    )
    loaded = Preferences.load(ini)  # what does not fit is left at its default
    assert loaded == Preferences(scaling="1:1", auto_resize=False)
    for bad in (
        Preferences(zoom=5),
        Preferences(renderer="vulkan"),  # type: ignore[arg-type]
        Preferences(release_hotkey=""),
        Preferences(monitor_mappings={GUEST: "1:1;1:2"}),
    ):
        with pytest.raises(ConfigError):
            bad.save(ini)
    with pytest.raises(ConfigError, match="not a guest UUID"):
        Preferences().set_monitor_mapping("vm-1", "1:1")


def test_preferences_dialog_edits_a_copy(qapp) -> None:
    from spiceview.ui.preferences import Preferences, PreferencesDialog

    prefs = Preferences(monitor_mappings={"11111111-2222-3333-4444-555555555555": "1:1"})
    dlg = PreferencesDialog(prefs, guest_uuid=GUEST)
    dlg.show()
    dlg.renderer_combo.setCurrentIndex(dlg.renderer_combo.findData("gl"))
    dlg.scaling_buttons["resize-guest"].setChecked(True)
    dlg.clipboard_check.setChecked(False)
    dlg.microphone_check.setChecked(False)
    dlg.zoom_spin.setValue(80)
    dlg.hotkey_edit.setText("Ctrl + Alt + End")
    dlg.mapping_edit.setText("1:2;2:1;")
    dlg.buttons.button(dlg.buttons.StandardButton.Ok).click()
    result = dlg.result_preferences
    assert result is not None and not dlg.isVisible()
    assert (result.renderer, result.scaling, result.share_clipboard, result.zoom) == ("gl", "resize-guest", False, 80)
    assert (result.play_sound, result.share_microphone) == (True, False)
    assert result.release_hotkey == "ctrl+alt+end"
    assert result.monitor_mappings == {"11111111-2222-3333-4444-555555555555": "1:1", GUEST.lower(): "1:2;2:1"}
    assert prefs == Preferences(monitor_mappings={"11111111-2222-3333-4444-555555555555": "1:1"})
    dlg.deleteLater()


def test_preferences_dialog_errors_and_restrictions(qapp) -> None:
    from spiceview.ui.preferences import NO_AGENT_TIP, Preferences, PreferencesDialog

    dlg = PreferencesDialog(Preferences(), agent_connected=False)
    dlg.show()
    resize_guest = dlg.scaling_buttons["resize-guest"]
    assert not resize_guest.isEnabled() and resize_guest.toolTip() == NO_AGENT_TIP
    assert resize_guest.text().endswith("(needs the guest agent: none is connected)")  # said, not only greyed
    assert dlg.scaling_buttons["fit"].isEnabled()
    assert not dlg.mapping_edit.isEnabled()  # no guest: no mapping to edit
    dlg.hotkey_edit.setText("ctrl+hyper")
    ok = dlg.buttons.button(dlg.buttons.StandardButton.Ok)
    ok.click()
    assert dlg.isVisible() and dlg.result_preferences is None
    assert "unknown key 'hyper'" in dlg.error_label.text().lower() and dlg.error_label.isVisibleTo(dlg)
    dlg.buttons.button(dlg.buttons.StandardButton.RestoreDefaults).click()
    assert dlg.hotkey_edit.text() == "ctrl+alt" and not dlg.error_label.isVisibleTo(dlg)
    ok.click()
    assert dlg.result_preferences == Preferences()
    dlg.deleteLater()

    dlg = PreferencesDialog(Preferences(), guest_uuid=GUEST)
    dlg.show()
    dlg.mapping_edit.setText("1:2;2:2")
    dlg.buttons.button(dlg.buttons.StandardButton.Ok).click()
    assert dlg.isVisible() and "both on client screen 2" in dlg.error_label.text()
    dlg.deleteLater()


# --- desktop integration --------------------------------------------------------------------------------------


def read_desktop_file(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",), comment_prefixes=("#",), strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(text)
    assert parser.sections() == ["Desktop Entry"]
    for line in text.splitlines():
        assert line == line.strip() and (not line or line.startswith(("#", "[")) or "=" in line), line
        assert " = " not in line, "no spaces around '='"
    return dict(parser["Desktop Entry"])


def test_desktop_file() -> None:
    entry = read_desktop_file(RESOURCES / "spiceview.desktop")
    assert entry["Type"] == "Application"
    assert entry["Name"] and entry["Icon"] == "spiceview" and entry["Terminal"] == "false"
    # %u, not %f: with %f, launchers drop spice:// links (no local path); files still arrive as paths.
    assert entry["Exec"] == "spiceview %u"
    mime = entry["MimeType"]
    assert mime.endswith(";")
    assert set(mime.rstrip(";").split(";")) == {
        "application/x-virt-viewer",
        "x-scheme-handler/spice",
        "x-scheme-handler/spice+tls",
    }
    assert entry["Categories"].endswith(";") and "Network" in entry["Categories"].split(";")
    known = {"Type", "Version", "Name", "GenericName", "Comment", "Icon", "TryExec", "Exec", "Terminal",
             "StartupNotify", "StartupWMClass", "Categories", "Keywords", "MimeType"}  # fmt: skip
    assert set(entry) <= known


def test_mime_xml() -> None:
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(RESOURCES / "spiceview-mime.xml").getroot()
    assert root.tag == "{" + ns["m"] + "}mime-info"
    [mime_type] = root.findall("m:mime-type", ns)
    assert mime_type.get("type") == "application/x-virt-viewer"
    assert [g.get("pattern") for g in mime_type.findall("m:glob", ns)] == ["*.vv"]
    [match] = mime_type.findall("m:magic/m:match", ns)
    assert (match.get("type"), match.get("offset"), match.get("value")) == ("string", "0", "[virt-viewer]")
    assert mime_type.find("m:comment", ns).text


def test_icon_is_valid_svg(qapp) -> None:
    from PySide6.QtSvg import QSvgRenderer

    root = ET.parse(RESOURCES / "spiceview.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    renderer = QSvgRenderer(str(RESOURCES / "spiceview.svg"))
    assert renderer.isValid() and renderer.defaultSize().width() == renderer.defaultSize().height() == 128


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX shell")
def test_install_desktop_script_is_idempotent(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    script = ROOT / "packaging" / "install-desktop.sh"

    def tree() -> dict[str, bytes]:
        return {str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()}

    trees = []
    for _ in range(2):
        done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        trees.append(tree())
    assert trees[0].keys() == trees[1].keys()
    share = home / ".local" / "share"
    assert (share / "applications" / "spiceview.desktop").read_bytes() == (RESOURCES / "spiceview.desktop").read_bytes()
    assert (share / "mime" / "packages" / "spiceview.xml").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "spiceview.svg").is_file()
    if shutil.which("update-mime-database"):
        assert "application/x-virt-viewer:*.vv" in (share / "mime" / "globs2").read_text()
    done = subprocess.run(["sh", str(script), "--remove"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not (share / "applications" / "spiceview.desktop").exists()


def test_screenshot_script(qapp, tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "make_screenshots.py"), str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in ("connect-dialog.png", "preferences.png"):
        image = QImage(str(tmp_path / name))
        assert image.width() >= 300 and image.height() >= 200, name
        colors = {image.pixel(x, y) for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
        assert len(colors) > 20, f"{name} looks blank"
