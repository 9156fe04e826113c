"""Viewer preferences kept in QSettings, remote-viewer's monitor mapping, and the dialog that edits them.

:class:`Preferences` is a plain dataclass: :meth:`Preferences.load` reads it (values that do not fit fall
back to the defaults, with a log warning, so a hand-edited file never stops the viewer) and
:meth:`Preferences.save` writes it after :meth:`Preferences.check`. :class:`PreferencesDialog` returns a
new Preferences; saving it is the caller's choice.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field, fields, replace
from typing import Literal

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..session.errors import ConfigError
from ..session.params import ZOOM_RANGE, check_hotkey
from .quality import Quality
from .quality_editor import QualityEditor
from .recent import SettingsSource, open_settings

log = logging.getLogger(__name__)

RENDERERS = ("cairo", "gl")
SCALING_MODES = ("fit", "1:1", "resize-guest")
DEFAULT_RELEASE_HOTKEY = "ctrl+alt"
# QXL drives at most 16 heads, and no desk has more screens than that.
MAX_MONITORS = 16
_GROUP = "preferences"
_MAPPING_GROUP = "monitor-mapping"
_QUALITY_GROUP = "quality"  # guest UUID -> "compression;codec,codec" (ui/quality.py)
_NUMBER = re.compile(r"[0-9]{1,6}")


def parse_monitor_mapping(text: str, *, client_screens: int | None = None) -> dict[int, int]:
    """remote-viewer's ``monitor-mapping``: ``guest:client`` pairs joined by ``;``, both numbered from 1.

    ``"1:2;2:3"`` puts guest monitor 1 on client screen 2 and guest monitor 2 on screen 3. Spaces around
    numbers and a trailing ``;`` are allowed; an empty text maps nothing. ConfigError for anything else:
    a pair without ``:``, a number that is not plain decimal digits, 0, a guest monitor mapped twice,
    two guest monitors on one client screen, and (with *client_screens*) a screen beyond that count.
    """
    mapping: dict[int, int] = {}
    screens_used: dict[int, int] = {}
    for item in (i.strip() for i in text.split(";")):
        if not item:
            continue
        guest_text, colon, client_text = item.partition(":")
        if not colon:
            raise ConfigError(f"monitor mapping entry {item!r} has no ':'", expected=_MAPPING_FORM)
        guest = _monitor_number(guest_text, item, "guest monitor")
        client = _monitor_number(client_text, item, "client screen")
        if guest in mapping:
            raise ConfigError(f"guest monitor {guest} is mapped twice", expected="each guest monitor once")
        if client in screens_used:
            raise ConfigError(
                f"guest monitors {screens_used[client]} and {guest} are both on client screen {client}",
                expected="one guest monitor per client screen",
            )
        if client_screens is not None and client > client_screens:
            raise ConfigError(
                f"client screen {client} does not exist (this computer has {client_screens})",
                expected=f"screens 1 to {client_screens}",
            )
        mapping[guest] = client
        screens_used[client] = guest
    return mapping


_MAPPING_FORM = "guest:client pairs numbered from 1 and joined by ';', such as 1:2;2:1"


def _monitor_number(text: str, item: str, what: str) -> int:
    value = text.strip()
    if not _NUMBER.fullmatch(value):
        raise ConfigError(f"{what} {value!r} in {item!r} is not a number", expected=_MAPPING_FORM)
    number = int(value)
    if number == 0:
        raise ConfigError(f"{what} 0 in {item!r}: monitors are numbered from 1", expected=_MAPPING_FORM)
    if number > MAX_MONITORS:
        raise ConfigError(f"{what} {number} in {item!r} is out of range", expected=f"1 to {MAX_MONITORS}")
    return number


def format_monitor_mapping(mapping: dict[int, int]) -> str:
    """The text of a mapping, guest monitors in order: ``{2: 3, 1: 2}`` -> ``"1:2;2:3"``."""
    return ";".join(f"{guest}:{client}" for guest, client in sorted(mapping.items()))


def normalize_guest_uuid(text: str) -> str:
    """A guest UUID in its canonical form (lower case, with hyphens); ConfigError if it is not one."""
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise ConfigError(f"{text!r} is not a guest UUID", expected="a UUID such as 4c4c4544-0000-...") from None


def check_release_hotkey(text: str) -> str:
    """A release hotkey in remote-viewer's spelling (``ctrl+alt``), normalized; ConfigError if unusable."""
    from .input_handler import parse_hotkey  # the same reader the viewer uses

    value = "+".join(part.strip().lower() for part in check_hotkey(text, "release hotkey").split("+"))
    if not value:
        # Without one, a pointer grabbed in server mouse mode could never be released.
        raise ConfigError("the release hotkey is empty", expected="keys such as ctrl+alt or shift+f12")
    try:
        parse_hotkey(value)
    except ValueError as exc:
        raise ConfigError(str(exc), expected="key names such as ctrl, alt, shift, f12, joined by '+'") from None
    return value


