"""A plain channel's loop while another channel's thread is importing ssl for TLS: the half-imported module has
no classes yet, and the loop must neither crash on it nor lose its error (seen once in the live TLS tests:
AttributeError: partially initialized module 'ssl' has no attribute 'SSLSocket')."""

from __future__ import annotations

import socket
import sys
import types

import pytest

from spiceview.protocol.connection import ChannelConnection, Linked
from spiceview.protocol.constants import ChannelType
from spiceview.protocol.schema import WireStruct
from spiceview.transport.channel_loop import ChannelLoop
from spiceview.transport.errors import TransportError


class Handler:
    def __init__(self) -> None:
        self.closed: list[BaseException | None] = []

    def on_linked(self, event: Linked) -> None:
        pass

    def on_message(self, message: WireStruct, serial: int) -> None:
        pass

    def on_batch_done(self) -> None:
        pass

    def on_closed(self, error: BaseException | None) -> None:
        self.closed.append(error)


@pytest.fixture
def half_imported_ssl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ssl", types.ModuleType("ssl"))  # as while its import is under way


@pytest.mark.usefixtures("half_imported_ssl")
def test_a_plain_socket_closed_by_the_server() -> None:
    ours, theirs = socket.socketpair()
    theirs.close()  # the server hangs up during the link
    handler = Handler()
    ChannelLoop(ChannelConnection(ChannelType.INPUTS), lambda: ours, handler).run()
    (error,) = handler.closed
    assert isinstance(error, TransportError), error


@pytest.mark.usefixtures("half_imported_ssl")
def test_a_connection_error_stays_a_transport_error() -> None:
    def refuse() -> socket.socket:
        raise ConnectionResetError(104, "Connection reset by peer")

    handler = Handler()
    ChannelLoop(ChannelConnection(ChannelType.INPUTS), refuse, handler).run()
    (error,) = handler.closed
    assert isinstance(error, TransportError) and "connection lost" in str(error), error
