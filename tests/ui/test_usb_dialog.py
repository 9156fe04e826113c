"""File > USB devices without a server: slots listed with their state, sharing checked first, drops shared,
unplug, and the reasons shown when nothing can be shared."""

from __future__ import annotations

import io
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from spiceview.protocol.usbredir.host import EmulatedHost
from spiceview.protocol.usbredir.mass_storage import MassStorage
from spiceview.session.params import UsbShare
from spiceview.ui.usb_dialog import UsbDialog
from spiceview.usb.describe import LocalDevice


class FakeSlot:
    def __init__(self, channel_id: int, cdrom: bool = False) -> None:
        medium = io.BytesIO(bytes(4096))
        medium.name = "/images/installer.iso" if cdrom else "/images/data.img"  # type: ignore[attr-defined]
        self.host = EmulatedHost(MassStorage(medium, 4096, cdrom=cdrom), serial="T")
        self.channel_id = channel_id
        self.error: str | None = None
        self.unplugged = False

    def unplug(self) -> None:
        self.unplugged = True
        self.host.connected = False


def test_slots_sharing_dropping_and_unplugging(qt_application, tmp_path: Path) -> None:  # noqa: ANN001
    used: list[FakeSlot] = [FakeSlot(0)]
    used[0].host.connected = True
    shared: list[UsbShare] = []
    free = [2]

    def share(what: UsbShare) -> str | None:
        shared.append(what)
        slot = FakeSlot(len(used), cdrom=what.cdrom)
        used.append(slot)
        free[0] -= 1
        return None

    dialog = UsbDialog(lambda: (used, free[0]), share)  # type: ignore[arg-type]
    assert dialog.list.count() == 1 and "data.img (disk, read-only) - in the VM" in dialog.list.item(0).text()
    assert dialog.free_label.text() == "2 free slots"
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(1024))
    assert dialog.share_file(str(image)) and shared[-1] == UsbShare(str(image))
    iso = tmp_path / "boot.iso"
    iso.write_bytes(bytes(4096))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(iso))])
    dialog.dropEvent(
        QDropEvent(
            QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
        )
    )
    assert shared[-1] == UsbShare(str(iso), cdrom=True) and dialog.list.count() == 3
    assert not dialog.share_disk.isEnabled() and "No free USB redirection slot" in dialog.share_disk.toolTip()
    odd = tmp_path / "odd.img"
    odd.write_bytes(bytes(1000))
    assert not dialog.share_file(str(odd)) and "1000 bytes is not a whole number" in dialog.message.text()
    dialog.list.setCurrentRow(0)
    dialog.unplug.click()
    assert used[0].unplugged and dialog.message.text() == "Slot 0 unplugged"


def test_a_vm_without_slots_says_so(qt_application, tmp_path: Path) -> None:  # noqa: ANN001
    dialog = UsbDialog(lambda: ([], 0), lambda share: "the VM has no USB redirection slot (QEMU: -device usb-redir)")
    assert not dialog.share_cd.isEnabled() and dialog.free_label.text() == "0 free slots"
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(512))
    assert not dialog.share_file(str(image))
    assert dialog.message.text() == "The VM has no USB redirection slot (QEMU: -device usb-redir)"


STICK = LocalDevice(1, 4, 0x0781, 0x5567, 0, 0x0100, ((0x08, 0x06, 0x50),), "SanDisk Cruzer Blade")
MOUSE = LocalDevice(1, 5, 0x046D, 0xC077, 0, 0x7200, ((0x03, 0x01, 0x02),), "Logitech USB Optical Mouse")


class FakeLocal:
    """This computer's devices as the session offers them (UsbDevices)."""

    def __init__(self, error: str | None = None, refuse: str | None = None) -> None:
        self.error, self.refuse = error, refuse
        self.shared: list[LocalDevice] = []

    def devices(self) -> list[LocalDevice]:
        return [STICK, MOUSE]

    def share(self, local: LocalDevice) -> str | None:
        if self.refuse:
            return self.refuse
        self.shared.append(local)
        return None


def test_this_computers_devices_are_listed_and_redirected(qt_application) -> None:  # noqa: ANN001
    local = FakeLocal()
    dialog = UsbDialog(lambda: ([], 2), lambda share: None, local=local)
    labels = [dialog.devices.item(i).text() for i in range(dialog.devices.count())]
    assert labels == ["SanDisk Cruzer Blade (0781:5567) at 1-4", "Logitech USB Optical Mouse (046d:c077) at 1-5"]
    assert dialog.redirect.isEnabled() and not dialog.devices_note.isVisibleTo(dialog)
    dialog.devices.setCurrentRow(1)
    dialog.redirect.click()
    assert local.shared == [MOUSE] and dialog.message.text().endswith("redirected to the VM")


def test_a_refused_device_says_why_and_a_missing_libusb_is_named(qt_application) -> None:  # noqa: ANN001
    why = "SanDisk Cruzer Blade: no permission to open /dev/bus/usb/001/004; give your user access (...)"
    dialog = UsbDialog(lambda: ([], 1), lambda share: None, local=FakeLocal(refuse=why))
    assert not dialog.redirect_device(STICK) and dialog.message.text() == why
    missing = UsbDialog(lambda: ([], 1), lambda share: None, local=FakeLocal(error="USB devices need python-libusb1"))
    assert missing.devices.count() == 0 and missing.devices_note.text() == "USB devices need python-libusb1"
    assert not missing.redirect.isEnabled()
    full = UsbDialog(lambda: ([], 0), lambda share: None, local=FakeLocal())
    assert not full.redirect.isEnabled() and "No free USB redirection slot" in full.redirect.toolTip()
