"""SPICE cursor shapes and the cursor cache.

Hand-built cursors of every type, with the expected pixels worked out pixel by pixel here (loops over the
pictures below, not the decoder's numpy code); the cache; hostile headers and data; cursors recorded from a real
Xspice (tests/fixtures/cursors, made by tests/fixtures/make_cursor_fixtures.py) checked against the X server's
own image; and the same live, against XFixes on a running Xspice.
"""

from __future__ import annotations

import json
import struct
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spiceview.canvas.cursors import MAX_CURSOR_SIDE, CursorCache, CursorError, CursorShape, decode_cursor
from spiceview.protocol.constants import CursorFlags, CursorType
from spiceview.protocol.errors import ProtocolError
from spiceview.protocol.messages import cursor as cmsg
from spiceview.protocol.messages.types import Cursor, CursorHeader
from spiceview.protocol.schema import build_body, parse_body

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cursors"

TRANSPARENT = (0, 0, 0, 0)
BLACK = (0, 0, 0, 255)
WHITE = (255, 255, 255, 255)


def premul(c: int, a: int) -> int:
    return (c * a + 127) // 255


# spice-gtk's stand-ins for inverting COLOR pixels, straight alpha 0xAARRGGBB, premultiplied here.
CHECKER_DARK = (premul(0x30, 0xC0),) * 3 + (0xC0,)
CHECKER_LIGHT = (premul(0x50, 0x30),) * 3 + (0x30,)


def checker(x: int, y: int) -> tuple[int, ...]:
    return CHECKER_DARK if (x ^ y) & 1 else CHECKER_LIGHT


def header(kind: int, w: int, h: int, hx: int = 0, hy: int = 0, unique: int = 0) -> SimpleNamespace:
    return SimpleNamespace(unique=unique, type=kind, width=w, height=h, hot_spot_x=hx, hot_spot_y=hy)


def pack_bits(rows: list[list[int]], pad_with: int = 0) -> bytes:
    """1-bpp rows, MSB first, each padded to whole bytes (padding bits = pad_with)."""
    out = bytearray()
    for row in rows:
        bits = list(row) + [pad_with] * (-len(row) % 8)
        for i in range(0, len(bits), 8):
            byte = 0
            for b in bits[i : i + 8]:
                byte = byte << 1 | b
            out.append(byte)
    return bytes(out)


def expect(shape: CursorShape, pixels: list[list[tuple[int, ...]]], invert: list[list[int]] | None) -> None:
    want = np.array(pixels, np.uint8)
    assert shape.argb.shape == want.shape
    assert shape.argb.dtype == np.uint8
    bad = np.argwhere((shape.argb != want).any(-1))
    assert not len(bad), f"{len(bad)} pixels differ, first at (y, x) {tuple(bad[0])}: " + (
        f"got {tuple(shape.argb[tuple(bad[0])])}, want {tuple(want[tuple(bad[0])])}"
    )
    if invert is None or not any(map(any, invert)):
        assert shape.invert_mask is None
    else:
        assert shape.invert_mask is not None
        assert shape.invert_mask.tolist() == [[bool(v) for v in row] for row in invert]


# --- MONO ---------------------------------------------------------------------------------------------------------

# '#' black (AND 0, XOR 0), 'o' white (AND 0, XOR 1), '.' transparent (AND 1, XOR 0), '~' invert (AND 1, XOR 1)
ARROW = [
    "#...............",
    "##..............",
    "#o#.............",
    "#oo#............",
    "#ooo#...........",
    "#oooo#..........",
    "#ooooo#.........",
    "#oooooo#........",
    "#ooooooo#.......",
    "#oooo#####......",
    "#oo#oo#.........",
    "#o#.#oo#........",
    "##..#oo#..~~....",
    "#....#oo#.~~....",
    ".....#oo#.......",
    "......##........",
]
MONO_BITS = {"#": (0, 0), "o": (0, 1), ".": (1, 0), "~": (1, 1)}


