"""Message layouts checked against spice-common's spice.proto.

1. A signature of every declared layout (field widths and signedness in order, switch keys and their cases, pointers
   and whether they may be null, the field each array or byte string is sized by) compared with one transcribed by
   hand from spice.proto. Nothing is read from spice-common at test time.
2. Byte-exact messages packed by hand from spice.proto (pointer targets deliberately placed in another order than
   spiceview's writer uses) parsed field by field.
"""

from __future__ import annotations

import struct

import pytest
from values import all_messages

from spiceview.protocol.constants import BrushType, ClipType, CompositeFlags, CursorFlags, ImageType, StringFlags
from spiceview.protocol.messages import base, cursor, display, main
from spiceview.protocol.messages import types as t
from spiceview.protocol.schema import REST, Array, Bytes, MessageDef, Pointer, Prim, Struct, Switch, Type, build_body
from spiceview.protocol.schema import parse_body as parse

# --- signatures -----------------------------------------------------------------------------------------------------
# Prim codes: B uint8 (and enum8/flags8), H uint16 (enum16/flags16), I uint32 (enum32/flags32), Q uint64,
# b h i q the signed ones. "*" pointer (nullable), "*!" pointer marked @nonnull. "[elem#count]" an array sized by
# the field count, "s#field" bytes sized by a field, "s" bytes up to the end (@end / @as_ptr), "16s" fixed bytes,
# "s=N" bytes sized by a function (image_size), evaluated with SIZE_PROBE. "{key:cond>member|...}" a switch;
# cond is "=v,w" (enum case), "&f" (flag set), "!f" (flag clear: `case !NONE`), "*" (default).

SIZE_PROBE = {"width": 9, "height": 3, "stride": 7, "y": 5, "x": 11}


def image_size(bpp: int, width: int, height: int) -> int:
    """spice.proto's image_size(bpp, width, height): rows padded to whole bytes."""
    return (bpp * width + 7) // 8 * height


def signature(typ: Type) -> str:
    if isinstance(typ, Prim):
        return typ.code
    if isinstance(typ, Bytes):
        return _sized("s", typ.size)
    if isinstance(typ, Array):
        return "[" + _sized(signature(typ.elem), typ.count) + "]"
    if isinstance(typ, Pointer):
        return ("*" if typ.nullable else "*!") + signature(typ.target)
    if isinstance(typ, Struct):
        return "".join(_field_signature(f) for f in typ.fields)
    raise TypeError(typ)


def _sized(what: str, size: object) -> str:
    if isinstance(size, int):
        return f"{size}{what}" if what == "s" else f"{what}#{size}"
    if size == REST:
        return what
    if isinstance(size, str):
        return f"{what}#{size}"
    return f"{what}={size(SIZE_PROBE)}"  # type: ignore[operator]


def _field_signature(f: tuple[str, Type] | Switch) -> str:
    if not isinstance(f, Switch):
        return signature(f[1])
    cases = []
    for match, _, member in f.cases:
        values = getattr(match, "values", None)
        flag = getattr(match, "flag", None)
        if values is not None:
            cond = "=" + ",".join(str(v) for v in sorted(values))
        elif flag is not None:
            cond = ("&" if match(flag) else "!") + str(flag)
        else:
            assert match(0) and match(0xFFFFFFFF), "only the default case matches everything"
            cond = "*"
        cases.append(f"{cond}>{signature(member)}")
    return "{" + f.on + ":" + "|".join(cases) + "}"


