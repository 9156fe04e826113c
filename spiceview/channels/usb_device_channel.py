"""UsbDeviceChannel: a usb-redir slot carrying a USB device of this computer, through libusb.

The adapter between three threads: the VM's packets arrive on the channel's thread and go to the pure
PassthroughHost (protocol/usbredir/passthrough.py); libusb's completions arrive on the USB event thread and are
handed to the channel's thread before the host sees them; a device unplugged from this computer (hotplug, any
thread) is announced to the VM from the channel's thread too. The device goes back to this computer (interfaces
released, kernel drivers reattached) when the user unplugs it, when it leaves, or when the slot closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol.usbredir.device import Transfer, TransferStatus
from ..protocol.usbredir.passthrough import PassthroughHost
from ..usb.describe import LocalDevice
from .usbredir_channel import UsbredirChannel

if TYPE_CHECKING:
    from ..usb.backend import UsbBackend
    from .channel_session import ChannelSession


class UsbDeviceChannel(UsbredirChannel):
    def __init__(self, session: ChannelSession, channel_id: int, backend: UsbBackend, local: LocalDevice) -> None:
        """Opens the device now: DeviceError (one line for the user) if this computer will not give it."""
        self.local = local
        self.device = backend.open(local, self._completed)
        self.passthrough = PassthroughHost(self.device)
        super().__init__(session, channel_id, lambda: self.passthrough)

    def device_left(self) -> None:
        """This computer lost the device (hotplug; any thread)."""
        loop = self.loop
        if loop is not None:
            loop.call_soon(lambda: self._take_out(self.passthrough.device_lost))

    def release(self) -> None:
        self.device.close()  # safe twice

    def _flush(self) -> None:
        super()._flush()
        if self.passthrough.gone:
            self.release()  # unplugged, gone from this computer, refused by the VM's filter, lost in a reset

    def _completed(
        self,
        transfer: Transfer,
        status: TransferStatus,
        data: bytes,
        iso: list[tuple[TransferStatus, bytes]] | None,
    ) -> None:
        """libusb finished a transfer (USB event thread): the host hears of it on the channel's thread."""

        def done() -> None:
            self.passthrough.transfer_done(transfer, status, data, iso)
            self._flush()

        loop = self.loop
        if loop is not None:
            loop.call_soon(done)
