"""Issue 18: a disk image shared as a USB drive through QEMU's usb-redir (qemu-xhci, no guest OS): QEMU lists the
device, and SeaBIOS boots from it (bootindex=0): the boot sector the test builds writes a line of text, which
spiceview shows as QEMU's own screendump does."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from spiceview.cli import apply_options, build_parser, load_target
from spiceview.headless.session import HeadlessSession
from spiceview.session.params import UsbShare
from spiceview_lab.boot_sector import CD_MESSAGE, MESSAGE, boot_image, boot_iso, text_rows
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.qemu]

# -S: the VM starts once spiceview's usbredir channel is up, so the drive is there when SeaBIOS looks for disks.
USB_ARGS = ["-S", "-device", "qemu-xhci,id=xhci", "-chardev", "spicevmc,name=usbredir,id=ur0",
            "-device", "usb-redir,chardev=ur0,id=ur0dev,bootindex=0"]  # fmt: skip


@pytest.mark.parametrize("kind", ["disk", "cd"])
def test_seabios_boots_from_a_shared_image(tmp_path: Path, kind: str) -> None:
    """A disk image as a USB drive, or an ISO as a USB CD-ROM (El Torito)."""
    require("qemu-system-x86_64")
    from spiceview_lab.pixels import load_ppm
    from spiceview_lab.qemu import QemuServer

    if kind == "disk":
        image, option, message, blocks = boot_image(tmp_path / "boot.img"), "--spice-share-disk", MESSAGE, 2048
    else:
        image, option, message = boot_iso(tmp_path / "boot.iso"), "--spice-share-cd", CD_MESSAGE
        blocks = image.stat().st_size // 2048
    with QemuServer(extra_args=USB_ARGS, serial_log=True) as server:
        args = build_parser().parse_args([option, str(image), server.uri])
        params = apply_options(load_target(server.uri)[0], args)
        assert params.usb_shares == [UsbShare(str(image), cdrom=kind == "cd")]
        with HeadlessSession(params, timeout=30) as s:
            s.wait_until(
                lambda: any(c.channel_type == 9 and c.is_linked for c in s.client.all_channels()), what="usbredir"
            )
            (channel,) = [c for c in s.client.all_channels() if c.channel_type == 9]
            server.qmp.command("cont")
            s.wait_until(lambda: channel.host.connected, timeout=20, what="the guest to take the drive")
            listed = server.qmp.human("info usb")
            assert "USB Redirection Device" in listed and "480 Mb/s" in listed, listed
            dump = tmp_path / "dump.ppm"
            deadline = time.monotonic() + 30
            while True:  # SeaBIOS's banner, "Booting from Hard Disk...", then the boot sector's line
                server.qmp.screendump(dump)
                truth = load_ppm(dump)[..., :3]
                if text_rows(truth[:, : len(message) * 9]) >= (3 if kind == "disk" else 3) * 10:
                    break
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            # The three text lines as QEMU shows them, but for the blinking cursor after the message.
            rows = 3 if kind == "disk" else 4  # a CD boot says "Booting from DVD/CD..." and then the drive's line
            text = (slice(0, 16 * rows), slice(0, len(message) * 9))
            deadline = time.monotonic() + 15
            while not np.array_equal((shown := s.screenshot())[text], truth[text]) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert channel.error is None and channel.host.device.blocks == blocks
            assert channel.host.device.cdrom == (kind == "cd")
            assert message.decode() in server.serial_log.read_text(errors="replace")  # the boot code ran
            if kind == "disk":
                # Unplugged from spiceview: QEMU's bus lets go of the device, the slot is offered again, the image
                # let go; sharing it again works, in a new link to the same slot.
                channel.unplug()
                s.wait_until(lambda: "480 Mb/s" not in server.qmp.human("info usb"), 10, "QEMU to detach it")
                s.wait_until(lambda: s.client.usb_slots() == ([], 1), 10, "the slot to be free again")
                s.wait_until(lambda: channel.host.device.medium.closed, 5, "the image to be let go")
                assert s.client.share_usb(UsbShare(str(image))) is None
                (again,) = s.client.usb_slots()[0]
                s.wait_until(lambda: again.host.connected, 20, "the VM to take the drive again")
                s.wait_until(lambda: "480 Mb/s" in server.qmp.human("info usb"), 10, "QEMU to list it again")
                assert s.client.main.is_linked
            else:
                # Removed on the server's side: the slot's channel closes, the image is let go, the session goes on.
                server.qmp.command("device_del", id="ur0dev")
                s.wait_until(lambda: not channel.is_linked, 10, "the slot's channel to close")
                s.wait_until(lambda: channel.host.device.medium.closed, 5, "the image to be let go")
                assert s.client.main.is_linked and s.screenshot().shape == truth.shape
    assert shown.shape == truth.shape and np.array_equal(shown[text], truth[text])
    ink = truth.max(axis=2) > 64
    last = max(i for i in range(0, truth.shape[0], 16) if ink[i : i + 16].any() and ink[i : i + 16].sum() > 50)
    assert text_rows(truth[last : last + 16, : len(message) * 9]) > 8  # the boot sector's line is there


def test_a_vm_whose_usb_filter_refuses_disks_does_not_get_one(tmp_path: Path) -> None:
    """QEMU's usb-redir filter= (the rules oVirt sets) refuses mass storage: spiceview says why, the session goes on."""
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    image = boot_image(tmp_path / "boot.img")
    refuse_disks = [*USB_ARGS[:-1], USB_ARGS[-1] + ",filter=0x08:-1:-1:-1:0|-1:-1:-1:-1:1"]
    with QemuServer(extra_args=refuse_disks) as server:
        params = apply_options(
            load_target(server.uri)[0], build_parser().parse_args(["--spice-share-disk", str(image), server.uri])
        )
        with HeadlessSession(params, timeout=30) as s:
            s.wait_until(
                lambda: any(c.channel_type == 9 and c.is_linked for c in s.client.all_channels()), what="usbredir"
            )
            (channel,) = [c for c in s.client.all_channels() if c.channel_type == 9]
            server.qmp.command("cont")
            s.wait_until(
                lambda: channel.host.rejected is not None, timeout=20, what="the VM's filter to refuse the disk"
            )
            assert "refuse" in channel.host.rejected
            assert "480 Mb/s" not in server.qmp.human("info usb")
            s.wait_for_frame()
            assert s.client.main.is_linked


def test_an_image_shared_while_connected_goes_into_a_free_slot(tmp_path: Path) -> None:
    """What File > USB devices does: the slot left free at connect time takes an image later."""
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    image = boot_image(tmp_path / "boot.img")
    with QemuServer(extra_args=USB_ARGS[1:]) as server, HeadlessSession(server.uri, timeout=30) as s:
        s.wait_for_frame()
        s.wait_until(lambda: s.client.usb_slots()[1] == 1, timeout=10, what="the free usb-redir slot")
        assert s.client.share_usb(UsbShare(str(tmp_path / "missing.img"))) is not None  # cannot be opened
        s.wait_until(lambda: s.client.usb_slots()[1] == 1, timeout=10, what="the slot free again")
        assert s.client.share_usb(UsbShare(str(image))) is None
        (channel,) = s.client.usb_slots()[0]
        s.wait_until(lambda: channel.host.connected, timeout=20, what="the VM to take the drive")
        s.wait_until(lambda: "480 Mb/s" in server.qmp.human("info usb"), timeout=10, what="QEMU to list it")
        assert "no free USB redirection slot" in (s.client.share_usb(UsbShare(str(image))) or "")
