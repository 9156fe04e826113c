"""This computer's USB devices through libusb: listing, opening, hotplug, and the thread libusb's events need.

python-libusb1 (`usb1`) rather than pyusb: redirection needs libusb's asynchronous transfers (a VM keeps several
bulk and interrupt requests in flight, and reads interrupt and isochronous endpoints continuously) and its hotplug
callbacks; pyusb offers synchronous calls only. `usb1` is pure Python over the system's libusb-1.0.

    backend = UsbBackend()                       # backend.error: why there are no USB devices here, if so
    for device in backend.devices(): ...         # LocalDevice: ids, classes, name; nothing opened
    backend.watch(on_plug)                       # on_plug(arrived, LocalDevice), on the event thread
    opened = backend.open(device, on_done)       # a UsbDevice; DeviceError says why not, in one line
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ..protocol.usbredir.device import DeviceError
from .describe import HUB_CLASS, LocalDevice, local_device
from .libusb_device import Done, LibusbDevice

log = logging.getLogger("spiceview.usb")
EVENT_WAIT_S = 0.1  # how long the event thread waits in libusb at a time (how soon close() is noticed)
Plugged = Callable[[bool, LocalDevice], None]


class UsbBackend:
    def __init__(self, usb1: ModuleType | None = None) -> None:
        """`usb1`: python-libusb1's module (a test passes a fake one). Never raises: `error` says what is missing."""
        self.error: str | None = None
        self._usb1: Any = usb1
        self._context: Any = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._watchers: list[Plugged] = []
        self._hotplug: Any = None
        if self._usb1 is None:
            try:
                self._usb1 = importlib.import_module("usb1")
            except ImportError:
                self.error = "USB devices need python-libusb1 (pip install libusb1)"
                return
        try:
            self._context = self._usb1.USBContext()
            self._context.open()
        except (OSError, self._usb1.USBError) as exc:
            self._context = None
            self.error = f"libusb-1.0 is not usable here ({exc})"

    def devices(self) -> list[LocalDevice]:
        """The devices plugged in now, hubs left out."""
        if self._context is None:
            return []
        found = []
        for device in self._context.getDeviceIterator(skip_on_error=True):
            try:
                if device.getDeviceClass() != HUB_CLASS:
                    found.append(local_device(device))
            except self._usb1.USBError as exc:  # unplugged while listed
                log.debug("skipping a device while listing: %s", exc)
        return found

    def open(self, local: LocalDevice, on_done: Done) -> LibusbDevice:
        if self._context is None:
            raise DeviceError(self.error or "USB is not available")
        for device in self._context.getDeviceIterator(skip_on_error=True):
            if (device.getBusNumber(), device.getDeviceAddress()) == (local.bus, local.address):
                opened = LibusbDevice(self._usb1, device, local, on_done)
                self._run_events()
                return opened
        raise DeviceError(f"{local.name}: it was unplugged")

    def watch(self, plugged: Plugged) -> bool:
        """Call `plugged(arrived, device)` as devices come and go (False if this platform's libusb cannot)."""
        if self._context is None or not self._usb1.hasCapability(self._usb1.CAP_HAS_HOTPLUG):
            return False
        if self._hotplug is None:
            try:
                self._hotplug = self._context.hotplugRegisterCallback(self._on_hotplug, flags=0)  # not those here
            except self._usb1.USBError as exc:  # no udev or netlink here (a container): no plug events
                log.info("USB devices plugged in later will not be seen: %s", exc)
                return False
        self._watchers.append(plugged)
        self._run_events()
        return True

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2 * EVENT_WAIT_S + 1)
        if self._context is not None:
            try:
                self._context.close()
            except self._usb1.USBError:
                pass
            self._context = None

    def _on_hotplug(self, _context: Any, device: Any, event: int) -> bool:
        arrived = event == self._usb1.HOTPLUG_EVENT_DEVICE_ARRIVED
        try:
            if device.getDeviceClass() == HUB_CLASS:
                return False
            local = local_device(device) if arrived else _left(device)
        except self._usb1.USBError as exc:
            log.debug("hotplug event for a device that cannot be read: %s", exc)
            return False
        for plugged in list(self._watchers):
            plugged(arrived, local)
        return False  # keep the callback

    def _run_events(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._events, name="spiceview-usb-events", daemon=True)
            self._thread.start()

    def _events(self) -> None:
        while not self._stop.is_set():
            try:
                self._context.handleEventsTimeout(tv=EVENT_WAIT_S)
            except self._usb1.USBError as exc:  # EINTR and the like: go on
                log.debug("libusb event handling: %s", exc)
            except Exception:  # a completion's handler failed: log it, keep the other devices going
                log.exception("USB event handling failed")


def _left(device: Any) -> LocalDevice:
    """A device that has gone: only its device descriptor is still readable."""
    return LocalDevice(device.getBusNumber(), device.getDeviceAddress(), device.getVendorID(), device.getProductID(),
                       device.getDeviceClass(), device.getbcdDevice(), (), "USB device")  # fmt: skip
