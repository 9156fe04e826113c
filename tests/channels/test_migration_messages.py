"""Migration messages a real server would not send this way (no sockets, or only a refused one): each answered or
ignored with one log line, never an exception, and the session stays where it is."""

from __future__ import annotations

import socket
import time

from spiceview.channels.cursor_channel import CursorChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.constants import ChannelType
from spiceview.protocol.messages import base as b
from spiceview.protocol.messages import main as m
from spiceview.protocol.messages.classes import DstInfo
from spiceview.protocol.schema import WireStruct
from spiceview.transport.connect import Endpoint


def make_client() -> tuple[SpiceSession, list[WireStruct]]:
    client = SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 5900, None), connect_timeout=2.0)
    sent: list[WireStruct] = []
    client.main.send = sent.append  # type: ignore[method-assign]  # what main would send the source
    client.session_id = 77
    return client, sent


def begin(host: bytes, port: int, sport: int = 0xFFFF) -> WireStruct:
    info = DstInfo(
        port=port, sport=sport, host_size=len(host), host_data=host, cert_subject_size=0, cert_subject_data=None
    )
    return m.MSG_MIGRATE_BEGIN.cls(dst_info=info)


def test_an_unusable_destination_is_refused_at_once() -> None:
    client, sent = make_client()
    client.main.on_message(begin(b"\0", 0), 1)
    assert [type(x).__name__ for x in sent] == ["MsgcMainMigrateConnectError"]
    assert client.migration is None


def test_a_destination_that_refuses_the_link_gets_connect_error_and_the_session_stays() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client, sent = make_client()
    client.main.on_message(begin(b"127.0.0.1\0", port), 1)
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [type(x).__name__ for x in sent] == ["MsgcMainMigrateConnectError"]
    (record,) = client.stats()["migrations"]  # until the source says what it does instead
    assert record["mode"] == "failed" and "linking to the destination failed" in str(record["reason"])
    assert client.redirect is None
    client.main.reconnect = lambda: None  # type: ignore[method-assign]  # no sockets here
    switch = m.MSG_MIGRATE_SWITCH_HOST.cls(
        port=port, sport=0, host_size=10, host_data=b"127.0.0.1\0", cert_subject_size=0, cert_subject_data=None
    )
    client.main.on_message(switch, 2)
    (record,) = client.migrations
    assert record["mode"] == "switch-host" and "could not be made in advance" in str(record["reason"])


def test_hand_over_messages_without_a_migration_are_ignored() -> None:
    client, sent = make_client()
    client.main.on_message(m.MSG_MIGRATE_END.cls(), 1)
    client.main.on_message(m.MSG_MIGRATE_CANCEL.cls(), 2)
    client.main.on_message(m.MSG_MIGRATE_DST_SEAMLESS_ACK.cls(), 3)
    cursor = CursorChannel(client, 0)
    client.channels[(ChannelType.CURSOR, 0)] = cursor
    cursor.on_message(b.MSG_MIGRATE.cls(flags=3), 1)
    cursor.on_message(b.MSG_MIGRATE_DATA.cls(data=b"x" * 64), 2)
    assert sent == [] and client.redirect is None and client.migrations == []
