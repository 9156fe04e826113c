"""usbredir filter rules: parsed as usbredir parses them, checked in its passes, and a VM's filter honoured."""

from __future__ import annotations

import io

import pytest

from spiceview.protocol.usbredir.connection import UsbredirConnection
from spiceview.protocol.usbredir.constants import Cap, PacketType
from spiceview.protocol.usbredir.filter import FilterError, Rule, Verdict, check, parse, to_text
from spiceview.protocol.usbredir.host import EmulatedHost
from spiceview.protocol.usbredir.mass_storage import MassStorage
from spiceview.protocol.usbredir.packets import GUEST, Packet

DISK = {"device_class": 0, "vendor_id": 0x1209, "product_id": 1, "version_bcd": 0x100, "interfaces": [(8, 6, 0x50)]}


def test_rules_as_ovirt_writes_them() -> None:
    rules = parse("0x03,-1,-1,-1,0|-1,0x1209,-1,-1,1|010,-1,-1,-1,1||")
    assert rules == [Rule(3, -1, -1, -1, False), Rule(-1, 0x1209, -1, -1, True), Rule(8, -1, -1, -1, True)]
    assert parse(to_text(rules)) == rules
    assert parse("-1:-1:-1:-1:1", token_sep=":") == [Rule()]


@pytest.mark.parametrize(
    ("text", "reason"),
    [("1,2,3,4", r"rule 1 \('1,2,3,4'\) has 4 fields"), ("x,-1,-1,-1,1", "class 'x' is not a number"),
     ("256,-1,-1,-1,1", "class '256' is not a number from -1 to 255"),
     ("-1,-1,-1,-1,1|-1,-1,-1,-1,2", "rule 2: allow '2' is not a number from 0 to 1"),
     ("-1,-1,-1,-1,1|" * 1100, "more than 1024 rules")],
)  # fmt: skip
def test_bad_filters_are_refused(text: str, reason: str) -> None:
    with pytest.raises(FilterError, match=reason):
        parse(text)


def test_the_passes_decide_as_usbredir_does() -> None:
    assert check(parse("0x08,-1,-1,-1,1"), **DISK) is Verdict.ALLOWED  # class 0: the interface decides
    assert check(parse("0x08,-1,-1,-1,0|-1,-1,-1,-1,1"), **DISK) is Verdict.DENIED
    assert check(parse("0x03,-1,-1,-1,1"), **DISK) is Verdict.NO_MATCH
    assert check(parse("0x03,-1,-1,-1,1"), **DISK, default_allow=True) is Verdict.ALLOWED
    headset = {**DISK, "interfaces": [(1, 1, 0), (3, 0, 0)]}  # audio, and its volume buttons (non-boot HID)
    assert check(parse("0x01,-1,-1,-1,1"), **headset) is Verdict.ALLOWED


def attached_with(filter_text: str) -> tuple[EmulatedHost, UsbredirConnection]:
    host = EmulatedHost(MassStorage(io.BytesIO(bytes(1024)), 1024), serial="T")
    guest = UsbredirConnection(GUEST, frozenset(Cap))
    host.receive_data(guest.data_to_send())
    guest.receive_data(host.data_to_send())
    guest.send(Packet(PacketType.FILTER_FILTER, data=filter_text.encode() + b"\0"))
    host.receive_data(guest.data_to_send())
    return host, guest


def test_a_vm_filter_that_refuses_the_device_unplugs_it_and_says_why() -> None:
    host, guest = attached_with("0x08,-1,-1,-1,0|-1,-1,-1,-1,1")
    assert [p.type for p in guest.receive_data(host.data_to_send())] == [PacketType.DEVICE_DISCONNECT]
    assert host.rejected == "the VM's USB filter refuses this device (denied by a rule)" and not host.connected
    host, guest = attached_with("-1,-1,-1,-1,1")
    assert guest.receive_data(host.data_to_send()) == [] and host.rejected is None and host.connected
    host, guest = attached_with("garbage")
    assert host.rejected is not None and host.rejected.startswith("the VM sent a USB filter that cannot be read")
