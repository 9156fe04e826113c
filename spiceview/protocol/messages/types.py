"""Structures shared by several channels (spice.proto's top-level structs)."""

from __future__ import annotations

from ..constants import (
    BitmapFlags,
    BrushType,
    ClipType,
    CompositeFlags,
    CursorFlags,
    ImageType,
    LineFlags,
    StringFlags,
)
from ..schema import (
    I16,
    I32,
    U8,
    U16,
    U32,
    U64,
    Array,
    Bytes,
    Context,
    Pointer,
    Struct,
    Switch,
    default_case,
    has_flag,
    is_,
    lacks_flag,
)

Point = Struct("Point", ("x", I32), ("y", I32))
Point16 = Struct("Point16", ("x", I16), ("y", I16))
PointFix = Struct("PointFix", ("x", I32), ("y", I32))  # 28.4 fixed point
Rect = Struct("Rect", ("top", I32), ("left", I32), ("bottom", I32), ("right", I32))
Transform = Struct("Transform", ("t00", U32), ("t01", U32), ("t02", U32), ("t10", U32), ("t11", U32), ("t12", U32))

ChannelWait = Struct("ChannelWait", ("channel_type", U8), ("channel_id", U8), ("message_serial", U64))
ChannelId = Struct("ChannelId", ("type", U8), ("id", U8))

DstInfo = Struct(
    "DstInfo",
    ("port", U16),
    ("sport", U16),
    ("host_size", U32),
    ("host_data", Pointer(Bytes("host_size"), nullable=False)),
    ("cert_subject_size", U32),
    ("cert_subject_data", Pointer(Bytes("cert_subject_size"))),
)

ClipRects = Struct("ClipRects", ("num_rects", U32), ("rects", Array(Rect, "num_rects")))
Clip = Struct("Clip", ("type", U8), Switch("type", (is_(ClipType.RECTS), "rects", ClipRects)))

DisplayBase = Struct("DisplayBase", ("surface_id", U32), ("box", Rect), ("clip", Clip))
ResourceID = Struct("ResourceID", ("type", U8), ("id", U64))

Palette = Struct("Palette", ("unique", U64), ("num_ents", U16), ("ents", Array(U32, "num_ents")))


def _bitmap_size(ctx: Context) -> int:
    return ctx["stride"] * ctx["y"]


BitmapData = Struct(
    "BitmapData",
    ("format", U8),
    ("flags", U8),
    ("x", U32),
    ("y", U32),
    ("stride", U32),
    Switch(
        "flags",
        (has_flag(BitmapFlags.PAL_FROM_CACHE), "palette_id", U64),
        (default_case, "palette", Pointer(Palette)),
    ),
    ("data", Bytes(_bitmap_size, view=True)),
)

BinaryData = Struct("BinaryData", ("data_size", U32), ("data", Bytes("data_size", view=True)))

LZPLTData = Struct(
    "LZPLTData",
    ("flags", U8),
    ("data_size", U32),
    Switch(
        "flags",
        (has_flag(BitmapFlags.PAL_FROM_CACHE), "palette_id", U64),
        (default_case, "palette", Pointer(Palette, nullable=False)),
    ),
    ("data", Bytes("data_size", view=True)),
)

ZlibGlzRGBData = Struct(
    "ZlibGlzRGBData", ("glz_data_size", U32), ("data_size", U32), ("data", Bytes("data_size", view=True))
)

JPEGAlphaData = Struct(
    "JPEGAlphaData", ("flags", U8), ("jpeg_size", U32), ("data_size", U32), ("data", Bytes("data_size", view=True))
)

SurfaceRef = Struct("SurfaceRef", ("surface_id", U32))

