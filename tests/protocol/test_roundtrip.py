"""Every declared message, both directions: build -> parse gives the value back, and rebuilding gives the same bytes.

Values come from the schema-driven generator (values.py), seeded, a few hundred per message with variable parts.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from values import ValueGen, all_messages, is_flat, without_counts

from spiceview.protocol.constants import ChannelType, ImageType
from spiceview.protocol.errors import ProtocolError
from spiceview.protocol.messages import base, classes, display, main
from spiceview.protocol.messages import types as t
from spiceview.protocol.messages.registry import SCHEMAS, schema_for
from spiceview.protocol.schema import MessageDef, Struct, build_body, parse_body

MESSAGES = all_messages()
IDS = [f"{channel}.{direction}.{defn.name}" for channel, direction, defn in MESSAGES]


def _seed(name: str) -> int:
    return sum(ord(c) * 131**i for i, c in enumerate(name)) & 0xFFFFFFFF


def _roundtrip(defn: MessageDef, value: Any) -> bytes:
    body = build_body(defn.layout, value)
    parsed = parse_body(defn.layout, body)
    assert parsed == value, f"{defn.name}: parse(build(x)) != x\n  x      = {value}\n  parsed = {parsed}"
    assert build_body(defn.layout, parsed) == body, f"{defn.name}: rebuilding the parsed value changed the bytes"
    return body


@pytest.mark.parametrize(("channel", "direction", "defn"), MESSAGES, ids=IDS)
def test_roundtrip(channel: str, direction: str, defn: MessageDef) -> None:
    gen = ValueGen(random.Random(_seed(f"{channel}.{direction}.{defn.name}")))
    for _ in range(25 if is_flat(defn.layout) else 200):
        _roundtrip(defn, gen.message(defn))


def test_generator_reaches_every_switch_case() -> None:
    """The round trips above exercise each case of each switch (and 'no case' where a key can select none)."""
    gen = ValueGen(random.Random(7))
    for _, _, defn in MESSAGES:
        for _ in range(60):
            gen.message(defn)
    wanted = gen.all_cases(*(defn.layout for _, _, defn in MESSAGES))
    assert wanted - gen.coverage == set()
    # Sanity: the image switch alone has nine cases; the generator saw all of them.
    image_cases = {key for key in wanted if key[0] == "Image"}
    assert len(image_cases) == 10  # nine cases and "none" (FROM_CACHE and friends)


@pytest.mark.parametrize(("channel", "direction", "defn"), MESSAGES, ids=IDS)
def test_count_fields_filled_at_build(channel: str, direction: str, defn: MessageDef) -> None:
    """Count fields left as None are measured from their arrays: same bytes as when given explicitly."""
    gen = ValueGen(random.Random(_seed(defn.name) + 1))
    for _ in range(5 if is_flat(defn.layout) else 30):
        value = gen.message(defn)
        assert build_body(defn.layout, without_counts(value)) == build_body(defn.layout, value)


def test_every_channel_table_holds_the_base_messages() -> None:
    for channel_type, schema in SCHEMAS.items():
        for number, defn in base.BASE.server.items():
            assert schema.server[number] is defn, (channel_type, number)
        for number, defn in base.BASE.client.items():
            assert schema.client[number] is defn, (channel_type, number)
    # Channels spiceview does not speak still understand the common messages.
    assert schema_for(ChannelType.SMARTCARD) is base.BASE


@pytest.mark.parametrize(("channel", "direction", "defn"), MESSAGES, ids=IDS)
def test_message_class_maps_back_to_its_number(channel: str, direction: str, defn: MessageDef) -> None:
    if channel == "base":
        schemas = [base.BASE]
    else:
        schemas = [s for ct, s in SCHEMAS.items() if ChannelType(ct).name.lower() == channel]
    for schema in schemas:
        instance = defn.cls()
        if direction == "client":
            assert schema.client_number(instance) == defn.number
            with pytest.raises(TypeError):
                schema.server_number(instance)
        else:
            assert schema.server_number(instance) == defn.number
            with pytest.raises(TypeError):
                schema.client_number(instance)


def test_generated_classes_are_distinct_and_named() -> None:
    classes = [defn.cls for _, _, defn in MESSAGES]
    assert len(set(classes)) == len(classes)
    assert display.MSG_DRAW_COPY.cls.__name__ == "MsgDisplayDrawCopy"
    assert display.MSGC_INIT.cls.__name__ == "MsgcDisplayInit"
    assert base.MSG_SET_ACK.cls.__name__ == "MsgSetAck"


def test_pixel_data_is_a_zero_copy_view() -> None:
    value = display.MSG_STREAM_DATA.cls(base=t.StreamDataHeader(id=3, multi_media_time=9), data=b"\x01\x02\x03\x04")
    body = build_body(display.MSG_STREAM_DATA.layout, value)
    msg = parse_body(display.MSG_STREAM_DATA.layout, body)
    assert isinstance(msg.data, memoryview)
    assert msg.data.obj is body and bytes(msg.data) == b"\x01\x02\x03\x04"


# --- build refuses what it cannot encode -------------------------------------------------------------------------


def test_build_refuses_the_wrong_class() -> None:
    with pytest.raises(ProtocolError, match="expected"):
        build_body(display.MSG_MODE.layout, display.MSG_MARK.cls())


def test_build_refuses_out_of_range_numbers() -> None:
    with pytest.raises(ProtocolError):
        build_body(base.MSG_SET_ACK.layout, base.MSG_SET_ACK.cls(generation=1 << 32, window=1))
    with pytest.raises(ProtocolError):
        build_body(main.MSGC_MOUSE_MODE_REQUEST.layout, main.MSGC_MOUSE_MODE_REQUEST.cls(mode=-1))


def test_build_refuses_a_wrong_fixed_size() -> None:
    with pytest.raises(ProtocolError, match="16 bytes"):
        build_body(main.MSG_UUID.layout, main.MSG_UUID.cls(uuid=b"short"))


def test_build_refuses_null_for_a_required_pointer() -> None:
    data = display.Text(back_area=t.Rect(), fore_brush=t.Brush(), back_brush=t.Brush())
    data.str = None  # the class fills a left-out required pointer in; a hostile value can still be None
    text = display.MSG_DRAW_TEXT.cls(base=_display_base(), data=data)
    with pytest.raises(ProtocolError, match="null"):
        build_body(display.MSG_DRAW_TEXT.layout, text)


def test_pointer_targets_follow_the_fixed_part() -> None:
    """Offsets are from the start of the body; the writer appends targets (nested ones last) after the fixed part."""
    image = t.Image(
        id=1,
        type=ImageType.BITMAP,
        width=2,
        height=1,
        bitmap=t.BitmapData(
            format=8, flags=0, x=2, y=1, stride=8, palette=t.Palette(unique=5, num_ents=2, ents=[1, 2]), data=bytes(8)
        ),
    )
    msg = display.MSG_DRAW_COPY.cls(
        base=_display_base(), data=display.Copy(src_bitmap=image, src_area=t.Rect(), mask=t.QMask(pos=t.Point()))
    )
    body = _roundtrip(display.MSG_DRAW_COPY, msg)
    fixed = display.MSG_DRAW_COPY.layout.min_size
    assert int.from_bytes(body[21:25], "little") == fixed  # src_bitmap: right after the fixed part
    palette_at = fixed + 18 + 14  # image descriptor, bitmap fields before the palette pointer
    assert int.from_bytes(body[palette_at : palette_at + 4], "little") == fixed + 18 + 18 + 8  # after the pixels


def _display_base() -> Any:
    return t.DisplayBase(surface_id=0, box=t.Rect(), clip=t.Clip(type=0))


def test_every_message_has_its_generated_class() -> None:
    for _, _, defn in MESSAGES:
        assert defn.cls is getattr(classes, defn.cls.__name__)
        assert isinstance(defn.layout, Struct)
        assert defn.cls.__spice_struct__ is defn.layout
