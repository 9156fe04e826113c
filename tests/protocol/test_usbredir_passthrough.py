"""The usb-host state machine for real devices (protocol/usbredir/passthrough.py), against a scripted device: what
reaches the device for each of the VM's packets, and what the VM hears back."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spiceview.protocol.usbredir.connection import UsbredirConnection, UsbredirError
from spiceview.protocol.usbredir.constants import Cap, PacketType, Speed, Status, TransferType
from spiceview.protocol.usbredir.device import (
    AltSetting,
    DeviceError,
    DeviceInfo,
    EndpointInfo,
    Transfer,
    TransferStatus,
)
from spiceview.protocol.usbredir.packets import GUEST, Packet
from spiceview.protocol.usbredir.passthrough import MAX_BYTES_IN_FLIGHT, PassthroughHost, max_packet

BULK = (EndpointInfo(0x81, TransferType.BULK, 0, 512), EndpointInfo(0x02, TransferType.BULK, 0, 512))
HID = (EndpointInfo(0x83, TransferType.INTERRUPT, 10, 8), EndpointInfo(0x04, TransferType.INTERRUPT, 10, 8))
ISO_ALTS = (
    AltSetting(2, 0, 0x01, 0x02, 0, ()),  # audio streaming, no bandwidth
    AltSetting(2, 1, 0x01, 0x02, 0, (EndpointInfo(0x85, TransferType.ISO, 1, 0x0800 | 192),)),  # 2 x 192 B
)
INFO = DeviceInfo(
    speed=Speed.HIGH, device_class=0, device_subclass=0, device_protocol=0, vendor_id=0x1234, product_id=0x5678,
    version_bcd=0x0102, configuration=1,
    interfaces=((AltSetting(0, 0, 0x08, 0x06, 0x50, BULK),), (AltSetting(1, 0, 0x03, 0, 0, HID),), ISO_ALTS),
    name="Test device (1234:5678)",
)  # fmt: skip


class ScriptedDevice:
    """A UsbDevice whose transfers wait until the test completes them."""

    def __init__(self, info: DeviceInfo = INFO) -> None:
        self.info = info
        self.submitted: list[Transfer] = []
        self.cancelled: list[Transfer] = []
        self.calls: list[str] = []
        self.refuse: DeviceError | None = None  # the next request fails so

    def _maybe_refuse(self) -> None:
        if self.refuse is not None:
            error, self.refuse = self.refuse, None
            raise error

    def submit(self, transfer: Transfer) -> None:
        self._maybe_refuse()
        self.submitted.append(transfer)

    def cancel(self, transfer: Transfer) -> None:
        self.cancelled.append(transfer)

    def set_configuration(self, value: int) -> DeviceInfo:
        self.calls.append(f"configuration {value}")
        self._maybe_refuse()
        self.info = DeviceInfo(**{**self.info.__dict__, "configuration": value, "interfaces": self.info.interfaces[:1]})
        return self.info

    def set_alt_setting(self, interface: int, alt: int) -> None:
        self.calls.append(f"alt {interface} {alt}")
        self._maybe_refuse()

    def clear_halt(self, endpoint: int) -> None:
        self.calls.append(f"clear halt {endpoint:#04x}")
        self._maybe_refuse()

    def reset(self) -> None:
        self.calls.append("reset")
        self._maybe_refuse()

    def close(self) -> None:
        self.calls.append("close")


class Guest:
    """QEMU's side."""

    def __init__(self, device: ScriptedDevice | None = None) -> None:
        self.device = device or ScriptedDevice()
        self.host = PassthroughHost(self.device)
        self.conn = UsbredirConnection(GUEST, frozenset(Cap) - {Cap.BULK_RECEIVING, Cap.BULK_STREAMS})
        self.next_id = 1
        self.hello = self.flush()

    def flush(self) -> list[Packet]:
        got: list[Packet] = []
        for _ in range(3):
            self.host.receive_data(self.conn.data_to_send())
            got += self.conn.receive_data(self.host.data_to_send())
        return [p for p in got if p.type is not PacketType.HELLO]

    def send(self, kind: PacketType, data: bytes = b"", packet_id: int | None = None, **fields: object) -> list[Packet]:
        if packet_id is None:
            packet_id, self.next_id = self.next_id, self.next_id + 1
        self.conn.send(Packet(kind, packet_id, fields, data))  # type: ignore[arg-type]
        return self.flush()

    def complete(self, transfer: Transfer, status: TransferStatus = TransferStatus.COMPLETED, data: bytes = b"",
                 iso: list[tuple[TransferStatus, bytes]] | None = None) -> list[Packet]:  # fmt: skip
        self.host.transfer_done(transfer, status, data, iso)
        return self.flush()


