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
