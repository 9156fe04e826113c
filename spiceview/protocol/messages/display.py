"""The display channel's messages (spice.proto's DisplayChannel)."""

from ..schema import I32, I64, U8, U16, U32, U64, Array, Bytes, Pointer, Struct
from . import ChannelSchema
from .base import BASE
from .types import (
    COMPOSITE_SWITCHES,
    Brush,
    ChannelWait,
    Clip,
    DisplayBase,
    Head,
    Image,
    LineAttr,
    Path,
    Point,
    Point16,
    QMask,
    Rect,
    ResourceID,
    StreamDataHeader,
    String,
)

DISPLAY = ChannelSchema("Display", BASE)

MSG_MODE = DISPLAY.server_msg(101, "mode", ("x_res", U32), ("y_res", U32), ("bits", U32))
MSG_MARK = DISPLAY.server_msg(102, "mark")
MSG_RESET = DISPLAY.server_msg(103, "reset")
MSG_COPY_BITS = DISPLAY.server_msg(104, "copy_bits", ("base", DisplayBase), ("src_pos", Point))
MSG_INVAL_LIST = DISPLAY.server_msg(105, "inval_list", ("count", U16), ("resources", Array(ResourceID, "count")))
MSG_INVAL_ALL_PIXMAPS = DISPLAY.server_msg(
    106, "inval_all_pixmaps", ("wait_count", U8), ("wait_list", Array(ChannelWait, "wait_count"))
)
MSG_INVAL_PALETTE = DISPLAY.server_msg(107, "inval_palette", ("id", U64))
MSG_INVAL_ALL_PALETTES = DISPLAY.server_msg(108, "inval_all_palettes")

MSG_STREAM_CREATE = DISPLAY.server_msg(
    122,
    "stream_create",
    ("surface_id", U32),
    ("id", U32),
    ("flags", U8),
    ("codec_type", U8),
    ("stamp", U64),
    ("stream_width", U32),
    ("stream_height", U32),
    ("src_width", U32),
    ("src_height", U32),
    ("dest", Rect),
    ("clip", Clip),
)
MSG_STREAM_DATA = DISPLAY.server_msg(
    123, "stream_data", ("base", StreamDataHeader), ("data_size", U32), ("data", Bytes("data_size", view=True))
)
MSG_STREAM_CLIP = DISPLAY.server_msg(124, "stream_clip", ("id", U32), ("clip", Clip))
MSG_STREAM_DESTROY = DISPLAY.server_msg(125, "stream_destroy", ("id", U32))
MSG_STREAM_DESTROY_ALL = DISPLAY.server_msg(126, "stream_destroy_all")

Fill = Struct("Fill", ("brush", Brush), ("rop_descriptor", U16), ("mask", QMask))
Opaque = Struct(
    "Opaque",
    ("src_bitmap", Pointer(Image)),
    ("src_area", Rect),
    ("brush", Brush),
    ("rop_descriptor", U16),
    ("scale_mode", U8),
    ("mask", QMask),
)
Copy = Struct(
    "Copy",
    ("src_bitmap", Pointer(Image)),
    ("src_area", Rect),
    ("rop_descriptor", U16),
    ("scale_mode", U8),
    ("mask", QMask),
)
MaskOnly = Struct("MaskOnly", ("mask", QMask))
Rop3 = Struct(
    "Rop3",
    ("src_bitmap", Pointer(Image)),
    ("src_area", Rect),
    ("brush", Brush),
    ("rop3", U8),
    ("scale_mode", U8),
    ("mask", QMask),
)
Stroke = Struct(
    "Stroke",
    ("path", Pointer(Path, nullable=False)),
    ("attr", LineAttr),
    ("brush", Brush),
    ("fore_mode", U16),
    ("back_mode", U16),
)
Text = Struct(
    "Text",
    ("str", Pointer(String, nullable=False)),
    ("back_area", Rect),
    ("fore_brush", Brush),
    ("back_brush", Brush),
    ("fore_mode", U16),
    ("back_mode", U16),
)
Transparent = Struct(
    "Transparent", ("src_bitmap", Pointer(Image)), ("src_area", Rect), ("src_color", U32), ("true_color", U32)
)
AlphaBlend = Struct(
    "AlphaBlend", ("alpha_flags", U8), ("alpha", U8), ("src_bitmap", Pointer(Image)), ("src_area", Rect)
)
Composite = Struct(
    "Composite",
    ("flags", U32),
    ("src_bitmap", Pointer(Image)),
    *COMPOSITE_SWITCHES,
    ("src_origin", Point16),
    ("mask_origin", Point16),
)


