"""A fake python-libusb1 (`usb1`) for the libusb path, at the binding's boundary: what spiceview/usb calls on the
module, its context, devices, handles and transfers, with the same names, arguments and exceptions.

Behind the handles are fake functions ("hardware"): a USB mass-storage stick served by spiceview's own SCSI code
(so a VM can boot from it through the whole libusb path), and a keyboard with an interrupt IN endpoint. Transfers
complete asynchronously, in the thread that calls handleEventsTimeout, as libusb's do; a bulk or interrupt IN
transfer waits until the function has data; cancel() makes it complete as CANCELLED. The platform's refusals are
modelled where spiceview must explain them: no permission to open, a kernel driver holding an interface (detached
only with auto-detach on), another program holding it, unplugging.
"""

from __future__ import annotations

import io
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from spiceview.protocol.usbredir.mass_storage import BULK_IN, BULK_OUT, MassStorage, descriptors

# --- the module's constants and exceptions (values from libusb.h, as usb1 exports them) ---------------------------
SPEED_LOW, SPEED_FULL, SPEED_HIGH, SPEED_SUPER = 1, 2, 3, 4
TRANSFER_COMPLETED, TRANSFER_ERROR, TRANSFER_TIMED_OUT, TRANSFER_CANCELLED = 0, 1, 2, 3
TRANSFER_STALL, TRANSFER_NO_DEVICE, TRANSFER_OVERFLOW = 4, 5, 6
HOTPLUG_EVENT_DEVICE_ARRIVED, HOTPLUG_EVENT_DEVICE_LEFT = 1, 2
CAP_HAS_HOTPLUG = 1


class USBError(Exception):
    value = -99


def _error(name: str, value: int) -> type[USBError]:
    return type(name, (USBError,), {"value": value})


USBErrorInvalidParam = _error("USBErrorInvalidParam", -2)
USBErrorAccess = _error("USBErrorAccess", -3)
USBErrorNoDevice = _error("USBErrorNoDevice", -4)
USBErrorNotFound = _error("USBErrorNotFound", -5)
USBErrorBusy = _error("USBErrorBusy", -6)
USBErrorPipe = _error("USBErrorPipe", -9)
USBErrorNotSupported = _error("USBErrorNotSupported", -12)


def hasCapability(capability: int) -> bool:  # noqa: N802 - usb1's name
    return capability == CAP_HAS_HOTPLUG


# --- descriptors as usb1 exposes them -------------------------------------------------------------------------


@dataclass
class Endpoint:
    address: int
    attributes: int  # transfer type in bits 0-1
    max_packet: int
    interval: int = 0

    def getAddress(self) -> int:  # noqa: N802
        return self.address

    def getAttributes(self) -> int:  # noqa: N802
        return self.attributes

    def getMaxPacketSize(self) -> int:  # noqa: N802
        return self.max_packet

    def getInterval(self) -> int:  # noqa: N802
        return self.interval


@dataclass
class Setting:
    number: int
    alt: int
    cls: int
    subclass: int
    protocol: int
    endpoints: list[Endpoint]

    def __iter__(self) -> Any:
        return iter(self.endpoints)

    def getNumber(self) -> int:  # noqa: N802
        return self.number

    def getAlternateSetting(self) -> int:  # noqa: N802
        return self.alt

    def getClass(self) -> int:  # noqa: N802
        return self.cls

    def getSubClass(self) -> int:  # noqa: N802
        return self.subclass

    def getProtocol(self) -> int:  # noqa: N802
        return self.protocol


@dataclass
class Configuration:
    value: int
    interfaces: list[list[Setting]]

    def __iter__(self) -> Any:
        return iter(self.interfaces)

    def getConfigurationValue(self) -> int:  # noqa: N802
        return self.value


# --- the hardware behind a handle -----------------------------------------------------------------------------