def test_the_device_is_described_after_the_hello() -> None:
    guest = Guest()
    interface, ep_info, connect = guest.hello
    assert interface.type is PacketType.INTERFACE_INFO and interface.int("interface_count") == 3
    assert interface["interface_class"][:3] == (0x08, 0x03, 0x01)
    assert ep_info["type"][0x11] == TransferType.BULK and ep_info["type"][0x02] == TransferType.BULK
    assert ep_info["type"][0x13] == TransferType.INTERRUPT and ep_info["interval"][0x13] == 10
    assert ep_info["type"][0x15] == TransferType.INVALID  # alt 0 of the audio interface has no endpoint
    assert ep_info["max_packet_size"][0x11] == 512 and ep_info["interface"][0x13] == 1
    assert connect.type is PacketType.DEVICE_CONNECT and connect.int("vendor_id") == 0x1234
    assert connect.int("speed") == Speed.HIGH and connect.int("device_version_bcd") == 0x0102
    assert guest.host.connected


def test_high_speed_iso_endpoints_count_their_extra_transactions() -> None:
    assert max_packet(Speed.HIGH, TransferType.ISO, 0x1000 | 1024) == 3072
    assert max_packet(Speed.FULL, TransferType.ISO, 0x1000 | 1023) == 1023
    assert max_packet(Speed.HIGH, TransferType.BULK, 0x0800 | 512) == 512


def test_control_requests_go_to_the_device_and_their_answers_back() -> None:
    guest = Guest()
    fields = {"endpoint": 0x80, "request": 6, "requesttype": 0x80, "status": 0, "value": 0x0100, "index": 0}
    assert guest.send(PacketType.CONTROL_PACKET, packet_id=77, length=18, **fields) == []
    (transfer,) = guest.device.submitted
    assert transfer.setup == (0x80, 6, 0x0100, 0) and transfer.length == 18 and transfer.endpoint == 0x80
    (reply,) = guest.complete(transfer, data=b"\x12\x01" + bytes(16) + b"extra")
    assert reply.id == 77 and reply.int("status") == Status.SUCCESS and reply.data == b"\x12\x01" + bytes(16)
    # OUT: the data goes along; the answer says how much went, without data.
    out = {"endpoint": 0, "request": 9, "requesttype": 0x21, "status": 0, "value": 0x0200, "index": 1}
    guest.send(PacketType.CONTROL_PACKET, b"\x01\x02", length=2, **out)
    (transfer,) = guest.device.submitted[1:]
    assert transfer.data == b"\x01\x02"
    (reply,) = guest.complete(transfer)
    assert reply.int("length") == 2 and reply.data == b""
    # A stall is the VM's business (a class request the device does not know).
    guest.send(PacketType.CONTROL_PACKET, length=4, **{**fields, "requesttype": 0xA1, "request": 0xFE})
    (reply,) = guest.complete(guest.device.submitted[-1], TransferStatus.STALL)
    assert reply.int("status") == Status.STALL and reply.int("length") == 0


def test_clear_halt_is_the_devices_own_request() -> None:
    guest = Guest()
    fields = {"endpoint": 0, "request": 1, "requesttype": 0x02, "status": 0, "value": 0, "index": 0x81}
    (reply,) = guest.send(PacketType.CONTROL_PACKET, length=0, **fields)
    assert guest.device.calls == ["clear halt 0x81"] and guest.device.submitted == []
    assert reply.int("status") == Status.SUCCESS


def test_bulk_both_ways_with_32_bit_lengths() -> None:
    guest = Guest()
    guest.send(PacketType.BULK_PACKET, endpoint=0x81, status=0, length=0x0000, length_high=0x2, stream_id=0)
    (transfer,) = guest.device.submitted
    assert transfer.length == 0x20000 and transfer.kind is TransferType.BULK
    (reply,) = guest.complete(transfer, data=b"x" * 0x10001)
    assert reply.int("length") == 1 and reply.int("length_high") == 1 and len(reply.data) == 0x10001
    guest.send(PacketType.BULK_PACKET, b"payload", endpoint=0x02, status=0, length=7, length_high=0, stream_id=0)
    (reply,) = guest.complete(guest.device.submitted[1])
    assert reply.int("length") == 7 and reply.data == b""


