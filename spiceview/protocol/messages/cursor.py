"""The cursor channel's messages (spice.proto's CursorChannel)."""

from ..schema import U8, U16, U64
from . import ChannelSchema
from .base import BASE
from .types import Cursor, Point16

CURSOR = ChannelSchema("Cursor", BASE)

MSG_INIT = CURSOR.server_msg(
    101,
    "init",
    ("position", Point16),
    ("trail_length", U16),
    ("trail_frequency", U16),
    ("visible", U8),
    ("cursor", Cursor),
)
MSG_RESET = CURSOR.server_msg(102, "reset")
MSG_SET = CURSOR.server_msg(103, "set", ("position", Point16), ("visible", U8), ("cursor", Cursor))
MSG_MOVE = CURSOR.server_msg(104, "move", ("position", Point16))
MSG_HIDE = CURSOR.server_msg(105, "hide")
MSG_TRAIL = CURSOR.server_msg(106, "trail", ("length", U16), ("frequency", U16))
MSG_INVAL_ONE = CURSOR.server_msg(107, "inval_one", ("id", U64))
MSG_INVAL_ALL = CURSOR.server_msg(108, "inval_all")
