"""Message numbers, enums and constants cross-checked against spice-protocol.

The expected values below were transcribed by hand from spice-protocol's spice/enums.h and spice/protocol.h
(commit 969baca93e08943dd0e8cddbcb33d09915af6ee9) and spice-common's spice.proto; nothing is read from those
projects at test time. A wrong number in spiceview's declarations fails here.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

import pytest

from spiceview.protocol import constants as c
from spiceview.protocol import framing, link
from spiceview.protocol.constants import ChannelType
from spiceview.protocol.messages.base import BASE
from spiceview.protocol.messages.registry import SCHEMAS

# --- message numbers (enums.h: SPICE_MSG_* / SPICE_MSGC_*) -------------------------------------------------------

BASE_SERVER = {
    "migrate": 1,
    "migrate_data": 2,
    "set_ack": 3,
    "ping": 4,
    "wait_for_channels": 5,
    "disconnecting": 6,
    "notify": 7,
    "list": 8,
}
BASE_CLIENT = {
    "ack_sync": 1,
    "ack": 2,
    "pong": 3,
    "migrate_flush_mark": 4,
    "migrate_data": 5,
    "disconnecting": 6,
}
SPICE_MSG_BASE_LAST = 100

SERVER = {
    ChannelType.MAIN: {
        "migrate_begin": 101,
        "migrate_cancel": 102,
        "init": 103,
        "channels_list": 104,
        "mouse_mode": 105,
        "multi_media_time": 106,
        "agent_connected": 107,
        "agent_disconnected": 108,
        "agent_data": 109,
        "agent_token": 110,
        "migrate_switch_host": 111,
        "migrate_end": 112,
        "name": 113,
        "uuid": 114,
        "agent_connected_tokens": 115,
        "migrate_begin_seamless": 116,
        "migrate_dst_seamless_ack": 117,
        "migrate_dst_seamless_nack": 118,
    },
    ChannelType.DISPLAY: {
        "mode": 101,
        "mark": 102,
        "reset": 103,
        "copy_bits": 104,
        "inval_list": 105,
        "inval_all_pixmaps": 106,
        "inval_palette": 107,
        "inval_all_palettes": 108,
        "stream_create": 122,
        "stream_data": 123,
        "stream_clip": 124,
        "stream_destroy": 125,
        "stream_destroy_all": 126,
        "draw_fill": 302,
        "draw_opaque": 303,
        "draw_copy": 304,
        "draw_blend": 305,
        "draw_blackness": 306,
        "draw_whiteness": 307,
        "draw_invers": 308,
        "draw_rop3": 309,
        "draw_stroke": 310,
        "draw_text": 311,
        "draw_transparent": 312,
        "draw_alpha_blend": 313,
        "surface_create": 314,
        "surface_destroy": 315,
        "stream_data_sized": 316,
        "monitors_config": 317,
        "draw_composite": 318,
        "stream_activate_report": 319,
        "gl_scanout_unix": 320,
        "gl_draw": 321,
        "quality_indicator": 322,
    },
    ChannelType.INPUTS: {"init": 101, "key_modifiers": 102, "mouse_motion_ack": 111},
    ChannelType.CURSOR: {
        "init": 101,
        "reset": 102,
        "set": 103,
        "move": 104,
        "hide": 105,
        "trail": 106,
        "inval_one": 107,
        "inval_all": 108,
    },
    ChannelType.PLAYBACK: {
        "data": 101,
        "mode": 102,
        "start": 103,
        "stop": 104,
        "volume": 105,
        "mute": 106,
        "latency": 107,
    },
    ChannelType.RECORD: {"start": 101, "stop": 102, "volume": 103, "mute": 104},
    ChannelType.USBREDIR: {"data": 101, "compressed_data": 102},  # SpiceMsgSpicevmc (enums.h)
}

CLIENT = {
    ChannelType.MAIN: {
        "client_info": 101,
        "migrate_connected": 102,
        "migrate_connect_error": 103,
        "attach_channels": 104,
        "mouse_mode_request": 105,
        "agent_start": 106,
        "agent_data": 107,
        "agent_token": 108,
        "migrate_end": 109,
        "migrate_dst_do_seamless": 110,
        "migrate_connected_seamless": 111,
        "quality_indicator": 112,
    },
    ChannelType.DISPLAY: {
        "init": 101,
        "stream_report": 102,
        "preferred_compression": 103,
        "gl_draw_done": 104,
        "preferred_video_codec_type": 105,
    },
    ChannelType.INPUTS: {
        "key_down": 101,
        "key_up": 102,
        "key_modifiers": 103,
        "key_scancode": 104,
        "mouse_motion": 111,
        "mouse_position": 112,
        "mouse_press": 113,
        "mouse_release": 114,
    },
    ChannelType.CURSOR: {},
    ChannelType.PLAYBACK: {},
    ChannelType.RECORD: {"data": 101, "mode": 102, "start_mark": 103},
    ChannelType.USBREDIR: {"data": 101, "compressed_data": 102},
}

# Declared in spice-protocol but deliberately not in spiceview's tables.
NOT_DECLARED = {
    (ChannelType.DISPLAY, "server", "gl_scanout_unix"),  # carries a file descriptor; spiceview offers no GL_SCANOUT
    (ChannelType.USBREDIR, "client", "compressed_data"),  # spiceview never compresses what it sends
}


def _table(schema_table: dict) -> dict[str, int]:
    return {defn.name: number for number, defn in schema_table.items()}


def test_base_message_numbers() -> None:
    assert _table(BASE.server) == BASE_SERVER
    assert _table(BASE.client) == BASE_CLIENT
    assert all(n < SPICE_MSG_BASE_LAST for n in BASE_SERVER.values())


@pytest.mark.parametrize("channel", list(SERVER), ids=lambda ct: ChannelType(ct).name.lower())
def test_channel_message_numbers(channel: ChannelType) -> None:
    schema = SCHEMAS[channel]
    for direction, expected_own, base_table, table in (
        ("server", SERVER[channel], BASE_SERVER, schema.server),
        ("client", CLIENT[channel], BASE_CLIENT, schema.client),
    ):
        expected = {**base_table, **expected_own}
        for name in list(expected):
            if (channel, direction, name) in NOT_DECLARED:
                del expected[name]
        assert _table(table) == expected, f"{channel.name} {direction}"
        for number, defn in table.items():
            assert defn.number == number


def test_every_channel_with_messages_is_registered() -> None:
    assert set(SCHEMAS) == set(SERVER)


def test_message_numbers_are_unique_per_direction() -> None:
    for schema in SCHEMAS.values():
        for table in (schema.server, schema.client):
            assert len({d.name for d in table.values()}) == len(table)


# --- protocol.h --------------------------------------------------------------------------------------------------


def test_link_constants() -> None:
    assert c.MAGIC == b"REDQ"
    assert int.from_bytes(c.MAGIC, "little") == 0x51444552  # SPICE_MAGIC_CONST("REDQ") as a little-endian word
    assert (c.VERSION_MAJOR, c.VERSION_MINOR) == (2, 2)
    assert c.MAX_PASSWORD_LENGTH == 60
    assert c.TICKET_PUBKEY_BYTES == 1024 // 8 + 34 == 162
    assert c.TICKET_ENCRYPTED_BYTES == 1024 // 8
    assert c.MAX_NUM_STREAMS == 64
    assert c.INPUT_MOTION_ACK_BUNCH == 4


def test_wire_struct_sizes() -> None:
    """SPICE_ATTR_PACKED structs of protocol.h."""
    assert link.LINK_HEADER.size == 16  # SpiceLinkHeader: magic, major, minor, size
    assert link.LINK_MESS.size == 18  # SpiceLinkMess: u32, u8, u8, u32 x3
    assert link.LINK_REPLY_HEAD.size == 4 + 162 + 12  # SpiceLinkReply
    assert framing.FULL_HEADER.size == 18  # SpiceDataHeader: u64 serial, u16 type, u32 size, u32 sub_list
    assert framing.MINI_HEADER.size == 6  # SpiceMiniDataHeader: u16 type, u32 size
    assert framing.SUB_MESSAGE.size == 6  # SpiceSubMessage: u16 type, u32 size


# name -> value tables; for enums.h names the SPICE_<ENUM>_ prefix is dropped.
ENUMS: dict[type, dict[str, int]] = {
    c.ChannelType: {
        "MAIN": 1,
        "DISPLAY": 2,
        "INPUTS": 3,
        "CURSOR": 4,
        "PLAYBACK": 5,
        "RECORD": 6,
        "TUNNEL": 7,
        "SMARTCARD": 8,
        "USBREDIR": 9,
        "PORT": 10,
        "WEBDAV": 11,
    },
    c.LinkErr: {
        "OK": 0,
        "ERROR": 1,
        "INVALID_MAGIC": 2,
        "INVALID_DATA": 3,
        "VERSION_MISMATCH": 4,
        "NEED_SECURED": 5,
        "NEED_UNSECURED": 6,
        "PERMISSION_DENIED": 7,
        "BAD_CONNECTION_ID": 8,
        "CHANNEL_NOT_AVAILABLE": 9,
    },
    c.CommonCap: {"PROTOCOL_AUTH_SELECTION": 0, "AUTH_SPICE": 1, "AUTH_SASL": 2, "MINI_HEADER": 3},
    c.MainCap: {"SEMI_SEAMLESS_MIGRATE": 0, "NAME_AND_UUID": 1, "AGENT_CONNECTED_TOKENS": 2, "SEAMLESS_MIGRATE": 3},
    c.DisplayCap: {
        "SIZED_STREAM": 0,
        "MONITORS_CONFIG": 1,
        "COMPOSITE": 2,
        "A8_SURFACE": 3,
        "STREAM_REPORT": 4,
        "LZ4_COMPRESSION": 5,
        "PREF_COMPRESSION": 6,
        "GL_SCANOUT": 7,
        "MULTI_CODEC": 8,
        "CODEC_MJPEG": 9,
        "CODEC_VP8": 10,
        "CODEC_H264": 11,
        "PREF_VIDEO_CODEC_TYPE": 12,
        "CODEC_VP9": 13,
        "CODEC_H265": 14,
    },
    c.InputsCap: {"KEY_SCANCODE": 0},
    c.PlaybackCap: {"CELT_0_5_1": 0, "VOLUME": 1, "LATENCY": 2, "OPUS": 3},
    c.RecordCap: {"CELT_0_5_1": 0, "VOLUME": 1, "OPUS": 2},
    c.NotifySeverity: {"INFO": 0, "WARN": 1, "ERROR": 2},
    c.MigrateFlags: {"NEED_FLUSH": 1, "NEED_DATA_TRANSFER": 2},
    c.MouseMode: {"SERVER": 1, "CLIENT": 2},
    c.ClipType: {"NONE": 0, "RECTS": 1},
    c.PathFlags: {"BEGIN": 1, "END": 2, "CLOSE": 8, "BEZIER": 16},
    c.VideoCodecType: {"MJPEG": 1, "VP8": 2, "H264": 3, "VP9": 4, "H265": 5},
    c.StreamFlags: {"TOP_DOWN": 1},
    c.BrushType: {"NONE": 0, "SOLID": 1, "PATTERN": 2},
    c.MaskFlags: {"INVERS": 1},
    c.ImageType: {
        "BITMAP": 0,
        "QUIC": 1,
        "RESERVED": 2,
        "LZ_PLT": 100,
        "LZ_RGB": 101,
        "GLZ_RGB": 102,
        "FROM_CACHE": 103,
        "SURFACE": 104,
        "JPEG": 105,
        "FROM_CACHE_LOSSLESS": 106,
        "ZLIB_GLZ_RGB": 107,
        "JPEG_ALPHA": 108,
        "LZ4": 109,
    },
    c.ImageCompression: {
        "INVALID": 0,
        "OFF": 1,
        "AUTO_GLZ": 2,
        "AUTO_LZ": 3,
        "QUIC": 4,
        "GLZ": 5,
        "LZ": 6,
        "LZ4": 7,
    },
    c.ImageFlags: {"CACHE_ME": 1, "HIGH_BITS_SET": 2, "CACHE_REPLACE_ME": 4},
    # enums.h spells these SPICE_BITMAP_FMT_1BIT_LE ...: Python names cannot start with a digit.
    c.BitmapFmt: {
        "INVALID": 0,
        "BIT1_LE": 1,
        "BIT1_BE": 2,
        "BIT4_LE": 3,
        "BIT4_BE": 4,
        "BIT8": 5,
        "BIT16": 6,
        "BIT24": 7,
        "BIT32": 8,
        "RGBA": 9,
        "BIT8_A": 10,
    },
    c.BitmapFlags: {"PAL_CACHE_ME": 1, "PAL_FROM_CACHE": 2, "TOP_DOWN": 4},
    c.JpegAlphaFlags: {"TOP_DOWN": 1},
    c.ScaleMode: {"INTERPOLATE": 0, "NEAREST": 1},
    c.Ropd: {
        "INVERS_SRC": 1 << 0,
        "INVERS_BRUSH": 1 << 1,
        "INVERS_DEST": 1 << 2,
        "OP_PUT": 1 << 3,
        "OP_OR": 1 << 4,
        "OP_AND": 1 << 5,
        "OP_XOR": 1 << 6,
        "OP_BLACKNESS": 1 << 7,
        "OP_WHITENESS": 1 << 8,
        "OP_INVERS": 1 << 9,
        "INVERS_RES": 1 << 10,
    },
    c.LineFlags: {"START_WITH_GAP": 4, "STYLED": 8},
    c.StringFlags: {"RASTER_A1": 1, "RASTER_A4": 2, "RASTER_A8": 4, "RASTER_TOP_DOWN": 8},
    c.SurfaceFlags: {"PRIMARY": 1, "STREAMING_MODE": 2},
    c.SurfaceFmt: {
        "INVALID": 0,
        "FMT_1_A": 1,
        "FMT_8_A": 8,
        "FMT_16_555": 16,
        "FMT_32_xRGB": 32,
        "FMT_16_565": 80,
        "FMT_32_ARGB": 96,
    },
    c.AlphaFlags: {"DEST_HAS_ALPHA": 1, "SRC_SURFACE_HAS_ALPHA": 2},
    c.ResourceType: {"INVALID": 0, "PIXMAP": 1},
    c.CompositeFlags: {
        "COMPONENT_ALPHA": 1 << 18,
        "HAS_MASK": 1 << 19,
        "HAS_SRC_TRANSFORM": 1 << 20,
        "HAS_MASK_TRANSFORM": 1 << 21,
        "SOURCE_OPAQUE": 1 << 22,
        "MASK_OPAQUE": 1 << 23,
        "DEST_OPAQUE": 1 << 24,
    },
    c.KeyboardModifiers: {"SCROLL_LOCK": 1, "NUM_LOCK": 2, "CAPS_LOCK": 4},
    c.MouseButton: {
        "INVALID": 0,
        "LEFT": 1,
        "MIDDLE": 2,
        "RIGHT": 3,
        "UP": 4,
        "DOWN": 5,
        "SIDE": 6,
        "EXTRA": 7,
    },
    c.MouseButtonMask: {"LEFT": 1, "MIDDLE": 2, "RIGHT": 4, "UP": 8, "DOWN": 16, "SIDE": 32, "EXTRA": 64},
    c.CursorType: {"ALPHA": 0, "MONO": 1, "COLOR4": 2, "COLOR8": 3, "COLOR16": 4, "COLOR24": 5, "COLOR32": 6},
    c.CursorFlags: {"NONE": 1, "CACHE_ME": 2, "FROM_CACHE": 4},
    c.AudioDataMode: {"INVALID": 0, "RAW": 1, "CELT_0_5_1": 2, "OPUS": 3},
    c.AudioFmt: {"INVALID": 0, "S16": 1},
    c.DataCompressionType: {"NONE": 0, "LZ4": 1},
}


@pytest.mark.parametrize("enum", list(ENUMS), ids=lambda e: e.__name__)
def test_enum_values(enum: type[IntEnum] | type[IntFlag]) -> None:
    assert {name: int(member) for name, member in enum.__members__.items()} == ENUMS[enum]


def test_every_enum_in_constants_is_checked() -> None:
    declared = {v for v in vars(c).values() if isinstance(v, type) and issubclass(v, IntEnum | IntFlag)}
    declared -= {IntEnum, IntFlag}
    assert declared == set(ENUMS)


def test_composite_field_positions() -> None:
    """SpiceCompositeFlags: OP0..7 bits 0-7, SRC_FILTER0..2 bits 8-10, MASK_FILTER 11-13, SRC_REPEAT 14-15,
    MASK_REPEAT 16-17."""
    assert c.COMPOSITE_OP_MASK == 0xFF
    assert c.COMPOSITE_SRC_FILTER_SHIFT == 8
    assert c.COMPOSITE_MASK_FILTER_SHIFT == 11
    assert c.COMPOSITE_SRC_REPEAT_SHIFT == 14
    assert c.COMPOSITE_MASK_REPEAT_SHIFT == 16


def test_channel_names() -> None:
    assert {int(k): v for k, v in c.CHANNEL_NAMES.items()} == {
        1: "main",
        2: "display",
        3: "inputs",
        4: "cursor",
        5: "playback",
        6: "record",
        7: "tunnel",
        8: "smartcard",
        9: "usbredir",
        10: "port",
        11: "webdav",
    }
