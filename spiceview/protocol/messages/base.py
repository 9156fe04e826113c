"""Messages every channel understands (spice.proto's BaseChannel)."""

from ..schema import U8, U32, U64, Array, Bytes
from . import ChannelSchema
from .types import ChannelWait

BASE = ChannelSchema("")

MSG_MIGRATE = BASE.server_msg(1, "migrate", ("flags", U32))
MSG_MIGRATE_DATA = BASE.server_msg(2, "migrate_data", ("data", Bytes()))
MSG_SET_ACK = BASE.server_msg(3, "set_ack", ("generation", U32), ("window", U32))
MSG_PING = BASE.server_msg(4, "ping", ("id", U32), ("timestamp", U64), ("data", Bytes()))
MSG_WAIT_FOR_CHANNELS = BASE.server_msg(
    5, "wait_for_channels", ("wait_count", U8), ("wait_list", Array(ChannelWait, "wait_count"))
)
MSG_DISCONNECTING = BASE.server_msg(6, "disconnecting", ("time_stamp", U64), ("reason", U32))
MSG_NOTIFY = BASE.server_msg(
    7,
    "notify",
    ("time_stamp", U64),
    ("severity", U32),
    ("visibility", U32),
    ("what", U32),
    ("message_len", U32),
    ("message", Bytes("message_len")),
)
MSG_LIST = BASE.server_msg(8, "list", ("data", Bytes()))

MSGC_ACK_SYNC = BASE.client_msg(1, "ack_sync", ("generation", U32))
MSGC_ACK = BASE.client_msg(2, "ack")
MSGC_PONG = BASE.client_msg(3, "pong", ("id", U32), ("timestamp", U64))
MSGC_MIGRATE_FLUSH_MARK = BASE.client_msg(4, "migrate_flush_mark")
MSGC_MIGRATE_DATA = BASE.client_msg(5, "migrate_data", ("data", Bytes()))
MSGC_DISCONNECTING = BASE.client_msg(6, "disconnecting", ("time_stamp", U64), ("reason", U32))
