"""The usb-host side for an emulated device: what spiceview answers the VM's usb-redir device, sans-IO.

    host = EmulatedHost(MassStorage(file, size))
    host.receive_data(bytes_from_the_channel)     # UsbredirError: close the channel
    channel.send(host.data_to_send())

On the guest's hello it describes the device (interface and endpoint info, then device_connect); it answers
control requests on endpoint 0 (descriptors, the mass-storage class requests), configuration and alternate
settings, and bulk transfers through the device; an IN request the device has nothing for yet waits until it has
(or is cancelled). `unplug()` tells the guest the device is gone.
"""

from __future__ import annotations

import uuid

from . import filter as usbfilter
from .connection import UsbredirConnection
from .constants import Cap, PacketType, Speed, Status, TransferType
from .mass_storage import BULK_IN, BULK_OUT, MassStorage, descriptors
from .packets import HOST, Packet

HOST_CAPS = frozenset(
    {
        Cap.CONNECT_DEVICE_VERSION,
        Cap.FILTER,
        Cap.DEVICE_DISCONNECT_ACK,
        Cap.EP_INFO_MAX_PACKET_SIZE,
        Cap.IDS_64BIT,
        Cap.BULK_LENGTH_32BIT,
    }
)
GET_STATUS, CLEAR_FEATURE, GET_DESCRIPTOR, SET_CONFIGURATION = 0, 1, 6, 9
GET_MAX_LUN, BOT_RESET = 0xFE, 0xFF


def ep_index(endpoint: int) -> int:
    """usbredir's endpoint arrays: OUT endpoints 0-15, IN endpoints 16-31."""
    return ((endpoint & 0x80) >> 3) | (endpoint & 0x0F)