def mono_data(picture: list[str], and_pad: int = 0, xor_pad: int = 0) -> bytes:
    and_rows = [[MONO_BITS[c][0] for c in row] for row in picture]
    xor_rows = [[MONO_BITS[c][1] for c in row] for row in picture]
    return pack_bits(and_rows, and_pad) + pack_bits(xor_rows, xor_pad)


def mono_expected(picture: list[str]) -> tuple[list, list]:
    colour = {"#": BLACK, "o": WHITE, ".": TRANSPARENT, "~": WHITE}  # white stands in for inversion
    pixels = [[colour[c] for c in row] for row in picture]
    invert = [[int(c == "~") for c in row] for row in picture]
    return pixels, invert


def test_mono_arrow_with_inverted_pixels() -> None:
    shape = decode_cursor(header(CursorType.MONO, 16, 16, 0, 0, unique=7), mono_data(ARROW))
    pixels, invert = mono_expected(ARROW)
    expect(shape, pixels, invert)
    assert (shape.width, shape.height, shape.hot_x, shape.hot_y) == (16, 16, 0, 0)
    assert (shape.kind, shape.unique, shape.empty) == (CursorType.MONO, 7, False)
    # The Qt/X11 bitmap+mask convention: mask=1 bitmap=1 black, mask=1 bitmap=0 white, 0/0 clear, 0/1 invert.
    assert shape.mono is not None
    bitmap, mask = shape.mono
    qt = {"#": (1, 1), "o": (0, 1), ".": (0, 0), "~": (1, 0)}
    assert bitmap.tolist() == [[bool(qt[c][0]) for c in row] for row in ARROW]
    assert mask.tolist() == [[bool(qt[c][1]) for c in row] for row in ARROW]


def test_mono_odd_width_ignores_row_padding() -> None:
    picture = ["#o.~#o.~#o.~#", "~~~~~~~~~~~~~", "#############", ".o.o.o.o.o.o.", "o~#.o~#.o~#.o"]
    for pad in (0, 1):
        shape = decode_cursor(header(CursorType.MONO, 13, 5, 3, 2), mono_data(picture, pad, pad))
        expect(shape, *mono_expected(picture))


def outline_expected(picture: list[str]) -> list[list[tuple[int, ...]]]:
    """spice-gtk's look for a pure-XOR mono cursor: inverted pixels white, interior pixels next to one black."""
    h, w = len(picture), len(picture[0])
    out = []
    for y in range(h):
        row = []
        for x in range(w):
            if picture[y][x] == "~":
                row.append(WHITE)
                continue
            near = False
            if 0 < x < w - 1 and 0 < y < h - 1:
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        near |= picture[y + dy][x + dx] == "~"
            row.append(BLACK if near else TRANSPARENT)
        out.append(row)
    return out


IBEAM = [
    "~~~~~.....~~~~",
    ".....~...~....",
    "......~.~.....",
    ".......~......",
    ".......~......",
    ".......~......",
    ".......~......",
    "......~.~.....",
    ".....~...~....",
    "~~~~~.....~~~~",
]


def test_mono_pure_xor_cursor_gets_an_outline() -> None:
    # The AND plane is all ones (only inversion): alone, white inverted pixels would vanish on white.
    shape = decode_cursor(header(CursorType.MONO, 14, 10, 7, 5), mono_data(IBEAM, and_pad=1))
    expect(shape, outline_expected(IBEAM), [[int(c == "~") for c in row] for row in IBEAM])
    # Only the pixel bits count: zero padding bits in the AND plane do not turn the outline off.
    again = decode_cursor(header(CursorType.MONO, 14, 10, 7, 5), mono_data(IBEAM, and_pad=0))
    assert np.array_equal(again.argb, shape.argb)


