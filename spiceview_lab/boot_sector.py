"""Tiny bootable media for the USB tests: a boot sector that prints a line through the BIOS (and to COM1), as a
disk image or as an El Torito ISO, and how many rows of text a screen shows."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from .requirements import require

MESSAGE = b"Booted from spiceview's shared disk"
CD_MESSAGE = b"Booted from spiceview's shared CD!!"  # as long as MESSAGE: the same code, the same offsets


def boot_sector(message: bytes) -> bytes:
    """A boot sector that prints the message through the BIOS (int 10h, teletype) and halts."""
    code = bytes([
        0x31, 0xC0,              # xor ax, ax
        0x8E, 0xD8,              # mov ds, ax
        0xBE, 0x1B, 0x7C,        # mov si, 0x7c1b (the message)
        0xAC,                    # next: lodsb
        0x08, 0xC0,              # or al, al
        0x74, 0x0C,              # jz done
        0xBA, 0xF8, 0x03,        # mov dx, 0x3f8 (COM1: the serial log is a second witness)
        0xEE,                    # out dx, al
        0xB4, 0x0E,              # mov ah, 0x0e (teletype)
        0xB7, 0x00,              # mov bh, 0 (page)
        0xCD, 0x10,              # int 0x10
        0xEB, 0xEF,              # jmp next
        0xF4,                    # done: hlt
        0xEB, 0xFD,              # jmp done
    ])  # fmt: skip
    assert len(code) == 0x1B
    return (code + message + b"\0").ljust(510, b"\0") + b"\x55\xaa"


def boot_image(path: Path, message: bytes = MESSAGE) -> Path:
    """A 1 MiB disk image that boots the sector."""
    path.write_bytes(boot_sector(message) + bytes(2047 * 512))
    return path


def boot_iso(path: Path) -> Path:
    """An ISO 9660 image with an El Torito no-emulation boot image (xorriso): the BIOS loads it at 0x7C00."""
    require("xorriso")
    tree = path.parent / "iso-tree"
    tree.mkdir()
    (tree / "boot.bin").write_bytes(boot_sector(CD_MESSAGE).ljust(2048, b"\0"))
    (tree / "README.TXT").write_text("spiceview's USB CD-ROM test\n")
    subprocess.run(
        ["xorriso", "-as", "mkisofs", "-quiet", "-o", str(path), "-b", "boot.bin", "-no-emul-boot",
         "-boot-load-size", "4", str(tree)],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return path


def text_rows(picture: np.ndarray) -> int:
    return int((picture.max(axis=2) > 64).any(axis=1).sum())