@dataclass
class Preferences:
    """What the user chose once for every session (the defaults are remote-viewer's behaviour)."""

    renderer: Literal["cairo", "gl"] = "cairo"
    # Resize the guest to the window when its agent can, else fit the picture (what remote-viewer does).
    scaling: Literal["fit", "1:1", "resize-guest"] = "resize-guest"
    share_clipboard: bool = True
    play_sound: bool = True  # the guest's sound on this computer's speakers (off: muted in the viewer)
    share_microphone: bool = True  # the guest may record this computer's microphone (from the next connection)
    auto_resize: bool = True  # resize the window when the guest changes its resolution
    release_hotkey: str = DEFAULT_RELEASE_HOTKEY
    zoom: int = 100  # percent, for new windows
    monitor_mappings: dict[str, str] = field(default_factory=dict)  # guest UUID -> "1:2;2:3"
    guest_quality: dict[str, str] = field(default_factory=dict)  # guest UUID -> "glz;vp9,h264" (Quality menu)

    def check(self) -> None:
        """ConfigError naming the first setting that cannot be used."""
        if self.renderer not in RENDERERS:
            raise ConfigError(f"unknown renderer {self.renderer!r}", expected=" or ".join(RENDERERS))
        if self.scaling not in SCALING_MODES:
            raise ConfigError(f"unknown scaling mode {self.scaling!r}", expected=", ".join(SCALING_MODES))
        for name in ("share_clipboard", "play_sound", "share_microphone", "auto_resize"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{_key(name)} {getattr(self, name)!r} is not true or false")
        check_release_hotkey(self.release_hotkey)
        if isinstance(self.zoom, bool) or not isinstance(self.zoom, int) or not _in_zoom_range(self.zoom):
            raise ConfigError(f"zoom {self.zoom!r} is out of range", expected="10 to 400 percent")
        for guest, text in self.monitor_mappings.items():
            normalize_guest_uuid(guest)
            try:
                parse_monitor_mapping(text)
            except ConfigError as exc:
                raise exc.with_context(key=f"monitor mapping of {guest}") from None

    def monitor_mapping(self, guest_uuid: str) -> dict[int, int]:
        """The mapping for a guest (empty if none is set)."""
        return parse_monitor_mapping(self.monitor_mappings.get(normalize_guest_uuid(guest_uuid), ""))

    def set_monitor_mapping(self, guest_uuid: str, text: str) -> None:
        """Set a guest's mapping from its text (checked, then stored in canonical form); empty removes it."""
        key = normalize_guest_uuid(guest_uuid)
        mapping = parse_monitor_mapping(text)
        if mapping:
            self.monitor_mappings[key] = format_monitor_mapping(mapping)
        else:
            self.monitor_mappings.pop(key, None)

    @classmethod
    def load(cls, settings: SettingsSource = None) -> Preferences:
        """Read the saved preferences; missing or unusable values give the defaults."""
        s = open_settings(settings)
        prefs = cls()
        s.beginGroup(_GROUP)
        try:
            for f in fields(cls):
                if f.name in _GROUPED or not s.contains(_key(f.name)):
                    continue
                raw = s.value(_key(f.name))
                default = getattr(prefs, f.name)
                value = _convert(f.name, raw, default)
                try:
                    if type(value) is not type(default):
                        raise ConfigError(f"{raw!r} is not a {type(default).__name__}")
                    replace(prefs, **{f.name: value}).check()
                except ConfigError as exc:
                    log.warning("%s: preference %s ignored: %s", s.fileName(), _key(f.name), exc)
                    continue
                setattr(prefs, f.name, value)
        finally:
            s.endGroup()
        s.beginGroup(_MAPPING_GROUP)
        try:
            for guest in s.childKeys():
                try:
                    prefs.set_monitor_mapping(guest, str(s.value(guest)))
                except ConfigError as exc:
                    log.warning("%s: monitor mapping of %s ignored: %s", s.fileName(), guest, exc)
        finally:
            s.endGroup()
        s.beginGroup(_QUALITY_GROUP)
        try:
            for guest in s.childKeys():
                try:
                    prefs.guest_quality[normalize_guest_uuid(guest)] = str(s.value(guest))
                except ConfigError as exc:
                    log.warning("%s: quality of %s ignored: %s", s.fileName(), guest, exc)
        finally:
            s.endGroup()
        return prefs

    def save(self, settings: SettingsSource = None) -> None:
        """Check, then write every preference (ConfigError, and nothing written, if one is unusable)."""
        self.check()
        s = open_settings(settings)
        s.beginGroup(_GROUP)
        for f in fields(self):
            if f.name not in _GROUPED:
                value = getattr(self, f.name)
                # Written as text: INI files keep no types, and load() converts back.
                s.setValue(_key(f.name), ("true" if value else "false") if isinstance(value, bool) else str(value))
        s.endGroup()
        s.remove(_MAPPING_GROUP)
        s.beginGroup(_MAPPING_GROUP)
        for guest, text in sorted(self.monitor_mappings.items()):
            s.setValue(normalize_guest_uuid(guest), format_monitor_mapping(parse_monitor_mapping(text)))
        s.endGroup()
        s.remove(_QUALITY_GROUP)
        s.beginGroup(_QUALITY_GROUP)
        for guest, text in sorted(self.guest_quality.items()):
            s.setValue(normalize_guest_uuid(guest), text)
        s.endGroup()
        s.sync()
        if s.status() != QSettings.Status.NoError:
            raise ConfigError(f"the preferences could not be written to {s.fileName()}")


_GROUPED = ("monitor_mappings", "guest_quality")  # per-guest tables, each in its own settings group


def _key(name: str) -> str:
    return name.replace("_", "-")


def _in_zoom_range(value: int) -> bool:
    return ZOOM_RANGE[0] <= value <= ZOOM_RANGE[1]


def _convert(name: str, raw: object, default: object) -> object:
    """A settings value (text in INI files, typed in native stores) as the type of *default*."""
    text = str(raw).strip()
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        lowered = text.lower()
        return True if lowered in ("true", "1", "yes") else False if lowered in ("false", "0", "no") else raw
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            return raw
    return text


# --- the dialog -------------------------------------------------------------------------------------------

_SCALING_LABELS = {
    "fit": "Fit the guest display to the window",
    "1:1": "Actual size (1:1), scroll if needed",
    "resize-guest": "Resize the guest display to the window",
}
_RENDERER_LABELS = {"cairo": "Cairo (software)", "gl": "OpenGL"}
NO_AGENT_TIP = "Needs the SPICE agent (spice-vdagent) running in the guest, and none is connected."


class PreferencesDialog(QDialog):
    """Edits a copy of *prefs*; :meth:`exec_and_get` returns the new preferences, or None if cancelled.

    *agent_connected* False greys out "resize the guest" (only the guest agent can do that). The monitor
    mapping edited is the one of *guest_uuid*; without a guest the field is disabled. *quality* is the session's
    current choice (the Quality page, kept per guest); *quality_caps* what the server takes of it (None: unknown).
    """

    def __init__(
        self,
        prefs: Preferences | None = None,
        parent: QWidget | None = None,
        *,
        agent_connected: bool = True,
        guest_uuid: str | None = None,
        quality: Quality | None = None,
        quality_caps: tuple[bool, bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("spiceview Preferences")
        start = prefs or Preferences()
        # A copy: Cancel changes nothing.
        self._original = replace(
            start, monitor_mappings=dict(start.monitor_mappings), guest_quality=dict(start.guest_quality)
        )
        self._guest_uuid = normalize_guest_uuid(guest_uuid) if guest_uuid else None
        self._agent_connected = agent_connected
        self._result: Preferences | None = None

        display = QGroupBox("Display")
        form = QFormLayout(display)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.renderer_combo = QComboBox()
        for name in RENDERERS:
            self.renderer_combo.addItem(_RENDERER_LABELS[name], name)
        form.addRow("&Renderer:", self.renderer_combo)
        self.zoom_spin = QSpinBox()
        self.zoom_spin.setRange(*ZOOM_RANGE)
        self.zoom_spin.setSingleStep(10)
        self.zoom_spin.setSuffix(" %")
        self.zoom_spin.setToolTip("Zoom of new viewer windows")
        form.addRow("Default &zoom:", self.zoom_spin)

        scaling = QGroupBox("Scaling")
        scaling_layout = QVBoxLayout(scaling)
        self.scaling_group = QButtonGroup(self)
        self.scaling_buttons: dict[str, QRadioButton] = {}
        for name in SCALING_MODES:
            button = QRadioButton(_SCALING_LABELS[name])
            self.scaling_buttons[name] = button
            self.scaling_group.addButton(button)
            scaling_layout.addWidget(button)
        resize_guest = self.scaling_buttons["resize-guest"]
        if not agent_connected:
            # Said on the button itself: a greyed-out choice with no word why reads as broken.
            resize_guest.setEnabled(False)
            resize_guest.setText(f"{_SCALING_LABELS['resize-guest']} (needs the guest agent: none is connected)")
            resize_guest.setToolTip(NO_AGENT_TIP)
        self.auto_resize_check = QCheckBox("Resize the &window when the guest changes its resolution")
        scaling_layout.addWidget(self.auto_resize_check)

        session = QGroupBox("Session")
        session_form = QFormLayout(session)
        self.clipboard_check = QCheckBox("Share the clip&board with the guest")
        session_form.addRow(self.clipboard_check)
        self.sound_check = QCheckBox("Play the guest's &sound")
        session_form.addRow(self.sound_check)
        self.microphone_check = QCheckBox("Let the guest record the micro&phone (from the next connection)")
        session_form.addRow(self.microphone_check)
        self.hotkey_edit = QLineEdit()
        self.hotkey_edit.setPlaceholderText(DEFAULT_RELEASE_HOTKEY)
        self.hotkey_edit.setToolTip(
            "Keys that release the pointer and keyboard grabbed by the guest, joined by '+',\n"
            "as in remote-viewer: ctrl+alt, shift+f12, ctrl+alt+end"
        )
        session_form.addRow("Release &hotkey:", self.hotkey_edit)
        self.mapping_edit = QLineEdit()
        self.mapping_edit.setPlaceholderText("1:1;2:2")
        if self._guest_uuid is None:
            self.mapping_edit.setEnabled(False)
            self.mapping_edit.setToolTip("Monitor mappings are kept per guest: connect to a guest to set its own.")
        else:
            self.mapping_edit.setToolTip(
                f"For guest {self._guest_uuid}: guest monitor:client screen pairs, both numbered from 1,\n"
                "joined by ';'. 1:2;2:1 shows guest monitor 1 on screen 2 and monitor 2 on screen 1."
            )
        session_form.addRow("&Monitor mapping:", self.mapping_edit)

        if quality is None:
            stored = start.guest_quality.get(self._guest_uuid or "", "")
            quality = Quality.parse(stored) if stored else Quality()
        self.quality_editor = QualityEditor(quality, guest=self._guest_uuid, can=quality_caps)
        self.chosen_quality: Quality | None = None  # what OK produced

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b3261e;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        self.buttons.clicked.connect(self._on_button)

        layout = QVBoxLayout(self)
        layout.addWidget(display)
        layout.addWidget(scaling)
        layout.addWidget(session)
        layout.addWidget(self.quality_editor)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        for edit in (self.hotkey_edit, self.mapping_edit):
            edit.textEdited.connect(self._clear_error)
        self.set_preferences(self._original)

    def set_preferences(self, prefs: Preferences) -> None:
        """Show *prefs* in the controls."""
        index = self.renderer_combo.findData(prefs.renderer)
        self.renderer_combo.setCurrentIndex(max(index, 0))
        self.zoom_spin.setValue(prefs.zoom if _in_zoom_range(prefs.zoom) else 100)
        self.scaling_buttons.get(prefs.scaling, self.scaling_buttons["fit"]).setChecked(True)
        self.auto_resize_check.setChecked(prefs.auto_resize)
        self.clipboard_check.setChecked(prefs.share_clipboard)
        self.sound_check.setChecked(prefs.play_sound)
        self.microphone_check.setChecked(prefs.share_microphone)
        self.hotkey_edit.setText(prefs.release_hotkey)
        if self._guest_uuid is not None:
            self.mapping_edit.setText(prefs.monitor_mappings.get(self._guest_uuid, ""))
        self._clear_error()

    def preferences(self) -> Preferences:
        """The preferences the controls show; ConfigError (with the field focused) if one is unusable."""
        try:
            hotkey = check_release_hotkey(self.hotkey_edit.text() or DEFAULT_RELEASE_HOTKEY)
        except ConfigError:
            self.hotkey_edit.setFocus()
            raise
        mappings = dict(self._original.monitor_mappings)
        qualities = dict(self._original.guest_quality)  # other guests' choices are kept as they are
        quality = self.quality_editor.quality()
        if self._guest_uuid is not None:
            if quality == Quality():
                qualities.pop(self._guest_uuid, None)
            else:
                qualities[self._guest_uuid] = quality.text()
        prefs = Preferences(
            renderer=self.renderer_combo.currentData(),
            scaling=next(name for name, b in self.scaling_buttons.items() if b.isChecked()),
            share_clipboard=self.clipboard_check.isChecked(),
            play_sound=self.sound_check.isChecked(),
            share_microphone=self.microphone_check.isChecked(),
            auto_resize=self.auto_resize_check.isChecked(),
            release_hotkey=hotkey,
            zoom=self.zoom_spin.value(),
            monitor_mappings=mappings,
            guest_quality=qualities,
        )
        if self._guest_uuid is not None:
            try:
                prefs.set_monitor_mapping(self._guest_uuid, self.mapping_edit.text())
            except ConfigError:
                self.mapping_edit.setFocus()
                raise
        prefs.check()
        return prefs

    def exec_and_get(self) -> Preferences | None:
        self._result = None
        if self.exec() != QDialog.DialogCode.Accepted:
            return None
        return self._result

    @property
    def result_preferences(self) -> Preferences | None:
        """What OK produced (None before OK, or after Cancel)."""
        return self._result

    def _on_ok(self) -> None:
        try:
            self._result = self.preferences()
        except ConfigError as exc:
            self._show_error(str(exc))
            return
        self.chosen_quality = self.quality_editor.quality()
        self.accept()

    def _on_button(self, button: QAbstractButton) -> None:
        if self.buttons.buttonRole(button) == QDialogButtonBox.ButtonRole.ResetRole:
            # Defaults for everything, but other guests' monitor mappings are not this dialog's to drop.
            self.set_preferences(
                Preferences(
                    monitor_mappings=dict(self._original.monitor_mappings),
                    guest_quality=dict(self._original.guest_quality),
                )
            )
            if self._guest_uuid is not None:
                self.mapping_edit.clear()
            self.quality_editor.set_quality(Quality())

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text[:1].upper() + text[1:])
        self.error_label.show()
        self.layout().activate()
        if self.sizeHint().height() > self.height():
            self.resize(self.width(), self.sizeHint().height())  # room for the message, fields unsqueezed

    def _clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()
