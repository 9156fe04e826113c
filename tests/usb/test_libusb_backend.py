"""The libusb path (spiceview/usb) against a fake python-libusb1 at the binding's boundary (fake_usb1.py): listing,
opening and claiming with the platform's refusals explained, transfers completing on libusb's event thread, and a
whole SCSI read from a fake USB stick through PassthroughHost as QEMU would make it. No USB hardware here: this is
as far as the libusb path can be tested without it (README)."""

from __future__ import annotations

import queue
import struct
import threading

import pytest
from fake_usb1 import FakeUsb1, USBErrorAccess, keyboard, stick

from spiceview.protocol.usbredir.connection import UsbredirConnection
from spiceview.protocol.usbredir.constants import Cap, PacketType, Speed, Status, TransferType
from spiceview.protocol.usbredir.device import DeviceError, Transfer, TransferStatus
from spiceview.protocol.usbredir.mass_storage import BULK_IN, BULK_OUT, CBW, CBW_SIGNATURE, CSW
from spiceview.protocol.usbredir.packets import GUEST, Packet
from spiceview.protocol.usbredir.passthrough import PassthroughHost
from spiceview.usb.backend import UsbBackend
from spiceview.usb.describe import LocalDevice

IMAGE = b"".join(struct.pack("<I", i) * 128 for i in range(64))  # 64 sectors, each saying its number


def hub() -> object:
    device = stick(bytes(512), address=1)
    device.device_class = 0x09
    return device


def test_devices_are_listed_without_hubs_and_named_when_readable() -> None:
    locked = keyboard(address=7, open_error=USBErrorAccess)
    backend = UsbBackend(FakeUsb1([stick(IMAGE), hub(), locked]))
    assert backend.error is None
    found = {d.key: d for d in backend.devices()}
    assert set(found) == {"1-4", "1-7"}
    assert found["1-4"].name == "Fake Inc. Fake stick" and found["1-4"].interfaces == ((0x08, 0x06, 0x50),)
    assert found["1-4"].label() == "Fake Inc. Fake stick (1209:0001) at 1-4"
    assert found["1-7"].name == "USB device"  # its strings need an open the user may not make
    backend.close()


def test_without_libusb_there_are_no_devices_and_one_reason() -> None:
    backend = UsbBackend(FakeUsb1(broken=True))
    assert backend.devices() == [] and "libusb-1.0 is not usable here" in (backend.error or "")
    with pytest.raises(DeviceError, match="libusb-1.0"):
        backend.open(LocalDevice(1, 4, 0, 0, 0, 0, (), "x"), lambda *_: None)


def open_error(device: object) -> str:
    usb1 = FakeUsb1([device])  # type: ignore[list-item]
    backend = UsbBackend(usb1)
    (local,) = backend.devices()
    with pytest.raises(DeviceError) as caught:
        backend.open(local, lambda *_: None)
    backend.close()
    return str(caught.value)


def test_the_platforms_refusals_say_what_to_do() -> None:
    denied = open_error(stick(IMAGE, open_error=USBErrorAccess))
    assert "no permission to open /dev/bus/usb/001/004" in denied and 'ATTRS{idVendor}=="1209"' in denied
    assert "uaccess" in denied and "\n" not in denied
    busy = open_error(stick(IMAGE, busy=True))
    assert "interface 0 is held by another program or by a kernel driver" in busy


def test_a_kernel_driver_is_detached_for_the_vm_and_given_back_after() -> None:
    device = stick(IMAGE, kernel_driver=True)
    backend = UsbBackend(FakeUsb1([device]))
    (local,) = backend.devices()
    opened = backend.open(local, lambda *_: None)
    assert device.log == ["open", "detach kernel driver 0", "claim 0"]
    assert opened.info.speed is Speed.HIGH and opened.info.configuration == 1
    assert opened.info.interfaces[0][0].endpoints[0].type is TransferType.BULK
    opened.close()
    opened.close()  # twice is harmless
    assert device.log[3:] == ["release 0", "attach kernel driver 0", "close"]
    backend.close()


def test_transfers_complete_on_libusbs_event_thread() -> None:
    device = keyboard()
    usb1 = FakeUsb1([device])
    backend = UsbBackend(usb1)
    (local,) = backend.devices()
    done: queue.Queue[tuple[Transfer, TransferStatus, bytes, str]] = queue.Queue()
    opened = backend.open(local, lambda t, s, d, _iso: done.put((t, s, d, threading.current_thread().name)))
    transfer = Transfer(TransferType.INTERRUPT, 0x81, 0, 8, stream=True)
    opened.submit(transfer)
    device.function.press(b"\0\0\x04\0\0\0\0\0")  # type: ignore[attr-defined]
    usb1.wake()
    got, status, data, thread = done.get(timeout=5)
    assert got is transfer and status is TransferStatus.COMPLETED and data[2] == 4
    assert thread == "spiceview-usb-events"
    # A cancelled transfer still completes, as CANCELLED.
    opened.submit(transfer)
    opened.cancel(transfer)
    assert done.get(timeout=5)[1] is TransferStatus.CANCELLED
    opened.close()
    backend.close()


