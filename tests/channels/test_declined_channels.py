"""Offered channels a session does not attach say why in the log: one this session does not use (no pointer in a
screenshot) is not one spiceview cannot speak."""

from __future__ import annotations

import logging

import pytest

from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.constants import ChannelType
from spiceview.transport.connect import Endpoint


def test_declined_channels_say_why(caplog: pytest.LogCaptureFixture) -> None:
    client = SpiceSession(lambda _type, _tls: Endpoint("127.0.0.1", 5900, None))
    client.want_cursor_channel = False
    caplog.set_level(logging.INFO)
    client.attach_channels([(ChannelType.CURSOR, 0), (ChannelType.WEBDAV, 0)])
    assert client.all_channels() == []
    assert "cursor-0 offered; not used by this session, skipped" in caplog.text
    assert "webdav-0 offered; not supported yet, skipped" in caplog.text
