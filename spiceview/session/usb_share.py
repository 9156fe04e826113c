"""Disk images shared as USB drives: checked when named (a clear error before connecting), opened when a usbredir
slot takes one."""

from __future__ import annotations

import os

from ..protocol.usbredir.host import EmulatedHost
from ..protocol.usbredir.mass_storage import BLOCK, MassStorage
from .errors import ConfigError

MAX_IMAGE_BYTES = 2**41  # 2 TiB: READ CAPACITY (10) and most BIOSes stop there


def check_disk_image(path: str, writable: bool) -> str:
    """The path, if it names a usable image; ConfigError saying why not."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror or exc}") from None
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: not a regular file")
    if size == 0 or size % BLOCK:
        raise ConfigError(f"{path}: {size} bytes is not a whole number of {BLOCK}-byte sectors")
    if size > MAX_IMAGE_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_IMAGE_BYTES >> 40} TiB")
    if not os.access(path, os.R_OK | (os.W_OK if writable else 0)):
        raise ConfigError(f"{path}: not {'writable' if writable else 'readable'} by this user")
    return path


def open_disk_image(path: str, writable: bool) -> EmulatedHost:
    """The usb-host for one image (OSError if it cannot be opened now)."""
    medium = open(path, "r+b" if writable else "rb")  # noqa: SIM115 - held open while the drive is shared
    size = os.fstat(medium.fileno()).st_size
    product = os.path.basename(path)[:16] or "Shared disk"
    return EmulatedHost(MassStorage(medium, size - size % BLOCK, writable=writable, product=product))