# The image descriptor (id, type, flags, width, height) is flattened into Image.
Image = Struct(
    "Image",
    ("id", U64),
    ("type", U8),
    ("flags", U8),
    ("width", U32),
    ("height", U32),
    Switch(
        "type",
        (is_(ImageType.BITMAP), "bitmap", BitmapData),
        (is_(ImageType.QUIC), "quic", BinaryData),
        (is_(ImageType.LZ_RGB, ImageType.GLZ_RGB), "lz_rgb", BinaryData),
        (is_(ImageType.JPEG), "jpeg", BinaryData),
        (is_(ImageType.LZ4), "lz4", BinaryData),
        (is_(ImageType.LZ_PLT), "lz_plt", LZPLTData),
        (is_(ImageType.ZLIB_GLZ_RGB), "zlib_glz", ZlibGlzRGBData),
        (is_(ImageType.JPEG_ALPHA), "jpeg_alpha", JPEGAlphaData),
        (is_(ImageType.SURFACE), "surface", SurfaceRef),
    ),
)

Pattern = Struct("Pattern", ("pat", Pointer(Image, nullable=False)), ("pos", Point))

Brush = Struct(
    "Brush",
    ("type", U8),
    Switch("type", (is_(BrushType.SOLID), "color", U32), (is_(BrushType.PATTERN), "pattern", Pattern)),
)

QMask = Struct("QMask", ("flags", U8), ("pos", Point), ("bitmap", Pointer(Image)))

PathSegment = Struct("PathSegment", ("flags", U8), ("count", U32), ("points", Array(PointFix, "count")))
Path = Struct("Path", ("num_segments", U32), ("segments", Array(PathSegment, "num_segments")))

LineAttr = Struct(
    "LineAttr",
    ("flags", U8),
    Switch("flags", (has_flag(LineFlags.STYLED), "style_nseg", U8)),
    Switch("flags", (has_flag(LineFlags.STYLED), "style", Pointer(Array(I32, "style_nseg")))),
)


def _glyph_bytes(bits: int):  # noqa: ANN202 - returns a size function
    def size(ctx: Context) -> int:
        return ((ctx["width"] * bits + 7) // 8) * ctx["height"]

    return size


def _glyph(name: str, bits: int) -> Struct:
    return Struct(
        name,
        ("render_pos", Point),
        ("glyph_origin", Point),
        ("width", U16),
        ("height", U16),
        ("data", Bytes(_glyph_bytes(bits))),
    )


RasterGlyphA1 = _glyph("RasterGlyphA1", 1)
RasterGlyphA4 = _glyph("RasterGlyphA4", 4)
RasterGlyphA8 = _glyph("RasterGlyphA8", 8)

String = Struct(
    "String",
    ("length", U16),
    ("flags", U8),
    Switch(
        "flags",
        (has_flag(StringFlags.RASTER_A1), "glyphs", Array(RasterGlyphA1, "length")),
        (has_flag(StringFlags.RASTER_A4), "glyphs", Array(RasterGlyphA4, "length")),
        (has_flag(StringFlags.RASTER_A8), "glyphs", Array(RasterGlyphA8, "length")),
    ),
)

StreamDataHeader = Struct("StreamDataHeader", ("id", U32), ("multi_media_time", U32))

Head = Struct(
    "Head",
    ("monitor_id", U32),
    ("surface_id", U32),
    ("width", U32),
    ("height", U32),
    ("x", U32),
    ("y", U32),
    ("flags", U32),
)

CursorHeader = Struct(
    "CursorHeader",
    ("unique", U64),
    ("type", U8),
    ("width", U16),
    ("height", U16),
    ("hot_spot_x", U16),
    ("hot_spot_y", U16),
)

Cursor = Struct(
    "Cursor",
    ("flags", U16),
    Switch("flags", (lacks_flag(CursorFlags.NONE), "header", CursorHeader)),
    ("data", Bytes()),
)

COMPOSITE_SWITCHES = (
    Switch("flags", (has_flag(CompositeFlags.HAS_MASK), "mask_bitmap", Pointer(Image))),
    Switch("flags", (has_flag(CompositeFlags.HAS_SRC_TRANSFORM), "src_transform", Transform)),
    Switch("flags", (has_flag(CompositeFlags.HAS_MASK_TRANSFORM), "mask_transform", Transform)),
)
