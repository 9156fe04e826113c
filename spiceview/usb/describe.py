"""A libusb device's descriptors as the plain data the usb-host state machine works from (DeviceInfo)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..protocol.usbredir import filter as usbfilter
from ..protocol.usbredir.constants import MAX_INTERFACES, Speed, TransferType
from ..protocol.usbredir.device import AltSetting, DeviceInfo, EndpointInfo

# libusb_speed -> usbredir's speeds (USB 3.1's SuperSpeed+ is redirected as SuperSpeed, as usbredirhost does)
SPEEDS = {1: Speed.LOW, 2: Speed.FULL, 3: Speed.HIGH, 4: Speed.SUPER, 5: Speed.SUPER}
HUB_CLASS = 0x09
USB1Device = Any  # usb1.USBDevice (or a test's fake): python-libusb1 has no type information


@dataclass(frozen=True)
class LocalDevice:
    """A device plugged into this computer, as listed (nothing opened)."""

    bus: int
    address: int
    vendor_id: int
    product_id: int
    device_class: int
    version_bcd: int
    interfaces: tuple[tuple[int, int, int], ...]  # (class, subclass, protocol) of each interface
    name: str

    @property
    def key(self) -> str:
        return f"{self.bus}-{self.address}"

    @property
    def node(self) -> str:
        return f"/dev/bus/usb/{self.bus:03d}/{self.address:03d}"

    def label(self) -> str:
        return f"{self.name} ({self.vendor_id:04x}:{self.product_id:04x}) at {self.key}"

    def verdict(self, rules: list[usbfilter.Rule], *, default_allow: bool = False) -> usbfilter.Verdict:
        return usbfilter.check(rules, device_class=self.device_class, vendor_id=self.vendor_id,
                               product_id=self.product_id, version_bcd=self.version_bcd,
                               interfaces=list(self.interfaces), default_allow=default_allow)  # fmt: skip


def _string(read: Any) -> str:
    """A string descriptor, or "" when it cannot be read without opening the device (permissions)."""
    try:
        text = read()
    except Exception:  # noqa: BLE001 - any libusb failure just means no name
        return ""
    return text.strip() if isinstance(text, str) else ""


def device_name(device: USB1Device) -> str:
    words = [_string(device.getManufacturer), _string(device.getProduct)]
    return " ".join(w for w in words if w) or "USB device"


def _configuration(device: USB1Device, value: int | None) -> Any:
    configurations = list(device.iterConfigurations())
    for configuration in configurations:
        if value is None or configuration.getConfigurationValue() == value:
            return configuration
    return None


def first_interfaces(device: USB1Device) -> tuple[tuple[int, int, int], ...]:
    configuration = _configuration(device, None)
    if configuration is None:
        return ()
    found = []
    for interface in list(configuration)[:MAX_INTERFACES]:
        settings = list(interface)
        if settings:
            found.append((settings[0].getClass(), settings[0].getSubClass(), settings[0].getProtocol()))
    return tuple(found)


def local_device(device: USB1Device) -> LocalDevice:
    return LocalDevice(
        bus=device.getBusNumber(),
        address=device.getDeviceAddress(),
        vendor_id=device.getVendorID(),
        product_id=device.getProductID(),
        device_class=device.getDeviceClass(),
        version_bcd=device.getbcdDevice(),
        interfaces=first_interfaces(device),
        name=device_name(device),
    )


def device_info(device: USB1Device, configuration_value: int, name: str) -> DeviceInfo:
    """The description of `device` in its active configuration (0: unconfigured, no interfaces)."""
    configuration = _configuration(device, configuration_value) if configuration_value else None
    interfaces: list[tuple[AltSetting, ...]] = []
    for interface in list(configuration or ())[:MAX_INTERFACES]:
        alts = []
        for setting in interface:
            endpoints = tuple(
                EndpointInfo(e.getAddress(), TransferType(e.getAttributes() & 3), e.getInterval(), e.getMaxPacketSize())
                for e in setting
            )
            alts.append(AltSetting(setting.getNumber(), setting.getAlternateSetting(), setting.getClass(),
                                   setting.getSubClass(), setting.getProtocol(), endpoints))  # fmt: skip
        if alts:
            interfaces.append(tuple(alts))
    return DeviceInfo(
        speed=SPEEDS.get(device.getDeviceSpeed(), Speed.UNKNOWN),
        device_class=device.getDeviceClass(),
        device_subclass=device.getDeviceSubClass(),
        device_protocol=device.getDeviceProtocol(),
        vendor_id=device.getVendorID(),
        product_id=device.getProductID(),
        version_bcd=device.getbcdDevice(),
        configuration=configuration_value if configuration is not None else 0,
        interfaces=tuple(interfaces),
        name=name,
    )
