"""UsbDeviceChannel: a usb-redir slot carrying a USB device of this computer, through libusb.

The adapter between three threads: the VM's packets arrive on the channel's thread and go to the pure
PassthroughHost (protocol/usbredir/passthrough.py); libusb's completions arrive on the USB event thread and are
handed to the channel's thread before the host sees them; a device unplugged from this computer (hotplug, any
thread) is announced to the VM from the channel's thread too. The device goes back to this computer (interfaces
released, kernel drivers reattached) when the user unplugs it, when it leaves, or when the slot closes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..protocol.messages.classes import MsgSpicevmcData
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

    def describe(self) -> str:
        return self.local.label()

    def device_left(self) -> None:
        """This computer lost the device (hotplug; any thread)."""
        loop = self.loop
        if loop is not None:
            loop.call_soon(self._left_now)

    def release(self) -> None:
        self.device.close()

    def _left_now(self) -> None:
        was_connected = self.passthrough.connected
        self.passthrough.device_lost()
        self._flush()
        self.release()
        self.taken_out = True
        if not was_connected:
            self.session.free_usb_slot(self)

    def _unplug_now(self) -> None:
        super()._unplug_now()
        self.release()

    def _completed(
        self,
        transfer: Transfer,
        status: TransferStatus,
        data: bytes,
        iso: list[tuple[TransferStatus, bytes]] | None,
    ) -> None:
        """libusb finished a transfer (USB event thread): the host hears of it on the channel's thread."""
        loop = self.loop
        if loop is not None:
            loop.call_soon(lambda: self._completed_now(transfer, status, data, iso))

    def _completed_now(
        self,
        transfer: Transfer,
        status: TransferStatus,
        data: bytes,
        iso: list[tuple[TransferStatus, bytes]] | None,
    ) -> None:
        was_gone = self.passthrough.gone
        self.passthrough.transfer_done(transfer, status, data, iso)
        self._flush()
        if self.passthrough.gone and not was_gone:
            self.release()

    def _on_data(self, msg: MsgSpicevmcData) -> None:
        super()._on_data(msg)
        if self.passthrough.gone:
            self.release()  # the VM's filter refused it, or a reset lost it
