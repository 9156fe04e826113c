"""The emulated USB disk through usbredir, driven by a usb-guest connection as QEMU's usb-redir would: descriptors,
configuration, SCSI over bulk-only transport, read-only media, hostile commands, cancel and unplug."""

from __future__ import annotations

import io
import struct

import pytest

from spiceview.protocol.usbredir.connection import UsbredirConnection
from spiceview.protocol.usbredir.constants import Cap, PacketType, Status
from spiceview.protocol.usbredir.host import EmulatedHost
from spiceview.protocol.usbredir.mass_storage import CBW, CBW_SIGNATURE, CSW, DATA_PROTECT, ILLEGAL_REQUEST, MassStorage
from spiceview.protocol.usbredir.packets import GUEST, Packet

DISK = bytes((i * 7) % 256 for i in range(64 * 512))


class Guest:
    """QEMU's side, scripted."""

    def __init__(self, host: EmulatedHost) -> None:
        self.host = host
        self.conn = UsbredirConnection(GUEST, frozenset(Cap) - {Cap.BULK_RECEIVING, Cap.BULK_STREAMS})
        self.next_id = 1
        self.got: list[Packet] = []
        self.flush()

    def flush(self) -> list[Packet]:
        for _ in range(4):
            self.host.receive_data(self.conn.data_to_send())
            self.got += self.conn.receive_data(self.host.data_to_send())
        got, self.got = self.got, []
        return got

    def send(self, kind: PacketType, data: bytes = b"", **fields: object) -> list[Packet]:
        self.conn.send(Packet(kind, self.next_id, fields, data))  # type: ignore[arg-type]
        self.next_id += 1
        return self.flush()

    def control(self, requesttype: int, request: int, value: int, length: int) -> Packet:
        (reply,) = self.send(PacketType.CONTROL_PACKET, endpoint=0x80 if requesttype & 0x80 else 0,
                             request=request, requesttype=requesttype, value=value, index=0, length=length)  # fmt: skip
        return reply

    def scsi(self, cb: bytes, length: int, data_in: bool = True, out: bytes = b"") -> tuple[bytes, tuple]:
        cbw = CBW.pack(CBW_SIGNATURE, 0x1234, length, 0x80 if data_in else 0, 0, len(cb), cb.ljust(16, b"\0"))
        (ack,) = self.send(PacketType.BULK_PACKET, cbw, endpoint=0x02, status=0, length=31, stream_id=0)
        assert ack["status"] == Status.SUCCESS
        if out:
            self.send(PacketType.BULK_PACKET, out, endpoint=0x02, status=0, length=len(out), stream_id=0)
        data = b""
        if data_in and length:
            ask = min(length, 0xFFFF)
            (reply,) = self.send(PacketType.BULK_PACKET, endpoint=0x81, status=0, length=ask, stream_id=0)
            data = reply.data  # empty when the command failed: a zero-length packet ends the data phase
        (csw,) = self.send(PacketType.BULK_PACKET, endpoint=0x81, status=0, length=13, stream_id=0)
        return data, CSW.unpack(csw.data)


def attached(writable: bool = False) -> tuple[Guest, io.BytesIO]:
    medium = io.BytesIO(bytearray(DISK))
    guest = Guest(EmulatedHost(MassStorage(medium, len(DISK), writable=writable), serial="TEST1"))
    return guest, medium


def test_the_device_introduces_itself_after_the_hello() -> None:
    medium = io.BytesIO(bytearray(DISK))
    host = EmulatedHost(MassStorage(medium, len(DISK)), serial="TEST1")
    guest_conn = UsbredirConnection(GUEST, frozenset(Cap))
    host.receive_data(guest_conn.data_to_send())
    kinds = [p.type for p in guest_conn.receive_data(host.data_to_send())]
    assert kinds == [PacketType.HELLO, PacketType.INTERFACE_INFO, PacketType.EP_INFO, PacketType.DEVICE_CONNECT]