def test_mono_over_background_is_and_then_xor() -> None:
    picture = ["#o.~", "~.o#"]
    shape = decode_cursor(header(CursorType.MONO, 4, 2), mono_data(picture))
    bg = np.zeros((2, 4, 4), np.uint8)
    bg[..., 0], bg[..., 1], bg[..., 2], bg[..., 3] = 10, 100, 200, 255
    out = shape.over(bg)
    for y, row in enumerate(picture):
        for x, c in enumerate(row):
            want = {"#": (0, 0, 0), "o": (255, 255, 255), ".": (10, 100, 200), "~": (245, 155, 55)}[c]
            assert tuple(out[y, x, :3]) == want, (x, y, c)
            assert out[y, x, 3] == 255


# --- COLOR types ----------------------------------------------------------------------------------------------------


def colour_expected(rgb: list[list[int]], and_bits: list[list[int]], white: list[list[bool]]) -> tuple[list, list]:
    pixels, invert = [], []
    for y, (row, arow, wrow) in enumerate(zip(rgb, and_bits, white, strict=True)):
        prow, irow = [], []
        for x, (c, a, is_white) in enumerate(zip(row, arow, wrow, strict=True)):
            if not a:
                prow.append((c & 0xFF, c >> 8 & 0xFF, c >> 16 & 0xFF, 255))
                irow.append(0)
            elif is_white:
                prow.append(checker(x, y))
                irow.append(1)
            else:
                prow.append(TRANSPARENT)  # screen XOR colour: shown transparent, as spice-gtk does
                irow.append(0)
        pixels.append(prow)
        invert.append(irow)
    return pixels, invert


AND_5x4 = [[0, 0, 1, 1, 0], [1, 1, 1, 0, 0], [0, 1, 0, 1, 1], [1, 1, 1, 1, 1]]


def test_color4_palette_and_nibble_rows() -> None:
    w, h = 5, 4  # odd width: each row of nibbles is padded to a whole byte
    palette = [
        0x000000,
        0x800000,
        0x008000,
        0x808000,
        0x000080,
        0x800080,
        0x008080,
        0xC0C0C0,
        0x808080,
        0xFF0000,
        0x00FF00,
        0xFFFF00,
        0x0000FF,
        0xFF00FF,
        0x00FFFF,
        0xFFFFFF,
    ]
    idx = [[1, 15, 15, 0, 9], [15, 0, 7, 12, 3], [14, 15, 2, 13, 4], [0, 15, 6, 15, 5]]
    data = bytearray()
    for row in idx:
        padded = row + [0xA]  # garbage in the padding nibble
        for i in range(0, w, 2):
            data.append(padded[i] << 4 | padded[i + 1])
    # The palette's top bytes are not used.
    data += b"".join(struct.pack("<I", c | (0x5A000000 if i % 3 else 0)) for i, c in enumerate(palette))
    data += pack_bits(AND_5x4, pad_with=1)
    rgb = [[palette[i] for i in row] for row in idx]
    white = [[palette[i] == 0xFFFFFF for i in row] for row in idx]
    shape = decode_cursor(header(CursorType.COLOR4, w, h, 2, 1), bytes(data))
    expect(shape, *colour_expected(rgb, AND_5x4, white))
    assert shape.mono is None


def test_color8_palette() -> None:
    w, h = 7, 3
    rng = np.random.default_rng(8)
    palette = [int(v) for v in rng.integers(0, 1 << 24, 256)]
    palette[200] = 0xFFFFFF
    palette[0] = 0
    idx = [[0, 200, 17, 200, 255, 0, 1], [200, 200, 200, 3, 4, 5, 0], [9, 200, 0, 250, 251, 200, 7]]
    and_bits = [[1, 1, 0, 0, 0, 1, 1], [1, 0, 1, 0, 1, 0, 1], [0, 1, 1, 1, 0, 1, 0]]
    data = bytes(v for row in idx for v in row) + struct.pack("<256I", *palette) + pack_bits(and_bits)
    rgb = [[palette[i] for i in row] for row in idx]
    white = [[palette[i] == 0xFFFFFF for i in row] for row in idx]
    shape = decode_cursor(header(CursorType.COLOR8, w, h), data)
    expect(shape, *colour_expected(rgb, and_bits, white))


