"""UsbredirChannel: one of the VM's USB redirection slots, carrying a device spiceview shares: an emulated disk
(this class) or a device of this computer (UsbDeviceChannel, usb_device_channel.py).

A thin adapter (as agent_link.py is for the agent): the usbredir logic is protocol/usbredir/host.py or
passthrough.py, pure; this moves their bytes in SPICEVMC_DATA messages on the channel's thread. A peer breaking
usbredir's rules ends this channel with a one-line reason; the session goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..protocol.constants import ChannelType
from ..protocol.messages import spicevmc as vmc
from ..protocol.messages.classes import MsgcSpicevmcData, MsgSpicevmcData
from ..protocol.usbredir.connection import UsbredirError
from ..protocol.usbredir.host import EmulatedHost
from ..protocol.usbredir.passthrough import PassthroughHost
from .channel_base import ChannelBase
from .signals import Signal

if TYPE_CHECKING:
    from .channel_session import ChannelSession

MAX_CHUNK = 64 * 1024  # bytes per SPICEVMC_DATA message (spice-gtk sends what usbredir gives it, in one)


class UsbredirChannel(ChannelBase):
    channel_type = ChannelType.USBREDIR

    device_attached = Signal()  # the guest side took the device (channel thread)
    device_failed = Signal(str)

    def __init__(
        self, session: ChannelSession, channel_id: int, make_host: Callable[[], EmulatedHost | PassthroughHost]
    ) -> None:
        super().__init__(session, channel_id)
        self.host = make_host()
        self.taken_out = False  # unplugged by the user, or gone from this computer: the slot is to be let go
        self.handlers.update({vmc.MSG_DATA: self._on_data, vmc.MSG_COMPRESSED_DATA: self._on_compressed})

    def on_up(self) -> None:
        self._flush()  # our hello

    def on_down(self) -> None:
        # The server dropped the slot (the VM's usb-redir device was removed) or the session ended.
        self.release()

    def release(self) -> None:
        """Let go of what is shared: here the image file (nothing is cached, every write went to it at once)."""
        host = self.host
        if isinstance(host, EmulatedHost):
            try:
                host.device.medium.close()
            except OSError as exc:
                self.log.warning("closing the shared image: %s", exc)

    def unplug(self) -> None:
        """Tell the guest the device is gone (any thread); once it has let go, the slot is free for another."""
        loop = self.loop
        if loop is not None:
            loop.call_soon(self._unplug_now)

    def _unplug_now(self) -> None:
        self._take_out(self.host.unplug)

    def _take_out(self, tell_the_vm: Callable[[], None]) -> None:
        """The device goes (the user unplugged it, or it left this computer): the VM is told, and the slot is let
        go once it confirms (at once when it never took the device, or refused it)."""
        was_connected = self.host.connected
        tell_the_vm()
        self._flush()
        self.taken_out = True
        if not was_connected:
            self.session.free_usb_slot(self)

    def _on_data(self, msg: MsgSpicevmcData) -> None:
        was_attached = self.host.connected
        try:
            self.host.receive_data(bytes(msg.data))
        except UsbredirError as exc:
            self.error = f"USB redirection stopped: {exc}"
            self.log.warning("%s", self.error)
            self.device_failed.emit(self.error)
            self.stop()
            return
        self._flush()
        if self.host.connected and not was_attached:
            self.device_attached.emit()
        if self.taken_out and self.host.disconnect_acked:
            self.session.free_usb_slot(self)

    def _on_compressed(self, _msg: object) -> None:
        self.log.warning("compressed usbredir data, which spiceview never asked for: ignored")

    def _flush(self) -> None:
        data = self.host.data_to_send()
        for start in range(0, len(data), MAX_CHUNK):
            self.send(MsgcSpicevmcData(data=data[start : start + MAX_CHUNK]))