def test_hotplug_reports_arrivals_and_departures() -> None:
    usb1 = FakeUsb1([])
    backend = UsbBackend(usb1)
    seen: queue.Queue[tuple[bool, str]] = queue.Queue()
    assert backend.watch(lambda arrived, local: seen.put((arrived, local.key)))
    device = stick(IMAGE, address=9)
    usb1.plug(device)
    assert seen.get(timeout=5) == (True, "1-9")
    usb1.unplug(device)
    assert seen.get(timeout=5) == (False, "1-9")
    backend.close()


class Guest:
    """QEMU's side of the usbredir link, over a real PassthroughHost and the libusb adapter."""

    def __init__(self, usb1: FakeUsb1) -> None:
        self.backend = UsbBackend(usb1)
        (local,) = self.backend.devices()
        self.completions: queue.Queue[tuple] = queue.Queue()
        self.device = self.backend.open(local, lambda *args: self.completions.put(args))
        self.host = PassthroughHost(self.device)
        self.conn = UsbredirConnection(GUEST, frozenset(Cap) - {Cap.BULK_RECEIVING, Cap.BULK_STREAMS})
        self.next_id = 1
        self.hello = self.pump()

    def pump(self, want: int = 0) -> list[Packet]:
        """Exchange bytes, handing completions over as the channel's thread does, until `want` replies came."""
        got: list[Packet] = []
        self.host.receive_data(self.conn.data_to_send())
        got += [p for p in self.conn.receive_data(self.host.data_to_send()) if p.type is not PacketType.HELLO]
        while len(got) < want:
            self.host.transfer_done(*self.completions.get(timeout=5))
            got += self.conn.receive_data(self.host.data_to_send())
        return got

    def send(
        self, kind: PacketType, data: bytes = b"", want: int = 1, packet_id: int | None = None, **fields: object
    ) -> list[Packet]:
        if packet_id is None:
            packet_id, self.next_id = self.next_id, self.next_id + 1
        self.conn.send(Packet(kind, packet_id, fields, data))  # type: ignore[arg-type]
        return self.pump(want)


def test_qemus_requests_reach_a_usb_stick_through_libusb() -> None:
    device = stick(IMAGE)
    guest = Guest(FakeUsb1([device]))
    assert [p.type for p in guest.hello] == [PacketType.INTERFACE_INFO, PacketType.EP_INFO, PacketType.DEVICE_CONNECT]
    (descriptor,) = guest.send(PacketType.CONTROL_PACKET, endpoint=0x80, request=6, requesttype=0x80, status=0,
                               value=0x0100, index=0, length=18)  # fmt: skip
    assert descriptor.int("status") == Status.SUCCESS and descriptor.data[:2] == b"\x12\x01"
    assert int.from_bytes(descriptor.data[8:10], "little") == 0x1209  # the stick's own descriptor, via libusb
    # SCSI READ(10) of sector 5, two blocks: CBW out, data in, CSW in.
    cb = struct.pack(">BBIBHB", 0x28, 0, 5, 0, 2, 0)
    cbw = CBW.pack(CBW_SIGNATURE, 0x42, 1024, 0x80, 0, len(cb), cb.ljust(16, b"\0"))
    (ack,) = guest.send(PacketType.BULK_PACKET, cbw, endpoint=BULK_OUT, status=0, length=31, stream_id=0)
    assert ack.int("status") == Status.SUCCESS
    (data,) = guest.send(PacketType.BULK_PACKET, endpoint=BULK_IN, status=0, length=1024, stream_id=0)
    assert data.data == IMAGE[5 * 512 : 7 * 512]
    (csw,) = guest.send(PacketType.BULK_PACKET, endpoint=BULK_IN, status=0, length=13, stream_id=0)
    assert CSW.unpack(csw.data)[1:] == (0x42, 0, 0)
    # A request left waiting (nothing to read) is cancelled by QEMU: libusb's CANCELLED reaches it.
    guest.conn.send(Packet(PacketType.BULK_PACKET, 99, {"endpoint": BULK_IN, "status": 0, "length": 13,
                                                         "stream_id": 0}))  # fmt: skip
    guest.pump()
    (cancelled,) = guest.send(PacketType.CANCEL_DATA_PACKET, packet_id=99)
    assert cancelled.id == 99 and cancelled.int("status") == Status.CANCELLED
    guest.device.close()
    guest.backend.close()


def test_a_stick_pulled_out_mid_transfer_disconnects_it_from_the_vm() -> None:
    device = stick(IMAGE)
    usb1 = FakeUsb1([device])
    guest = Guest(usb1)
    guest.conn.send(Packet(PacketType.BULK_PACKET, 7, {"endpoint": BULK_IN, "status": 0, "length": 13,
                                                        "stream_id": 0}))  # fmt: skip
    guest.pump()
    usb1.unplug(device)
    replies = guest.pump(want=2)
    assert [p.type for p in replies] == [PacketType.BULK_PACKET, PacketType.DEVICE_DISCONNECT]
    assert replies[0].int("status") == Status.IOERROR and guest.host.gone
    guest.device.close()
    guest.backend.close()
