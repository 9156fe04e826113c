"""Issue 15: the Quality menu, in-process on a real QEMU: a choice reaches the session at once, is kept for the
guest (its UUID) and comes back with the next session to that guest."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog

from spiceview.protocol.constants import ImageCompression, VideoCodecType
from spiceview.ui.preferences import Preferences, PreferencesDialog, normalize_guest_uuid
from spiceview.ui.quality import PROFILES, Quality
from spiceview_lab.qt_wait import pump
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.qemu]


@pytest.fixture
def settings_dir(tmp_path: Path):  # noqa: ANN201
    """The user's settings in a directory of the test's own (QSettings' native user scope)."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    yield tmp_path
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(Path.home() / ".config"))


def test_a_choice_is_sent_kept_for_the_guest_and_given_back(
    qt_application,  # noqa: ANN001
    runner_for,  # noqa: ANN001
    settings_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    with QemuServer() as server:
        runner = runner_for(server.uri)
        client = runner.client
        assert client is not None
        pump(qt_application, lambda: bool(client.displays()) and client.displays()[0].is_linked, 30, "the display")
        pump(qt_application, lambda: bool(client.main.server_uuid), 10, "the guest's UUID")
        viewer = runner.viewer
        assert viewer is not None
        (window,) = viewer.all_windows()
        wan = window.actions_by_name["quality-wan"]
        assert wan.isEnabled() and window.actions_by_name["compression-glz"].isEnabled()
        wan.trigger()
        assert client.preferred_compression == ImageCompression.GLZ
        assert client.preferred_video_codecs[:1] in ((VideoCodecType.VP8,), ())
        assert window.actions_by_name["compression-glz"].isChecked()
        window.actions_by_name["compression-quic"].trigger()
        assert client.preferred_compression == ImageCompression.QUIC
        assert viewer.quality_menu.quality.codecs == PROFILES["wan"].codecs  # the codec order stays

        again = runner_for(server.uri)  # another session to the same guest
        pump(
            qt_application,
            lambda: again.client is not None and again.client.preferred_compression == ImageCompression.QUIC,
            30,
            "the guest's quality back",
        )
        assert again.viewer is not None
        (other,) = [w for w in again.viewer.all_windows()]
        assert other.actions_by_name["compression-quic"].isChecked()

        # The preferences' Quality page shows the same choice, and OK sends and keeps what it was changed to.
        shown: list[object] = []

        def choose_lz4(dialog: PreferencesDialog) -> int:
            editor = dialog.quality_editor
            shown.append(editor.quality())
            editor.compression_combo.setCurrentIndex(editor.compression_combo.findData("lz4"))
            dialog._on_ok()
            return QDialog.DialogCode.Accepted.value

        monkeypatch.setattr(PreferencesDialog, "exec", choose_lz4)
        again.viewer.edit_preferences(other)
        assert shown == [Quality("quic", PROFILES["wan"].codecs)]
        assert again.client.preferred_compression == ImageCompression.LZ4
        kept = Preferences.load(again.viewer.settings_source).guest_quality
        assert kept[normalize_guest_uuid(client.main.server_uuid)].startswith("lz4;")
        assert other.actions_by_name["compression-lz4"].isChecked()
