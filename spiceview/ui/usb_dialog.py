"""File > USB devices: what is in the VM's usb-redir slots (images shared as USB drives, devices of this computer),
the devices of this computer that could go there, and sharing more.

Lists each slot in use (the image, read-only or not, or the device; whether the VM took it or its filter refused
it) and how many are free; "Share disk image..." and "Share ISO as CD-ROM..." share a file now (or say why not: no
free slot, the VM has none, the file cannot be used); an .iso or .img file dropped on the dialog is shared the
same way; "Unplug" takes the selected one out. Below, this computer's USB devices (hubs left out): "Redirect"
sends the selected one to the VM, or says why not (permissions, a driver holding it, no free slot); "Refresh"
lists them again. Without libusb the list says so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

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

from ..channels.usb_device_channel import UsbDeviceChannel
from ..channels.usbredir_channel import UsbredirChannel
from ..protocol.usbredir.host import EmulatedHost
from ..session.errors import ConfigError
from ..session.params import UsbShare
from ..session.usb_share import check_disk_image
from ..usb.describe import LocalDevice

Slots = Callable[[], tuple[list[UsbredirChannel], int]]
NO_FREE_SLOT = "No free USB redirection slot in the VM (QEMU: -device usb-redir)"
Share = Callable[[UsbShare], str | None]


class LocalDevices(Protocol):
    """This computer's devices, as the session offers them (channels/usb_devices.UsbDevices)."""

    @property
    def error(self) -> str | None: ...

    def devices(self) -> list[LocalDevice]: ...

    def share(self, local: LocalDevice) -> str | None: ...


def describe(channel: UsbredirChannel) -> str:
    host = channel.host
    if isinstance(channel, UsbDeviceChannel):
        what = channel.local.label()
    elif isinstance(host, EmulatedHost):
        device = host.device
        kind = "CD-ROM" if device.cdrom else ("disk, read-write" if device.writable else "disk, read-only")
        what = f"{Path(str(getattr(device.medium, 'name', 'image'))).name} ({kind})"
    else:
        what = "USB device"
    if channel.host.rejected:
        state = channel.host.rejected
    elif channel.error:
        state = channel.error
    elif channel.host.connected:
        state = "in the VM"
    elif isinstance(channel, UsbDeviceChannel) and channel.passthrough.gone:
        state = "given back to this computer"
    else:
        state = "waiting for the VM"
    return f"slot {channel.channel_id}: {what} - {state}"


class UsbDialog(QDialog):
    def __init__(
        self, slots: Slots, share: Share, parent: QWidget | None = None, local: LocalDevices | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("USB devices")
        self.setAcceptDrops(True)
        self._slots, self._share, self._local = slots, share, local
        self.devices = QListWidget()
        self.devices_note = QLabel()
        self.devices_note.setWordWrap(True)
        self.redirect = QPushButton("Redirect")
        self.rescan = QPushButton("Refresh")
        self.redirect.clicked.connect(self._redirect)
        self.rescan.clicked.connect(self.refresh)
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
        layout.addWidget(QLabel("In the VM's USB slots (drop an .iso or .img file here to share it as a drive):"))
        layout.addWidget(self.list)
        layout.addWidget(self.free_label)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("USB devices of this computer:"))
        layout.addWidget(self.devices)
        layout.addWidget(self.devices_note)
        device_buttons = QHBoxLayout()
        for button in (self.redirect, self.rescan):
            device_buttons.addWidget(button)
        layout.addLayout(device_buttons)
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
            button.setToolTip("" if free else NO_FREE_SLOT)
        self.unplug.setEnabled(bool(used))
        self._list_devices(used, free)

    def _list_devices(self, used: list[UsbredirChannel], free: int) -> None:
        self.devices.clear()
        error = self._local.error if self._local is not None else "not offered by this session"
        in_vm = {c.local.key for c in used if isinstance(c, UsbDeviceChannel) and not c.passthrough.gone}
        found = self._local.devices() if self._local is not None and not error else []
        for local in found:
            item = QListWidgetItem(local.label() + (" - in the VM" if local.key in in_vm else ""))
            item.setData(Qt.ItemDataRole.UserRole, local)
            if local.key in in_vm:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.devices.addItem(item)
        self.devices_note.setText(error[:1].upper() + error[1:] if error else ("" if found else "No USB devices found"))
        self.devices_note.setVisible(bool(error) or not found)
        self.redirect.setEnabled(free > 0 and any(d.key not in in_vm for d in found))
        self.redirect.setToolTip("" if free else NO_FREE_SLOT)

    def redirect_device(self, local: LocalDevice) -> bool:
        """Send a device of this computer to the VM now; False (and the reason shown) if it cannot be."""
        if self._local is None:
            return False
        error = self._local.share(local)
        self._say(error or f"{local.label()} redirected to the VM")
        self.refresh()
        return error is None

    def _redirect(self) -> None:
        item = self.devices.currentItem()
        if item is None:
            enabled = [self.devices.item(i) for i in range(self.devices.count())]
            item = next((i for i in enabled if i.flags() & Qt.ItemFlag.ItemIsEnabled), None)
        if item is not None:
            self.redirect_device(item.data(Qt.ItemDataRole.UserRole))

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
