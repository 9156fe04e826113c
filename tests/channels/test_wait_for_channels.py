"""WAIT_FOR_CHANNELS and INVAL_ALL_PIXMAPS' wait list: a channel holds until the named channel has handled the
named message (the server orders work that spans channels so), bounded in time."""

from __future__ import annotations

import threading

import numpy as np

from spiceview.channels.cursor_channel import CursorChannel
from spiceview.channels.display_channel import DisplayChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.codecs.image import DecodedImage, PixelFormat
from spiceview.protocol.constants import ChannelType
from spiceview.protocol.messages import base as b
from spiceview.protocol.messages import cursor as c
from spiceview.protocol.messages import display as d
from spiceview.protocol.messages import types as t
from spiceview.transport.connect import Endpoint


def make_pair() -> tuple[SpiceSession, DisplayChannel, CursorChannel]:
    session = SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 1))
    display, cursor = DisplayChannel(session, 0), CursorChannel(session, 0)
    session.channels[(ChannelType.DISPLAY, 0)] = display
    session.channels[(ChannelType.CURSOR, 0)] = cursor
    cursor.is_linked = True
    return session, display, cursor


def test_a_display_command_waits_for_the_cursor_channels_message() -> None:
    session, display, cursor = make_pair()
    order: list[str] = []
    go = threading.Event()

    def cursor_thread() -> None:
        go.wait(5)
        for serial in range(1, 6):
            order.append(f"cursor {serial}")
            cursor.on_message(c.MSG_MOVE.cls(position=t.Point16.cls(x=serial, y=0)), serial)

    worker = threading.Thread(target=cursor_thread)
    worker.start()
    wait = b.MSG_WAIT_FOR_CHANNELS.cls(
        wait_list=[t.ChannelWait.cls(channel_type=ChannelType.CURSOR, channel_id=0, message_serial=5)]
    )
    go.set()
    display.on_message(wait, 1)  # holds until cursor-0 handled its message 5
    order.append("display 2")
    worker.join()
    assert order == ["cursor 1", "cursor 2", "cursor 3", "cursor 4", "cursor 5", "display 2"]
    assert session.serial_waiters == 0


def test_no_wait_for_a_channel_that_is_not_there_or_is_already_past() -> None:
    session, display, cursor = make_pair()
    cursor.serial_done = 9
    for kind, serial in ((ChannelType.CURSOR, 9), (ChannelType.PLAYBACK, 100), (ChannelType.DISPLAY, 1000)):
        assert session.wait_for_channel(kind, 0, serial)  # past, absent, and (display-0 waiting on itself) skipped
    display.on_message(
        b.MSG_WAIT_FOR_CHANNELS.cls(wait_list=[t.ChannelWait.cls(channel_type=ChannelType.DISPLAY, message_serial=99)]),
        1,
    )


def test_a_closed_channel_releases_its_waiters() -> None:
    session, display, cursor = make_pair()
    threading.Timer(0.05, lambda: (setattr(cursor, "is_linked", False), session.channel_progressed())).start()
    assert session.wait_for_channel(ChannelType.CURSOR, 0, 10**6)


def test_inval_all_pixmaps_clears_the_cache_after_the_listed_channel() -> None:
    session, display, cursor = make_pair()
    session.pixmap_cache.put(1, DecodedImage(1, 1, PixelFormat.XRGB32, np.zeros((1, 1, 4), np.uint8)))
    seen_before_clear: list[int] = []

    def cursor_thread() -> None:
        seen_before_clear.append(len(session.pixmap_cache))
        cursor.on_message(c.MSG_HIDE.cls(), 3)

    threading.Timer(0.05, cursor_thread).start()
    display.on_message(
        d.MSG_INVAL_ALL_PIXMAPS.cls(
            wait_list=[t.ChannelWait.cls(channel_type=ChannelType.CURSOR, channel_id=0, message_serial=3)]
        ),
        7,
    )
    assert seen_before_clear == [1] and len(session.pixmap_cache) == 0
