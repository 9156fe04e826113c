"""libusb's errors as what the VM is told (a usbredir status) and what the user is told (one line)."""

from __future__ import annotations

from ..protocol.usbredir.constants import Status
from ..protocol.usbredir.device import DeviceError

# libusb_error values (libusb.h)
INVALID_PARAM, ACCESS, NO_DEVICE, NOT_FOUND, BUSY, TIMEOUT, PIPE, NOT_SUPPORTED = -2, -3, -4, -5, -6, -7, -9, -12
STATUS = {INVALID_PARAM: Status.INVAL, TIMEOUT: Status.TIMEOUT, PIPE: Status.STALL}


def code_of(exc: Exception) -> int:
    """The libusb error code a usb1.USBError carries (its class attribute `value`)."""
    value = getattr(exc, "value", None)
    return value if isinstance(value, int) else 0


def device_error(exc: Exception, doing: str) -> DeviceError:
    code = code_of(exc)
    return DeviceError(f"{doing}: {exc}", STATUS.get(code, Status.IOERROR), gone=code == NO_DEVICE)


def open_message(exc: Exception, name: str, node: str, vendor_id: int, product_id: int) -> str:
    """Why a device could not be opened, and what to do about it, in one line."""
    code = code_of(exc)
    if code == ACCESS:
        return (
            f"{name}: no permission to open {node}; give your user access (a udev rule such as "
            f'SUBSYSTEM=="usb", ATTRS{{idVendor}}=="{vendor_id:04x}", ATTRS{{idProduct}}=="{product_id:04x}", '
            f'TAG+="uaccess"), then plug it in again'
        )
    if code == NO_DEVICE:
        return f"{name}: it was unplugged"
    if code == BUSY:
        return f"{name}: in use by another program"
    return f"{name}: cannot be opened ({exc})"


def claim_message(exc: Exception, name: str, interface: int) -> str:
    """Why an interface could not be claimed: usually a kernel driver that holds it."""
    code = code_of(exc)
    if code == BUSY:
        return (
            f"{name}: interface {interface} is held by another program or by a kernel driver that could not be "
            "detached; close that program (or unbind the driver) and try again"
        )
    if code == ACCESS:
        return f"{name}: no permission to detach the kernel driver from interface {interface}"
    if code == NOT_SUPPORTED:
        return (
            f"{name}: the system's driver holds interface {interface} and this platform does not let spiceview "
            "detach it"
        )
    if code == NO_DEVICE:
        return f"{name}: it was unplugged"
    return f"{name}: cannot claim interface {interface} ({exc})"
