"""What the usb-host side needs from a real USB device, whatever reaches it (libusb here, a fake in tests).

A device is described once (DeviceInfo: its descriptors as plain data) and driven through the UsbDevice protocol:
asynchronous transfers (`submit`, later a completion the adapter feeds back to the host), and the few synchronous
requests libusb makes calls rather than transfers (configuration, alternate setting, clear halt, reset).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

from .constants import Speed, Status, TransferType


class TransferStatus(IntEnum):
    """How a transfer ended (libusb_transfer_status)."""

    COMPLETED = 0
    ERROR = 1
    TIMED_OUT = 2
    CANCELLED = 3
    STALL = 4
    NO_DEVICE = 5
    OVERFLOW = 6


REDIR_STATUS = {
    TransferStatus.COMPLETED: Status.SUCCESS,
    TransferStatus.ERROR: Status.IOERROR,
    TransferStatus.TIMED_OUT: Status.TIMEOUT,
    TransferStatus.CANCELLED: Status.CANCELLED,
    TransferStatus.STALL: Status.STALL,
    TransferStatus.NO_DEVICE: Status.IOERROR,
    TransferStatus.OVERFLOW: Status.BABBLE,
}


class DeviceError(Exception):
    """A request the device (or the platform) refused; `status` is what the guest is told, `gone` if unplugged."""

    def __init__(self, message: str, status: Status = Status.IOERROR, *, gone: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.gone = gone


@dataclass(frozen=True)
class EndpointInfo:
    address: int
    type: TransferType
    interval: int = 0
    max_packet_size: int = 0  # wMaxPacketSize as the descriptor has it (bits 11-12: extra transactions)


@dataclass(frozen=True)
class AltSetting:
    interface: int  # bInterfaceNumber
    alt: int
    cls: int
    subclass: int
    protocol: int
    endpoints: tuple[EndpointInfo, ...] = ()


@dataclass(frozen=True)
class DeviceInfo:
    speed: Speed
    device_class: int
    device_subclass: int
    device_protocol: int
    vendor_id: int
    product_id: int
    version_bcd: int
    configuration: int  # bConfigurationValue of the active configuration, 0: unconfigured
    interfaces: tuple[tuple[AltSetting, ...], ...] = ()  # the active configuration's interfaces, alt settings each
    name: str = ""  # for people: "Vendor Product (1234:abcd)"

    def filter_interfaces(self) -> list[tuple[int, int, int]]:
        """(class, subclass, protocol) of each interface's first alt setting, as usbredir's filter checks them."""
        return [(alts[0].cls, alts[0].subclass, alts[0].protocol) for alts in self.interfaces if alts]


@dataclass(eq=False)
class Transfer:
    """One transfer handed to the device; the adapter gives it back with its completion."""

    kind: TransferType
    endpoint: int
    packet_id: int  # the guest's id (or, in a receiving stream, the id its next data gets)
    length: int  # bytes asked for (IN) or sent (OUT); for iso, per packet times iso_packets
    data: bytes = b""  # OUT data
    setup: tuple[int, int, int, int] | None = None  # control: requesttype, request, value, index
    iso_packets: int = 0
    stream: bool = False  # part of an interrupt or iso receiving stream the host resubmits
    cancelled: bool = field(default=False, compare=False)  # cancelled for good: its completion means nothing


class UsbDevice(Protocol):
    info: DeviceInfo

    def submit(self, transfer: Transfer) -> None:
        """Start a transfer (DeviceError if it cannot start); its completion comes later, from the adapter."""

    def cancel(self, transfer: Transfer) -> None:
        """Ask for a submitted transfer to end; it still completes (CANCELLED, or done if it was too late)."""

    def set_configuration(self, value: int) -> DeviceInfo:
        """Make `value` the active configuration, interfaces claimed again; the new description."""

    def set_alt_setting(self, interface: int, alt: int) -> None: ...

    def clear_halt(self, endpoint: int) -> None: ...

    def reset(self) -> None:
        """Reset the device (DeviceError(gone=True) if it did not come back)."""

    def close(self) -> None:
        """Release the interfaces (kernel drivers back) and close; safe to call twice."""
