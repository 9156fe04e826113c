"""usbredir without sockets: every packet type through a host and a guest connection, cut at every byte, with and
without the capabilities that change headers, and what a hostile peer may send refused with a clear reason."""

from __future__ import annotations

import struct

import pytest

from spiceview.protocol.usbredir.connection import HEADER_32, UsbredirConnection, UsbredirError
from spiceview.protocol.usbredir.constants import Cap, PacketType
from spiceview.protocol.usbredir.packets import BOTH, GUEST, HOST, LAYOUTS, Packet, field_codes

ALL_CAPS = frozenset(Cap)
ARR = tuple(range(32))


def pair(host_caps=ALL_CAPS, guest_caps=ALL_CAPS) -> tuple[UsbredirConnection, UsbredirConnection]:  # noqa: ANN001
    host, guest = UsbredirConnection(HOST, host_caps), UsbredirConnection(GUEST, guest_caps)
    hello_from_guest = guest.data_to_send()
    hello_from_host = host.data_to_send()
    (h,) = host.receive_data(hello_from_guest)
    (g,) = guest.receive_data(hello_from_host)
    assert h.type is g.type is PacketType.HELLO
    return host, guest


def sample(kind: PacketType, sender: str, shared: frozenset[Cap], n: int) -> Packet:
    """A valid packet of this type from this side, its fields filled with distinct values."""
    values: dict[str, object] = {}
    for name, code in field_codes(kind, shared):
        if code[0].isdigit():
            values[name] = tuple((i * 7 + n) % 200 for i in range(int(code[:-1])))
        else:
            values[name] = (n * 13 + len(name)) % 200
    data = b""
    if kind is PacketType.INTERFACE_INFO:
        values["interface_count"] = 3
    if kind is PacketType.FILTER_FILTER:
        data = b"0x08,-1,-1,-1,1|-1,-1,-1,-1,0\0"
    if "endpoint" in values:
        receiving = kind.name.endswith("RECEIVING") or kind.name.endswith("RECEIVING_STATUS")
        values["endpoint"] = 0x81 if receiving or kind is PacketType.BUFFERED_BULK_PACKET else 0x02
        if kind in (PacketType.ISO_PACKET, PacketType.INTERRUPT_PACKET):  # these go with their data only
            values["endpoint"] = 0x83 if sender == HOST else 0x03
    if kind is PacketType.START_BULK_RECEIVING:
        values["bytes_per_transfer"] = 4096
    if "length" in values:
        inbound = values["endpoint"] & 0x80  # type: ignore[operator]
        carries = bool(inbound) == (sender == HOST)
        size = 5 + n % 17
        values["length"] = size
        if "length_high" in values:
            values["length_high"] = 0
        if carries:
            data = bytes((i + n) % 256 for i in range(size))
    return Packet(kind, 1000 + n, values, data)  # type: ignore[arg-type]


def every_packet(sender: str, shared: frozenset[Cap]) -> list[Packet]:
    kinds = [k for k, layout in LAYOUTS.items() if layout.sender in (sender, BOTH) and k is not PacketType.HELLO]
    return [sample(kind, sender, shared, n) for n, kind in enumerate(kinds)]