def test_color16_555() -> None:
    w, h = 6, 2
    pix = [[0x7FFF, 0x0000, 0x7C00, 0x03E0, 0x001F, 0xFFFF], [0x4210, 0x7FFF, 0x1234, 0x0001, 0x7FFF, 0x7FFE]]
    and_bits = [[1, 1, 0, 0, 0, 1], [0, 0, 1, 1, 1, 1]]
    data = b"".join(struct.pack("<H", p) for row in pix for p in row) + pack_bits(and_bits)

    def expand(p: int) -> int:  # each 5-bit channel shifted up by 3, no bit replication
        r, g, b = p >> 10 & 31, p >> 5 & 31, p & 31
        return (r * 8) << 16 | (g * 8) << 8 | b * 8

    rgb = [[expand(p) for p in row] for row in pix]
    white = [[(p & 0x7FFF) == 0x7FFF for p in row] for row in pix]  # bit 15 is not part of x1r5g5b5
    shape = decode_cursor(header(CursorType.COLOR16, w, h), data)
    expect(shape, *colour_expected(rgb, and_bits, white))
    assert tuple(shape.argb[1, 0]) == (0x80, 0x80, 0x80, 255)  # 0x4210: 16,16,16 -> 128


def test_color24_bgr_triplets() -> None:
    w, h = 3, 3
    rgb = [[0xFF0000, 0x00FF00, 0x0000FF], [0xFFFFFF, 0x123456, 0x000000], [0xFFFFFF, 0xFEFFFF, 0x010203]]
    and_bits = [[0, 0, 0], [1, 1, 1], [0, 1, 1]]
    data = bytes(b for row in rgb for c in row for b in (c & 0xFF, c >> 8 & 0xFF, c >> 16)) + pack_bits(and_bits)
    shape = decode_cursor(header(CursorType.COLOR24, w, h), data)
    expect(shape, *colour_expected(rgb, and_bits, [[c == 0xFFFFFF for c in row] for row in rgb]))


def test_color32_with_and_mask() -> None:
    w, h = 9, 2  # the mask rows take two bytes
    rgb = [
        [0xFFFFFF, 0, 0x336699, 0xFFFFFF, 0xABCDEF, 0xFFFFFF, 0x010101, 0xFFFFFF, 0x7F7F7F],
        [0, 0xFFFFFF, 0xFFFFFF, 0x102030, 0x405060, 0xFFFFFF, 0xFFFFFF, 0, 0xFFFFFF],
    ]
    and_bits = [[1, 1, 0, 1, 1, 0, 1, 0, 1], [0, 1, 1, 1, 0, 1, 0, 0, 1]]
    top = [[0, 0xFF, 0x12, 0x80, 0, 0, 0xFF, 0, 0x33], [0] * 9]  # the top byte carries nothing
    data = b"".join(
        struct.pack("<I", c | t << 24) for rr, tt in zip(rgb, top, strict=True) for c, t in zip(rr, tt, strict=True)
    )
    data += pack_bits(and_bits, pad_with=1)
    shape = decode_cursor(header(CursorType.COLOR32, w, h, 4, 1), data)
    expect(shape, *colour_expected(rgb, and_bits, [[c == 0xFFFFFF for c in row] for row in rgb]))


def test_color_over_background_inverts_white_and_pixels() -> None:
    rgb = [[0xFFFFFF, 0x000000, 0x123456, 0xFFFFFF]]
    and_bits = [[1, 1, 0, 0]]
    data = b"".join(struct.pack("<I", c) for c in rgb[0]) + pack_bits(and_bits)
    shape = decode_cursor(header(CursorType.COLOR32, 4, 1), data)
    bg = np.array([[[1, 2, 3, 255], [4, 5, 6, 255], [7, 8, 9, 255], [10, 11, 12, 255]]], np.uint8)
    out = shape.over(bg)
    assert out[0].tolist() == [[254, 253, 252, 255], [4, 5, 6, 255], [0x56, 0x34, 0x12, 255], [255, 255, 255, 255]]