# Transcribed from spice.proto, struct by struct.
POINT = "ii"
POINT16 = "hh"
POINT_FIX = "ii"  # fixed28_4 is int32
RECT = "iiii"
TRANSFORM = "IIIIII"
CHANNEL_WAIT = "BBQ"
DST_INFO = "HHI*!s#host_sizeI*s#cert_subject_size"
CLIP_RECTS = f"I[{RECT}#num_rects]"
CLIP = "B{type:=1>" + CLIP_RECTS + "}"  # clip_type: NONE, RECTS
DISPLAY_BASE = "I" + RECT + CLIP
PALETTE = "QH[I#num_ents]"
# bitmap_flags PAL_FROM_CACHE = 2; data[image_size(8, stride, y)]
BITMAP_DATA = "BBIII{flags:&2>Q|*>*" + PALETTE + "}" + f"s={image_size(8, 7, 5)}"
BINARY_DATA = "Is#data_size"
LZ_PLT_DATA = "BI{flags:&2>Q|*>*!" + PALETTE + "}s#data_size"
ZLIB_GLZ_DATA = "IIs#data_size"
JPEG_ALPHA_DATA = "BIIs#data_size"
# image_type: BITMAP 0, QUIC 1, LZ_PLT 100, LZ_RGB 101, GLZ_RGB 102, SURFACE 104, JPEG 105, ZLIB_GLZ_RGB 107,
# JPEG_ALPHA 108, LZ4 109 (cases in spice.proto's order)
IMAGE = (
    "QBBII{type:"
    f"=0>{BITMAP_DATA}|=1>{BINARY_DATA}|=101,102>{BINARY_DATA}|=105>{BINARY_DATA}|=109>{BINARY_DATA}"
    f"|=100>{LZ_PLT_DATA}|=107>{ZLIB_GLZ_DATA}|=108>{JPEG_ALPHA_DATA}|=104>I" + "}"
)
PATTERN = "*!" + IMAGE + POINT
BRUSH = "B{type:=1>I|=2>" + PATTERN + "}"  # brush_type: NONE, SOLID, PATTERN
QMASK = "B" + POINT + "*" + IMAGE
PATH_SEGMENT = f"BI[{POINT_FIX}#count]"
PATH = f"I[{PATH_SEGMENT}#num_segments]"
LINE_ATTR = "B{flags:&8>B}{flags:&8>*[i#style_nseg]}"  # line_flags STYLED = bit 3


def _glyph(bpp: int) -> str:
    return POINT + POINT + f"HHs={image_size(bpp, 9, 3)}"


STRING = "HB{flags:" + "|".join(f"&{flag}>[{_glyph(bpp)}#length]" for flag, bpp in ((1, 1), (2, 4), (4, 8))) + "}"
STREAM_DATA_HEADER = "II"
HEAD = "IIIIIII"
CURSOR_HEADER = "QBHHHH"
CURSOR = "H{flags:!1>" + CURSOR_HEADER + "}s"  # case !NONE (cursor_flags NONE = bit 0)

FILL = BRUSH + "H" + QMASK
OPAQUE = "*" + IMAGE + RECT + BRUSH + "HB" + QMASK
COPY = "*" + IMAGE + RECT + "HB" + QMASK
ROP3 = "*" + IMAGE + RECT + BRUSH + "BB" + QMASK
STROKE = "*!" + PATH + LINE_ATTR + BRUSH + "HH"
TEXT = "*!" + STRING + RECT + BRUSH + BRUSH + "HH"
TRANSPARENT = "*" + IMAGE + RECT + "II"
ALPHA_BLEND = "BB*" + IMAGE + RECT
COMPOSITE = (
    "I*" + IMAGE + "{flags:&524288>*" + IMAGE + "}{flags:&1048576>" + TRANSFORM + "}"
    "{flags:&2097152>" + TRANSFORM + "}" + POINT16 + POINT16
)