def test_descriptors_configuration_and_a_read() -> None:
    guest, _medium = attached()
    device = guest.control(0x80, 6, 0x0100, 18)
    assert device.data[:2] == b"\x12\x01" and struct.unpack_from("<HH", device.data, 8) == (0x1209, 0x0001)
    config = guest.control(0x80, 6, 0x0200, 255)
    assert config.data[14:17] == b"\x08\x06\x50"  # mass storage, SCSI, bulk-only
    assert guest.control(0x80, 6, 0x0303, 255).data[2:].decode("utf-16-le") == "TEST1"
    assert guest.control(0xA1, 0xFE, 0, 1).data == b"\0"  # one LUN
    assert guest.control(0x80, 6, 0x0700, 9)["status"] == Status.STALL  # no such descriptor
    (status,) = guest.send(PacketType.SET_CONFIGURATION, configuration=1)
    assert status.type is PacketType.CONFIGURATION_STATUS and status["configuration"] == 1
    data, (sig, tag, residue, result) = guest.scsi(struct.pack(">BBIBHB", 0x28, 0, 3, 0, 2, 0), 1024)
    assert data == DISK[3 * 512 : 5 * 512] and (tag, residue, result) == (0x1234, 0, 0)
    capacity, csw = guest.scsi(bytes([0x25]) + bytes(9), 8)
    assert struct.unpack(">II", capacity) == (63, 512) and csw[3] == 0
    inquiry, _ = guest.scsi(bytes([0x12, 0, 0, 0, 36, 0]), 36)
    assert inquiry[1] & 0x80 and inquiry[16:32].strip() == b"Shared disk imag"


def test_a_read_only_image_refuses_writes_and_says_why() -> None:
    guest, medium = attached()
    _, csw = guest.scsi(struct.pack(">BBIBHB", 0x2A, 0, 0, 0, 1, 0), 512, data_in=False, out=b"\xff" * 512)
    assert csw[3] == 1 and medium.getvalue() == DISK
    sense, _ = guest.scsi(bytes([0x03, 0, 0, 0, 18, 0]), 18)
    assert sense[2] == DATA_PROTECT and sense[12] == 0x27


def test_a_writable_image_takes_writes() -> None:
    guest, medium = attached(writable=True)
    _, csw = guest.scsi(struct.pack(">BBIBHB", 0x2A, 0, 2, 0, 1, 0), 512, data_in=False, out=b"\xab" * 512)
    assert csw[3] == 0 and medium.getvalue()[1024:1536] == b"\xab" * 512 and medium.getvalue()[:1024] == DISK[:1024]


@pytest.mark.parametrize(
    ("cb", "length", "key"),
    [
        (bytes([0xC7]), 0, ILLEGAL_REQUEST),  # no such command
        (struct.pack(">BBIBHB", 0x28, 0, 63, 0, 2, 0), 1024, ILLEGAL_REQUEST),  # past the end
        (struct.pack(">BBIBHB", 0x28, 0, 0xFFFFFFFF, 0, 0xFFFF, 0), 1 << 30, ILLEGAL_REQUEST),  # absurd
    ],
)
def test_hostile_commands_get_scsi_errors(cb: bytes, length: int, key: int) -> None:
    guest, _ = attached()
    _, csw = guest.scsi(cb, length)
    assert csw[3] == 1
    sense, _ = guest.scsi(bytes([0x03, 0, 0, 0, 18, 0]), 18)
    assert sense[2] == key


def test_a_broken_cbw_stalls_until_cleared() -> None:
    guest, _ = attached()
    (ack,) = guest.send(PacketType.BULK_PACKET, b"USBC" + bytes(20), endpoint=0x02, status=0, length=24, stream_id=0)
    assert ack["status"] == Status.STALL
    (reply,) = guest.send(PacketType.BULK_PACKET, endpoint=0x81, status=0, length=13, stream_id=0)
    assert reply["status"] == Status.STALL
    guest.control(0x21, 0xFF, 0, 0)  # bulk-only reset
    assert guest.control(0x02, 1, 0, 0)["status"] == Status.SUCCESS  # clear halt
    _, csw = guest.scsi(bytes(6), 0)  # TEST UNIT READY works again
    assert csw[3] == 0


def test_a_waiting_request_is_cancelled_and_unplug_says_goodbye() -> None:
    guest, _ = attached()
    assert guest.send(PacketType.BULK_PACKET, endpoint=0x81, status=0, length=13, stream_id=0) == []  # waits
    waiting = guest.next_id - 1
    guest.conn.send(Packet(PacketType.CANCEL_DATA_PACKET, waiting))
    (cancelled,) = guest.flush()
    assert cancelled.id == waiting and cancelled["status"] == Status.CANCELLED
    guest.host.unplug()
    assert [p.type for p in guest.flush()] == [PacketType.DEVICE_DISCONNECT]
    guest.host.unplug()
    assert guest.flush() == []
