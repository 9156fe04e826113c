"""The Quality page of the preferences: the image compression and the video codec order of one guest.

The same choices as the Quality menu (ui/quality.py), with the whole codec order in view: drag a codec (or use the
buttons) to rank it, untick it to leave it out. Codecs this installation cannot decode are not offered. A server
without the capability greys the controls out and says why; before a display has linked nobody knows, so they stay
usable and the choice is sent once one links.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .quality import CODECS, COMPRESSIONS, NO_CODEC_CAP, NO_COMPRESSION_CAP, PROFILES, Quality, decodable

SERVER_CHOICE = "The server's choice"
PROFILE_LABELS = {"": "Custom", "lan": "LAN (lossless, low latency)", "wan": "WAN (least bandwidth)"}


class QualityEditor(QGroupBox):
    """Edits one Quality. `can`: (compression, codec order) the server takes, or None while unknown."""

    def __init__(
        self,
        quality: Quality,
        *,
        guest: str | None,
        can: tuple[bool, bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Quality" + (f" of guest {guest}" if guest else " of this session"), parent)
        self.usable = [(name, label) for name, label in CODECS if name in decodable()]
        form = QFormLayout(self)
        self.profile_combo = QComboBox()
        for name, label in PROFILE_LABELS.items():
            self.profile_combo.addItem(label, name)
        self.profile_combo.setToolTip("Sets the picture compression and the codec order at once")
        self.profile_combo.activated.connect(self._on_profile)
        form.addRow("P&rofile:", self.profile_combo)

        self.compression_combo = QComboBox()
        self.compression_combo.addItem(SERVER_CHOICE, None)
        for name, label in COMPRESSIONS:
            self.compression_combo.addItem(label, name)
        self.compression_combo.activated.connect(self._match_profile)
        form.addRow("&Pictures:", self.compression_combo)

        self.codec_list = QListWidget()
        self.codec_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        rows = max(1, len(self.usable))
        self.codec_list.setFixedHeight(int(self.codec_list.fontMetrics().height() * 1.3 * rows) + 8)
        self.codec_list.model().rowsMoved.connect(self._match_profile)
        self.codec_list.itemChanged.connect(self._match_profile)
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        buttons = QVBoxLayout()
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        buttons.addStretch(1)
        codecs = QHBoxLayout()
        codecs.addWidget(self.codec_list, 1)
        codecs.addLayout(buttons)
        holder = QWidget()
        holder.setLayout(codecs)
        holder.setContentsMargins(0, 0, 0, 0)
        codecs.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Video codecs:", holder)
        self.codec_list.setToolTip("Most wanted first: drag to reorder, untick to leave a codec out")

        if can is not None:
            for widget, able, reason in (
                (self.compression_combo, can[0], NO_COMPRESSION_CAP),
                (holder, can[1], NO_CODEC_CAP),
                (self.profile_combo, can[0] or can[1], NO_COMPRESSION_CAP),
            ):
                widget.setEnabled(able)
                if not able:
                    widget.setToolTip(reason)
        self.set_quality(quality)

    def set_quality(self, quality: Quality) -> None:
        index = self.compression_combo.findData(quality.compression)
        self.compression_combo.setCurrentIndex(max(index, 0))
        self.codec_list.blockSignals(True)
        self.codec_list.clear()
        chosen = [c for c in quality.codecs if any(c == name for name, _ in self.usable)]
        labels = dict(self.usable)
        order = chosen + [name for name, _ in self.usable if name not in chosen]
        for name in order:
            item = QListWidgetItem(labels[name])
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled)
            # No order given: every codec ticked in the usual order (the server ranks them).
            item.setCheckState(Qt.CheckState.Checked if name in chosen or not chosen else Qt.CheckState.Unchecked)
            self.codec_list.addItem(item)
        self.codec_list.blockSignals(False)
        self._explicit_codecs = bool(quality.codecs)
        self._match_profile()

    def quality(self) -> Quality:
        codecs: tuple[str, ...] = ()
        if self._explicit_codecs or self._order_touched():
            codecs = tuple(
                self.codec_list.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.codec_list.count())
                if self.codec_list.item(i).checkState() == Qt.CheckState.Checked
            )
        return Quality(self.compression_combo.currentData(), codecs)

    def _order_touched(self) -> bool:
        """Whether the list differs from the untouched "server's order" look (all ticked, usual order)."""
        shown = [self.codec_list.item(i) for i in range(self.codec_list.count())]
        usual = [name for name, _ in self.usable]
        return [i.data(Qt.ItemDataRole.UserRole) for i in shown] != usual or any(
            i.checkState() != Qt.CheckState.Checked for i in shown
        )

    def _on_profile(self) -> None:
        name = self.profile_combo.currentData()
        if name:
            self.set_quality(PROFILES[name])

    def _match_profile(self, *_args: object) -> None:
        """The profile combo names the profile the fields equal, else Custom."""
        current = self.quality() if hasattr(self, "_explicit_codecs") else Quality()
        usable = {name for name, _ in self.usable}
        for name, profile in PROFILES.items():
            wanted = Quality(profile.compression, tuple(c for c in profile.codecs if c in usable))
            if current == wanted:
                self.profile_combo.setCurrentIndex(self.profile_combo.findData(name))
                return
        self.profile_combo.setCurrentIndex(self.profile_combo.findData(""))

    def _move(self, step: int) -> None:
        row = self.codec_list.currentRow()
        if row < 0 or not 0 <= row + step < self.codec_list.count():
            return
        item = self.codec_list.takeItem(row)
        self.codec_list.insertItem(row + step, item)
        self.codec_list.setCurrentRow(row + step)
        self._match_profile()
