"""This computer's USB devices for one session: listing them, redirecting one into a free usb-redir slot, and the
automatic redirection remote-viewer users know: devices matching `redirect-on-connect` when the session starts,
devices plugged in later that pass the auto-redirect filter (unless `enable-usb-autoshare=0`).

libusb starts only when it is needed (the VM offers usb-redir slots, or the user opens File > USB devices); a
machine without libusb or python-libusb1 says so once (`error`) and everything else goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..protocol.usbredir import filter as usbfilter
from ..protocol.usbredir.device import DeviceError
from ..session.params import UsbDeviceShare
from ..usb.backend import UsbBackend
from ..usb.describe import LocalDevice
from .usb_device_channel import UsbDeviceChannel

if TYPE_CHECKING:
    from .spice_session import SpiceSession

log = logging.getLogger("spiceview.usb")
# spice-gtk's default auto-connect filter: everything but HID (keyboards and mice stay with this computer).
DEFAULT_AUTO_FILTER = "0x03,-1,-1,-1,0|-1,-1,-1,-1,1"


class UsbDevices:
    def __init__(
        self,
        session: SpiceSession,
        *,
        autoshare: bool = True,
        auto_filter: str | None = None,
        redirect_on_connect: str | None = None,
        backend_factory: Callable[[], UsbBackend] = UsbBackend,
    ) -> None:
        self.session = session
        self.autoshare = autoshare
        self.auto_rules = usbfilter.parse(auto_filter or DEFAULT_AUTO_FILTER)
        self.on_connect_rules = usbfilter.parse(redirect_on_connect) if redirect_on_connect else None
        self._backend_factory = backend_factory
        self._backend: UsbBackend | None = None
        self._lock = threading.Lock()
        self._started = False
        self.last_error: str | None = None  # why the last device could not be redirected
        self.auto_shared: list[str] = []  # what was redirected automatically, for the log and tests
        self.watching = False  # devices plugged in from now on are seen

    @property
    def error(self) -> str | None:
        """Why this computer's devices cannot be offered (no libusb), or None."""
        return self.backend().error

    def backend(self) -> UsbBackend:
        with self._lock:
            if self._backend is None:
                self._backend = self._backend_factory()
                if self._backend.error:
                    log.info("USB devices of this computer: %s", self._backend.error)
            return self._backend

    def devices(self) -> list[LocalDevice]:
        return self.backend().devices()

    def redirected(self) -> dict[str, UsbDeviceChannel]:
        """The devices in the VM now, by LocalDevice.key."""
        used, _free = self.session.usb_slots()
        return {c.local.key: c for c in used if isinstance(c, UsbDeviceChannel) and not c.passthrough.gone}

    def share(self, local: LocalDevice) -> str | None:
        """Redirect a device into a free slot now (any thread); None, or why not (one line)."""
        if local.key in self.redirected():
            return f"{local.label()} is in the VM already"
        return self.session.share_usb(UsbDeviceShare(local.bus, local.address))

    def open_channel(self, channel_id: int, share: UsbDeviceShare) -> UsbDeviceChannel | None:
        """The slot's channel for a device (the session's factory calls this), or None with `last_error` set."""
        backend = self.backend()
        local = next((d for d in backend.devices() if (d.bus, d.address) == (share.bus, share.address)), None)
        if local is None:
            self.last_error = backend.error or f"no USB device at {share.bus}-{share.address} (unplugged?)"
            return None
        try:
            channel = UsbDeviceChannel(self.session, channel_id, backend, local)
        except DeviceError as exc:
            self.last_error = str(exc)
            log.warning("cannot redirect %s", exc)
            return None
        log.info("redirecting %s in slot %d", local.label(), channel_id)
        return channel

    def slots_known(self) -> None:
        """The VM's channels are listed: redirect what `redirect-on-connect` selects, start watching for plugs."""
        used, free = self.session.usb_slots()
        if self._started or not self.session.usbredir_enabled or not (used or free):
            return
        self._started = True
        if self.on_connect_rules is None and not self.autoshare:
            return
        if self.backend().error:
            return
        if self.on_connect_rules is not None:
            for local in self.devices():
                if local.verdict(self.on_connect_rules) is usbfilter.Verdict.ALLOWED:
                    self._auto(local, "on connect")
        if self.autoshare:
            self.watching = self.backend().watch(self._plugged)

    def close(self) -> None:
        with self._lock:
            backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()

    def _plugged(self, arrived: bool, local: LocalDevice) -> None:
        # libusb's hotplug callback may not make synchronous libusb calls (opening the device is one).
        worker = threading.Thread(target=self._plugged_now, args=(arrived, local), name="spiceview-usb-plug")
        worker.daemon = True
        worker.start()

    def _plugged_now(self, arrived: bool, local: LocalDevice) -> None:
        if not arrived:
            channel = self.redirected().get(local.key)
            if channel is not None:
                log.info("%s left this computer: taken out of the VM", channel.local.label())
                channel.device_left()
            return
        if local.verdict(self.auto_rules) is usbfilter.Verdict.ALLOWED:
            self._auto(local, "plugged in")

    def _auto(self, local: LocalDevice, why: str) -> None:
        error = self.share(local)
        if error is None:
            self.auto_shared.append(local.key)
            log.info("%s %s: redirected to the VM", local.label(), why)
        else:
            log.warning("%s %s, not redirected: %s", local.label(), why, error)