def _draw(number: int, name: str, data: Struct):  # noqa: ANN202
    return DISPLAY.server_msg(number, name, ("base", DisplayBase), ("data", data))


MSG_DRAW_FILL = _draw(302, "draw_fill", Fill)
MSG_DRAW_OPAQUE = _draw(303, "draw_opaque", Opaque)
MSG_DRAW_COPY = _draw(304, "draw_copy", Copy)
MSG_DRAW_BLEND = _draw(305, "draw_blend", Copy)
MSG_DRAW_BLACKNESS = _draw(306, "draw_blackness", MaskOnly)
MSG_DRAW_WHITENESS = _draw(307, "draw_whiteness", MaskOnly)
MSG_DRAW_INVERS = _draw(308, "draw_invers", MaskOnly)
MSG_DRAW_ROP3 = _draw(309, "draw_rop3", Rop3)
MSG_DRAW_STROKE = _draw(310, "draw_stroke", Stroke)
MSG_DRAW_TEXT = _draw(311, "draw_text", Text)
MSG_DRAW_TRANSPARENT = _draw(312, "draw_transparent", Transparent)
MSG_DRAW_ALPHA_BLEND = _draw(313, "draw_alpha_blend", AlphaBlend)
MSG_SURFACE_CREATE = DISPLAY.server_msg(
    314, "surface_create", ("surface_id", U32), ("width", U32), ("height", U32), ("format", U32), ("flags", U32)
)
MSG_SURFACE_DESTROY = DISPLAY.server_msg(315, "surface_destroy", ("surface_id", U32))
MSG_STREAM_DATA_SIZED = DISPLAY.server_msg(
    316,
    "stream_data_sized",
    ("base", StreamDataHeader),
    ("width", U32),
    ("height", U32),
    ("dest", Rect),
    ("data_size", U32),
    ("data", Bytes("data_size", view=True)),
)
MSG_MONITORS_CONFIG = DISPLAY.server_msg(
    317, "monitors_config", ("count", U16), ("max_allowed", U16), ("heads", Array(Head, "count"))
)
MSG_DRAW_COMPOSITE = _draw(318, "draw_composite", Composite)
MSG_STREAM_ACTIVATE_REPORT = DISPLAY.server_msg(
    319,
    "stream_activate_report",
    ("stream_id", U32),
    ("unique_id", U32),
    ("max_window_size", U32),
    ("timeout_ms", U32),
)
# GL_SCANOUT_UNIX (320) carries a file descriptor over a unix socket; spiceview does not offer GL_SCANOUT.
MSG_GL_DRAW = DISPLAY.server_msg(321, "gl_draw", ("x", U32), ("y", U32), ("w", U32), ("h", U32))
MSG_QUALITY_INDICATOR = DISPLAY.server_msg(322, "quality_indicator", ("data", Bytes()))

MSGC_INIT = DISPLAY.client_msg(
    101,
    "init",
    ("pixmap_cache_id", U8),
    ("pixmap_cache_size", I64),
    ("glz_dictionary_id", U8),
    ("glz_dictionary_window_size", I32),
)
MSGC_STREAM_REPORT = DISPLAY.client_msg(
    102,
    "stream_report",
    ("stream_id", U32),
    ("unique_id", U32),
    ("start_frame_mm_time", U32),
    ("end_frame_mm_time", U32),
    ("num_frames", U32),
    ("num_drops", U32),
    ("last_frame_delay", I32),
    ("audio_delay", U32),
)
MSGC_PREFERRED_COMPRESSION = DISPLAY.client_msg(103, "preferred_compression", ("image_compression", U8))
MSGC_GL_DRAW_DONE = DISPLAY.client_msg(104, "gl_draw_done")
MSGC_PREFERRED_VIDEO_CODEC_TYPE = DISPLAY.client_msg(
    105, "preferred_video_codec_type", ("num_of_codecs", U8), ("codecs", Array(U8, "num_of_codecs"))
)
