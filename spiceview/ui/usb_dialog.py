"""File > USB devices: the images shared with the VM as USB drives, one per usb-redir slot, and sharing more.

Lists each slot in use (the image, read-only or not, whether the VM took it or its filter refused it) and how many
are free; "Share disk image..." and "Share ISO as CD-ROM..." share a file now (or say why not: no free slot, the
VM has none, the file cannot be used); an .iso or .img file dropped on the dialog is shared the same way; "Unplug"
takes the selected one out. Real USB devices of this computer are not offered yet (see README).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..channels.usbredir_channel import UsbredirChannel
from ..session.errors import ConfigError
from ..session.params import UsbShare
from ..session.usb_share import check_disk_image

Slots = Callable[[], tuple[list[UsbredirChannel], int]]
Share = Callable[[UsbShare], str | None]


def describe(channel: UsbredirChannel) -> str:
    device = channel.host.device
    kind = "CD-ROM" if device.cdrom else ("disk, read-write" if device.writable else "disk, read-only")
    name = getattr(device.medium, "name", "image")
    if channel.host.rejected:
        state = channel.host.rejected
    elif channel.error:
        state = channel.error
    elif channel.host.connected:
        state = "in the VM"
    else:
        state = "waiting for the VM"
    return f"slot {channel.channel_id}: {Path(str(name)).name} ({kind}) - {state}"


class UsbDialog(QDialog):
    def __init__(self, slots: Slots, share: Share, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("USB devices")
        self.setAcceptDrops(True)
        self._slots, self._share = slots, share
        self.list = QListWidget()
        self.free_label = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.share_disk = QPushButton("Share disk image...")
        self.share_cd = QPushButton("Share ISO as CD-ROM...")
        self.unplug = QPushButton("Unplug")
        self.share_disk.clicked.connect(lambda: self._choose(cdrom=False))
        self.share_cd.clicked.connect(lambda: self._choose(cdrom=True))
        self.unplug.clicked.connect(self._unplug)
        buttons = QHBoxLayout()
        for button in (self.share_disk, self.share_cd, self.unplug):
            buttons.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Images shared with the VM as USB drives (drop an .iso or .img file here):"))
        layout.addWidget(self.list)
        layout.addWidget(self.free_label)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        used, free = self._slots()
        self.list.clear()
        for channel in used:
            item = QListWidgetItem(describe(channel))
            item.setData(Qt.ItemDataRole.UserRole, channel)
            self.list.addItem(item)
        self.free_label.setText(f"{free} free slot{'s' if free != 1 else ''}")
        for button in (self.share_disk, self.share_cd):
            button.setEnabled(free > 0)
            button.setToolTip("" if free else "No free USB redirection slot in the VM (QEMU: -device usb-redir)")
        self.unplug.setEnabled(bool(used))

    def share_file(self, path: str, *, cdrom: bool | None = None, writable: bool = False) -> bool:
        """Share a file now; False (and the reason shown) if it cannot be."""
        is_cd = path.lower().endswith(".iso") if cdrom is None else cdrom
        try:
            check_disk_image(path, writable, cdrom=is_cd)
        except ConfigError as exc:
            self._say(str(exc))
            return False
        error = self._share(UsbShare(path, writable=writable and not is_cd, cdrom=is_cd))
        self._say(error or f"{Path(path).name} shared as a USB {'CD-ROM' if is_cd else 'disk'}")
        self.refresh()
        return error is None

    def _choose(self, *, cdrom: bool) -> None:
        kinds = "ISO images (*.iso)" if cdrom else "Disk images (*.img *.raw *.bin);;All files (*)"
        path, _ = QFileDialog.getOpenFileName(self, "Share with the VM", "", kinds)
        if path:
            self.share_file(path, cdrom=cdrom)

    def _unplug(self) -> None:
        item = self.list.currentItem() or self.list.item(0)
        if item is not None:
            channel = item.data(Qt.ItemDataRole.UserRole)
            channel.unplug()
            self._say(f"slot {channel.channel_id} unplugged")
        self.refresh()

    def _say(self, text: str) -> None:
        self.message.setText(text[:1].upper() + text[1:])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt API
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.share_file(url.toLocalFile())
        event.acceptProposedAction()
