"""Issue 18: a USB device of this computer redirected through the libusb path, against a real QEMU (qemu-xhci,
usb-redir, no guest OS). This machine has no USB hardware, so the device is a fake python-libusb1 at the binding's
boundary (tests/usb/fake_usb1.py: a USB stick served by spiceview's SCSI code); everything above it is what runs
with real hardware: UsbBackend, LibusbDevice, the event thread, PassthroughHost, the channel, auto-redirection."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from fake_usb1 import FakeUsb1, keyboard, stick

from spiceview.channels.usb_device_channel import UsbDeviceChannel
from spiceview.cli import apply_options, build_parser, load_target
from spiceview.headless.session import HeadlessSession
from spiceview.usb.backend import UsbBackend
from spiceview_lab.boot_sector import boot_image, text_rows
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.qemu]

MESSAGE = b"Booted from a USB stick via libusb"
SLOT = ["-device", "qemu-xhci,id=xhci", "-chardev", "spicevmc,name=usbredir,id=ur0",
        "-device", "usb-redir,chardev=ur0,id=ur0dev,bootindex=0"]  # fmt: skip
SECOND_SLOT = ["-chardev", "spicevmc,name=usbredir,id=ur1", "-device", "usb-redir,chardev=ur1,id=ur1dev"]


def usbredir_channels(s: HeadlessSession) -> list[UsbDeviceChannel]:
    return [c for c in s.client.all_channels() if isinstance(c, UsbDeviceChannel)]


def test_seabios_boots_from_a_stick_redirected_on_connect_then_pulled_out(tmp_path: Path) -> None:
    require("qemu-system-x86_64")
    from spiceview_lab.pixels import load_ppm
    from spiceview_lab.qemu import QemuServer

    device = stick(boot_image(tmp_path / "stick.img", MESSAGE).read_bytes(), kernel_driver=True)
    usb1 = FakeUsb1([device, keyboard()])
    with QemuServer(extra_args=["-S", *SLOT], serial_log=True) as server:
        # remote-viewer's option: mass storage present at connect goes to the VM (the keyboard does not match).
        args = build_parser().parse_args(["--spice-usbredir-redirect-on-connect", "0x08,-1,-1,-1,1", server.uri])
        params = apply_options(load_target(server.uri)[0], args)
        with HeadlessSession(params, timeout=30, usb_backend=lambda: UsbBackend(usb1)) as s:
            s.wait_until(lambda: any(c.is_linked for c in usbredir_channels(s)), what="the stick's usbredir slot")
            (channel,) = usbredir_channels(s)
            assert channel.local.key == "1-4" and s.client.usb.auto_shared == ["1-4"]
            assert "detach kernel driver 0" in device.log  # the stick's driver let go of it for the VM
            server.qmp.command("cont")
            s.wait_until(lambda: channel.passthrough.connected, timeout=20, what="the VM to take the stick")
            s.wait_until(lambda: "480 Mb/s" in server.qmp.human("info usb"), timeout=10, what="QEMU to list it")
            dump = tmp_path / "dump.ppm"
            deadline = time.monotonic() + 30
            while True:  # SeaBIOS's banner, "Booting from Hard Disk...", then the boot sector's line
                server.qmp.screendump(dump)
                truth = load_ppm(dump)[..., :3]
                if text_rows(truth[:, : len(MESSAGE) * 9]) >= 30 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            text = (slice(0, 16 * 3), slice(0, len(MESSAGE) * 9))
            deadline = time.monotonic() + 15
            while not np.array_equal((shown := s.screenshot())[text], truth[text]) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert MESSAGE.decode() in server.serial_log.read_text(errors="replace")  # the boot code ran
            # Pulled out of this computer: QEMU's bus lets go, the driver gets the stick back, the session goes on.
            usb1.unplug(device)
            s.wait_until(lambda: "480 Mb/s" not in server.qmp.human("info usb"), 10, "QEMU to detach it")
            s.wait_until(lambda: "close" in device.log, 5, "the device to be given back")
            assert "attach kernel driver 0" in device.log and channel.error is None
            s.wait_until(lambda: s.client.usb_slots() == ([], 1), 10, "the slot to be free again")
            assert s.client.main.is_linked
    assert np.array_equal(shown[text], truth[text])
    assert text_rows(truth[32:48, : len(MESSAGE) * 9]) > 8  # the boot sector's line is there


def test_devices_plugged_in_during_the_session_follow_the_auto_redirect_filter(tmp_path: Path) -> None:
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    usb1 = FakeUsb1([])
    with (
        QemuServer(extra_args=[*SLOT, *SECOND_SLOT]) as server,
        HeadlessSession(server.uri, timeout=30, usb_backend=lambda: UsbBackend(usb1)) as s,
    ):
        s.wait_until(lambda: s.client.usb_slots()[1] == 2, timeout=15, what="two free usb-redir slots")
        s.wait_until(lambda: s.client.usb.watching, timeout=5, what="spiceview to watch for devices")
        # A keyboard stays with this computer (the default filter leaves HID out), a stick goes to the VM.
        usb1.plug(keyboard(address=6))
        first = stick(bytes(64 * 512), address=7)
        usb1.plug(first)
        s.wait_until(lambda: s.client.usb.auto_shared == ["1-7"], timeout=10, what="the stick to be redirected")
        (channel,) = usbredir_channels(s)
        s.wait_until(lambda: channel.passthrough.connected, timeout=20, what="the VM to take the stick")
        s.wait_until(lambda: "480 Mb/s" in server.qmp.human("info usb"), timeout=10, what="QEMU to list it")
        assert s.client.usb_slots()[1] == 1
        # The keyboard on request (File > USB devices): the picker lists it, sharing ignores the auto filter.
        (kbd,) = [d for d in s.client.usb.devices() if d.key == "1-6"]
        assert s.client.usb.share(kbd) is None
        s.wait_until(lambda: "1.5 Mb/s" in server.qmp.human("info usb"), timeout=20, what="QEMU to list the keyboard")
        assert "in the VM already" in (s.client.usb.share(kbd) or "")
        # No free slot for a third device: said, nothing breaks.
        late = stick(bytes(64 * 512), address=8)
        usb1.plug(late)
        time.sleep(1.0)
        assert "no free USB redirection slot" in (s.client.usb.share(s.client.usb.devices()[-1]) or "")
        assert s.client.usb.auto_shared == ["1-7"] and s.client.main.is_linked
        # Unplugged from spiceview (the dialog's Unplug): the VM lets go, the device is closed, the slot stays.
        channel.unplug()
        s.wait_until(lambda: "480 Mb/s" not in server.qmp.human("info usb"), 10, "QEMU to detach the stick")
        s.wait_until(lambda: "close" in first.log, 5, "the stick to be given back")
        s.wait_for_frame()


def test_the_device_picker_redirects_and_unplugs(qt_application) -> None:  # noqa: ANN001
    """File > USB devices against a real QEMU: the picker lists this computer's (fake) devices, Redirect sends the
    selected one to the VM, the slot list says it is there, Unplug gives it back."""
    require("qemu-system-x86_64")
    from spiceview.channels.usbredir_channel import UsbredirChannel
    from spiceview.ui.usb_dialog import UsbDialog
    from spiceview_lab.qemu import QemuServer

    device = stick(bytes(64 * 512), address=3)
    usb1 = FakeUsb1([device])
    with (
        QemuServer(extra_args=SLOT) as server,
        HeadlessSession(server.uri, timeout=30, usb_backend=lambda: UsbBackend(usb1)) as s,
    ):
        s.wait_until(lambda: s.client.usb_slots()[1] == 1, timeout=15, what="the free usb-redir slot")
        s.wait_until(lambda: s.client.usb.watching, timeout=5, what="spiceview to watch for devices")

        def slots() -> tuple[list[UsbredirChannel], int]:
            used, free = s.client.usb_slots()
            return [c for c in used if isinstance(c, UsbredirChannel)], free

        dialog = UsbDialog(slots, s.client.share_usb, local=s.client.usb)
        assert [dialog.devices.item(i).text() for i in range(dialog.devices.count())] == [
            "Fake Inc. Fake stick (1209:0001) at 1-3"
        ]
        dialog.devices.setCurrentRow(0)
        dialog.redirect.click()
        assert dialog.message.text() == "Fake Inc. Fake stick (1209:0001) at 1-3 redirected to the VM"
        s.wait_until(lambda: "480 Mb/s" in server.qmp.human("info usb"), timeout=20, what="QEMU to list it")
        dialog.refresh()
        assert dialog.list.item(0).text() == "slot 0: Fake Inc. Fake stick (1209:0001) at 1-3 - in the VM"
        assert dialog.devices.item(0).text().endswith(" - in the VM") and not dialog.redirect.isEnabled()
        dialog.list.setCurrentRow(0)
        dialog.unplug.click()
        s.wait_until(lambda: "480 Mb/s" not in server.qmp.human("info usb"), 10, "QEMU to detach it")
        s.wait_until(lambda: "close" in device.log, 5, "the stick to be given back")
        s.wait_until(lambda: s.client.usb_slots() == ([], 1), 10, "the slot to be free again")
        dialog.refresh()
        assert dialog.list.count() == 0 and dialog.free_label.text() == "1 free slot"
        # The slot takes the stick again (a new link to it: QEMU starts over with a new hello).
        dialog.redirect.click()
        s.wait_until(lambda: "480 Mb/s" in server.qmp.human("info usb"), timeout=20, what="QEMU to list it again")
        assert device.log.count("open") == 2


def test_the_vm_removing_its_slot_gives_the_device_back(tmp_path: Path) -> None:
    """Server-side detach (QMP device_del of the usb-redir device): the slot's channel closes, the device is
    released with its kernel driver back, the session goes on."""
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    device = stick(bytes(64 * 512), kernel_driver=True)
    usb1 = FakeUsb1([device])
    with QemuServer(extra_args=SLOT) as server:
        args = build_parser().parse_args(["--spice-usbredir-redirect-on-connect=-1,-1,-1,-1,1", server.uri])
        params = apply_options(load_target(server.uri)[0], args)
        with HeadlessSession(params, timeout=30, usb_backend=lambda: UsbBackend(usb1)) as s:
            s.wait_until(lambda: any(c.passthrough.connected for c in usbredir_channels(s)), 20, "the VM to take it")
            (channel,) = usbredir_channels(s)
            server.qmp.command("device_del", id="ur0dev")
            s.wait_until(lambda: not channel.is_linked, 10, "the slot's channel to close")
            s.wait_until(lambda: "attach kernel driver 0" in device.log, 5, "the stick to be given back")
            assert device.log[-1] == "close"
            s.wait_for_frame()
            assert s.client.main.is_linked