class Function:
    """What answers transfers: control requests on endpoint 0, data on the others."""

    descriptors: dict[tuple[int, int], bytes] = {}

    def control(self, requesttype: int, request: int, value: int, index: int, data: bytes, length: int) -> bytes | int:
        """IN data, OUT bytes taken, or a TRANSFER_ status (int < 0 marks failure: -TRANSFER_STALL)."""
        if requesttype == 0x80 and request == 6:
            found = self.descriptors.get((value >> 8, value & 0xFF))
            return found[:length] if found is not None else -TRANSFER_STALL
        if requesttype & 0x80:
            return b"\0" * min(length, 2)
        return len(data)

    def data_in(self, endpoint: int, length: int) -> bytes | int | None:
        """Data for an IN transfer, a -status, or None: nothing yet (the transfer waits)."""
        return None

    def data_out(self, endpoint: int, data: bytes) -> int:
        return TRANSFER_COMPLETED

    def clear_halt(self, endpoint: int) -> None: ...

    def reset(self) -> None: ...


class MassStorageFunction(Function):
    """A USB stick (bulk-only transport) over spiceview's own SCSI block code, serving `image`."""

    def __init__(self, image: bytes, *, writable: bool = False, cdrom: bool = False) -> None:
        self.medium = io.BytesIO(image)
        self.storage = MassStorage(self.medium, len(image), writable=writable, product="Fake stick", cdrom=cdrom)
        self.descriptors = descriptors("Fake stick", "FAKE0001")

    def control(self, requesttype: int, request: int, value: int, index: int, data: bytes, length: int) -> bytes | int:
        if requesttype == 0xA1 and request == 0xFE:  # GET_MAX_LUN
            return b"\0"[:length]
        if requesttype == 0x21 and request == 0xFF:  # bulk-only reset
            self.storage.reset()
            return 0
        return super().control(requesttype, request, value, index, data, length)

    def data_in(self, endpoint: int, length: int) -> bytes | int | None:
        if endpoint != BULK_IN:
            return -TRANSFER_STALL
        if self.storage.stalled:
            return -TRANSFER_STALL
        return self.storage.bulk_in(length)

    def data_out(self, endpoint: int, data: bytes) -> int:
        if endpoint != BULK_OUT:
            return TRANSFER_STALL
        return TRANSFER_COMPLETED if self.storage.bulk_out(data) else TRANSFER_STALL

    def clear_halt(self, endpoint: int) -> None:
        self.storage.stalled = False

    def reset(self) -> None:
        self.storage.reset()


class KeyboardFunction(Function):
    """A boot keyboard: 8-byte reports on interrupt endpoint 0x81 when keys are pressed (press())."""

    def __init__(self) -> None:
        self.reports: list[bytes] = []
        self.descriptors = {(1, 0): struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0110, 0, 0, 0, 8, 0x1234, 0x0001,
                                                0x0100, 0, 0, 0, 1)}  # fmt: skip

    def press(self, report: bytes) -> None:
        self.reports.append(report)

    def data_in(self, endpoint: int, length: int) -> bytes | int | None:
        return self.reports.pop(0)[:length] if self.reports and endpoint == 0x81 else None


# --- devices, handles, transfers ------------------------------------------------------------------------------


@dataclass
class FakeDevice:
    bus: int
    address: int
    vendor_id: int
    product_id: int
    function: Function
    configurations: list[Configuration]
    device_class: int = 0
    speed: int = SPEED_HIGH
    manufacturer: str = "Fake Inc."
    product: str = "Fake device"
    bcd: int = 0x0100
    open_error: type[USBError] | None = None  # what open() raises (USBErrorAccess: no permission)
    kernel_driver: bool = False  # a kernel driver holds the interfaces (claim needs auto-detach)
    busy: bool = False  # another program holds an interface
    active: int = 1  # configuration value
    unplugged: bool = False
    context: FakeContext | None = None
    log: list[str] = field(default_factory=list)  # what was done to it, in order

    def getBusNumber(self) -> int:  # noqa: N802
        return self.bus

    def getDeviceAddress(self) -> int:  # noqa: N802
        return self.address

    def getVendorID(self) -> int:  # noqa: N802
        return self.vendor_id

    def getProductID(self) -> int:  # noqa: N802
        return self.product_id

    def getDeviceClass(self) -> int:  # noqa: N802
        return self.device_class

    def getDeviceSubClass(self) -> int:  # noqa: N802
        return 0

    def getDeviceProtocol(self) -> int:  # noqa: N802
        return 0

    def getbcdDevice(self) -> int:  # noqa: N802
        return self.bcd

    def getDeviceSpeed(self) -> int:  # noqa: N802
        return self.speed

    def getManufacturer(self) -> str:  # noqa: N802
        if self.open_error is not None:
            raise self.open_error()  # reading strings opens the device
        return self.manufacturer

    def getProduct(self) -> str:  # noqa: N802
        if self.open_error is not None:
            raise self.open_error()
        return self.product

    def iterConfigurations(self) -> Any:  # noqa: N802
        return iter(self.configurations)

    def open(self) -> FakeHandle:
        if self.unplugged:
            raise USBErrorNoDevice()
        if self.open_error is not None:
            raise self.open_error()
        self.log.append("open")
        assert self.context is not None
        return FakeHandle(self, self.context)


