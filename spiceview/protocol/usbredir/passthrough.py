"""The usb-host side for a real device: the VM's requests become transfers on a UsbDevice, sans-IO.

    host = PassthroughHost(device)                 # device: a UsbDevice (libusb's adapter, or a fake)
    host.receive_data(bytes_from_the_channel)      # UsbredirError: close the channel
    host.transfer_done(transfer, status, data)     # the device's completions, on the same thread
    channel.send(host.data_to_send())

What usbredirhost does, in the same order of checks: the VM's control, bulk and interrupt packets are submitted
as they come (a clear-halt request becomes the device's own clear halt, so the platform knows the stall is over);
interrupt and isochronous IN endpoints are read by a few transfers that are resubmitted as they complete, each
result going to the VM with the next id of the stream; configuration, alternate setting and reset are the device's
synchronous requests. A device that disappears is announced once (device_disconnect) and every later request is
answered with an I/O error. Everything the VM controls is bounded: bytes in flight, transfers per stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import filter as usbfilter
from .connection import UsbredirConnection
from .constants import MAX_ENDPOINTS, MAX_INTERFACES, PacketType, Speed, Status, TransferType
from .device import REDIR_STATUS, DeviceError, Transfer, TransferStatus, UsbDevice
from .host import HOST_CAPS, ep_index
from .packets import HOST, FieldValue, Packet

CLEAR_FEATURE = 1
INTERRUPT_TRANSFERS = 5  # transfers reading an interrupt IN endpoint at once (usbredirhost's count)
MAX_ISO_TRANSFERS, MAX_ISO_PACKETS = 16, 32  # per iso stream, packets per transfer (usbredirhost's limits)
MAX_BYTES_IN_FLIGHT = 256 * 1024 * 1024  # what the VM may have us buffer for its transfers at once
MAX_IN_FLIGHT = 4096  # transfers the VM may have waiting at once


@dataclass
class _Endpoint:
    type: TransferType = TransferType.INVALID
    interval: int = 0
    interface: int = 0
    max_packet: int = 0


@dataclass
class _Stream:
    """An IN endpoint being read for the VM (interrupt receiving, iso stream), or an iso OUT stream."""

    kind: TransferType
    transfers: list[Transfer]
    next_id: int = 0


def max_packet(info_speed: Speed, kind: TransferType, w_max_packet: int) -> int:
    """Bytes per packet: high-speed iso endpoints carry 1-3 transactions per microframe (bits 11-12)."""
    size = w_max_packet & 0x7FF
    if info_speed is Speed.HIGH and kind is TransferType.ISO:
        size *= {1: 2, 2: 3}.get((w_max_packet >> 11) & 3, 1)
    return size


class PassthroughHost:
    def __init__(self, device: UsbDevice) -> None:
        self.device = device
        self.info = device.info
        self.conn = UsbredirConnection(HOST, HOST_CAPS)
        self.endpoints = [_Endpoint() for _ in range(MAX_ENDPOINTS)]
        self.alt = [0] * MAX_INTERFACES  # alt setting per interface index
        self.pending: dict[int, Transfer] = {}  # the VM's transfers at the device, by the VM's id
        self.streams: dict[int, _Stream] = {}  # by endpoint address
        self.bytes_in_flight = 0
        self.connected = False  # device_connect sent, no disconnect since
        self.gone = False  # the device disappeared or was unplugged: nothing more reaches it
        self.rejected: str | None = None
        self.disconnect_acked = False  # the VM confirmed our device_disconnect: the slot can be let go
        self._parse_config()

    # --- what the adapter calls -----------------------------------------------------------------------------

    def data_to_send(self) -> bytes:
        return self.conn.data_to_send()

    def receive_data(self, data: bytes) -> None:
        for packet in self.conn.receive_data(data):
            handler = self._handlers.get(packet.type)
            if handler is not None:
                handler(self, packet)

    def unplug(self) -> None:
        """The user took the device back: stop everything and tell the VM (the adapter then closes the device)."""
        self._lost()

    def device_lost(self) -> None:
        """The device left this computer (hotplug, or a transfer said so)."""
        self._lost()

    def transfer_done(
        self,
        transfer: Transfer,
        status: TransferStatus,
        data: bytes = b"",
        iso: list[tuple[TransferStatus, bytes]] | None = None,
    ) -> None:
        """A transfer the device finished: `data` what an IN transfer read (or, for OUT, nothing); `iso` the
        per-packet results of an isochronous transfer."""
        if transfer.stream:
            self._stream_done(transfer, status, data, iso or [])
            return
        if self.pending.get(transfer.packet_id) is not transfer:
            return  # answered already (the device went away meanwhile)
        del self.pending[transfer.packet_id]
        self.bytes_in_flight -= transfer.length
        self._answer(transfer, REDIR_STATUS[status], data)
        if status is TransferStatus.NO_DEVICE:
            self._lost()  # after the answer: once the VM hears of the disconnect, it forgets its requests

    # --- descriptors ----------------------------------------------------------------------------------------

    def _parse_config(self) -> None:
        for i, endpoint in enumerate(self.endpoints):
            endpoint.type = TransferType.CONTROL if i & 0x0F == 0 else TransferType.INVALID
            endpoint.interval = endpoint.interface = endpoint.max_packet = 0
        for index in range(min(len(self.info.interfaces), MAX_INTERFACES)):
            self._parse_interface(index)

    def _parse_interface(self, index: int) -> None:
        alts = self.info.interfaces[index]
        setting = next((a for a in alts if a.alt == self.alt[index]), alts[0] if alts else None)
        if setting is None:
            return
        for ep in setting.endpoints:
            slot = self.endpoints[ep_index(ep.address)]
            slot.type, slot.interval, slot.interface = ep.type, ep.interval, setting.interface
            slot.max_packet = max_packet(self.info.speed, ep.type, ep.max_packet_size)

    def _interface_index(self, number: int) -> int | None:
        for index, alts in enumerate(self.info.interfaces[:MAX_INTERFACES]):
            if alts and alts[0].interface == number:
                return index
        return None

    def _send_interface_and_ep_info(self) -> None:
        settings = []
        for index, alts in enumerate(self.info.interfaces[:MAX_INTERFACES]):
            settings.append(next((a for a in alts if a.alt == self.alt[index]), alts[0]))
        fields: dict[str, FieldValue] = {
            "interface_count": len(settings),
            "interface": tuple(s.interface for s in settings),
            "interface_class": tuple(s.cls for s in settings),
            "interface_subclass": tuple(s.subclass for s in settings),
            "interface_protocol": tuple(s.protocol for s in settings),
        }
        self.conn.send(Packet(PacketType.INTERFACE_INFO, fields=fields))
        eps = self.endpoints
        fields = {
            "type": tuple(e.type for e in eps),
            "interval": tuple(min(e.interval, 255) for e in eps),
            "interface": tuple(e.interface for e in eps),
            "max_packet_size": tuple(e.max_packet for e in eps),
        }
        self.conn.send(Packet(PacketType.EP_INFO, fields=fields))

    # --- the VM's packets -----------------------------------------------------------------------------------

    def _on_hello(self, _packet: Packet) -> None:
        if self.gone:
            return
        self._send_interface_and_ep_info()
        info = self.info
        fields = {"speed": info.speed, "device_class": info.device_class, "device_subclass": info.device_subclass,
                  "device_protocol": info.device_protocol, "vendor_id": info.vendor_id,
                  "product_id": info.product_id, "device_version_bcd": info.version_bcd}  # fmt: skip
        self.conn.send(Packet(PacketType.DEVICE_CONNECT, fields=fields))
        self.connected = True

    def _on_control(self, packet: Packet) -> None:
        endpoint = packet.int("endpoint")
        if self.gone:
            self._answer_packet(packet, Status.IOERROR)
            return
        if self.endpoints[ep_index(endpoint)].type is not TransferType.CONTROL:
            self._answer_packet(packet, Status.INVAL)
            return
        requesttype, request = packet.int("requesttype"), packet.int("request")
        value, index, length = packet.int("value"), packet.int("index"), packet.int("length")
        if requesttype == 0x02 and request == CLEAR_FEATURE and value == 0 and not packet.data:
            # An endpoint's halt cleared as a request of its own, so that the platform's stack knows too.
            status = self._sync(lambda: self.device.clear_halt(index & 0xFF))
            self._answer_packet(packet, status)
            return
        inbound = bool(endpoint & 0x80)
        transfer = Transfer(TransferType.CONTROL, endpoint, packet.id, length, b"" if inbound else packet.data,
                            setup=(requesttype, request, value, index))  # fmt: skip
        self._submit(transfer, packet)

    def _on_bulk(self, packet: Packet) -> None:
        endpoint = packet.int("endpoint")
        length = packet.int("length") | (packet.int("length_high") << 16 if "length_high" in packet.fields else 0)
        if self.gone:
            self._answer_packet(packet, Status.IOERROR)
            return
        if self.endpoints[ep_index(endpoint)].type is not TransferType.BULK or packet.int("stream_id"):
            self._answer_packet(packet, Status.INVAL)
            return
        inbound = bool(endpoint & 0x80)
        self._submit(Transfer(TransferType.BULK, endpoint, packet.id, length, b"" if inbound else packet.data), packet)

    def _on_interrupt(self, packet: Packet) -> None:
        """An interrupt OUT transfer (IN endpoints are read by a receiving stream, not per request)."""
        endpoint = packet.int("endpoint")
        slot = self.endpoints[ep_index(endpoint)]
        if self.gone:
            self._answer_packet(packet, Status.IOERROR)
            return
        if slot.type is not TransferType.INTERRUPT or endpoint & 0x80 or len(packet.data) > slot.max_packet:
            self._answer_packet(packet, Status.INVAL)
            return
        self._submit(Transfer(TransferType.INTERRUPT, endpoint, packet.id, len(packet.data), packet.data), packet)

    def _on_iso(self, packet: Packet) -> None:
        """An iso OUT packet of a started stream: sent on as a one-packet transfer; only failures are reported."""
        endpoint = packet.int("endpoint")
        stream = self.streams.get(endpoint)
        if self.gone or stream is None or stream.kind is not TransferType.ISO or endpoint & 0x80:
            return  # usbredirhost drops these too: iso OUT data has no answer of its own
        slot = self.endpoints[ep_index(endpoint)]
        if len(packet.data) > slot.max_packet or len(stream.transfers) >= MAX_ISO_TRANSFERS * MAX_ISO_PACKETS:
            return  # too big for the endpoint, or the device is not keeping up: dropped, as iso data may be
        transfer = Transfer(TransferType.ISO, endpoint, packet.id, len(packet.data), packet.data, iso_packets=1,
                            stream=True)  # fmt: skip
        stream.transfers.append(transfer)
        try:
            self.device.submit(transfer)
        except DeviceError as exc:
            stream.transfers.remove(transfer)
            self._stream_failed(endpoint, packet.id, exc)

    def _on_start_interrupt(self, packet: Packet) -> None:
        endpoint = packet.int("endpoint")
        slot = self.endpoints[ep_index(endpoint)]
        self._start_stream(packet, TransferType.INTERRUPT, INTERRUPT_TRANSFERS, 1, slot.max_packet)

    def _on_start_iso(self, packet: Packet) -> None:
        endpoint = packet.int("endpoint")
        slot = self.endpoints[ep_index(endpoint)]
        self._start_stream(packet, TransferType.ISO, packet.int("no_urbs"), packet.int("pkts_per_urb"), slot.max_packet)

    def _start_stream(self, packet: Packet, kind: TransferType, count: int, per_transfer: int, size: int) -> None:
        endpoint = packet.int("endpoint")
        slot = self.endpoints[ep_index(endpoint)]
        if self.gone:
            self._stream_status(packet.id, kind, endpoint, Status.IOERROR)
            return
        if (
            slot.type is not kind
            or size == 0
            or not 1 <= count <= MAX_ISO_TRANSFERS
            or not 1 <= per_transfer <= MAX_ISO_PACKETS
        ):
            self._stream_status(packet.id, kind, endpoint, Status.STALL)
            return
        if endpoint in self.streams:
            self._stream_status(packet.id, kind, endpoint, Status.INVAL)
            return
        stream = _Stream(kind, [])
        self.streams[endpoint] = stream
        if endpoint & 0x80:
            iso = per_transfer if kind is TransferType.ISO else 0
            for i in range(count):
                transfer = Transfer(kind, endpoint, i * per_transfer, size * per_transfer, iso_packets=iso,
                                    stream=True)  # fmt: skip
                stream.transfers.append(transfer)
                try:
                    self.device.submit(transfer)
                except DeviceError as exc:
                    self._stop_stream(endpoint)
                    self._stream_failed(endpoint, packet.id, exc, kind)
                    return
            stream.next_id = count * per_transfer
        self._stream_status(packet.id, kind, endpoint, Status.SUCCESS)

    def _on_stop_stream(self, packet: Packet) -> None:
        endpoint = packet.int("endpoint")
        if self.gone:
            return
        self._stop_stream(endpoint)
        kind = TransferType.ISO if packet.type is PacketType.STOP_ISO_STREAM else TransferType.INTERRUPT
        self._stream_status(packet.id, kind, endpoint, Status.SUCCESS)

    def _on_cancel(self, packet: Packet) -> None:
        transfer = self.pending.get(packet.id)
        if transfer is not None:
            try:
                self.device.cancel(transfer)  # its completion answers the VM (CANCELLED, or done if too late)
            except DeviceError:
                pass

    def _on_set_configuration(self, packet: Packet) -> None:
        value = packet.int("configuration")
        status = Status.IOERROR if self.gone else Status.SUCCESS
        if not self.gone and value != self.info.configuration:
            self._cancel_all()
            try:
                self.info = self.device.set_configuration(value)
            except DeviceError as exc:
                status = exc.status
                if exc.gone:
                    self._lost()
            self.alt = [0] * MAX_INTERFACES
            self._parse_config()
            if not self.gone:
                self._send_interface_and_ep_info()
        fields = {"status": status, "configuration": self.info.configuration}
        self.conn.send(Packet(PacketType.CONFIGURATION_STATUS, packet.id, fields))

    def _on_get_configuration(self, packet: Packet) -> None:
        fields = {"status": Status.IOERROR if self.gone else Status.SUCCESS, "configuration": self.info.configuration}
        self.conn.send(Packet(PacketType.CONFIGURATION_STATUS, packet.id, fields))

    def _on_set_alt_setting(self, packet: Packet) -> None:
        number, alt = packet.int("interface"), packet.int("alt")
        index = self._interface_index(number)
        if self.gone or index is None:
            status = Status.IOERROR if self.gone else Status.INVAL
            fields = {"status": status, "interface": number, "alt": 0xFF}
            self.conn.send(Packet(PacketType.ALT_SETTING_STATUS, packet.id, fields))
            return
        for transfer in list(self.pending.values()):
            if self.endpoints[ep_index(transfer.endpoint)].interface == number and transfer.endpoint & 0x0F:
                self._cancel_quietly(transfer)
        for endpoint in [e for e in self.streams if self.endpoints[ep_index(e)].interface == number]:
            self._stop_stream(endpoint)
        status = self._sync(lambda: self.device.set_alt_setting(number, alt))
        if status is Status.SUCCESS:
            for i, slot in enumerate(self.endpoints):
                if slot.interface == number and i & 0x0F:
                    self.endpoints[i] = _Endpoint()
            self.alt[index] = alt
            self._parse_interface(index)
            self._send_interface_and_ep_info()
        fields = {"status": status, "interface": number, "alt": self.alt[index]}
        self.conn.send(Packet(PacketType.ALT_SETTING_STATUS, packet.id, fields))

    def _on_get_alt_setting(self, packet: Packet) -> None:
        number = packet.int("interface")
        index = self._interface_index(number)
        status = Status.IOERROR if self.gone else Status.INVAL if index is None else Status.SUCCESS
        alt = self.alt[index] if status is Status.SUCCESS and index is not None else 0xFF
        fields = {"status": status, "interface": number, "alt": alt}
        self.conn.send(Packet(PacketType.ALT_SETTING_STATUS, packet.id, fields))

    def _on_reset(self, _packet: Packet) -> None:
        if self.gone:
            return
        self._cancel_all()
        try:
            self.device.reset()
        except DeviceError:
            self._lost()  # it did not come back as the same device

    def _on_filter(self, packet: Packet) -> None:
        info = self.info
        takes, note = usbfilter.vm_verdict(packet.data, device_class=info.device_class, vendor_id=info.vendor_id,
                                           product_id=info.product_id, version_bcd=info.version_bcd,
                                           interfaces=info.filter_interfaces())  # fmt: skip
        if note is not None:
            self.rejected = note
        if not takes:
            self._lost()

    def _on_disconnect_ack(self, _packet: Packet) -> None:
        self.disconnect_acked = True

    def _on_filter_reject(self, _packet: Packet) -> None:
        self.rejected = "the VM refused this device (its USB filter)"
        self._lost()

    def _on_bulk_streams(self, packet: Packet) -> None:
        """USB 3 bulk streams: HOST_CAPS does not offer them, so they are refused if asked for."""
        fields = {"status": Status.INVAL, "endpoints": packet.int("endpoints"), "no_streams": 0}
        self.conn.send(Packet(PacketType.BULK_STREAMS_STATUS, packet.id, fields))

    # --- transfers --------------------------------------------------------------------------------------------

    def _submit(self, transfer: Transfer, packet: Packet) -> None:
        if packet.id in self.pending:
            self._answer_packet(packet, Status.INVAL)  # an id still in use: the VM's mistake, not ours to merge
            return
        if len(self.pending) >= MAX_IN_FLIGHT or self.bytes_in_flight + transfer.length > MAX_BYTES_IN_FLIGHT:
            self._answer_packet(packet, Status.IOERROR)
            return
        self.pending[packet.id] = transfer
        self.bytes_in_flight += transfer.length
        try:
            self.device.submit(transfer)
        except DeviceError as exc:
            del self.pending[packet.id]
            self.bytes_in_flight -= transfer.length
            if exc.gone:
                self._lost()
            self._answer(transfer, exc.status, b"")

    def _answer(self, transfer: Transfer, status: Status, data: bytes) -> None:
        """The reply to one of the VM's transfers: IN data, or how much of the OUT data went."""
        inbound = bool(transfer.endpoint & 0x80)
        data = data[: transfer.length] if inbound else b""
        length = len(data) if inbound else (transfer.length if status is Status.SUCCESS else 0)
        if transfer.kind is TransferType.CONTROL:
            requesttype, request, value, index = transfer.setup or (0, 0, 0, 0)
            fields = {"endpoint": transfer.endpoint, "request": request, "requesttype": requesttype,
                      "status": status, "value": value, "index": index, "length": length}  # fmt: skip
            self.conn.send(Packet(PacketType.CONTROL_PACKET, transfer.packet_id, fields, data))
        elif transfer.kind is TransferType.BULK:
            fields = {"endpoint": transfer.endpoint, "status": status, "length": length & 0xFFFF, "stream_id": 0,
                      "length_high": length >> 16}  # fmt: skip
            self.conn.send(Packet(PacketType.BULK_PACKET, transfer.packet_id, fields, data))
        elif transfer.kind is TransferType.INTERRUPT:
            fields = {"endpoint": transfer.endpoint, "status": status, "length": length}
            self.conn.send(Packet(PacketType.INTERRUPT_PACKET, transfer.packet_id, fields, data))

    def _answer_packet(self, packet: Packet, status: Status) -> None:
        kinds = {PacketType.CONTROL_PACKET: TransferType.CONTROL, PacketType.BULK_PACKET: TransferType.BULK,
                 PacketType.INTERRUPT_PACKET: TransferType.INTERRUPT}  # fmt: skip
        setup = None
        if packet.type is PacketType.CONTROL_PACKET:
            setup = (packet.int("requesttype"), packet.int("request"), packet.int("value"), packet.int("index"))
        endpoint = packet.int("endpoint")
        length = packet.int("length") if packet.type is PacketType.CONTROL_PACKET and not endpoint & 0x80 else 0
        transfer = Transfer(kinds[packet.type], endpoint, packet.id, length, setup=setup)
        self._answer(transfer, status, b"")

    def _stream_done(
        self, transfer: Transfer, status: TransferStatus, data: bytes, iso: list[tuple[TransferStatus, bytes]]
    ) -> None:
        endpoint = transfer.endpoint
        stream = self.streams.get(endpoint)
        if transfer.cancelled or stream is None or transfer not in stream.transfers:
            return
        if status is TransferStatus.NO_DEVICE:
            self._lost()
            return
        if not endpoint & 0x80:  # iso OUT: one packet sent; only a failure is worth a word
            stream.transfers.remove(transfer)
            if status not in (TransferStatus.COMPLETED, TransferStatus.CANCELLED):
                self._stream_status(transfer.packet_id, stream.kind, endpoint, REDIR_STATUS[status])
            return
        if status is TransferStatus.STALL:
            self._stop_stream(endpoint)
            self._stream_status(transfer.packet_id, stream.kind, endpoint, Status.STALL)
            return
        if status is TransferStatus.CANCELLED:
            return
        if stream.kind is TransferType.ISO:
            results = iso if status is TransferStatus.COMPLETED else [(status, b"")] * max(transfer.iso_packets, 1)
            for i, (packet_status, payload) in enumerate(results[: transfer.iso_packets]):
                fields = {"endpoint": endpoint, "status": REDIR_STATUS[packet_status], "length": len(payload)}
                self.conn.send(Packet(PacketType.ISO_PACKET, transfer.packet_id + i, fields, payload))
        else:
            payload = data[: transfer.length] if status is TransferStatus.COMPLETED else b""
            fields = {"endpoint": endpoint, "status": REDIR_STATUS[status], "length": len(payload)}
            self.conn.send(Packet(PacketType.INTERRUPT_PACKET, transfer.packet_id, fields, payload))
        # Read on: the same transfer again, with the stream's next ids.
        step = max(transfer.iso_packets, 1)
        transfer.packet_id, stream.next_id = stream.next_id, stream.next_id + step
        try:
            self.device.submit(transfer)
        except DeviceError as exc:
            self._stop_stream(endpoint)
            self._stream_failed(endpoint, transfer.packet_id, exc, stream.kind)

    def _stream_failed(
        self, endpoint: int, packet_id: int, exc: DeviceError, kind: TransferType = TransferType.ISO
    ) -> None:
        if exc.gone:
            self._lost()
        else:
            self._stream_status(packet_id, kind, endpoint, Status.STALL)

    def _stream_status(self, packet_id: int, kind: TransferType, endpoint: int, status: Status) -> None:
        reply = PacketType.ISO_STREAM_STATUS if kind is TransferType.ISO else PacketType.INTERRUPT_RECEIVING_STATUS
        self.conn.send(Packet(reply, packet_id, {"status": status, "endpoint": endpoint}))

    def _stop_stream(self, endpoint: int) -> None:
        stream = self.streams.pop(endpoint, None)
        for transfer in stream.transfers if stream else ():
            self._cancel_quietly(transfer)

    def _cancel_quietly(self, transfer: Transfer) -> None:
        """Cancel for good: the VM hears nothing more of it (it stopped the stream, or the device went)."""
        transfer.cancelled = True
        if not transfer.stream and self.pending.pop(transfer.packet_id, None) is transfer:
            self.bytes_in_flight -= transfer.length
        try:
            self.device.cancel(transfer)
        except DeviceError:
            pass

    def _cancel_all(self) -> None:
        for endpoint in list(self.streams):
            self._stop_stream(endpoint)
        for transfer in list(self.pending.values()):
            self._cancel_quietly(transfer)

    def _sync(self, request: Callable[[], None]) -> Status:
        try:
            request()
        except DeviceError as exc:
            if exc.gone:
                self._lost()
            return exc.status
        return Status.SUCCESS

    def _lost(self) -> None:
        if self.gone:
            return
        self.gone = True
        for endpoint in list(self.streams):
            self._stop_stream(endpoint)
        # The VM's own requests still at the device are answered now: nothing else will answer them.
        for transfer in list(self.pending.values()):
            self._cancel_quietly(transfer)
            self._answer(transfer, Status.IOERROR, b"")
        if self.connected:
            self.connected = False
            self.conn.send(Packet(PacketType.DEVICE_DISCONNECT))

    _handlers = {
        PacketType.HELLO: _on_hello,
        PacketType.CONTROL_PACKET: _on_control,
        PacketType.BULK_PACKET: _on_bulk,
        PacketType.INTERRUPT_PACKET: _on_interrupt,
        PacketType.ISO_PACKET: _on_iso,
        PacketType.START_INTERRUPT_RECEIVING: _on_start_interrupt,
        PacketType.STOP_INTERRUPT_RECEIVING: _on_stop_stream,
        PacketType.START_ISO_STREAM: _on_start_iso,
        PacketType.STOP_ISO_STREAM: _on_stop_stream,
        PacketType.CANCEL_DATA_PACKET: _on_cancel,
        PacketType.SET_CONFIGURATION: _on_set_configuration,
        PacketType.GET_CONFIGURATION: _on_get_configuration,
        PacketType.SET_ALT_SETTING: _on_set_alt_setting,
        PacketType.GET_ALT_SETTING: _on_get_alt_setting,
        PacketType.RESET: _on_reset,
        PacketType.FILTER_FILTER: _on_filter,
        PacketType.FILTER_REJECT: _on_filter_reject,
        PacketType.DEVICE_DISCONNECT_ACK: _on_disconnect_ack,
        PacketType.ALLOC_BULK_STREAMS: _on_bulk_streams,
        PacketType.FREE_BULK_STREAMS: _on_bulk_streams,
    }
