"""Packet layouts, declared once as data: each type's header fields (struct codes, little-endian, packed), who
sends it, whether data may follow, and the fields that exist only when both sides have a capability."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

from .constants import Cap, PacketType

FieldValue = int | bytes | tuple[int, ...]
HOST, GUEST, BOTH = "host", "guest", "both"  # who sends a packet: the usb-host (spiceview), the usb-guest (QEMU)


@dataclass(frozen=True)
class Layout:
    sender: str
    fields: tuple[tuple[str, str], ...] = ()  # (name, struct code): "B", "H", "I", "64s", "32B", "32H", "32I"
    data: bool = False  # data may follow the header (checked per endpoint direction for transfers)
    # Fields present only if both sides have the capability: (name, code, cap); in this order after `fields`.
    optional: tuple[tuple[str, str, Cap], ...] = ()


ARR = "32B"
LAYOUTS: dict[PacketType, Layout] = {
    PacketType.HELLO: Layout(BOTH, (("version", "64s"),), data=True),
    PacketType.DEVICE_CONNECT: Layout(
        HOST,
        (
            ("speed", "B"),
            ("device_class", "B"),
            ("device_subclass", "B"),
            ("device_protocol", "B"),
            ("vendor_id", "H"),
            ("product_id", "H"),
        ),
        optional=(("device_version_bcd", "H", Cap.CONNECT_DEVICE_VERSION),),
    ),  # fmt: skip
    PacketType.DEVICE_DISCONNECT: Layout(HOST),
    PacketType.RESET: Layout(GUEST),
    PacketType.INTERFACE_INFO: Layout(
        HOST,
        (
            ("interface_count", "I"),
            ("interface", ARR),
            ("interface_class", ARR),
            ("interface_subclass", ARR),
            ("interface_protocol", ARR),
        ),
    ),  # fmt: skip
    PacketType.EP_INFO: Layout(
        HOST,
        (("type", ARR), ("interval", ARR), ("interface", ARR)),
        optional=(("max_packet_size", "32H", Cap.EP_INFO_MAX_PACKET_SIZE), ("max_streams", "32I", Cap.BULK_STREAMS)),
    ),
    PacketType.SET_CONFIGURATION: Layout(GUEST, (("configuration", "B"),)),
    PacketType.GET_CONFIGURATION: Layout(GUEST),
    PacketType.CONFIGURATION_STATUS: Layout(HOST, (("status", "B"), ("configuration", "B"))),
    PacketType.SET_ALT_SETTING: Layout(GUEST, (("interface", "B"), ("alt", "B"))),
    PacketType.GET_ALT_SETTING: Layout(GUEST, (("interface", "B"),)),
    PacketType.ALT_SETTING_STATUS: Layout(HOST, (("status", "B"), ("interface", "B"), ("alt", "B"))),
    PacketType.START_ISO_STREAM: Layout(GUEST, (("endpoint", "B"), ("pkts_per_urb", "B"), ("no_urbs", "B"))),
    PacketType.STOP_ISO_STREAM: Layout(GUEST, (("endpoint", "B"),)),
    PacketType.ISO_STREAM_STATUS: Layout(HOST, (("status", "B"), ("endpoint", "B"))),
    PacketType.START_INTERRUPT_RECEIVING: Layout(GUEST, (("endpoint", "B"),)),
    PacketType.STOP_INTERRUPT_RECEIVING: Layout(GUEST, (("endpoint", "B"),)),
    PacketType.INTERRUPT_RECEIVING_STATUS: Layout(HOST, (("status", "B"), ("endpoint", "B"))),
    PacketType.ALLOC_BULK_STREAMS: Layout(GUEST, (("endpoints", "I"), ("no_streams", "I"))),
    PacketType.FREE_BULK_STREAMS: Layout(GUEST, (("endpoints", "I"),)),
    PacketType.BULK_STREAMS_STATUS: Layout(HOST, (("endpoints", "I"), ("no_streams", "I"), ("status", "B"))),
    PacketType.CANCEL_DATA_PACKET: Layout(GUEST),
    PacketType.FILTER_REJECT: Layout(GUEST),
    PacketType.FILTER_FILTER: Layout(BOTH, data=True),
    PacketType.DEVICE_DISCONNECT_ACK: Layout(GUEST),
    PacketType.START_BULK_RECEIVING: Layout(
        GUEST, (("stream_id", "I"), ("bytes_per_transfer", "I"), ("endpoint", "B"), ("no_transfers", "B"))
    ),
    PacketType.STOP_BULK_RECEIVING: Layout(GUEST, (("stream_id", "I"), ("endpoint", "B"))),
    PacketType.BULK_RECEIVING_STATUS: Layout(HOST, (("stream_id", "I"), ("endpoint", "B"), ("status", "B"))),
    PacketType.CONTROL_PACKET: Layout(
        BOTH,
        (
            ("endpoint", "B"),
            ("request", "B"),
            ("requesttype", "B"),
            ("status", "B"),
            ("value", "H"),
            ("index", "H"),
            ("length", "H"),
        ),
        data=True,
    ),  # fmt: skip
    PacketType.BULK_PACKET: Layout(
        BOTH,
        (("endpoint", "B"), ("status", "B"), ("length", "H"), ("stream_id", "I")),
        data=True,
        optional=(("length_high", "H", Cap.BULK_LENGTH_32BIT),),
    ),
    PacketType.ISO_PACKET: Layout(BOTH, (("endpoint", "B"), ("status", "B"), ("length", "H")), data=True),
    PacketType.INTERRUPT_PACKET: Layout(BOTH, (("endpoint", "B"), ("status", "B"), ("length", "H")), data=True),
    PacketType.BUFFERED_BULK_PACKET: Layout(
        HOST, (("stream_id", "I"), ("length", "I"), ("endpoint", "B"), ("status", "B")), data=True
    ),
}
# A packet's own header fields that say how long its data is.
TRANSFERS = (
    PacketType.CONTROL_PACKET,
    PacketType.BULK_PACKET,
    PacketType.ISO_PACKET,
    PacketType.INTERRUPT_PACKET,
    PacketType.BUFFERED_BULK_PACKET,
)


@dataclass(frozen=True)
class Packet:
    """One packet: its type, the id the guest chose (echoed in the host's answer), header fields and data."""

    type: PacketType
    id: int = 0
    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    data: bytes = b""

    def __getitem__(self, name: str) -> FieldValue:
        return self.fields[name]

    def int(self, name: str) -> int:
        value = self.fields[name]
        assert isinstance(value, int)
        return value


def field_codes(packet_type: PacketType, shared: frozenset[Cap]) -> tuple[tuple[str, str], ...]:
    """The fields a packet of this type carries between two sides sharing these capabilities."""
    layout = LAYOUTS[packet_type]
    codes = list(layout.fields)
    if packet_type is PacketType.EP_INFO:
        # max_packet_size comes with either capability (bulk streams implies it), max_streams only with streams.
        if Cap.BULK_STREAMS in shared or Cap.EP_INFO_MAX_PACKET_SIZE in shared:
            codes.append(("max_packet_size", "32H"))
        if Cap.BULK_STREAMS in shared:
            codes.append(("max_streams", "32I"))
        return tuple(codes)
    codes += [(name, code) for name, code, cap in layout.optional if cap in shared]
    return tuple(codes)


def header_struct(codes: tuple[tuple[str, str], ...]) -> struct.Struct:
    return struct.Struct("<" + "".join(code for _name, code in codes))


def pack_fields(codes: tuple[tuple[str, str], ...], values: Mapping[str, FieldValue]) -> bytes:
    flat: list[object] = []
    for name, code in codes:
        value = values.get(name, b"" if code.endswith("s") else (0,) * int(code[:-1]) if code[0].isdigit() else 0)
        if code[0].isdigit() and not code.endswith("s"):
            items = tuple(value) if isinstance(value, tuple | list) else ()
            count = int(code[:-1])
            flat += list(items[:count]) + [0] * (count - len(items))
        else:
            flat.append(value)
    return header_struct(codes).pack(*flat)


def unpack_fields(codes: tuple[tuple[str, str], ...], raw: bytes) -> dict[str, FieldValue]:
    flat = header_struct(codes).unpack(raw)
    values: dict[str, FieldValue] = {}
    i = 0
    for name, code in codes:
        if code[0].isdigit() and not code.endswith("s"):
            count = int(code[:-1])
            values[name] = tuple(flat[i : i + count])
            i += count
        else:
            values[name] = flat[i]
            i += 1
    return values