EXPECTED: dict[str, str] = {
    # BaseChannel
    "base.server.migrate": "I",
    "base.server.migrate_data": "s",
    "base.server.set_ack": "II",
    "base.server.ping": "IQs",
    "base.server.wait_for_channels": f"B[{CHANNEL_WAIT}#wait_count]",
    "base.server.disconnecting": "QI",
    "base.server.notify": "QIIIIs#message_len",
    "base.server.list": "s",
    "base.client.ack_sync": "I",
    "base.client.ack": "",
    "base.client.pong": "IQ",
    "base.client.migrate_flush_mark": "",
    "base.client.migrate_data": "s",
    "base.client.disconnecting": "QI",
    # MainChannel
    "main.server.migrate_begin": DST_INFO,
    "main.server.migrate_cancel": "",
    "main.server.init": "IIIIIIII",
    "main.server.channels_list": "I[BB#num_of_channels]",
    "main.server.mouse_mode": "HH",
    "main.server.multi_media_time": "I",
    "main.server.agent_connected": "",
    "main.server.agent_disconnected": "I",
    "main.server.agent_data": "s",
    "main.server.agent_token": "I",
    "main.server.migrate_switch_host": "HHI*s#host_sizeI*s#cert_subject_size",
    "main.server.migrate_end": "",
    "main.server.name": "Is#name_len",
    "main.server.uuid": "16s",
    "main.server.agent_connected_tokens": "I",
    "main.server.migrate_begin_seamless": DST_INFO + "I",
    "main.server.migrate_dst_seamless_ack": "",
    "main.server.migrate_dst_seamless_nack": "",
    "main.client.client_info": "Q",
    "main.client.migrate_connected": "",
    "main.client.migrate_connect_error": "",
    "main.client.attach_channels": "",
    "main.client.mouse_mode_request": "H",
    "main.client.agent_start": "I",
    "main.client.agent_data": "s",
    "main.client.agent_token": "I",
    "main.client.migrate_end": "",
    "main.client.migrate_dst_do_seamless": "I",
    "main.client.migrate_connected_seamless": "",
    "main.client.quality_indicator": "s",
    # DisplayChannel
    "display.server.mode": "III",
    "display.server.mark": "",
    "display.server.reset": "",
    "display.server.copy_bits": DISPLAY_BASE + POINT,
    "display.server.inval_list": "H[BQ#count]",
    "display.server.inval_all_pixmaps": f"B[{CHANNEL_WAIT}#wait_count]",
    "display.server.inval_palette": "Q",
    "display.server.inval_all_palettes": "",
    "display.server.stream_create": "IIBBQIIII" + RECT + CLIP,
    "display.server.stream_data": STREAM_DATA_HEADER + "Is#data_size",
    "display.server.stream_clip": "I" + CLIP,
    "display.server.stream_destroy": "I",
    "display.server.stream_destroy_all": "",
    "display.server.draw_fill": DISPLAY_BASE + FILL,
    "display.server.draw_opaque": DISPLAY_BASE + OPAQUE,
    "display.server.draw_copy": DISPLAY_BASE + COPY,
    "display.server.draw_blend": DISPLAY_BASE + COPY,
    "display.server.draw_blackness": DISPLAY_BASE + QMASK,
    "display.server.draw_whiteness": DISPLAY_BASE + QMASK,
    "display.server.draw_invers": DISPLAY_BASE + QMASK,
    "display.server.draw_rop3": DISPLAY_BASE + ROP3,
    "display.server.draw_stroke": DISPLAY_BASE + STROKE,
    "display.server.draw_text": DISPLAY_BASE + TEXT,
    "display.server.draw_transparent": DISPLAY_BASE + TRANSPARENT,
    "display.server.draw_alpha_blend": DISPLAY_BASE + ALPHA_BLEND,
    "display.server.surface_create": "IIIII",
    "display.server.surface_destroy": "I",
    "display.server.stream_data_sized": STREAM_DATA_HEADER + "II" + RECT + "Is#data_size",
    "display.server.monitors_config": f"HH[{HEAD}#count]",
    "display.server.draw_composite": DISPLAY_BASE + COMPOSITE,
    "display.server.stream_activate_report": "IIII",
    "display.server.gl_draw": "IIII",
    "display.server.quality_indicator": "s",
    "display.client.init": "BqBi",
    "display.client.stream_report": "IIIIIIiI",
    "display.client.preferred_compression": "B",
    "display.client.gl_draw_done": "",
    "display.client.preferred_video_codec_type": "B[B#num_of_codecs]",
    # InputsChannel
    "inputs.server.init": "H",
    "inputs.server.key_modifiers": "H",
    "inputs.server.mouse_motion_ack": "",
    "inputs.client.key_down": "I",
    "inputs.client.key_up": "I",
    "inputs.client.key_modifiers": "H",
    "inputs.client.key_scancode": "s",
    "inputs.client.mouse_motion": "iiH",
    "inputs.client.mouse_position": "IIHB",
    "inputs.client.mouse_press": "BH",
    "inputs.client.mouse_release": "BH",
    # CursorChannel
    "cursor.server.init": POINT16 + "HHB" + CURSOR,
    "cursor.server.reset": "",
    "cursor.server.set": POINT16 + "B" + CURSOR,
    "cursor.server.move": POINT16,
    "cursor.server.hide": "",
    "cursor.server.trail": "HH",
    "cursor.server.inval_one": "Q",
    "cursor.server.inval_all": "",
    # PlaybackChannel
    "playback.server.data": "Is",
    "playback.server.mode": "IHs",
    "playback.server.start": "IHII",
    "playback.server.stop": "",
    "playback.server.volume": "B[H#nchannels]",
    "playback.server.mute": "B",
    "playback.server.latency": "I",
    # RecordChannel
    "record.server.start": "IHI",
    "record.server.stop": "",
    "record.server.volume": "B[H#nchannels]",
    "record.server.mute": "B",
    "record.client.data": "Is",
    "record.client.mode": "IHs",
    "record.client.start_mark": "I",
    # SpicevmcChannel (the usbredir channels)
    "usbredir.server.data": "s",
    "usbredir.server.compressed_data": "BIs",
    "usbredir.client.data": "s",
}

