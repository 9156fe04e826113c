"""The playback and record channels' messages (spice.proto's PlaybackChannel and RecordChannel)."""

from ..schema import U8, U16, U32, Array, Bytes
from . import ChannelSchema
from .base import BASE

_VOLUME = (("nchannels", U8), ("volume", Array(U16, "nchannels")))
_MUTE = (("mute", U8),)

PLAYBACK = ChannelSchema("Playback", BASE)

MSG_PLAYBACK_DATA = PLAYBACK.server_msg(101, "data", ("time", U32), ("data", Bytes(view=True)))
MSG_PLAYBACK_MODE = PLAYBACK.server_msg(102, "mode", ("time", U32), ("mode", U16), ("data", Bytes()))
MSG_PLAYBACK_START = PLAYBACK.server_msg(
    103, "start", ("channels", U32), ("format", U16), ("frequency", U32), ("time", U32)
)
MSG_PLAYBACK_STOP = PLAYBACK.server_msg(104, "stop")
MSG_PLAYBACK_VOLUME = PLAYBACK.server_msg(105, "volume", *_VOLUME)
MSG_PLAYBACK_MUTE = PLAYBACK.server_msg(106, "mute", *_MUTE)
MSG_PLAYBACK_LATENCY = PLAYBACK.server_msg(107, "latency", ("latency_ms", U32))

RECORD = ChannelSchema("Record", BASE)

MSG_RECORD_START = RECORD.server_msg(101, "start", ("channels", U32), ("format", U16), ("frequency", U32))
MSG_RECORD_STOP = RECORD.server_msg(102, "stop")
MSG_RECORD_VOLUME = RECORD.server_msg(103, "volume", *_VOLUME)
MSG_RECORD_MUTE = RECORD.server_msg(104, "mute", *_MUTE)

MSGC_RECORD_DATA = RECORD.client_msg(101, "data", ("time", U32), ("data", Bytes()))
MSGC_RECORD_MODE = RECORD.client_msg(102, "mode", ("time", U32), ("mode", U16), ("data", Bytes()))
MSGC_RECORD_START_MARK = RECORD.client_msg(103, "start_mark", ("time", U32))
