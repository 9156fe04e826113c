"""A real device for the usb-host state machine: UsbDevice over a python-libusb1 handle.

Opening claims every interface of the active configuration, with libusb detaching kernel drivers itself (and
giving them back on close); what the platform refuses becomes one line saying what to do. Transfers are libusb's
asynchronous ones; their completions arrive on the backend's event thread and go to `on_done`, which hands them to
the channel's own thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..protocol.usbredir.constants import TransferType
from ..protocol.usbredir.device import DeviceError, DeviceInfo, Transfer, TransferStatus
from .describe import LocalDevice, USB1Device, device_info
from .errors import NOT_FOUND, NOT_SUPPORTED, claim_message, code_of, device_error, open_message

CONTROL_TIMEOUT_MS = 5000  # USB's own limit for a control request
ISO_TIMEOUT_MS = 1000
Done = Callable[[Transfer, TransferStatus, bytes, "list[tuple[TransferStatus, bytes]] | None"], None]


class LibusbDevice:
    def __init__(self, usb1: Any, device: USB1Device, local: LocalDevice, on_done: Done) -> None:
        """Open and claim `device` (DeviceError with the user's one-line message if the platform says no)."""
        self._usb1, self._device, self.local, self._on_done = usb1, device, local, on_done
        self._lock = threading.Lock()
        self._submitted: dict[Transfer, Any] = {}
        self._claimed: list[int] = []
        self.closed = False
        try:
            self._handle = device.open()
        except usb1.USBError as exc:
            raise self._refused(exc) from None
        try:
            self._handle.setAutoDetachKernelDriver(True)
        except usb1.USBError as exc:
            if code_of(exc) != NOT_SUPPORTED:  # macOS, Windows: claiming alone will tell
                raise self._refused(exc) from None
        try:
            self.info = self._claim(self._active_configuration())
        except DeviceError:
            self.close()
            raise

    # --- UsbDevice --------------------------------------------------------------------------------------------

    def submit(self, transfer: Transfer) -> None:
        if self.closed:
            raise DeviceError("the device was given back", gone=True)
        inbound = bool(transfer.endpoint & 0x80)
        payload: int | bytes = transfer.length if inbound else transfer.data
        usb_transfer = self._handle.getTransfer(iso_packets=transfer.iso_packets)
        done, kind = self._completed, transfer.kind
        if kind is TransferType.CONTROL:
            requesttype, request, value, index = transfer.setup or (0, 0, 0, 0)
            usb_transfer.setControl(requesttype, request, value, index, payload, done, transfer, CONTROL_TIMEOUT_MS)
        elif kind is TransferType.BULK:
            usb_transfer.setBulk(transfer.endpoint, payload, done, transfer, 0)
        elif kind is TransferType.INTERRUPT:
            usb_transfer.setInterrupt(transfer.endpoint, payload, done, transfer, 0)
        elif kind is TransferType.ISO:
            usb_transfer.setIsochronous(transfer.endpoint, payload, done, transfer, ISO_TIMEOUT_MS)
        else:
            raise DeviceError(f"no transfers of type {kind}")
        with self._lock:
            self._submitted[transfer] = usb_transfer
        try:
            usb_transfer.submit()
        except self._usb1.USBError as exc:
            with self._lock:
                self._submitted.pop(transfer, None)
            raise device_error(exc, f"submitting a transfer on endpoint {transfer.endpoint:#04x}") from None

    def cancel(self, transfer: Transfer) -> None:
        with self._lock:
            usb_transfer = self._submitted.get(transfer)
        if usb_transfer is None:
            return
        try:
            usb_transfer.cancel()
        except self._usb1.USBError as exc:
            if code_of(exc) != NOT_FOUND:  # already done: its completion is on the way
                raise device_error(exc, "cancelling a transfer") from None

    def set_configuration(self, value: int) -> DeviceInfo:
        self._release()
        try:
            self._handle.setConfiguration(value)
        except self._usb1.USBError as exc:
            error = device_error(exc, f"setting configuration {value}")
            try:
                self.info = self._claim(self._active_configuration())
            except DeviceError:
                pass
            raise error from None
        self.info = self._claim(value)
        return self.info

    def set_alt_setting(self, interface: int, alt: int) -> None:
        try:
            self._handle.setInterfaceAltSetting(interface, alt)
        except self._usb1.USBError as exc:
            raise device_error(exc, f"alternate setting {alt} of interface {interface}") from None

    def clear_halt(self, endpoint: int) -> None:
        try:
            self._handle.clearHalt(endpoint)
        except self._usb1.USBError as exc:
            raise device_error(exc, f"clearing the halt of endpoint {endpoint:#04x}") from None

    def reset(self) -> None:
        try:
            self._handle.resetDevice()
        except self._usb1.USBError as exc:
            # NOT_FOUND: the device came back as another one (re-enumerated): as good as gone for this slot.
            raise DeviceError(f"reset: {exc}", gone=code_of(exc) in (-4, NOT_FOUND)) from None

    def close(self) -> None:
        """Cancel what is in flight, give the interfaces (and kernel drivers) back, close the handle."""
        if self.closed:
            return
        self.closed = True
        with self._lock:
            pending = list(self._submitted.values())
        for usb_transfer in pending:
            try:
                usb_transfer.cancel()
            except self._usb1.USBError:
                pass
        self._release()
        try:
            self._handle.close()
        except self._usb1.USBError:
            pass

    # --- inside -------------------------------------------------------------------------------------------

    def _active_configuration(self) -> int:
        try:
            return int(self._handle.getConfiguration())
        except self._usb1.USBError as exc:
            raise self._refused(exc) from None

    def _refused(self, exc: Exception) -> DeviceError:
        local = self.local
        return DeviceError(open_message(exc, local.name, local.node, local.vendor_id, local.product_id))

    def _claim(self, configuration: int) -> DeviceInfo:
        info = device_info(self._device, configuration, self.local.label())
        for alts in info.interfaces:
            number = alts[0].interface
            try:
                self._handle.claimInterface(number)
            except self._usb1.USBError as exc:
                self._release()
                raise DeviceError(claim_message(exc, self.local.name, number)) from None
            self._claimed.append(number)
        return info

    def _release(self) -> None:
        for number in self._claimed:
            try:
                self._handle.releaseInterface(number)  # with auto-detach, the kernel driver comes back
            except self._usb1.USBError:
                pass
        self._claimed = []

    def _completed(self, usb_transfer: Any) -> None:
        """libusb's completion (the backend's event thread)."""
        transfer: Transfer = usb_transfer.getUserData()
        with self._lock:
            self._submitted.pop(transfer, None)
        try:
            status = TransferStatus(usb_transfer.getStatus())
        except ValueError:
            status = TransferStatus.ERROR
        data, iso = b"", None
        if transfer.kind is TransferType.ISO:
            iso = [
                (_status(s), bytes(buffer) if transfer.endpoint & 0x80 else b"") for s, buffer in usb_transfer.iterISO()
            ]
        elif transfer.endpoint & 0x80 and status is TransferStatus.COMPLETED:
            data = bytes(usb_transfer.getBuffer()[: usb_transfer.getActualLength()])
        self._on_done(transfer, status, data, iso)


def _status(value: int) -> TransferStatus:
    try:
        return TransferStatus(value)
    except ValueError:
        return TransferStatus.ERROR