@pytest.mark.parametrize(
    ("kind", "fields", "data"),
    [
        (PacketType.BULK_PACKET, {"endpoint": 0x83, "status": 0, "length": 8, "stream_id": 0}, b""),  # not bulk
        (PacketType.BULK_PACKET, {"endpoint": 0x81, "status": 0, "length": 8, "stream_id": 3}, b""),  # no streams
        (
            PacketType.CONTROL_PACKET,
            {"endpoint": 0x81, "request": 0, "requesttype": 0x80, "status": 0, "value": 0, "index": 0, "length": 2},
            b"",
        ),  # fmt: skip
        (PacketType.INTERRUPT_PACKET, {"endpoint": 0x04, "status": 0, "length": 9}, b"123456789"),  # > max packet
    ],
)
def test_requests_for_the_wrong_endpoint_are_invalid(kind: PacketType, fields: dict, data: bytes) -> None:
    guest = Guest()
    (reply,) = guest.send(kind, data, **fields)
    assert reply.int("status") == Status.INVAL and guest.device.submitted == []


def test_interrupt_receiving_keeps_reading_with_the_streams_ids() -> None:
    guest = Guest()
    (status,) = guest.send(PacketType.START_INTERRUPT_RECEIVING, endpoint=0x83)
    assert status.type is PacketType.INTERRUPT_RECEIVING_STATUS and status.int("status") == Status.SUCCESS
    first = list(guest.device.submitted)
    assert len(first) == 5 and [t.packet_id for t in first] == [0, 1, 2, 3, 4] and first[0].length == 8
    (report,) = guest.complete(first[0], data=b"\0\0\x04\0\0\0\0\0")
    assert report.type is PacketType.INTERRUPT_PACKET and report.id == 0 and report.data[2] == 4
    assert guest.device.submitted[-1] is first[0] and first[0].packet_id == 5  # read again, next id
    (report,) = guest.complete(first[1], data=b"\0" * 8)
    assert report.id == 1 and first[1].packet_id == 6
    # A second start for the same endpoint is refused; stop cancels the stream's transfers for good.
    (again,) = guest.send(PacketType.START_INTERRUPT_RECEIVING, endpoint=0x83)
    assert again.int("status") == Status.INVAL
    (stopped,) = guest.send(PacketType.STOP_INTERRUPT_RECEIVING, endpoint=0x83)
    assert stopped.int("status") == Status.SUCCESS and set(guest.device.cancelled) == set(first)
    assert guest.complete(first[2], TransferStatus.CANCELLED) == []
    assert guest.complete(first[3], data=b"late" * 2) == []  # finished after the stop: nothing for the VM


def test_an_interrupt_stream_that_stalls_is_reported_and_stopped() -> None:
    guest = Guest()
    guest.send(PacketType.START_INTERRUPT_RECEIVING, endpoint=0x83)
    (status,) = guest.complete(guest.device.submitted[0], TransferStatus.STALL)
    assert status.type is PacketType.INTERRUPT_RECEIVING_STATUS and status.int("status") == Status.STALL
    assert 0x83 not in guest.host.streams


def test_interrupt_out() -> None:
    guest = Guest()
    guest.send(PacketType.INTERRUPT_PACKET, b"\x01", endpoint=0x04, status=0, length=1)
    (reply,) = guest.complete(guest.device.submitted[0])
    assert reply.type is PacketType.INTERRUPT_PACKET and reply.int("length") == 1


def test_iso_in_stream_after_choosing_the_alt_setting() -> None:
    guest = Guest()
    (*infos, status) = guest.send(PacketType.SET_ALT_SETTING, interface=2, alt=1)
    assert guest.device.calls == ["alt 2 1"] and status.int("alt") == 1 and status.int("status") == Status.SUCCESS
    assert infos[1]["type"][0x15] == TransferType.ISO and infos[1]["max_packet_size"][0x15] == 384
    (status,) = guest.send(PacketType.START_ISO_STREAM, endpoint=0x85, pkts_per_urb=4, no_urbs=3)
    assert status.type is PacketType.ISO_STREAM_STATUS and status.int("status") == Status.SUCCESS
    transfers = guest.device.submitted
    assert [t.packet_id for t in transfers] == [0, 4, 8] and transfers[0].iso_packets == 4
    assert transfers[0].length == 4 * 384
    packets = guest.complete(transfers[0], iso=[(TransferStatus.COMPLETED, bytes([i]) * 10) for i in range(4)])
    assert [p.id for p in packets] == [0, 1, 2, 3] and packets[2].data == b"\2" * 10
    assert transfers[0].packet_id == 12  # after the other two transfers' ids
    # Bad parameters from the VM: refused without touching the device.
    (bad,) = guest.send(PacketType.START_ISO_STREAM, endpoint=0x85, pkts_per_urb=0, no_urbs=3)
    assert bad.int("status") == Status.STALL
    (unknown,) = guest.send(PacketType.GET_ALT_SETTING, interface=9)
    assert unknown.int("status") == Status.INVAL