MESSAGES = {f"{ch}.{d}.{defn.name}": defn for ch, d, defn in all_messages()}


def test_every_declared_message_has_an_expected_layout() -> None:
    assert set(MESSAGES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_layout_matches_spice_proto(name: str) -> None:
    assert signature(MESSAGES[name].layout) == EXPECTED[name]


def test_fixed_sizes() -> None:
    """Sizes of the fixed parts, summed by hand from spice.proto (switch members and pointer targets excluded)."""
    sizes = {
        display.MSG_DRAW_FILL: 21 + 1 + 2 + 13,  # DisplayBase 4+16+1, Brush, ropd, QMask 1+8+4
        display.MSG_DRAW_OPAQUE: 21 + 4 + 16 + 1 + 2 + 1 + 13,
        display.MSG_DRAW_COPY: 21 + 4 + 16 + 2 + 1 + 13,
        display.MSG_DRAW_STROKE: 21 + 4 + 1 + 1 + 2 + 2,
        display.MSG_DRAW_TEXT: 21 + 4 + 16 + 1 + 1 + 2 + 2,
        display.MSG_DRAW_COMPOSITE: 21 + 4 + 4 + 4 + 4,
        display.MSG_STREAM_CREATE: 4 + 4 + 1 + 1 + 8 + 16 + 16 + 1,
        display.MSGC_INIT: 1 + 8 + 1 + 4,
        main.MSG_INIT: 32,
        main.MSG_MIGRATE_BEGIN: 20,
        cursor.MSG_INIT: 4 + 2 + 2 + 1 + 2,
        base.MSG_NOTIFY: 24,
    }
    for defn, size in sizes.items():
        assert defn.layout.min_size == size, defn.name
    assert t.Image.min_size == 18
    assert t.CursorHeader.min_size == 17
    assert t.Head.min_size == 28


# --- hand-packed messages ------------------------------------------------------------------------------------------


def _u32(data: bytes, offset: int) -> int:
    return struct.unpack_from("<I", data, offset)[0]


def _check_rebuild(defn: MessageDef, body: bytes) -> None:
    """Building the parsed value and parsing that again gives the same value (placement may differ)."""
    value = parse(defn.layout, body)
    assert parse(defn.layout, build_body(defn.layout, value)) == value


def test_draw_copy_bitmap_with_palette_and_clip_rects() -> None:
    rects = [(1, 2, 3, 4), (-5, -6, 7, 8)]
    base_part = struct.pack("<I4iBI", 7, 10, 20, 110, 220, ClipType.RECTS, 2) + b"".join(
        struct.pack("<4i", *r) for r in rects
    )
    fixed_size = len(base_part) + 4 + 16 + 2 + 1 + 13
    pixels = bytes(range(6))  # stride 3 x 2 rows
    palette = struct.pack("<QH3I", 0xABC, 3, 0x111, 0x222, 0x333)
    palette_at = fixed_size  # the palette first, then the image that points to it
    image_at = palette_at + len(palette)
    image = struct.pack("<QBBII", 0x77, ImageType.BITMAP, 1, 3, 2) + struct.pack("<BBIIII", 5, 0, 3, 2, 3, palette_at)
    copy = struct.pack("<I4iHB", image_at, 0, 0, 2, 3, 0x8, 1) + struct.pack("<BiiI", 1, 4, 5, 0)
    body = base_part + copy + palette + image + pixels
    assert len(base_part + copy) == fixed_size

    msg = parse(display.MSG_DRAW_COPY.layout, body)
    assert (msg.base.surface_id, msg.base.box.top, msg.base.box.right) == (7, 10, 220)
    assert [(r.top, r.left, r.bottom, r.right) for r in msg.base.clip.rects.rects] == rects
    img = msg.data.src_bitmap
    assert (img.id, img.type, img.flags, img.width, img.height) == (0x77, ImageType.BITMAP, 1, 3, 2)
    bm = img.bitmap
    assert (bm.format, bm.flags, bm.x, bm.y, bm.stride, bytes(bm.data)) == (5, 0, 3, 2, 3, pixels)
    assert (bm.palette.unique, bm.palette.num_ents, bm.palette.ents) == (0xABC, 3, [0x111, 0x222, 0x333])
    assert bm.palette_id is None
    assert (msg.data.rop_descriptor, msg.data.scale_mode) == (0x8, 1)
    assert (msg.data.mask.flags, msg.data.mask.pos.x, msg.data.mask.pos.y, msg.data.mask.bitmap) == (1, 4, 5, None)
    _check_rebuild(display.MSG_DRAW_COPY, body)


def test_bitmap_palette_from_cache_is_an_inline_id() -> None:
    fixed = 21 + 36
    image = struct.pack("<QBBII", 1, ImageType.BITMAP, 0, 1, 1) + struct.pack("<BBIIIQ", 5, 2, 1, 1, 1, 0xDEAD)
    body = struct.pack("<I4iB", 0, 0, 0, 0, 0, 0) + struct.pack("<I4iHB", fixed, 0, 0, 0, 0, 0, 0)
    body += struct.pack("<BiiI", 0, 0, 0, 0) + image + b"\x42"
    bm = parse(display.MSG_DRAW_COPY.layout, body).data.src_bitmap.bitmap
    assert (bm.palette_id, bm.palette, bytes(bm.data)) == (0xDEAD, None, b"\x42")


def test_draw_fill_pattern_brush_and_lz_plt_image() -> None:
    fixed = 21 + (1 + 4 + 8) + 2 + 13  # brush type + its inline pattern (pointer, point), ropd, mask
    lz_image_at = fixed
    data = b"LZdata"
    lz_image = struct.pack("<QBBII", 9, ImageType.LZ_PLT, 0, 4, 4) + struct.pack("<BIQ", 2, len(data), 0x99) + data
    body = struct.pack("<I4iB", 1, 0, 0, 4, 4, 0)
    body += struct.pack("<BIii", BrushType.PATTERN, lz_image_at, -3, 3) + struct.pack("<H", 0x40)
    body += struct.pack("<BiiI", 0, 0, 0, 0) + lz_image
    msg = parse(display.MSG_DRAW_FILL.layout, body)
    pattern = msg.data.brush.pattern
    assert (pattern.pos.x, pattern.pos.y) == (-3, 3)
    assert pattern.pat.type == ImageType.LZ_PLT
    assert (pattern.pat.lz_plt.palette_id, bytes(pattern.pat.lz_plt.data)) == (0x99, data)
    assert msg.data.rop_descriptor == 0x40
    _check_rebuild(display.MSG_DRAW_FILL, body)


def test_draw_stroke_styled_path() -> None:
    # DisplayBase, path pointer, line attr (flags, style_nseg, style pointer), solid brush (type, color), modes.
    wire_fixed = 21 + 4 + (1 + 1 + 4) + (1 + 4) + 2 + 2
    style = struct.pack("<3i", 16, 32, -48)
    path = struct.pack("<I", 2) + struct.pack("<BI", 1, 2) + struct.pack("<4i", 0, 0, 16, 16)
    path += struct.pack("<BI", 0x1A, 1) + struct.pack("<2i", -16, 160)
    style_at, path_at = wire_fixed, wire_fixed + len(style)
    body = struct.pack("<I4iB", 0, 0, 0, 0, 0, 0)
    body += struct.pack("<IBBI", path_at, 0x8 | 0x4, 3, style_at) + struct.pack("<BI", BrushType.SOLID, 0xFF00FF)
    body += struct.pack("<HH", 7, 8)
    assert len(body) == wire_fixed
    body += style + path
    d = parse(display.MSG_DRAW_STROKE.layout, body).data
    assert (d.attr.flags, d.attr.style_nseg, d.attr.style) == (0xC, 3, [16, 32, -48])
    assert [(seg.flags, seg.count, [(p.x, p.y) for p in seg.points]) for seg in d.path.segments] == [
        (1, 2, [(0, 0), (16, 16)]),
        (0x1A, 1, [(-16, 160)]),
    ]
    assert (d.brush.type, d.brush.color, d.fore_mode, d.back_mode) == (BrushType.SOLID, 0xFF00FF, 7, 8)
    _check_rebuild(display.MSG_DRAW_STROKE, body)
    # Unstyled: neither style_nseg nor the style pointer is on the wire.
    plain = struct.pack("<I4iB", 0, 0, 0, 0, 0, 0) + struct.pack("<IBBHH", 21 + 4 + 1 + 1 + 2 + 2, 0, 0, 0, 0)
    plain += struct.pack("<I", 0)
    d = parse(display.MSG_DRAW_STROKE.layout, plain).data
    assert (d.attr.style_nseg, d.attr.style, d.path.num_segments) == (None, None, 0)


def test_draw_text_a1_glyphs() -> None:
    glyph1 = struct.pack("<iiiiHH", 1, 2, 3, 4, 9, 2) + b"\xaa\x80\x55\x00"  # 9 wide, 1 bpp: 2 bytes a row
    glyph2 = struct.pack("<iiiiHH", 5, 6, 7, 8, 1, 1) + b"\x80"
    string = struct.pack("<HB", 2, StringFlags.RASTER_A1 | StringFlags.RASTER_TOP_DOWN) + glyph1 + glyph2
    fixed = 21 + 4 + 16 + 1 + 1 + 2 + 2
    body = struct.pack("<I4iB", 0, 0, 0, 0, 0, 0) + struct.pack("<I4i", fixed + 4, 1, 2, 3, 4)
    body += struct.pack("<BI", BrushType.SOLID, 0xFFFFFF) + struct.pack("<B", BrushType.NONE) + struct.pack("<HH", 1, 2)
    assert len(body) == fixed + 4
    msg = parse(display.MSG_DRAW_TEXT.layout, body + string)
    s = msg.data.str
    assert (s.length, s.flags) == (2, 9)
    assert [(g.render_pos.x, g.glyph_origin.y, g.width, g.height, g.data) for g in s.glyphs] == [
        (1, 4, 9, 2, b"\xaa\x80\x55\x00"),
        (5, 8, 1, 1, b"\x80"),
    ]
    assert (msg.data.fore_brush.color, msg.data.back_brush.type, msg.data.back_brush.color) == (0xFFFFFF, 0, None)
    _check_rebuild(display.MSG_DRAW_TEXT, body + string)


@pytest.mark.parametrize(("flag", "bpp"), [(StringFlags.RASTER_A4, 4), (StringFlags.RASTER_A8, 8)])
def test_text_glyph_sizes(flag: int, bpp: int) -> None:
    glyph = struct.pack("<iiiiHH", 0, 0, 0, 0, 3, 2) + bytes(image_size(bpp, 3, 2))
    body = struct.pack("<HB", 1, flag) + glyph
    parsed = parse(t.String, body)
    assert len(parsed.glyphs[0].data) == image_size(bpp, 3, 2)


def test_draw_composite_with_every_optional_part() -> None:
    flags = CompositeFlags.HAS_MASK | CompositeFlags.HAS_SRC_TRANSFORM | CompositeFlags.HAS_MASK_TRANSFORM | 3
    fixed = 21 + 4 + 4 + 4 + 24 + 24 + 4 + 4
    surface_image = struct.pack("<QBBIII", 1, ImageType.SURFACE, 0, 8, 8, 5)
    src_at, mask_at = fixed + len(surface_image), fixed
    body = struct.pack("<I4iB", 0, 0, 0, 8, 8, 0) + struct.pack("<III", flags, src_at, mask_at)
    body += struct.pack("<6I", *range(1, 7)) + struct.pack("<6I", *range(11, 17)) + struct.pack("<4h", -1, 2, -3, 4)
    assert len(body) == fixed
    msg = parse(display.MSG_DRAW_COMPOSITE.layout, body + surface_image + surface_image)
    d = msg.data
    assert d.flags == flags
    assert d.src_bitmap.surface.surface_id == 5 and d.mask_bitmap.surface.surface_id == 5
    assert (d.src_transform.t00, d.src_transform.t12, d.mask_transform.t00) == (1, 6, 11)
    assert (d.src_origin.x, d.src_origin.y, d.mask_origin.x, d.mask_origin.y) == (-1, 2, -3, 4)
    # Without the flags, none of the optional parts is on the wire.
    plain = struct.pack("<I4iB", 0, 0, 0, 8, 8, 0) + struct.pack("<II", 3, 0) + struct.pack("<4h", 0, 0, 0, 0)
    d = parse(display.MSG_DRAW_COMPOSITE.layout, plain).data
    assert (d.mask_bitmap, d.src_transform, d.mask_transform) == (None, None, None)


def test_cursor_set_with_and_without_shape() -> None:
    shape = bytes(range(32))
    with_shape = struct.pack("<hhB", -2, 3, 1) + struct.pack("<H", CursorFlags.CACHE_ME)
    with_shape += struct.pack("<QBHHHH", 0x1234, 6, 4, 2, 1, 1) + shape
    msg = parse(cursor.MSG_SET.layout, with_shape)
    assert (msg.position.x, msg.position.y, msg.visible) == (-2, 3, 1)
    h = msg.cursor.header
    assert (h.unique, h.type, h.width, h.height, h.hot_spot_x, h.hot_spot_y) == (0x1234, 6, 4, 2, 1, 1)
    assert msg.cursor.data == shape
    no_shape = struct.pack("<hhBH", 0, 0, 0, CursorFlags.NONE)
    msg = parse(cursor.MSG_SET.layout, no_shape)
    assert (msg.cursor.header, msg.cursor.data) == (None, b"")
    assert build_body(cursor.MSG_SET.layout, msg) == no_shape
    assert build_body(cursor.MSG_SET.layout, parse(cursor.MSG_SET.layout, with_shape)) == with_shape


def test_main_migrate_begin_dst_info() -> None:
    host, subject = b"dst.example\0", b"CN=dst\0"
    body = struct.pack("<HHI", 5900, 5901, len(host)) + struct.pack("<I", 20 + len(subject))
    body += struct.pack("<II", len(subject), 20) + subject + host
    info = parse(main.MSG_MIGRATE_BEGIN.layout, body).dst_info
    assert (info.port, info.sport, info.host_data, info.cert_subject_data) == (5900, 5901, host, subject)
    _check_rebuild(main.MSG_MIGRATE_BEGIN, body)


def test_stream_create_and_client_init_bytes() -> None:
    body = struct.pack("<IIBBQIIII4iB", 0, 3, 1, 3, 99, 640, 480, 320, 240, 0, 0, 480, 640, ClipType.RECTS)
    body += struct.pack("<I4i", 1, 0, 0, 10, 10)
    msg = parse(display.MSG_STREAM_CREATE.layout, body)
    assert (msg.id, msg.flags, msg.codec_type, msg.stamp, msg.stream_width, msg.src_height) == (3, 1, 3, 99, 640, 240)
    assert msg.clip.rects.num_rects == 1
    assert build_body(display.MSG_STREAM_CREATE.layout, msg) == body

    init = display.MSGC_INIT.cls(
        pixmap_cache_id=1, pixmap_cache_size=-2, glz_dictionary_id=3, glz_dictionary_window_size=-4
    )
    assert build_body(display.MSGC_INIT.layout, init) == struct.pack("<BqBi", 1, -2, 3, -4)
