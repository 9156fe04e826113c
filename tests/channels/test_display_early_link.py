"""A one-shot screenshot links its first display while the display's modules load (SpiceSession.link_display_early):
the link starts before the channel object can be made, parked in a PreConnection the channel adopts once made.
A link that fails early is dropped: the channel links afresh (and reports what goes wrong then)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from spiceview.channels import pre_connection
from spiceview.channels.channel_base import ChannelBase
from spiceview.channels.display_channel import DisplayChannel
from spiceview.channels.display_link import PIXMAP_CACHE_PIXELS
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.connection import Linked
from spiceview.protocol.constants import ChannelType, DisplayCap, ImageCompression, LinkErr
from spiceview.protocol.errors import LinkError
from spiceview.protocol.messages import display as d
from spiceview.transport.connect import Endpoint

DISPLAY, INPUTS = (ChannelType.DISPLAY, 0), (ChannelType.INPUTS, 0)


class FakePre:
    """Stands in for PreConnection: links (or fails) as soon as it starts."""

    made: list[FakePre] = []
    fail: BaseException | None = None
    hang = False  # neither links nor fails until closed

    def __init__(self, conn: Any, opener: Any, *, on_linked: Any, on_failed: Any, **kwargs: Any) -> None:
        self.conn = conn
        self.kwargs = kwargs
        self.linked: Linked | None = None
        self.closed = False
        self._on_linked, self._on_failed = on_linked, on_failed
        FakePre.made.append(self)

    def start(self) -> None:
        if FakePre.hang:
            return
        if FakePre.fail is not None:
            self._on_failed(self, FakePre.fail)
        else:
            self.linked = Linked(frozenset(), frozenset(), True, sent_with_ticket=True)
            self._on_linked(self)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.linked is None:
                self._on_failed(self, None)  # as a PreConnection's loop ends: on_closed, then on_failed


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[ChannelBase, object]]:
    """The channels started and the link each was given, or the TLS choice of a fresh link (none connects)."""
    order: list[tuple[ChannelBase, object]] = []
    monkeypatch.setattr(ChannelBase, "start", lambda self, pre=None: order.append((self, pre)))
    monkeypatch.setattr(ChannelBase, "_start_thread", lambda self: order.append((self, f"tls={self.uses_tls}")))
    monkeypatch.setattr(pre_connection, "PreConnection", FakePre)
    FakePre.made, FakePre.fail, FakePre.hang = [], None, False
    return order


def session(early: bool = True) -> SpiceSession:
    client = SpiceSession(lambda _type, _tls: Endpoint("127.0.0.1", 5900, None), "pw", can_use_tls=True)
    client.session_id = 1234
    client.link_display_early = early
    return client


def test_the_first_display_adopts_the_link_made_before_it(started: list[tuple[ChannelBase, object]]) -> None:
    client = session()
    client.preferred_compression = ImageCompression.QUIC
    client.attach_channels([DISPLAY, INPUTS])
    (pre,) = FakePre.made
    assert pre.kwargs["purpose"] == "linking" and not pre.closed
    conn = pre.conn
    assert (conn.channel_type, conn.channel_id) == DISPLAY
    assert (conn.connection_id, conn.password) == (1234, "pw")
    display = client.channels[DISPLAY]
    assert isinstance(display, DisplayChannel)
    assert conn.channel_caps == display.channel_caps()
    # What goes with its ticket is what the channel would have sent (the caches it gets are that size).
    caps = frozenset({DisplayCap.PREF_COMPRESSION})
    assert conn.with_ticket(caps) == display.link_messages(caps)
    assert display.session.pixmap_cache.max_pixels == PIXMAP_CACHE_PIXELS
    assert [type(m) for m in conn.with_ticket(caps)] == [d.MSGC_INIT.cls, d.MSGC_PREFERRED_COMPRESSION.cls]
    assert started == [(display, pre)]  # the inputs wait for the display's first screen, as always


def test_an_early_link_that_failed_is_dropped_and_the_channel_links_afresh(
    started: list[tuple[ChannelBase, object]],
) -> None:
    FakePre.fail = ConnectionRefusedError()
    client = session()
    client.attach_channels([DISPLAY])
    (pre,) = FakePre.made
    assert pre.closed
    assert started == [(client.channels[DISPLAY], "tls=False")]


def test_a_display_the_server_wants_on_tls_links_there_next(started: list[tuple[ChannelBase, object]]) -> None:
    """Refused with NEED_SECURED on the plain port: the fresh link goes to the TLS port, not to the plain one again
    (the server would refuse it twice)."""
    FakePre.fail = LinkError("needs TLS", LinkErr.NEED_SECURED)
    client = session()
    client.attach_channels([DISPLAY])
    assert FakePre.made[0].kwargs["tls"] is False
    assert started == [(client.channels[DISPLAY], "tls=True")]


@pytest.mark.parametrize("case", ["not asked", "second display", "migrating"])
def test_only_the_first_display_of_a_session_that_asks_links_early(
    started: list[tuple[ChannelBase, object]], case: str
) -> None:
    client = session(early=case != "not asked")
    if case == "second display":
        client.attach_channels([DISPLAY])
        FakePre.made.clear()
        client.attach_channels([(ChannelType.DISPLAY, 1)])
    elif case == "migrating":  # a migration's links are its own (Migration.take)
        client.migration = object()  # type: ignore[assignment]
        assert not client._wants_early_link(DISPLAY)
        return
    else:
        client.attach_channels([DISPLAY])
    assert FakePre.made == []


def test_disconnecting_while_the_early_link_is_made_stops_waiting_for_it(
    started: list[tuple[ChannelBase, object]],
) -> None:
    FakePre.hang = True
    client = session()
    client.connect_timeout = 30.0
    attach = threading.Thread(target=client.attach_channels, args=([DISPLAY],))
    attach.start()
    while client._early_link is None:
        time.sleep(0.001)
    client.disconnect_session()
    attach.join(5.0)
    assert not attach.is_alive()  # not the 30 s link timeout
    assert FakePre.made[0].closed and started == []