@pytest.mark.parametrize("caps", [ALL_CAPS, frozenset()], ids=["every capability", "none"])
@pytest.mark.parametrize("sender", [HOST, GUEST])
def test_every_packet_type_round_trips_cut_at_every_byte(caps: frozenset[Cap], sender: str) -> None:
    host, guest = pair(caps, caps)
    source, sink = (host, guest) if sender == HOST else (guest, host)
    packets = every_packet(sender, source.shared)
    if Cap.BULK_RECEIVING not in caps:
        packets = [
            p for p in packets if "BULK_RECEIVING" not in p.type.name and p.type is not PacketType.BUFFERED_BULK_PACKET
        ]
    if Cap.FILTER not in caps:
        packets = [p for p in packets if not p.type.name.startswith("FILTER")]
    if Cap.DEVICE_DISCONNECT_ACK not in caps:
        packets = [p for p in packets if p.type is not PacketType.DEVICE_DISCONNECT_ACK]
    for packet in packets:
        source.send(packet)
    wire = source.data_to_send()
    # Whole, byte by byte, and cut in two at every boundary: the same packets each time.
    assert sink.receive_data(wire) == packets
    got: list[Packet] = []
    for i in range(len(wire)):
        got += sink.receive_data(wire[i : i + 1])
    assert got == packets
    step = max(1, len(wire) // 300)
    for cut in range(0, len(wire) + 1, step):
        assert sink.receive_data(wire[:cut]) + sink.receive_data(wire[cut:]) == packets
    assert {p.type for p in packets} >= {k for k, lay in LAYOUTS.items() if lay.sender == sender} - {
        PacketType.HELLO, PacketType.FILTER_REJECT, PacketType.DEVICE_DISCONNECT_ACK, PacketType.START_BULK_RECEIVING,
        PacketType.STOP_BULK_RECEIVING, PacketType.BULK_RECEIVING_STATUS, PacketType.BUFFERED_BULK_PACKET,
    }  # fmt: skip


def test_ids_are_64_bits_only_when_both_sides_say_so() -> None:
    host, guest = pair()
    assert host.ids_64bit and guest.ids_64bit
    guest.send(Packet(PacketType.GET_CONFIGURATION, id=2**40 + 5))
    wire = guest.data_to_send()
    assert len(wire) == 16 and host.receive_data(wire)[0].id == 2**40 + 5
    host, guest = pair(ALL_CAPS, ALL_CAPS - {Cap.IDS_64BIT})
    assert not host.ids_64bit
    guest.send(Packet(PacketType.GET_CONFIGURATION, id=7))
    assert len(guest.data_to_send()) == 12


def test_optional_fields_follow_the_shared_capabilities() -> None:
    host, guest = pair(ALL_CAPS, frozenset({Cap.EP_INFO_MAX_PACKET_SIZE}))
    assert [name for name, _ in field_codes(PacketType.EP_INFO, host.shared)][-1] == "max_packet_size"
    assert "device_version_bcd" not in dict(field_codes(PacketType.DEVICE_CONNECT, host.shared))
    assert "length_high" not in dict(field_codes(PacketType.BULK_PACKET, host.shared))
    host.send(Packet(PacketType.EP_INFO, fields={"type": ARR, "max_packet_size": (512,) * 32}))
    (ep,) = guest.receive_data(host.data_to_send())
    assert ep["max_packet_size"] == (512,) * 32 and "max_streams" not in ep.fields


def test_a_hello_says_who_the_peer_is() -> None:
    host, guest = pair()
    assert guest.peer_version.startswith("spiceview usbredir") and host.peer_caps == ALL_CAPS


def hostile(body_type: int, body: bytes, *, pid: int = 1) -> bytes:
    return HEADER_32.pack(body_type, len(body), pid) + body


def hello(caps: int = 0) -> bytes:
    return hostile(PacketType.HELLO, b"qemu usb-redir guest".ljust(64, b"\0") + struct.pack("<I", caps))


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        (HEADER_32.pack(PacketType.BULK_PACKET, 2**31, 1), "before the peer's hello|more than"),
        (hello() + HEADER_32.pack(PacketType.BULK_PACKET, 2**31, 1), "2147483648 bytes .*more than"),
        (hostile(PacketType.RESET, b""), "before the peer's hello"),
        (hello() + hello(), "a second hello"),
        (hello() + hostile(77, b""), "unknown packet type 77"),
        (hello() + hostile(PacketType.DEVICE_CONNECT, b"\0" * 8), "DEVICE_CONNECT sent by the usb-guest"),
        (hello() + hostile(PacketType.SET_ALT_SETTING, b"\1"), "header alone is 2"),
        (hello() + hostile(PacketType.RESET, b"x"), "RESET with 1 bytes of data"),
        (hello() + hostile(PacketType.CONTROL_PACKET, struct.pack("<BBBBHHH", 0x00, 9, 0, 0, 1, 0, 8) + b"abc"),
         "says 8 bytes and carries 3"),
        (hello() + hostile(PacketType.BULK_PACKET, struct.pack("<BBHI", 0x81, 0, 4, 0) + b"data"),
         "data going the wrong way"),
        (hello() + hostile(PacketType.INTERRUPT_PACKET, struct.pack("<BBH", 0x81, 0, 8)), "sent the wrong way"),
        (hello(1 << Cap.FILTER) + hostile(PacketType.FILTER_FILTER, b"-1,-1,-1,-1,1"), "not 0-terminated"),
        (hello() + hostile(PacketType.FILTER_REJECT, b""), "without this side having FILTER"),
        (hello() + hostile(PacketType.START_INTERRUPT_RECEIVING, b"\x02"), "output endpoint 0x02"),
        (hostile(PacketType.HELLO, b"short"), "version field alone is 64"),
        (hostile(PacketType.HELLO, b"v".ljust(64, b"\0") + b"\1\2\3"), "not whole 32-bit words"),
    ],
)  # fmt: skip
def test_hostile_packets_are_refused(wire: bytes, reason: str) -> None:
    host = UsbredirConnection(HOST, {Cap.FILTER} if "FILTER_FILTER" in reason or "0-terminated" in reason else ())
    with pytest.raises(UsbredirError, match=reason):
        for i in range(len(wire)):  # byte by byte: refused as soon as it can be known
            host.receive_data(wire[i : i + 1])


def test_an_oversized_packet_is_refused_before_its_body_is_buffered() -> None:
    host = UsbredirConnection(HOST, max_packet=4096)
    host.receive_data(hello())
    with pytest.raises(UsbredirError, match="5000 bytes"):
        host.receive_data(HEADER_32.pack(PacketType.BULK_PACKET, 5000, 1))  # the header alone: no body yet


def test_interface_counts_are_bounded() -> None:
    host, guest = pair()
    body = struct.pack("<I", 33) + bytes(128)
    with pytest.raises(UsbredirError, match="interface_count 33 > 32"):
        guest.receive_data(struct.pack("<IIQ", PacketType.INTERFACE_INFO, len(body), 0) + body)


def test_a_side_cannot_send_what_it_never_sends() -> None:
    host, guest = pair()
    with pytest.raises(ValueError, match="usb-host does not send RESET"):
        host.send(Packet(PacketType.RESET))
    host, guest = pair(ALL_CAPS, frozenset())
    with pytest.raises(ValueError, match="BUFFERED_BULK_PACKET without the peer having BULK_RECEIVING"):
        host.send(Packet(PacketType.BUFFERED_BULK_PACKET, fields={"endpoint": 0x81}))
