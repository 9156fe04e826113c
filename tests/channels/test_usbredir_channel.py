"""The usbredir channel adapter without a server: a hostile stream ends that channel with one line and lets the
image go; the device's bytes go out in SPICEVMC_DATA messages."""

from __future__ import annotations

import io
import struct

from spiceview.channels.spice_session import SpiceSession
from spiceview.channels.usbredir_channel import UsbredirChannel
from spiceview.protocol.messages.classes import MsgcSpicevmcData, MsgSpicevmcData
from spiceview.protocol.usbredir.connection import HEADER_32
from spiceview.protocol.usbredir.host import EmulatedHost
from spiceview.protocol.usbredir.mass_storage import MassStorage
from spiceview.transport.connect import Endpoint


def channel() -> tuple[UsbredirChannel, list[object], list[str]]:
    session = SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 5900, None))
    medium = io.BytesIO(bytes(4096))
    host = EmulatedHost(MassStorage(medium, 4096), serial="T")
    usb = UsbredirChannel(session, 0, lambda: host)
    sent: list[object] = []
    usb.send = sent.append  # type: ignore[method-assign]  # no connection here
    usb.stop = lambda: None  # type: ignore[method-assign]
    failures: list[str] = []
    usb.device_failed.connect(failures.append)
    return usb, sent, failures


def test_our_hello_goes_out_when_the_channel_is_up() -> None:
    usb, sent, _ = channel()
    usb.on_up()
    (hello,) = sent
    assert isinstance(hello, MsgcSpicevmcData) and struct.unpack_from("<I", bytes(hello.data))[0] == 0


def test_a_hostile_stream_ends_the_channel_with_one_line() -> None:
    usb, sent, failures = channel()
    usb.on_up()
    usb._on_data(MsgSpicevmcData(data=HEADER_32.pack(0, 2**31, 0)))  # a 2 GiB "hello"
    assert usb.error is not None and usb.error.startswith("USB redirection stopped: packet of 2147483648 bytes")
    assert failures == [usb.error] and "\n" not in usb.error
    usb.on_down()
    assert usb.host.device.medium.closed
