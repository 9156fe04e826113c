"""The Quality page of the preferences: per-guest choice, profiles, codec order, greyed out without the
capability, and the other guests' choices kept when the dialog saves."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt

from spiceview.ui.preferences import Preferences, PreferencesDialog
from spiceview.ui.quality import NO_COMPRESSION_CAP, PROFILES, Quality, decodable
from spiceview.ui.quality_editor import QualityEditor

GUEST = "11111111-2222-3333-4444-555555555555"
OTHER = "99999999-2222-3333-4444-555555555555"


def usable(quality: Quality) -> Quality:
    return Quality(quality.compression, tuple(c for c in quality.codecs if c in decodable()))


def test_untouched_the_page_leaves_the_choice_to_the_server(qt_application) -> None:  # noqa: ANN001
    editor = QualityEditor(Quality(), guest=None)
    assert editor.quality() == Quality()
    assert editor.profile_combo.currentData() == ""  # Custom: no profile is "the server's choice"


def test_a_profile_sets_both_and_a_change_makes_it_custom(qt_application) -> None:  # noqa: ANN001
    editor = QualityEditor(Quality(), guest=GUEST)
    editor.profile_combo.setCurrentIndex(editor.profile_combo.findData("wan"))
    editor.profile_combo.activated.emit(editor.profile_combo.currentIndex())
    assert editor.quality() == usable(PROFILES["wan"])
    editor.codec_list.setCurrentRow(1)
    editor.up_button.click()  # the second codec first now
    wan = usable(PROFILES["wan"]).codecs
    assert editor.quality().codecs[:2] == (wan[1], wan[0])
    assert editor.profile_combo.currentData() == ""
    editor.codec_list.item(0).setCheckState(Qt.CheckState.Unchecked)  # left out of the order
    assert wan[1] not in editor.quality().codecs
    editor.set_quality(PROFILES["lan"])
    assert editor.profile_combo.currentData() == "lan"


def test_without_the_capability_the_controls_say_why(qt_application) -> None:  # noqa: ANN001
    editor = QualityEditor(Quality("glz", ()), guest=GUEST, can=(False, True))
    assert not editor.compression_combo.isEnabled()
    assert editor.compression_combo.toolTip() == NO_COMPRESSION_CAP
    assert editor.codec_list.isEnabled() and editor.profile_combo.isEnabled()


def test_ok_keeps_this_guests_choice_and_every_other_guests(qt_application, tmp_path) -> None:  # noqa: ANN001
    settings = QSettings(str(tmp_path / "spiceview.conf"), QSettings.Format.IniFormat)
    prefs = Preferences(guest_quality={OTHER: "lz;mjpeg", GUEST: "quic;"})
    dialog = PreferencesDialog(prefs, guest_uuid=GUEST)
    assert dialog.quality_editor.quality() == Quality("quic", ())  # the stored choice of this guest
    editor = dialog.quality_editor
    editor.compression_combo.setCurrentIndex(editor.compression_combo.findData("lz4"))
    dialog._on_ok()
    result = dialog.result_preferences
    assert result is not None and dialog.chosen_quality == Quality("lz4", ())
    assert result.guest_quality == {OTHER: "lz;mjpeg", GUEST: "lz4;"}
    result.save(settings)
    assert Preferences.load(settings).guest_quality == result.guest_quality
    # Restore Defaults gives this guest the server's choice back; the others keep theirs.
    dialog = PreferencesDialog(result, guest_uuid=GUEST)
    dialog.set_preferences(Preferences())
    dialog.quality_editor.set_quality(Quality())
    dialog._on_ok()
    assert dialog.result_preferences is not None and dialog.result_preferences.guest_quality == {OTHER: "lz;mjpeg"}