class EmulatedHost:
    def __init__(self, device: MassStorage, *, serial: str | None = None) -> None:
        self.device = device
        self.conn = UsbredirConnection(HOST, HOST_CAPS)
        self.descriptors = descriptors(device.product, serial or uuid.uuid4().hex[:12].upper())
        self.configuration = 0
        self.connected = False  # device_connect sent, no disconnect since
        self.pending_in: dict[int, int] = {}  # IN request id -> length asked, waiting for the device
        self.rejected: str | None = None  # why the VM will not take this device (its USB filter)
        self.disconnect_acked = False  # the VM confirmed our device_disconnect: the slot can be let go

    def data_to_send(self) -> bytes:
        return self.conn.data_to_send()

    def unplug(self) -> None:
        if self.connected:
            self.connected = False
            for packet_id in list(self.pending_in):
                self._bulk_reply(packet_id, BULK_IN, Status.CANCELLED, b"")
            self.conn.send(Packet(PacketType.DEVICE_DISCONNECT))

    def receive_data(self, data: bytes) -> None:
        for packet in self.conn.receive_data(data):
            handler = self._handlers.get(packet.type)
            if handler is not None:
                handler(self, packet)

    # --- the guest's packets --------------------------------------------------------------------------------

    def _on_hello(self, packet: Packet) -> None:
        types = [TransferType.INVALID] * 32
        max_packet = [0] * 32
        endpoints = ((0x00, TransferType.CONTROL, 64), (0x80, TransferType.CONTROL, 64),
                     (BULK_IN, TransferType.BULK, 512), (BULK_OUT, TransferType.BULK, 512))  # fmt: skip
        for endpoint, kind, size in endpoints:
            types[ep_index(endpoint)] = kind
            max_packet[ep_index(endpoint)] = size
        self.conn.send(
            Packet(
                PacketType.INTERFACE_INFO,
                fields={"interface_count": 1, "interface": (0,), "interface_class": (0x08,),
                        "interface_subclass": (0x06,), "interface_protocol": (0x50,)},
            )
        )  # fmt: skip
        self.conn.send(Packet(PacketType.EP_INFO, fields={"type": tuple(types), "max_packet_size": tuple(max_packet)}))
        device = self.descriptors[(1, 0)]
        self.conn.send(
            Packet(
                PacketType.DEVICE_CONNECT,
                fields={"speed": Speed.HIGH, "device_class": 0, "device_subclass": 0, "device_protocol": 0,
                        "vendor_id": int.from_bytes(device[8:10], "little"),
                        "product_id": int.from_bytes(device[10:12], "little"),
                        "device_version_bcd": int.from_bytes(device[12:14], "little")},
            )
        )  # fmt: skip
        self.connected = True

    def _on_control(self, packet: Packet) -> None:
        request, requesttype = packet.int("request"), packet.int("requesttype")
        value, index, length = packet.int("value"), packet.int("index"), packet.int("length")
        status, data = Status.SUCCESS, b""
        if requesttype == 0x80 and request == GET_DESCRIPTOR:
            found = self.descriptors.get((value >> 8, value & 0xFF))
            status, data = (Status.STALL, b"") if found is None else (Status.SUCCESS, found[:length])
        elif requesttype in (0x80, 0x81, 0x82) and request == GET_STATUS:
            data = b"\0\0"[:length]
        elif requesttype == 0xA1 and request == GET_MAX_LUN:
            data = b"\0"[:length]
        elif requesttype == 0x21 and request == BOT_RESET:
            self.device.reset()
        elif requesttype == 0x02 and request == CLEAR_FEATURE:
            self.device.stalled = False
        elif requesttype == 0x00 and request == SET_CONFIGURATION:
            self.configuration = value & 0xFF
        else:
            status = Status.STALL
        fields = {**packet.fields, "status": status}
        inbound = bool(packet.int("endpoint") & 0x80)
        fields["length"] = len(data) if inbound else (length if status == Status.SUCCESS else 0)
        _ = index
        self.conn.send(Packet(PacketType.CONTROL_PACKET, packet.id, fields, data if inbound else b""))

    def _on_set_configuration(self, packet: Packet) -> None:
        self.configuration = packet.int("configuration")
        self._configuration_status(packet.id)

    def _on_get_configuration(self, packet: Packet) -> None:
        self._configuration_status(packet.id)

    def _configuration_status(self, packet_id: int) -> None:
        fields = {"status": Status.SUCCESS, "configuration": self.configuration}
        self.conn.send(Packet(PacketType.CONFIGURATION_STATUS, packet_id, fields))

    def _on_alt_setting(self, packet: Packet) -> None:
        interface = packet.int("interface")
        ok = interface == 0 and packet.fields.get("alt", 0) == 0
        fields = {"status": Status.SUCCESS if ok else Status.INVAL, "interface": interface, "alt": 0}
        self.conn.send(Packet(PacketType.ALT_SETTING_STATUS, packet.id, fields))

    def _on_reset(self, _packet: Packet) -> None:
        self.device.reset()

    def _on_bulk(self, packet: Packet) -> None:
        endpoint = packet.int("endpoint")
        length = packet.int("length") | (packet.int("length_high") << 16 if "length_high" in packet.fields else 0)
        if endpoint == BULK_OUT:
            ok = self.device.bulk_out(packet.data)
            self._bulk_reply(packet.id, endpoint, Status.SUCCESS if ok else Status.STALL, b"", length=len(packet.data))
            self._serve_waiting()
        elif endpoint == BULK_IN:
            self.pending_in[packet.id] = length
            self._serve_waiting()
        else:
            self._bulk_reply(packet.id, endpoint, Status.INVAL, b"")

    def _serve_waiting(self) -> None:
        for packet_id, length in list(self.pending_in.items()):
            if self.device.stalled:
                del self.pending_in[packet_id]
                self._bulk_reply(packet_id, BULK_IN, Status.STALL, b"")
                continue
            data = self.device.bulk_in(length)
            if data is None:
                return  # the device has nothing yet: requests wait in order
            del self.pending_in[packet_id]
            self._bulk_reply(packet_id, BULK_IN, Status.SUCCESS, data)

    def _bulk_reply(
        self, packet_id: int, endpoint: int, status: Status, data: bytes, length: int | None = None
    ) -> None:
        size = len(data) if length is None else length
        fields = {"endpoint": endpoint, "status": status, "length": size & 0xFFFF, "stream_id": 0,
                  "length_high": size >> 16}  # fmt: skip
        self.conn.send(Packet(PacketType.BULK_PACKET, packet_id, fields, data))

    def _on_cancel(self, packet: Packet) -> None:
        if self.pending_in.pop(packet.id, None) is not None:
            self._bulk_reply(packet.id, BULK_IN, Status.CANCELLED, b"")

    def _on_filter(self, packet: Packet) -> None:
        """The guest's rules (QEMU's usb-redir filter=): a device they refuse is not offered, and the user is told."""
        device = self.descriptors[(1, 0)]
        takes, note = usbfilter.vm_verdict(
            packet.data,
            device_class=device[4],
            vendor_id=int.from_bytes(device[8:10], "little"),
            product_id=int.from_bytes(device[10:12], "little"),
            version_bcd=int.from_bytes(device[12:14], "little"),
            interfaces=[(0x08, 0x06, 0x50)],
        )
        if note is not None:
            self.rejected = note
        if not takes:
            self.unplug()

    def _on_disconnect_ack(self, _packet: Packet) -> None:
        self.disconnect_acked = True

    def _on_filter_reject(self, _packet: Packet) -> None:
        self.rejected = "the VM refused this device (its USB filter)"
        self.connected = False

    def _unsupported(self, packet: Packet) -> None:
        """Iso, interrupt and bulk streams: this device has none of those endpoints."""
        replies = {
            PacketType.START_ISO_STREAM: PacketType.ISO_STREAM_STATUS,
            PacketType.STOP_ISO_STREAM: PacketType.ISO_STREAM_STATUS,
            PacketType.START_INTERRUPT_RECEIVING: PacketType.INTERRUPT_RECEIVING_STATUS,
            PacketType.STOP_INTERRUPT_RECEIVING: PacketType.INTERRUPT_RECEIVING_STATUS,
        }
        reply = replies.get(packet.type)
        if reply is not None:
            fields = {"status": Status.INVAL, "endpoint": packet.int("endpoint")}
            self.conn.send(Packet(reply, packet.id, fields))
        elif packet.type in (PacketType.ALLOC_BULK_STREAMS, PacketType.FREE_BULK_STREAMS):
            fields = {"status": Status.INVAL, "endpoints": packet.int("endpoints"), "no_streams": 0}
            self.conn.send(Packet(PacketType.BULK_STREAMS_STATUS, packet.id, fields))

    _handlers = {
        PacketType.HELLO: _on_hello,
        PacketType.CONTROL_PACKET: _on_control,
        PacketType.SET_CONFIGURATION: _on_set_configuration,
        PacketType.GET_CONFIGURATION: _on_get_configuration,
        PacketType.SET_ALT_SETTING: _on_alt_setting,
        PacketType.GET_ALT_SETTING: _on_alt_setting,
        PacketType.RESET: _on_reset,
        PacketType.BULK_PACKET: _on_bulk,
        PacketType.CANCEL_DATA_PACKET: _on_cancel,
        PacketType.FILTER_FILTER: _on_filter,
        PacketType.FILTER_REJECT: _on_filter_reject,
        PacketType.DEVICE_DISCONNECT_ACK: _on_disconnect_ack,
        PacketType.START_ISO_STREAM: _unsupported,
        PacketType.STOP_ISO_STREAM: _unsupported,
        PacketType.START_INTERRUPT_RECEIVING: _unsupported,
        PacketType.STOP_INTERRUPT_RECEIVING: _unsupported,
        PacketType.ALLOC_BULK_STREAMS: _unsupported,
        PacketType.FREE_BULK_STREAMS: _unsupported,
    }
