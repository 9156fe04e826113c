"""This computer's devices for a session (channels/usb_devices.py) without a server: the remote-viewer options and
.vv keys, what is redirected on connect and on plug, and what is not."""

from __future__ import annotations

import queue
from pathlib import Path

import pytest
from fake_usb1 import FakeUsb1, keyboard, stick

from spiceview.channels.usb_devices import UsbDevices
from spiceview.cli import apply_options, build_parser, load_target
from spiceview.session.errors import ConfigError
from spiceview.session.params import UsbDeviceShare
from spiceview.usb.backend import UsbBackend


class StubSession:
    """The two things UsbDevices asks of a session: its slots, and sharing into one."""

    def __init__(self, free: int = 2, enabled: bool = True) -> None:
        self.free, self.usbredir_enabled = free, enabled
        self.shared: queue.Queue[UsbDeviceShare] = queue.Queue()

    def usb_slots(self) -> tuple[list[object], int]:
        return [], self.free

    def share_usb(self, share: UsbDeviceShare) -> str | None:
        if not self.free:
            return "no free USB redirection slot (the VM has 2, all in use)"
        self.free -= 1
        self.shared.put(share)
        return None


def devices_for(session: StubSession, usb1: FakeUsb1, **options: object) -> UsbDevices:
    return UsbDevices(session, backend_factory=lambda: UsbBackend(usb1), **options)  # type: ignore[arg-type]


def test_redirect_on_connect_takes_what_its_filter_selects() -> None:
    session = StubSession()
    usb = devices_for(session, FakeUsb1([stick(bytes(512)), keyboard()]), redirect_on_connect="0x08,-1,-1,-1,1")
    usb.slots_known()
    assert session.shared.get_nowait() == UsbDeviceShare(1, 4) and session.shared.empty()
    assert usb.auto_shared == ["1-4"] and usb.watching
    usb.slots_known()  # the channel list comes again with every liveness probe: done once
    assert session.shared.empty()
    usb.close()


def test_plugged_devices_follow_the_auto_filter_and_autoshare_can_be_off() -> None:
    session = StubSession()
    usb1 = FakeUsb1([])
    usb = devices_for(session, usb1)
    usb.slots_known()
    assert usb.watching and session.shared.empty()  # nothing on connect without redirect-on-connect
    usb1.plug(keyboard(address=6))  # HID: the default filter keeps it here
    usb1.plug(stick(bytes(512), address=7))
    assert session.shared.get(timeout=5) == UsbDeviceShare(1, 7)
    assert session.shared.empty()
    usb.close()
    off = StubSession()
    quiet = devices_for(off, FakeUsb1([]), autoshare=False)
    quiet.slots_known()
    assert not quiet.watching
    custom = devices_for(StubSession(), FakeUsb1([]), auto_filter="0x03,-1,-1,-1,1")
    assert custom.auto_rules[0].device_class == 3 and custom.auto_rules[0].allow


def test_no_slots_or_usbredir_off_means_no_libusb_at_all() -> None:
    made: list[int] = []

    def factory() -> UsbBackend:
        made.append(1)
        return UsbBackend(FakeUsb1([]))

    for session in (StubSession(free=0), StubSession(enabled=False)):
        usb = UsbDevices(session, backend_factory=factory)  # type: ignore[arg-type]
        usb.slots_known()
        assert not usb.watching
    assert made == []


def test_a_device_that_cannot_be_found_or_opened_says_why() -> None:
    session = StubSession()
    usb = devices_for(session, FakeUsb1([]))
    assert usb.open_channel(0, UsbDeviceShare(3, 9)) is None
    assert usb.last_error == "no USB device at 3-9 (unplugged?)"
    broken = devices_for(session, FakeUsb1(broken=True))
    assert broken.devices() == [] and "libusb-1.0 is not usable" in (broken.error or "")


def test_remote_viewers_usb_options(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        # (a filter starting with -1 follows an '=', or argparse takes it for an option)
        ["--spice-usbredir-auto-redirect-filter", "0x08,-1,-1,-1,1|-1,-1,-1,-1,0",
         "--spice-usbredir-redirect-on-connect=-1,0x0781,0x5567,-1,1", "spice://h:5900"]
    )  # fmt: skip
    params = apply_options(load_target("spice://h:5900")[0], args)
    assert params.usb_filter == "0x08,-1,-1,-1,1|-1,-1,-1,-1,0"
    assert params.usb_redirect_on_connect == "-1,0x0781,0x5567,-1,1"
    off = apply_options(load_target("spice://h:5900")[0], build_parser().parse_args(["--spice-disable-usbredir",
                                                                                    "spice://h:5900"]))  # fmt: skip
    assert off.enable_usbredir is False
    with pytest.raises(ConfigError, match="--spice-usbredir-redirect-on-connect rule 1"):
        apply_options(
            load_target("spice://h:5900")[0],
            build_parser().parse_args(["--spice-usbredir-redirect-on-connect", "0x08,-1,-1", "spice://h:5900"]),
        )
    vv = tmp_path / "console.vv"
    vv.write_text("[virt-viewer]\ntype=spice\nhost=h\nport=5900\nenable-usb-autoshare=0\nusb-filter=-1,-1,-1,-1,1\n")
    params = load_target(str(vv))[0]
    assert params.enable_usb_autoshare is False and params.usb_filter == "-1,-1,-1,-1,1"