# --- ALPHA ---------------------------------------------------------------------------------------------------------


def test_alpha_is_premultiplied_bgra_passed_through() -> None:
    w, h = 3, 2
    # u32 0xAARRGGBB, already premultiplied (as the X server's ARGB cursors are)
    argb = [[0xFF102030, 0x80404040, 0x00000000], [0x40202000, 0xFFFFFFFF, 0x01010101]]
    data = b"".join(struct.pack("<I", p) for row in argb for p in row)
    shape = decode_cursor(header(CursorType.ALPHA, w, h, 1, 1), data)
    want = [[(p & 0xFF, p >> 8 & 0xFF, p >> 16 & 0xFF, p >> 24) for p in row] for row in argb]
    expect(shape, want, None)
    assert shape.mono is None


def test_alpha_clamps_colour_above_alpha() -> None:
    # Not valid premultiplied data (a straight-alpha guest): each channel is capped at alpha.
    data = struct.pack("<2I", 0x80FF4020, 0x00FFFFFF)
    shape = decode_cursor(header(CursorType.ALPHA, 2, 1), data)
    assert shape.argb.tolist() == [[[0x20, 0x40, 0x80, 0x80], [0, 0, 0, 0]]]


def test_alpha_over_is_premultiplied_over() -> None:
    shape = decode_cursor(header(CursorType.ALPHA, 1, 1), struct.pack("<I", 0x80402010))
    out = shape.over(np.array([[[200, 100, 50, 255]]], np.uint8))
    assert out[0, 0].tolist() == [0x10 + premul(200, 127), 0x20 + premul(100, 127), 0x40 + premul(50, 127), 255]


# --- sizes and limits ---------------------------------------------------------------------------------------------


def layout_size(kind: int, w: int, h: int) -> int:
    mask = (w + 7) // 8 * h
    return {
        CursorType.ALPHA: 4 * w * h,
        CursorType.MONO: 2 * mask,
        CursorType.COLOR4: (w + 1) // 2 * h + 16 * 4 + mask,
        CursorType.COLOR8: w * h + 256 * 4 + mask,
        CursorType.COLOR16: 2 * w * h + mask,
        CursorType.COLOR24: 3 * w * h + mask,
        CursorType.COLOR32: 4 * w * h + mask,
    }[kind]


