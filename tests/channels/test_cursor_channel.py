"""Malformed cursor messages are logged and ignored; the channel keeps the last good cursor and goes on."""

from __future__ import annotations

import numpy as np

from spiceview.channels.cursor_channel import CursorChannel
from spiceview.channels.spice_session import SpiceSession
from spiceview.protocol.constants import CursorFlags, CursorType
from spiceview.protocol.messages import cursor as cmsg
from spiceview.protocol.messages import types as t
from spiceview.transport.connect import Endpoint


def cursor(kind: int, w: int, h: int, data: bytes, flags: int = 0, unique: int = 1):
    header = t.CursorHeader.cls(unique=unique, type=kind, width=w, height=h, hot_spot_x=1, hot_spot_y=2)
    return t.Cursor.cls(flags=flags, header=header, data=data)


def set_msg(c) -> object:
    return cmsg.MSG_SET.cls(position=t.Point16.cls(x=5, y=6), visible=1, cursor=c)


def test_bad_cursors_are_ignored_and_good_ones_apply() -> None:
    channel = CursorChannel(SpiceSession(lambda ctype, tls: Endpoint("127.0.0.1", 1)))
    good = np.arange(4 * 4 * 4, dtype=np.uint8).reshape(4, 4, 4)
    good[..., :3] = np.minimum(good[..., :3], good[..., 3:])
    channel.on_message(set_msg(cursor(CursorType.ALPHA, 4, 4, good.tobytes())), 1)
    assert channel.state()[0] is not None and channel.errors == 0
    bad = [
        cursor(CursorType.ALPHA, 64, 64, b"\0" * 10),  # sizes beyond the data
        cursor(99, 4, 4, b"\0" * 64),  # unknown type
        cursor(CursorType.MONO, 4000, 4, b""),  # absurd size
        cursor(CursorType.ALPHA, 4, 4, b"", flags=CursorFlags.FROM_CACHE, unique=777),  # not in the cache
    ]
    for c in bad:
        channel.on_message(set_msg(c), 2)
    assert channel.errors == len(bad)
    shape, position, visible = channel.state()
    assert shape is not None and (shape.width, shape.height) == (4, 4) and visible
    channel.on_message(cmsg.MSG_MOVE.cls(position=t.Point16.cls(x=50, y=60)), 3)
    assert channel.state()[1] == (50, 60)
    channel.on_message(cmsg.MSG_HIDE.cls(), 4)
    assert channel.state()[2] is False
