"""Disk images shared as USB drives: checked when named (a clear error before connecting), opened when a usbredir
slot takes one."""

from __future__ import annotations

import os

from ..protocol.usbredir.host import EmulatedHost
from ..protocol.usbredir.mass_storage import BLOCK, CD_BLOCK, MassStorage
from .errors import ConfigError

MAX_IMAGE_BYTES = 2**41  # 2 TiB: READ CAPACITY (10) and most BIOSes stop there


def check_disk_image(path: str, writable: bool, *, cdrom: bool = False) -> str:
    """The path, if it names a usable image (an ISO for a CD-ROM); ConfigError saying why not."""
    block = CD_BLOCK if cdrom else BLOCK
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: not a regular file")
    if size == 0 or size % block:
        raise ConfigError(f"{path}: {size} bytes is not a whole number of {block}-byte sectors")
    if size > MAX_IMAGE_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_IMAGE_BYTES >> 40} TiB")
    if not os.access(path, os.R_OK | (os.W_OK if writable else 0)):
        raise ConfigError(f"{path}: not {'writable' if writable else 'readable'} by this user")
    return path


def open_disk_image(path: str, writable: bool, *, cdrom: bool = False) -> EmulatedHost:
    """The usb-host for one image (OSError if it cannot be opened now); `cdrom`: an ISO as a USB CD-ROM."""
    writable = writable and not cdrom
    medium = open(path, "r+b" if writable else "rb")  # noqa: SIM115 - held open while the drive is shared
    size = os.fstat(medium.fileno()).st_size
    block = CD_BLOCK if cdrom else BLOCK
    product = os.path.basename(path)[:16] or ("Shared CD-ROM" if cdrom else "Shared disk")
    return EmulatedHost(MassStorage(medium, size - size % block, writable=writable, product=product, cdrom=cdrom))