@pytest.mark.parametrize("kind", list(CursorType))
@pytest.mark.parametrize("size", [(1, 1), (7, 3), (8, 8), (9, 2), (32, 32), (33, 17)])
def test_exact_data_accepted_one_short_refused(kind: int, size: tuple[int, int]) -> None:
    w, h = size
    n = layout_size(kind, w, h)
    data = bytes(range(256)) * (n // 256 + 1)
    shape = decode_cursor(header(kind, w, h), data[:n])
    assert shape.argb.shape == (h, w, 4)
    assert decode_cursor(header(kind, w, h), data[: n + 5]).argb.tolist() == shape.argb.tolist()  # extra ignored
    with pytest.raises(CursorError, match="needs"):
        decode_cursor(header(kind, w, h), data[: n - 1])
    with pytest.raises(CursorError):
        decode_cursor(header(kind, w, h), b"")


def test_size_limit() -> None:
    big = MAX_CURSOR_SIDE
    assert MAX_CURSOR_SIDE == 512
    shape = decode_cursor(header(CursorType.ALPHA, big, big), bytes(4 * big * big))
    assert shape.argb.shape == (big, big, 4)
    for w, h in ((big + 1, 1), (1, big + 1), (65535, 65535)):
        with pytest.raises(CursorError, match="larger"):
            decode_cursor(header(CursorType.MONO, w, h), bytes(10))


@pytest.mark.parametrize("kind", list(CursorType))
def test_zero_sized_cursor_is_a_transparent_pointer(kind: int) -> None:
    # The Windows XPDM driver's transparent pointer: MONO 0x0 with no data.
    for w, h in ((0, 0), (0, 5), (5, 0)):
        shape = decode_cursor(header(kind, w, h, 3, 3), b"")
        assert shape.empty
        assert (shape.width, shape.height, shape.hot_x, shape.hot_y) == (1, 1, 0, 0)
        assert shape.argb.tolist() == [[[0, 0, 0, 0]]]
        assert shape.invert_mask is None


def test_hot_spot_outside_is_capped_to_the_edge() -> None:
    # As spice-gtk: a hot spot past the image is moved onto its right/bottom edge (X accepts that edge too).
    shape = decode_cursor(header(CursorType.ALPHA, 4, 3, 100, 3), bytes(48))
    assert (shape.hot_x, shape.hot_y) == (4, 3)
    shape = decode_cursor(header(CursorType.ALPHA, 4, 3, 2, 65535), bytes(48))
    assert (shape.hot_x, shape.hot_y) == (2, 3)


@pytest.mark.parametrize("kind", [7, 8, 100, 255])
def test_unknown_type_refused(kind: int) -> None:
    with pytest.raises(CursorError, match="unknown cursor type"):
        decode_cursor(header(kind, 4, 4), bytes(4096))


@pytest.mark.parametrize(
    "bad",
    [
        {"width": -1},
        {"height": 1 << 16},
        {"type": None},
        {"hot_spot_x": 1.5},
        {"unique": -5},
        {"width": True},
        {"type": "0"},
    ],
)
def test_malformed_header_fields(bad: dict) -> None:
    fields = vars(header(CursorType.ALPHA, 2, 2)) | bad
    with pytest.raises(CursorError):
        decode_cursor(SimpleNamespace(**fields), bytes(16))
    with pytest.raises(CursorError):
        decode_cursor(SimpleNamespace(type=0, width=2, height=2), bytes(16))  # missing fields


@pytest.mark.parametrize("data", [None, "text", 12, np.zeros((4, 4), np.uint8)[:, ::2]])
def test_data_that_is_not_bytes(data: object) -> None:
    with pytest.raises(CursorError):
        decode_cursor(header(CursorType.ALPHA, 2, 1), data)  # type: ignore[arg-type]


def test_shapes_are_read_only() -> None:
    shape = decode_cursor(header(CursorType.MONO, 4, 2), mono_data(["#o.~", "~.o#"]))
    for a in (shape.argb, shape.invert_mask, *shape.mono):  # type: ignore[misc]
        assert a is not None and not a.flags.writeable


# --- the cache -----------------------------------------------------------------------------------------------------


def wire_cursor(
    flags: int,
    unique: int = 0,
    kind: int = CursorType.ALPHA,
    w: int = 2,
    h: int = 2,
    data: bytes | None = None,
    colour: int = 0xFF000000,
) -> object:
    """A Cursor as the protocol layer parses it (built, serialised and parsed back)."""
    if flags & CursorFlags.NONE:
        msg = Cursor.cls(flags=flags, header=None, data=b"")
    else:
        if data is None:
            data = struct.pack("<I", colour) * (w * h)
        hdr = CursorHeader.cls(unique=unique, type=kind, width=w, height=h, hot_spot_x=1, hot_spot_y=0)
        msg = Cursor.cls(flags=flags, header=hdr, data=data)
    return parse_body(Cursor, build_body(Cursor, msg))


def test_none_is_no_cursor() -> None:
    cache = CursorCache()
    assert cache.resolve(wire_cursor(CursorFlags.NONE)) is None
    assert cache.resolve(wire_cursor(CursorFlags.NONE | CursorFlags.FROM_CACHE)) is None


def test_cache_me_then_from_cache() -> None:
    cache = CursorCache()
    first = cache.resolve(wire_cursor(CursorFlags.CACHE_ME, unique=0x1234_5678_9ABC_DEF0, colour=0xFF112233))
    assert first is not None and 0x1234_5678_9ABC_DEF0 in cache
    # FROM_CACHE carries the header but no data; the cached shape comes back, not a decode of the header.
    again = cache.resolve(wire_cursor(CursorFlags.FROM_CACHE, unique=0x1234_5678_9ABC_DEF0, w=9, h=9, data=b""))
    assert again is first
    assert tuple(again.argb[0, 0]) == (0x33, 0x22, 0x11, 0xFF)


def test_plain_set_is_not_cached() -> None:
    cache = CursorCache()
    assert cache.resolve(wire_cursor(0, unique=5)) is not None
    assert len(cache) == 0
    with pytest.raises(CursorError, match="not in the cache"):
        cache.resolve(wire_cursor(CursorFlags.FROM_CACHE, unique=5))


def test_from_cache_of_unknown_id() -> None:
    with pytest.raises(CursorError, match="0x63 is not in the cache"):
        CursorCache().resolve(wire_cursor(CursorFlags.FROM_CACHE, unique=99))


def test_cache_me_replaces() -> None:
    cache = CursorCache()
    cache.resolve(wire_cursor(CursorFlags.CACHE_ME, unique=1, colour=0xFF0000FF))
    newer = cache.resolve(wire_cursor(CursorFlags.CACHE_ME, unique=1, colour=0xFF00FF00))
    assert cache.resolve(wire_cursor(CursorFlags.FROM_CACHE, unique=1)) is newer
    assert len(cache) == 1 and cache.nbytes == newer.nbytes


def test_inval_one_and_all() -> None:
    cache = CursorCache()
    for u in (1, 2, 3):
        cache.resolve(wire_cursor(CursorFlags.CACHE_ME, unique=u))
    cache.inval_one(2)
    cache.inval_one(2)  # unknown ids are fine
    assert 2 not in cache and 1 in cache and 3 in cache
    with pytest.raises(CursorError):
        cache.resolve(wire_cursor(CursorFlags.FROM_CACHE, unique=2))
    cache.inval_all()
    assert len(cache) == 0 and cache.nbytes == 0
    with pytest.raises(CursorError):
        cache.resolve(wire_cursor(CursorFlags.FROM_CACHE, unique=1))


def test_failed_decode_caches_nothing() -> None:
    cache = CursorCache()
    with pytest.raises(CursorError):
        cache.resolve(wire_cursor(CursorFlags.CACHE_ME, unique=4, data=b"\0" * 3))
    assert 4 not in cache


def test_cache_bounds_drop_least_recently_used() -> None:
    cache = CursorCache(max_entries=3)
    for u in range(1, 5):
        cache.resolve(wire_cursor(CursorFlags.CACHE_ME, unique=u))
        if u == 3:
            cache.resolve(wire_cursor(CursorFlags.FROM_CACHE, unique=1))  # 1 is now more recent than 2
    assert sorted(u for u in range(1, 5) if u in cache) == [1, 3, 4]
    one = decode_cursor(header(CursorType.ALPHA, 16, 16), bytes(1024)).nbytes
    cache = CursorCache(max_bytes=2 * one)
    for u in range(10):
        cache.resolve(wire_cursor(CursorFlags.CACHE_ME, unique=u, w=16, h=16))
    assert len(cache) == 2 and cache.nbytes == 2 * one and 9 in cache and 8 in cache


def test_cache_from_many_threads() -> None:
    cache = CursorCache(max_entries=50)
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            for _ in range(400):
                u = int(rng.integers(0, 80))
                op = rng.integers(0, 10)
                if op < 4:
                    cache.resolve(wire_cursor(CursorFlags.CACHE_ME, unique=u))
                elif op < 8:
                    try:
                        shape = cache.resolve(wire_cursor(CursorFlags.FROM_CACHE, unique=u))
                        assert shape is not None and shape.unique == u
                    except CursorError:
                        pass
                elif op < 9:
                    cache.inval_one(u)
                else:
                    cache.inval_all()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(cache) <= 50
    with cache._lock:  # the byte count kept in step with what is held
        assert sum(s.nbytes for s in cache._shapes.values()) == cache._bytes


# --- hostile input ------------------------------------------------------------------------------------------------

fuzz = settings(max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def check_shape(shape: CursorShape | None) -> None:
    if shape is None:
        return
    assert shape.argb.shape == (shape.height, shape.width, 4) and shape.argb.dtype == np.uint8
    assert 1 <= shape.width <= MAX_CURSOR_SIDE and 1 <= shape.height <= MAX_CURSOR_SIDE
    assert 0 <= shape.hot_x <= shape.width and 0 <= shape.hot_y <= shape.height
    assert (shape.argb[..., :3] <= shape.argb[..., 3:4]).all()  # valid premultiplied pixels
    if shape.invert_mask is not None:
        assert shape.invert_mask.shape == (shape.height, shape.width) and shape.invert_mask.any()


@fuzz
@given(
    kind=st.integers(0, 9),
    w=st.one_of(st.integers(0, 40), st.integers(0, 0xFFFF)),
    h=st.one_of(st.integers(0, 40), st.integers(0, 0xFFFF)),
    hx=st.integers(0, 0xFFFF),
    hy=st.integers(0, 0xFFFF),
    slack=st.integers(-3, 3),
    seed=st.integers(0, 2**32 - 1),
    exact=st.booleans(),
)
def test_random_headers_only_cursor_error(kind, w, h, hx, hy, slack, seed, exact) -> None:
    if exact and kind < 7 and w <= 64 and h <= 64:
        n = max(0, layout_size(kind, w, h) + slack)  # around the exact size
    else:
        n = seed % 5000
    data = np.random.default_rng(seed).integers(0, 256, n, np.uint8).tobytes()
    try:
        check_shape(decode_cursor(header(kind, w, h, hx, hy, seed), data))
    except CursorError:
        pass


@fuzz
@given(body=st.binary(max_size=3000), flags=st.integers(0, 0xFFFF))
def test_random_set_messages_only_cursor_error(body: bytes, flags: int) -> None:
    cache = CursorCache(max_entries=4)
    for raw in (body, struct.pack("<hhB", 0, 0, 1) + struct.pack("<H", flags) + body):
        try:
            msg = parse_body(cmsg.MSG_SET.layout, raw)
        except ProtocolError:
            continue
        for _ in range(2):  # the second time, CACHE_ME cursors come from the cache
            try:
                check_shape(cache.resolve(msg.cursor))
            except CursorError:
                pass


# --- cursors a real Xspice sent (recorded) -------------------------------------------------------------------------


def fixture_manifest() -> dict:
    return json.loads((FIXTURES / "manifest.json").read_text())


def test_recorded_init_has_no_cursor() -> None:
    msg = parse_body(cmsg.MSG_INIT.layout, (FIXTURES / "init.bin").read_bytes())
    assert msg.cursor.flags & CursorFlags.NONE
    assert CursorCache().resolve(msg.cursor) is None


@pytest.mark.parametrize("name", ["left_ptr", "watch", "xterm", "hand2"])
def test_recorded_xspice_cursor_matches_x_server_image(name: str) -> None:
    info = fixture_manifest()[name]
    msg = parse_body(cmsg.MSG_SET.layout, (FIXTURES / f"{name}.bin").read_bytes())
    assert msg.cursor.header.type == CursorType.ALPHA and msg.cursor.header.unique == 0
    assert msg.cursor.flags == 0  # unique 0: never cached
    shape = CursorCache().resolve(msg.cursor)
    assert shape is not None
    want = np.load(FIXTURES / "expected.npz")[name]
    assert (shape.width, shape.height, shape.hot_x, shape.hot_y) == (
        info["width"],
        info["height"],
        info["xhot"],
        info["yhot"],
    )
    assert np.array_equal(shape.argb, want)
    # Semi-transparent edges with colour: only a premultiplied reading of the data gives the X server's image.
    alpha = want[..., 3]
    assert ((alpha > 0) & (alpha < 255) & (want[..., :3].max(-1) > 0)).any()


# --- live: Xspice against XFixes --------------------------------------------------------------------------------