class FakeHandle:
    def __init__(self, device: FakeDevice, context: FakeContext) -> None:
        self.device, self.context = device, context
        self.auto_detach = False
        self.claimed: set[int] = set()
        self.closed = False

    def _check(self) -> None:
        if self.device.unplugged:
            raise USBErrorNoDevice()

    def setAutoDetachKernelDriver(self, enable: bool) -> None:  # noqa: N802
        self.auto_detach = enable

    def getConfiguration(self) -> int:  # noqa: N802
        self._check()
        return self.device.active

    def setConfiguration(self, value: int) -> None:  # noqa: N802
        self._check()
        if self.claimed:
            raise USBErrorBusy()
        if value not in [c.value for c in self.device.configurations]:
            raise USBErrorNotFound()
        self.device.active = value
        self.device.log.append(f"set configuration {value}")

    def claimInterface(self, number: int) -> None:  # noqa: N802
        self._check()
        if self.device.busy or (self.device.kernel_driver and not self.auto_detach):
            raise USBErrorBusy()
        if self.device.kernel_driver:
            self.device.log.append(f"detach kernel driver {number}")
        self.claimed.add(number)
        self.device.log.append(f"claim {number}")

    def releaseInterface(self, number: int) -> None:  # noqa: N802
        self.claimed.discard(number)
        self.device.log.append(f"release {number}")
        if self.device.kernel_driver and self.auto_detach:
            self.device.log.append(f"attach kernel driver {number}")

    def setInterfaceAltSetting(self, interface: int, alt: int) -> None:  # noqa: N802
        self._check()
        self.device.log.append(f"alt {interface} {alt}")

    def clearHalt(self, endpoint: int) -> None:  # noqa: N802
        self._check()
        self.device.function.clear_halt(endpoint)
        self.device.log.append(f"clear halt {endpoint:#04x}")

    def resetDevice(self) -> None:  # noqa: N802
        self._check()
        self.device.function.reset()
        self.device.log.append("reset")

    def getTransfer(self, iso_packets: int = 0) -> FakeTransfer:  # noqa: N802
        return FakeTransfer(self, iso_packets)

    def close(self) -> None:
        self.closed = True
        self.device.log.append("close")


