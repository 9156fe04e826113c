"""The main channel's messages (spice.proto's MainChannel)."""

from ..schema import U16, U32, U64, Array, Bytes, Pointer
from . import ChannelSchema
from .base import BASE
from .types import ChannelId, DstInfo

MAIN = ChannelSchema("Main", BASE)

MSG_MIGRATE_BEGIN = MAIN.server_msg(101, "migrate_begin", ("dst_info", DstInfo))
MSG_MIGRATE_CANCEL = MAIN.server_msg(102, "migrate_cancel")
MSG_INIT = MAIN.server_msg(
    103,
    "init",
    ("session_id", U32),
    ("display_channels_hint", U32),
    ("supported_mouse_modes", U32),
    ("current_mouse_mode", U32),
    ("agent_connected", U32),
    ("agent_tokens", U32),
    ("multi_media_time", U32),
    ("ram_hint", U32),
)
MSG_CHANNELS_LIST = MAIN.server_msg(
    104, "channels_list", ("num_of_channels", U32), ("channels", Array(ChannelId, "num_of_channels"))
)
MSG_MOUSE_MODE = MAIN.server_msg(105, "mouse_mode", ("supported_modes", U16), ("current_mode", U16))
MSG_MULTI_MEDIA_TIME = MAIN.server_msg(106, "multi_media_time", ("time", U32))
MSG_AGENT_CONNECTED = MAIN.server_msg(107, "agent_connected")
MSG_AGENT_DISCONNECTED = MAIN.server_msg(108, "agent_disconnected", ("error_code", U32))
MSG_AGENT_DATA = MAIN.server_msg(109, "agent_data", ("data", Bytes()))
MSG_AGENT_TOKEN = MAIN.server_msg(110, "agent_token", ("num_tokens", U32))
MSG_MIGRATE_SWITCH_HOST = MAIN.server_msg(
    111,
    "migrate_switch_host",
    ("port", U16),
    ("sport", U16),
    ("host_size", U32),
    ("host_data", Pointer(Bytes("host_size"))),
    ("cert_subject_size", U32),
    ("cert_subject_data", Pointer(Bytes("cert_subject_size"))),
)
MSG_MIGRATE_END = MAIN.server_msg(112, "migrate_end")
MSG_NAME = MAIN.server_msg(113, "name", ("name_len", U32), ("name", Bytes("name_len")))
MSG_UUID = MAIN.server_msg(114, "uuid", ("uuid", Bytes(16)))
MSG_AGENT_CONNECTED_TOKENS = MAIN.server_msg(115, "agent_connected_tokens", ("num_tokens", U32))
MSG_MIGRATE_BEGIN_SEAMLESS = MAIN.server_msg(
    116, "migrate_begin_seamless", ("dst_info", DstInfo), ("src_mig_version", U32)
)
MSG_MIGRATE_DST_SEAMLESS_ACK = MAIN.server_msg(117, "migrate_dst_seamless_ack")
MSG_MIGRATE_DST_SEAMLESS_NACK = MAIN.server_msg(118, "migrate_dst_seamless_nack")

MSGC_CLIENT_INFO = MAIN.client_msg(101, "client_info", ("cache_size", U64))
MSGC_MIGRATE_CONNECTED = MAIN.client_msg(102, "migrate_connected")
MSGC_MIGRATE_CONNECT_ERROR = MAIN.client_msg(103, "migrate_connect_error")
MSGC_ATTACH_CHANNELS = MAIN.client_msg(104, "attach_channels")
MSGC_MOUSE_MODE_REQUEST = MAIN.client_msg(105, "mouse_mode_request", ("mode", U16))
MSGC_AGENT_START = MAIN.client_msg(106, "agent_start", ("num_tokens", U32))
MSGC_AGENT_DATA = MAIN.client_msg(107, "agent_data", ("data", Bytes()))
MSGC_AGENT_TOKEN = MAIN.client_msg(108, "agent_token", ("num_tokens", U32))
MSGC_MIGRATE_END = MAIN.client_msg(109, "migrate_end")
MSGC_MIGRATE_DST_DO_SEAMLESS = MAIN.client_msg(110, "migrate_dst_do_seamless", ("src_version", U32))
MSGC_MIGRATE_CONNECTED_SEAMLESS = MAIN.client_msg(111, "migrate_connected_seamless")
MSGC_QUALITY_INDICATOR = MAIN.client_msg(112, "quality_indicator", ("data", Bytes()))
