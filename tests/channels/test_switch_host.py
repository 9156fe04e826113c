"""SWITCH_HOST without sockets: where the channels connect afterwards, what is reset, what is refused; and a
replaced connection's late events never reach the channel."""

from __future__ import annotations

from spiceview.channels.channel_base import _ConnectionEvents
from spiceview.channels.cursor_channel import CursorChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.constants import ChannelType
from spiceview.protocol.messages import main as m
from spiceview.transport.connect import Endpoint
from spiceview.transport.tls_config import TlsConfig


def make_client(tls: bool = False) -> SpiceSession:
    def endpoint(ctype: int, use_tls: bool) -> Endpoint:
        if use_tls:
            return Endpoint("old.example", 5901, TlsConfig(ca_file="ca.pem", host_subject="CN=old"))
        return Endpoint("old.example", 5900, None, "http://proxy:3128")

    client = SpiceSession(endpoint, can_use_tls=tls)
    client.main.reconnect = lambda: None  # type: ignore[method-assign]  # no sockets here
    return client


def switch(port: int, sport: int, host: bytes = b"new.example\0", subject: bytes = b"") -> object:
    return m.MSG_MIGRATE_SWITCH_HOST.cls(
        port=port,
        sport=sport,
        host_size=len(host),
        host_data=host,
        cert_subject_size=len(subject),
        cert_subject_data=subject or None,
    )


def test_channels_go_to_the_new_host_with_the_same_settings() -> None:
    client = make_client(tls=True)
    client.session_id = 1234
    client.main.on_message(switch(6000, 6001, subject=b"CN=new\0"), 1)
    assert client.redirect == ("new.example", 6000, 6001, "CN=new")
    plain = client.endpoint_for(ChannelType.DISPLAY, False)
    assert (plain.host, plain.port, plain.proxy) == ("new.example", 6000, "http://proxy:3128")
    secure = client.endpoint_for(ChannelType.MAIN, True)
    assert (secure.host, secure.port) == ("new.example", 6001)
    assert secure.tls.ca_file == "ca.pem" and secure.tls.host_subject == "CN=new"
    assert client.session_id == 0 and client.glz_window is None


def test_no_tls_port_is_minus_one() -> None:
    client = make_client(tls=True)
    client.main.on_message(switch(6000, 0xFFFF), 1)
    assert client.redirect == ("new.example", 6000, 0, None)
    assert not client.can_use_tls()


def test_the_old_channels_are_closed_and_kept_until_they_end() -> None:
    client = make_client()
    cursor = CursorChannel(client, 0)
    client.channels[(ChannelType.CURSOR, 0)] = cursor
    client.main.on_message(switch(6000, 0), 1)
    assert client.all_channels() == []
    assert cursor.finished()  # never started here: nothing to keep
    assert client.finished_all()


def test_unusable_destinations_are_ignored() -> None:
    for bad in (switch(6000, 0, host=b"\0"), switch(0, 0), switch(0xFFFF, 0xFFFF)):
        client = make_client()
        client.session_id = 7
        client.main.on_message(bad, 1)
        assert client.redirect is None and client.session_id == 7


def test_a_replaced_connection_is_not_heard() -> None:
    client = make_client()
    cursor = CursorChannel(client, 0)
    seen: list[str] = []
    cursor.on_closed = lambda error: seen.append("closed")  # type: ignore[method-assign]
    cursor._generation = 2
    _ConnectionEvents(cursor, 1).on_closed(None)
    assert seen == []
    _ConnectionEvents(cursor, 2).on_closed(None)
    assert seen == ["closed"]


def test_switch_host_records_why_the_session_did_not_move_seamlessly() -> None:
    client = make_client()
    client.main.on_message(switch(6000, 0), 1)
    (record,) = client.migrations
    assert record["mode"] == "switch-host" and "did not announce" in str(record["reason"])
    assert client.stats()["migrations"] == [record]