class FakeTransfer:
    def __init__(self, handle: FakeHandle, iso_packets: int) -> None:
        self.handle, self.iso_packets = handle, iso_packets
        self.kind = ""
        self.endpoint = 0
        self.setup = (0, 0, 0, 0)
        self.length = 0
        self.out = b""
        self.callback: Callable[[FakeTransfer], None] | None = None
        self.user_data: object = None
        self.status = TRANSFER_COMPLETED
        self.buffer = b""
        self.iso_results: list[tuple[int, bytes]] = []
        self.cancelled = False
        self.submitted = False

    def _set(self, kind: str, endpoint: int, buffer_or_len: int | bytes, callback: Any, user_data: Any) -> None:
        if self.submitted:
            raise ValueError("Cannot alter a submitted transfer")
        self.kind, self.endpoint, self.callback, self.user_data = kind, endpoint, callback, user_data
        if isinstance(buffer_or_len, int):
            self.length, self.out = buffer_or_len, b""
        else:
            self.length, self.out = len(buffer_or_len), bytes(buffer_or_len)

    def setControl(self, request_type, request, value, index, buffer_or_len, callback=None, user_data=None, timeout=0):  # noqa: N802, E501
        self._set("control", 0x80 if request_type & 0x80 else 0, buffer_or_len, callback, user_data)
        self.setup = (request_type, request, value, index)

    def setBulk(self, endpoint, buffer_or_len, callback=None, user_data=None, timeout=0):  # noqa: N802
        self._set("bulk", endpoint, buffer_or_len, callback, user_data)

    def setInterrupt(self, endpoint, buffer_or_len, callback=None, user_data=None, timeout=0):  # noqa: N802
        self._set("interrupt", endpoint, buffer_or_len, callback, user_data)

    def setIsochronous(
        self, endpoint, buffer_or_len, callback=None, user_data=None, timeout=0, iso_transfer_length_list=None
    ):  # noqa: N802, E501
        if self.iso_packets == 0:
            raise TypeError("This transfer canot be used for isochronous I/O.")
        self._set("iso", endpoint, buffer_or_len, callback, user_data)

    def submit(self) -> None:
        if self.handle.device.unplugged:
            raise USBErrorNoDevice()
        if self.submitted:
            raise USBErrorBusy()
        self.submitted, self.cancelled = True, False
        self.handle.context.queue(self)

    def cancel(self) -> None:
        if not self.submitted:
            raise USBErrorNotFound()
        self.cancelled = True
        self.handle.context.wake()

    def getStatus(self) -> int:  # noqa: N802
        return self.status

    def getActualLength(self) -> int:  # noqa: N802
        return len(self.buffer)

    def getBuffer(self) -> memoryview:  # noqa: N802
        return memoryview(self.buffer.ljust(self.length, b"\0"))

    def getUserData(self) -> object:  # noqa: N802
        return self.user_data

    def iterISO(self) -> Any:  # noqa: N802
        return iter(self.iso_results)

    # --- run by the context's event handling ---

    def attempt(self) -> bool:
        """Complete now if the function can; False: keep waiting."""
        device, function = self.handle.device, self.handle.device.function
        if device.unplugged:
            return self._finish(TRANSFER_NO_DEVICE)
        if self.cancelled:
            return self._finish(TRANSFER_CANCELLED)
        inbound = bool(self.endpoint & 0x80)
        if self.kind == "control":
            result = function.control(*self.setup, self.out, self.length)
            if isinstance(result, int) and result < 0:
                return self._finish(-result)
            return self._finish(TRANSFER_COMPLETED, result if isinstance(result, bytes) else b"")
        if self.kind == "iso":
            self.iso_results = [(TRANSFER_COMPLETED, b"\x55" * (self.length // self.iso_packets))] * self.iso_packets
            return self._finish(TRANSFER_COMPLETED)
        if inbound:
            got = function.data_in(self.endpoint, self.length)
            if got is None:
                return False
            if isinstance(got, int):
                return self._finish(-got)
            return self._finish(TRANSFER_COMPLETED, got)
        return self._finish(function.data_out(self.endpoint, self.out))

    def _finish(self, status: int, data: bytes = b"") -> bool:
        self.status, self.buffer, self.submitted = status, data, False
        return True


class FakeContext:
    def __init__(self, usb1: FakeUsb1) -> None:
        self.usb1 = usb1
        self.opened = False
        self._cond = threading.Condition()
        self._pending: list[FakeTransfer] = []
        self._events: list[tuple[FakeDevice, int]] = []
        self._hotplug: list[Callable[..., Any]] = []

    def open(self) -> None:
        if self.usb1.broken:
            raise OSError("libusb-1.0.so.0: cannot open shared object file")
        self.opened = True

    def close(self) -> None:
        self.opened = False

    def getDeviceIterator(self, skip_on_error: bool = False) -> Any:  # noqa: N802
        return iter([d for d in self.usb1.devices if not d.unplugged])

    def hotplugRegisterCallback(self, callback: Callable[..., Any], events: int = 3, flags: int = 1, **_: Any) -> int:  # noqa: N802
        self._hotplug.append(callback)
        return len(self._hotplug)

    def queue(self, transfer: FakeTransfer) -> None:
        with self._cond:
            self._pending.append(transfer)
            self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def hotplug(self, device: FakeDevice, arrived: bool) -> None:
        with self._cond:
            self._events.append((device, HOTPLUG_EVENT_DEVICE_ARRIVED if arrived else HOTPLUG_EVENT_DEVICE_LEFT))
            self._cond.notify_all()

    def handleEventsTimeout(self, tv: float = 0) -> None:  # noqa: N802
        with self._cond:
            events, done = self._collect()
            if not events and not done:
                self._cond.wait(tv)
                events, done = self._collect()
        for device, event in events:
            for callback in list(self._hotplug):
                callback(self, device, event)
        for transfer in done:
            if transfer.callback is not None:
                transfer.callback(transfer)

    def _collect(self) -> tuple[list[tuple[FakeDevice, int]], list[FakeTransfer]]:
        events, self._events = self._events, []
        done: list[FakeTransfer] = []
        progress = True
        while progress:  # an OUT transfer can give a waiting IN transfer its data
            progress = False
            for transfer in list(self._pending):
                if transfer.attempt():
                    self._pending.remove(transfer)
                    done.append(transfer)
                    progress = True
        return events, done


class FakeUsb1:
    """Stands in for the `usb1` module: pass it as UsbBackend(usb1=FakeUsb1(devices))."""

    USBError = USBError
    USBErrorAccess, USBErrorBusy, USBErrorNoDevice = USBErrorAccess, USBErrorBusy, USBErrorNoDevice
    USBErrorNotFound, USBErrorNotSupported, USBErrorPipe = USBErrorNotFound, USBErrorNotSupported, USBErrorPipe
    HOTPLUG_EVENT_DEVICE_ARRIVED, HOTPLUG_EVENT_DEVICE_LEFT = HOTPLUG_EVENT_DEVICE_ARRIVED, HOTPLUG_EVENT_DEVICE_LEFT
    CAP_HAS_HOTPLUG = CAP_HAS_HOTPLUG
    hasCapability = staticmethod(hasCapability)

    def __init__(self, devices: list[FakeDevice] | None = None, *, broken: bool = False) -> None:
        self.devices = list(devices or [])
        self.broken = broken
        self.contexts: list[FakeContext] = []
        for device in self.devices:
            device.context = None

    def USBContext(self) -> FakeContext:  # noqa: N802
        context = FakeContext(self)
        self.contexts.append(context)
        for device in self.devices:
            device.context = context
        return context

    def plug(self, device: FakeDevice) -> None:
        self.devices.append(device)
        for context in self.contexts:
            device.context = context
            context.hotplug(device, True)

    def wake(self) -> None:
        """Something changed in a function (a key pressed): let waiting transfers look again."""
        for context in self.contexts:
            context.wake()

    def unplug(self, device: FakeDevice) -> None:
        device.unplugged = True
        for context in self.contexts:
            context.hotplug(device, False)
            context.wake()


def stick(image: bytes, *, bus: int = 1, address: int = 4, **options: Any) -> FakeDevice:
    """A USB stick with `image` on it (one interface, mass storage, two bulk endpoints)."""
    bulk = [Endpoint(BULK_IN, 2, 512), Endpoint(BULK_OUT, 2, 512)]
    configuration = Configuration(1, [[Setting(0, 0, 0x08, 0x06, 0x50, bulk)]])
    function = MassStorageFunction(image)
    ids = struct.unpack_from("<HH", function.descriptors[(1, 0)], 8)  # what its device descriptor says
    return FakeDevice(bus, address, *ids, function, [configuration],
                      product="Fake stick", **options)  # fmt: skip


def keyboard(*, bus: int = 1, address: int = 5, **options: Any) -> FakeDevice:
    configuration = Configuration(1, [[Setting(0, 0, 0x03, 0x01, 0x01, [Endpoint(0x81, 3, 8, 10)])]])
    return FakeDevice(bus, address, 0x1234, 0x0001, KeyboardFunction(), [configuration], speed=SPEED_LOW,
                      product="Fake keyboard", **options)  # fmt: skip