def test_cancel_reaches_the_device_and_the_completion_answers() -> None:
    guest = Guest()
    guest.send(PacketType.BULK_PACKET, packet_id=9, endpoint=0x81, status=0, length=512, stream_id=0)
    (transfer,) = guest.device.submitted
    assert guest.send(PacketType.CANCEL_DATA_PACKET, packet_id=9) == []
    assert guest.device.cancelled == [transfer]
    (reply,) = guest.complete(transfer, TransferStatus.CANCELLED)
    assert reply.id == 9 and reply.int("status") == Status.CANCELLED
    assert guest.send(PacketType.CANCEL_DATA_PACKET, packet_id=9) == [] and len(guest.device.cancelled) == 1


def test_set_configuration_cancels_and_describes_again() -> None:
    guest = Guest()
    guest.send(PacketType.START_INTERRUPT_RECEIVING, endpoint=0x83)
    (*infos, status) = guest.send(PacketType.SET_CONFIGURATION, configuration=2)
    assert guest.device.calls == ["configuration 2"] and len(guest.device.cancelled) == 5
    assert status.int("configuration") == 2 and status.int("status") == Status.SUCCESS
    assert infos[0].int("interface_count") == 1
    (same,) = guest.send(PacketType.SET_CONFIGURATION, configuration=2)  # already: nothing to do
    assert guest.device.calls == ["configuration 2"] and same.int("status") == Status.SUCCESS
    (got,) = guest.send(PacketType.GET_CONFIGURATION)
    assert got.int("configuration") == 2


def test_a_device_that_disappears_is_announced_once_and_pending_requests_answered() -> None:
    guest = Guest()
    guest.send(PacketType.BULK_PACKET, packet_id=5, endpoint=0x81, status=0, length=64, stream_id=0)
    guest.send(PacketType.START_INTERRUPT_RECEIVING, endpoint=0x83)
    bulk = guest.device.submitted[0]
    replies = guest.complete(guest.device.submitted[1], TransferStatus.NO_DEVICE)
    kinds = [p.type for p in replies]
    assert kinds == [PacketType.BULK_PACKET, PacketType.DEVICE_DISCONNECT]
    assert replies[0].id == 5 and replies[0].int("status") == Status.IOERROR and bulk in guest.device.cancelled
    assert guest.complete(bulk, TransferStatus.NO_DEVICE) == []  # answered already
    guest.host.device_lost()
    assert guest.flush() == []  # said once
    (late,) = guest.send(PacketType.BULK_PACKET, endpoint=0x81, status=0, length=64, stream_id=0)
    assert late.int("status") == Status.IOERROR


def test_a_reset_that_loses_the_device_disconnects_it() -> None:
    guest = Guest()
    guest.device.refuse = DeviceError("reset: gone", gone=True)
    (bye,) = guest.send(PacketType.RESET)
    assert bye.type is PacketType.DEVICE_DISCONNECT and guest.host.gone


def test_a_submission_the_platform_refuses_is_answered_with_its_status() -> None:
    guest = Guest()
    guest.device.refuse = DeviceError("submit: pipe", Status.STALL)
    (reply,) = guest.send(PacketType.BULK_PACKET, endpoint=0x81, status=0, length=64, stream_id=0)
    assert reply.int("status") == Status.STALL and guest.host.pending == {}


def test_the_vms_filter_can_refuse_the_device() -> None:
    guest = Guest()
    (bye,) = guest.send(PacketType.FILTER_FILTER, b"0x08,-1,-1,-1,0|-1,-1,-1,-1,1\0")
    assert bye.type is PacketType.DEVICE_DISCONNECT and "refuses" in (guest.host.rejected or "")
    allowed = Guest()
    assert allowed.send(PacketType.FILTER_FILTER, b"-1,-1,-1,-1,1\0") == [] and allowed.host.connected


def test_what_the_vm_can_make_us_hold_is_bounded() -> None:
    guest = Guest()
    half = MAX_BYTES_IN_FLIGHT // 2
    for _ in range(2):
        assert guest.send(PacketType.BULK_PACKET, endpoint=0x81, status=0, length=half & 0xFFFF,
                          length_high=half >> 16, stream_id=0) == []  # fmt: skip
    (refused,) = guest.send(PacketType.BULK_PACKET, endpoint=0x81, status=0, length=1, length_high=0, stream_id=0)
    assert refused.int("status") == Status.IOERROR and len(guest.device.submitted) == 2
    # An id still in use is not merged with the first.
    guest.send(PacketType.BULK_PACKET, packet_id=500, endpoint=0x02, status=0, length=0, stream_id=0)
    guest.complete(guest.device.submitted[0])  # frees room
    (dup,) = guest.send(PacketType.BULK_PACKET, packet_id=500, endpoint=0x02, status=0, length=0, stream_id=0)
    assert dup.int("status") == Status.INVAL


