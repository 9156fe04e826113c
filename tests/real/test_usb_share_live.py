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
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.qemu]

MESSAGE = b"Booted from spiceview's shared disk"
# -S: the VM starts once spiceview's usbredir channel is up, so the drive is there when SeaBIOS looks for disks.
USB_ARGS = ["-S", "-device", "qemu-xhci,id=xhci", "-chardev", "spicevmc,name=usbredir,id=ur0",
            "-device", "usb-redir,chardev=ur0,id=ur0dev,bootindex=0"]  # fmt: skip


def boot_image(path: Path) -> Path:
    """1 MiB: a boot sector that prints MESSAGE through the BIOS (int 10h, teletype) and halts."""
    code = bytes([
        0x31, 0xC0,              # xor ax, ax
        0x8E, 0xD8,              # mov ds, ax
        0xBE, 0x17, 0x7C,        # mov si, 0x7c17 (the message)
        0xAC,                    # next: lodsb
        0x08, 0xC0,              # or al, al
        0x74, 0x08,              # jz done
        0xB4, 0x0E,              # mov ah, 0x0e (teletype)
        0xB7, 0x00,              # mov bh, 0 (page)
        0xCD, 0x10,              # int 0x10
        0xEB, 0xF3,              # jmp next
        0xF4,                    # done: hlt
        0xEB, 0xFD,              # jmp done
    ])  # fmt: skip
    sector = (code + MESSAGE + b"\0").ljust(510, b"\0") + b"\x55\xaa"
    path.write_bytes(sector + bytes(2047 * 512))
    return path


def text_rows(picture: np.ndarray) -> int:
    return int((picture.max(axis=2) > 64).any(axis=1).sum())


def test_seabios_boots_from_a_shared_disk_image(tmp_path: Path) -> None:
    require("qemu-system-x86_64")
    from spiceview_lab.pixels import load_ppm
    from spiceview_lab.qemu import QemuServer

    image = boot_image(tmp_path / "boot.img")
    with QemuServer(extra_args=USB_ARGS) as server:
        args = build_parser().parse_args(["--spice-share-disk", str(image), server.uri])
        params = apply_options(load_target(server.uri)[0], args)
        assert params.usb_shares == [UsbShare(str(image))]
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
                if text_rows(truth) >= 3 * 10 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            # The three text lines as QEMU shows them, but for the blinking cursor after the message.
            text = (slice(0, 48), slice(0, len(MESSAGE) * 9))
            deadline = time.monotonic() + 15
            while not np.array_equal((shown := s.screenshot())[text], truth[text]) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert channel.error is None and channel.host.device.blocks == 2048
    assert shown.shape == truth.shape and np.array_equal(shown[text], truth[text])
    assert text_rows(truth[32:48, : len(MESSAGE) * 9]) > 8  # the boot sector's line is there
