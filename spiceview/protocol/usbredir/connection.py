"""A usbredir connection, sans-IO: bytes in, Packets out, Packets in, bytes to send (like protocol/connection.py).

    conn = UsbredirConnection(role=HOST, caps={Cap.IDS_64BIT, ...})   # queues our hello
    for packet in conn.receive_data(data): ...                        # UsbredirError: close the channel
    conn.send(Packet(PacketType.DEVICE_CONNECT, fields={...}))
    sock.sendall(conn.data_to_send())

Each side starts with a hello (a 32-bit id header: the peer's capabilities are not known yet). Once both hellos are
through, a capability only counts if both sides have it: 64-bit ids, the optional header fields, and which packets
may be sent at all. Everything the peer controls is checked before it is used or buffered: the length against
`max_packet` (the packet is refused before its body arrives), the type-specific header length, who may send the
type, the data length against the transfer's own length field and endpoint direction, interface counts, the filter
string's terminating zero.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from ..errors import ProtocolError
from .constants import (
    MAX_BULK_TRANSFER_SIZE,
    MAX_CAPS_WORDS,
    MAX_INTERFACES,
    MAX_PACKET_SIZE,
    VERSION,
    VERSION_FIELD,
    Cap,
    PacketType,
)
from .packets import (
    BOTH,
    GUEST,
    HOST,
    LAYOUTS,
    TRANSFERS,
    Packet,
    field_codes,
    header_struct,
    pack_fields,
    unpack_fields,
)

HEADER_32 = struct.Struct("<III")
HEADER_64 = struct.Struct("<IIQ")
DEFAULT_MAX_PACKET = 16 * 1024 * 1024 + 1024  # what we buffer for one packet unless told otherwise
INPUT_ONLY = (  # receiving is from a device's IN endpoints only
    PacketType.START_INTERRUPT_RECEIVING,
    PacketType.STOP_INTERRUPT_RECEIVING,
    PacketType.INTERRUPT_RECEIVING_STATUS,
    PacketType.START_BULK_RECEIVING,
    PacketType.STOP_BULK_RECEIVING,
    PacketType.BULK_RECEIVING_STATUS,
)


class UsbredirError(ProtocolError):
    """The peer sent something usbredir does not allow; the message says what."""


class UsbredirConnection:
    def __init__(
        self,
        role: str = HOST,
        caps: Iterable[Cap] = (),
        *,
        version: str = VERSION,
        max_packet: int = DEFAULT_MAX_PACKET,
    ) -> None:
        if role not in (HOST, GUEST):
            raise ValueError(f"role is {HOST!r} or {GUEST!r}, not {role!r}")
        self.role = role
        self.caps = frozenset(caps)
        self.peer_caps: frozenset[Cap] | None = None  # None until the peer's hello
        self.peer_version = ""
        self.max_packet = min(max_packet, MAX_PACKET_SIZE)
        self._in = bytearray()
        self._out = bytearray()
        self._send_hello(version)

    # --- what both sides have -------------------------------------------------------------------------------

    @property
    def shared(self) -> frozenset[Cap]:
        return self.caps & self.peer_caps if self.peer_caps is not None else frozenset()

    @property
    def ids_64bit(self) -> bool:
        return Cap.IDS_64BIT in self.shared

    def _header(self) -> struct.Struct:
        return HEADER_64 if self.ids_64bit else HEADER_32

    # --- sending ----------------------------------------------------------------------------------------------

    def send(self, packet: Packet) -> None:
        """Queue a packet; ValueError if this side may not send it now (as usbredir's own parser refuses)."""
        layout = LAYOUTS[packet.type]
        if layout.sender not in (self.role, BOTH):
            raise ValueError(f"a usb-{self.role} does not send {packet.type.name}")
        self._check_caps(packet.type, self.peer_caps or frozenset(), "the peer")
        body = pack_fields(field_codes(packet.type, self.shared), packet.fields) + packet.data
        if packet.data and not layout.data:
            raise ValueError(f"{packet.type.name} carries no data")
        self._out += self._header().pack(packet.type, len(body), packet.id) + body

    def data_to_send(self) -> bytes:
        out, self._out = bytes(self._out), bytearray()
        return out

    def _send_hello(self, version: str) -> None:
        caps = 0
        for cap in self.caps:
            caps |= 1 << cap
        text = version.encode("utf-8")[: VERSION_FIELD - 1]
        body = struct.pack(f"<{VERSION_FIELD}s", text) + struct.pack("<I", caps)
        self._out += HEADER_32.pack(PacketType.HELLO, len(body), 0) + body

    # --- receiving --------------------------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[Packet]:
        """The complete packets in what has arrived so far (UsbredirError on anything usbredir forbids)."""
        self._in += data
        packets: list[Packet] = []
        while True:
            header = self._header() if self.peer_caps is not None else HEADER_32
            if len(self._in) < header.size:
                return packets
            kind, length, packet_id = header.unpack_from(self._in)
            if length > self.max_packet:
                raise UsbredirError(f"packet of {length} bytes (type {kind}): more than the {self.max_packet} allowed")
            if self.peer_caps is None and kind != PacketType.HELLO:
                raise UsbredirError(f"packet type {kind} before the peer's hello")
            if len(self._in) < header.size + length:
                return packets
            body = bytes(self._in[header.size : header.size + length])
            del self._in[: header.size + length]
            packets.append(self._decode(kind, packet_id, body))

    def _decode(self, kind: int, packet_id: int, body: bytes) -> Packet:
        try:
            packet_type = PacketType(kind)
        except ValueError:
            raise UsbredirError(f"unknown packet type {kind}") from None
        layout = LAYOUTS[packet_type]
        if packet_type is PacketType.HELLO:
            return self._on_hello(packet_id, body)
        sender = GUEST if self.role == HOST else HOST
        if layout.sender not in (sender, BOTH):
            raise UsbredirError(f"{packet_type.name} sent by the usb-{sender}, which never sends it")
        self._check_caps(packet_type, self.caps, "this side")
        codes = field_codes(packet_type, self.shared)
        size = header_struct(codes).size
        if len(body) < size:
            raise UsbredirError(f"{packet_type.name} of {len(body)} bytes: its header alone is {size}")
        packet = Packet(packet_type, packet_id, unpack_fields(codes, body[:size]), body[size:])
        self._check(packet, sender)
        return packet

    def _on_hello(self, packet_id: int, body: bytes) -> Packet:
        if self.peer_caps is not None:
            raise UsbredirError("a second hello")
        if len(body) < VERSION_FIELD:
            raise UsbredirError(f"hello of {len(body)} bytes: its version field alone is {VERSION_FIELD}")
        words = body[VERSION_FIELD:]
        if len(words) % 4:
            raise UsbredirError(f"hello capabilities of {len(words)} bytes: not whole 32-bit words")
        bits = 0
        for i, (word,) in enumerate(struct.iter_unpack("<I", words)):
            if i < MAX_CAPS_WORDS:  # later words hold capabilities newer than this code: ignored
                bits |= word << (32 * i)
        self.peer_caps = frozenset(cap for cap in Cap if bits >> cap & 1)
        self.peer_version = body[:VERSION_FIELD].split(b"\0", 1)[0].decode("utf-8", "replace")
        return Packet(PacketType.HELLO, packet_id, {"version": body[:VERSION_FIELD]}, words)

    def _check_caps(self, packet_type: PacketType, caps: frozenset[Cap], whose: str) -> None:
        needs = {
            PacketType.FILTER_REJECT: Cap.FILTER,
            PacketType.FILTER_FILTER: Cap.FILTER,
            PacketType.DEVICE_DISCONNECT_ACK: Cap.DEVICE_DISCONNECT_ACK,
            PacketType.START_BULK_RECEIVING: Cap.BULK_RECEIVING,
            PacketType.STOP_BULK_RECEIVING: Cap.BULK_RECEIVING,
            PacketType.BULK_RECEIVING_STATUS: Cap.BULK_RECEIVING,
            PacketType.BUFFERED_BULK_PACKET: Cap.BULK_RECEIVING,
        }.get(packet_type)
        if needs is not None and needs not in caps:
            error = UsbredirError if whose == "this side" else ValueError
            raise error(f"{packet_type.name} without {whose} having {needs.name}")

    def _check(self, packet: Packet, sender: str) -> None:
        kind = packet.type
        if kind is PacketType.INTERFACE_INFO and packet.int("interface_count") > MAX_INTERFACES:
            raise UsbredirError(f"interface_count {packet.int('interface_count')} > {MAX_INTERFACES}")
        if kind is PacketType.FILTER_FILTER and (not packet.data or packet.data[-1] != 0):
            raise UsbredirError("a filter string that is not 0-terminated")
        if kind in INPUT_ONLY and not packet.int("endpoint") & 0x80:
            raise UsbredirError(f"{kind.name} for output endpoint {packet.int('endpoint'):#04x}")
        if kind is PacketType.START_BULK_RECEIVING and packet.int("bytes_per_transfer") > MAX_BULK_TRANSFER_SIZE:
            raise UsbredirError(f"bulk receiving of {packet.int('bytes_per_transfer')} bytes per transfer")
        if kind not in TRANSFERS:
            if packet.data and not LAYOUTS[kind].data:
                raise UsbredirError(f"{kind.name} with {len(packet.data)} bytes of data it cannot have")
            return
        length = packet.int("length")
        if kind is PacketType.BULK_PACKET and "length_high" in packet.fields:
            length |= packet.int("length_high") << 16
        if length > MAX_BULK_TRANSFER_SIZE:
            raise UsbredirError(f"{kind.name} of {length} bytes")
        # Data goes with the transfer one way: IN endpoints' data from the host, OUT endpoints' from the guest.
        inbound = bool(packet.int("endpoint") & 0x80)
        carries = inbound == (sender == HOST)
        if carries and len(packet.data) != length:
            raise UsbredirError(f"{kind.name} says {length} bytes and carries {len(packet.data)}")
        if not carries:
            if packet.data:
                raise UsbredirError(
                    f"{kind.name} for endpoint {packet.int('endpoint'):#04x} with data going the wrong way"
                )
            if kind in (PacketType.ISO_PACKET, PacketType.BUFFERED_BULK_PACKET) or (
                kind is PacketType.INTERRUPT_PACKET and sender == GUEST
            ):
                raise UsbredirError(f"{kind.name} sent the wrong way")