def test_unplug_says_goodbye_and_bulk_streams_are_refused() -> None:
    guest = Guest()
    (streams,) = guest.send(PacketType.ALLOC_BULK_STREAMS, endpoints=0x4, no_streams=4)
    assert streams.int("status") == Status.INVAL
    guest.host.unplug()
    (bye,) = guest.flush()
    assert bye.type is PacketType.DEVICE_DISCONNECT and not guest.host.connected


GUEST_KINDS = [
    PacketType.CONTROL_PACKET, PacketType.BULK_PACKET, PacketType.INTERRUPT_PACKET, PacketType.ISO_PACKET,
    PacketType.START_INTERRUPT_RECEIVING, PacketType.STOP_INTERRUPT_RECEIVING, PacketType.START_ISO_STREAM,
    PacketType.STOP_ISO_STREAM, PacketType.CANCEL_DATA_PACKET, PacketType.SET_CONFIGURATION,
    PacketType.GET_CONFIGURATION, PacketType.SET_ALT_SETTING, PacketType.GET_ALT_SETTING, PacketType.RESET,
    PacketType.FILTER_REJECT, PacketType.DEVICE_DISCONNECT_ACK,
]  # fmt: skip
ENDPOINTS = [0x00, 0x80, 0x81, 0x02, 0x83, 0x04, 0x85, 0x8F, 0x0F]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_sequence_of_requests_and_completions_keeps_the_books_straight(data: st.DataObject) -> None:
    """Whatever the VM asks, in whatever order, and however the device answers: no exception escapes, every
    transfer of the VM is answered at most once, and what is held for it stays within its limits."""
    guest = Guest()
    answered: list[int] = []
    for _ in range(data.draw(st.integers(1, 25))):
        if guest.device.submitted and data.draw(st.booleans()):
            transfer = data.draw(st.sampled_from(guest.device.submitted))
            status = data.draw(st.sampled_from(list(TransferStatus)))
            payload = data.draw(st.binary(max_size=40))
            iso = [(status, payload)] * transfer.iso_packets if transfer.iso_packets else None
            got = guest.complete(transfer, status, payload, iso)
        else:
            kind = data.draw(st.sampled_from(GUEST_KINDS))
            endpoint = data.draw(st.sampled_from(ENDPOINTS))
            length = data.draw(st.integers(0, 600))
            inbound = bool(endpoint & 0x80)
            transfers = (PacketType.CONTROL_PACKET, PacketType.BULK_PACKET, PacketType.INTERRUPT_PACKET,
                         PacketType.ISO_PACKET)  # fmt: skip
            body = bytes(length) if kind in transfers and not inbound else b""
            fields = {"endpoint": endpoint, "request": data.draw(st.integers(0, 255)),
                      "requesttype": data.draw(st.sampled_from([0x00, 0x02, 0x21, 0x80, 0xA1])), "status": 0,
                      "value": data.draw(st.integers(0, 0xFFFF)), "index": data.draw(st.integers(0, 0xFFFF)),
                      "length": length, "stream_id": 0, "length_high": 0, "pkts_per_urb": data.draw(st.integers(0, 40)),
                      "no_urbs": data.draw(st.integers(0, 20)), "configuration": data.draw(st.integers(0, 3)),
                      "interface": data.draw(st.integers(0, 3)), "alt": data.draw(st.integers(0, 2))}  # fmt: skip
            packet_id = data.draw(st.integers(0, 5))
            try:
                got = guest.send(kind, body, packet_id=packet_id, **fields)
            except UsbredirError:
                return  # what usbredir itself forbids: the channel closes, with this reason

        answered += [p.id for p in got if p.type in (PacketType.CONTROL_PACKET, PacketType.BULK_PACKET)]
        assert 0 <= guest.host.bytes_in_flight <= MAX_BYTES_IN_FLIGHT
        assert guest.host.bytes_in_flight == sum(t.length for t in guest.host.pending.values())
        assert all(len(s.transfers) <= 16 * 32 for s in guest.host.streams.values())
    assert [p.type for p in guest.flush()].count(PacketType.DEVICE_DISCONNECT) <= 1
