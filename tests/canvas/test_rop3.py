"""ROP3 (DRAW_ROP3): all 256 codes against the reference model, GDI's named codes against their textbook
formulas, the brush/tile layout, the X byte, strided and overlapping blocks, and argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from spiceview.canvas.rop3 import (
    Rop3Code,
    rop3_pattern,
    rop3_reference,
    rop3_solid,
    uses_dest,
    uses_pattern,
    uses_source,
)

RNG = np.random.default_rng(0x0F3)
ALL_CODES = range(256)
# The three operands as truth-table columns: evaluating a code's function on them gives back the code.
P_COL, S_COL, D_COL = 0xF0, 0xCC, 0xAA


def blocks(h: int, w: int) -> np.ndarray:
    return RNG.integers(0, 256, (h, w, 4), dtype=np.uint8)


def truth_table_model(d: np.ndarray, s: np.ndarray, p: np.ndarray, code: int) -> np.ndarray:
    """Bit by bit: result bit = the code's bit number (p << 2 | s << 1 | d). Arrays of uint8, broadcastable."""
    table = np.array([(code >> i) & 1 for i in range(8)], dtype=np.uint8)
    d, s, p = np.broadcast_arrays(d, s, p)
    out = np.zeros(d.shape, dtype=np.uint8)
    for bit in range(8):
        index = ((p >> bit) & 1) << 2 | ((s >> bit) & 1) << 1 | ((d >> bit) & 1)
        out |= table[index] << bit
    return out


def words(block: np.ndarray) -> np.ndarray:
    """B, G, R, X bytes as the 32-bit wire value (X in the top byte)."""
    return np.ascontiguousarray(block).view("<u4")[..., 0]


def color_pixel(color: int) -> np.ndarray:
    return np.frombuffer(color.to_bytes(4, "little"), dtype=np.uint8)


def tiled(tile: np.ndarray, tile_x: int, tile_y: int, h: int, w: int) -> np.ndarray:
    rows = (tile_y + np.arange(h)) % tile.shape[0]
    cols = (tile_x + np.arange(w)) % tile.shape[1]
    return tile[rows[:, None], cols[None, :]]


def check_against_reference(result: np.ndarray, d: np.ndarray, s: np.ndarray, p: np.ndarray, code: int) -> None:
    """A few pixels word by word through rop3_reference, then the whole block through the truth-table model."""
    rd, rs, rp, rr = words(d), words(s), words(p), words(result)
    h, w = rr.shape
    for y, x in [(0, 0), (h - 1, w - 1), (h // 2, w // 3), (1 % h, (w - 2) % w)]:
        expect = rop3_reference(int(rd[y, x]), int(rs[y, x]), int(rp[y, x]), code)
        assert int(rr[y, x]) == expect, f"code 0x{code:02X} at ({y}, {x})"
    np.testing.assert_array_equal(result, truth_table_model(d, s, p, code), err_msg=f"code 0x{code:02X}")


# --- the reference model itself -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ALL_CODES)
def test_reference_reproduces_its_truth_table(code: int) -> None:
    spread = 0x01010101
    assert rop3_reference(D_COL * spread, S_COL * spread, P_COL * spread, code) == code * spread


def test_reference_agrees_with_truth_table_model_on_random_words() -> None:
    d, s, p = (RNG.integers(0, 1 << 32, 64, dtype=np.uint64) for _ in range(3))
    for code in (0x00, 0x01, 0x1B, 0x69, 0x96, 0xB8, 0xE2, 0xFF):
        for dw, sw, pw in zip(d.tolist(), s.tolist(), p.tolist(), strict=True):
            as_bytes = [np.frombuffer(v.to_bytes(4, "little"), np.uint8) for v in (dw, sw, pw)]
            model = int.from_bytes(truth_table_model(*as_bytes, code).tobytes(), "little")
            assert rop3_reference(dw, sw, pw, code) == model


def test_reference_checks_its_arguments() -> None:
    with pytest.raises(ValueError):
        rop3_reference(0, 0, 0, 256)
    with pytest.raises(ValueError):
        rop3_reference(1 << 32, 0, 0, 0xCC)
    with pytest.raises(ValueError):
        rop3_reference(0, -1, 0, 0xCC)


def test_operand_use() -> None:
    assert uses_source(0xCC) and not uses_pattern(0xCC) and not uses_dest(0xCC)
    assert uses_pattern(0xF0) and not uses_source(0xF0) and not uses_dest(0xF0)
    assert uses_dest(0x55) and not uses_source(0x55) and not uses_pattern(0x55)
    assert not (uses_source(0x00) or uses_pattern(0x00) or uses_dest(0x00))
    # spice-common implements exactly the codes that use all three operands: 218 of them.
    assert sum(uses_source(c) and uses_pattern(c) and uses_dest(c) for c in ALL_CODES) == 218


# --- all 256 codes through the kernels --------------------------------------------------------------------------


@pytest.mark.parametrize("code", ALL_CODES)
def test_solid_brush_all_codes(code: int) -> None:
    h, w = 13, 29
    surface = blocks(h + 5, w + 9)
    dst = surface[2 : 2 + h, 3 : 3 + w]  # a strided view into a larger surface
    src_surface = blocks(h + 1, w + 4)
    src = src_surface[1:, 4:]
    color = int(RNG.integers(0, 1 << 32))
    d0 = dst.copy()
    outside = surface.copy()
    rop3_solid(dst, src, color, code)
    check_against_reference(dst, d0, src, np.broadcast_to(color_pixel(color), d0.shape), code)
    # Nothing outside the view changed.
    outside[2 : 2 + h, 3 : 3 + w] = dst
    np.testing.assert_array_equal(surface, outside)


@pytest.mark.parametrize("code", ALL_CODES)
def test_pattern_brush_all_codes(code: int) -> None:
    h, w = 17, 23
    surface = blocks(h + 4, w + 6)
    dst = surface[4:, 1 : 1 + w]
    src = blocks(h, w)
    tile = blocks(5, 3)
    tile_x, tile_y = 2, 4
    d0 = dst.copy()
    rop3_pattern(dst, src, tile, tile_x, tile_y, code)
    check_against_reference(dst, d0, src, tiled(tile, tile_x, tile_y, h, w), code)


@pytest.mark.parametrize("code", ALL_CODES)
def test_codes_without_source_accept_none(code: int) -> None:
    dst = blocks(6, 11)
    tile = blocks(3, 7)
    color = 0x80FF0102
    if uses_source(code):
        with pytest.raises(ValueError, match="source"):
            rop3_solid(dst, None, color, code)
        with pytest.raises(ValueError, match="source"):
            rop3_pattern(dst, None, tile, 1, 2, code)
        return
    d0 = dst.copy()
    junk = blocks(6, 11)  # the model sees a source the code must ignore
    rop3_solid(dst, None, color, code)
    check_against_reference(dst, d0, junk, np.broadcast_to(color_pixel(color), d0.shape), code)
    dst[...] = d0
    rop3_pattern(dst, None, tile, 1, 2, code)
    check_against_reference(dst, d0, junk, tiled(tile, 1, 2, 6, 11), code)


@pytest.mark.parametrize(
    ("tile_shape", "tile_x", "tile_y"),
    [
        ((1, 1), 0, 0),
        ((7, 1), 0, 3),
        ((1, 9), 8, 0),
        ((3, 5), 4, 2),
        ((8, 8), 13, 21),  # origins past the tile size are reduced
        ((5, 3), -1, -7),  # and so are negative ones (floor modulo)
        ((40, 60), 37, 11),  # a tile larger than the destination
    ],
)
@pytest.mark.parametrize("code", [0xF0, 0x5A, 0xB8, 0x96, 0xE2, 0x1B])
def test_tile_sizes_and_origins(tile_shape: tuple[int, int], tile_x: int, tile_y: int, code: int) -> None:
    h, w = 19, 31
    tile = blocks(*tile_shape)
    dst, src = blocks(h, w), blocks(h, w)
    d0 = dst.copy()
    rop3_pattern(dst, src, tile, tile_x, tile_y, code)
    np.testing.assert_array_equal(dst, truth_table_model(d0, src, tiled(tile, tile_x, tile_y, h, w), code))


def test_tile_origin_orientation() -> None:
    # One row of three pixels A, B, C with tile_x = 1: columns read B, C, A, B, C, ...; tile_y picks the row.
    tile = np.zeros((2, 3, 4), dtype=np.uint8)
    tile[0, :, 0] = [10, 11, 12]
    tile[1, :, 0] = [20, 21, 22]
    dst = np.zeros((3, 5, 4), dtype=np.uint8)
    rop3_pattern(dst, None, tile, 1, 1, Rop3Code.PATCOPY)
    np.testing.assert_array_equal(dst[..., 0], [[21, 22, 20, 21, 22], [11, 12, 10, 11, 12], [21, 22, 20, 21, 22]])


# --- named codes, written from their textbook formulas ---------------------------------------------------------

NAMED = {
    Rop3Code.BLACKNESS: lambda p, s, d: np.zeros_like(d),
    Rop3Code.WHITENESS: lambda p, s, d: np.full_like(d, 0xFF),
    Rop3Code.SRCCOPY: lambda p, s, d: s,
    Rop3Code.NOTSRCCOPY: lambda p, s, d: ~s,
    Rop3Code.PATCOPY: lambda p, s, d: p,
    Rop3Code.DSTINVERT: lambda p, s, d: ~d,
    Rop3Code.PATINVERT: lambda p, s, d: p ^ d,
    Rop3Code.SRCINVERT: lambda p, s, d: s ^ d,
    Rop3Code.SRCAND: lambda p, s, d: s & d,
    Rop3Code.SRCPAINT: lambda p, s, d: s | d,
    Rop3Code.SRCERASE: lambda p, s, d: s & ~d,
    Rop3Code.NOTSRCERASE: lambda p, s, d: ~(s | d),
    Rop3Code.MERGECOPY: lambda p, s, d: p & s,
    Rop3Code.MERGEPAINT: lambda p, s, d: ~s | d,
    Rop3Code.PATPAINT: lambda p, s, d: p | ~s | d,
    0xB8: lambda p, s, d: (p & ~s) | (d & s),  # "PSDPxax": take the brush where the source is 0, else dst
    0xE2: lambda p, s, d: (p & s) | (d & ~s),  # "DSPDxax": take the brush where the source is 1, else dst
    0x96: lambda p, s, d: p ^ s ^ d,
}


@pytest.mark.parametrize("code", list(NAMED), ids=lambda c: f"0x{int(c):02X}")
def test_named_codes_solid(code: int) -> None:
    h, w = 9, 14
    dst, src = blocks(h, w), blocks(h, w)
    color = 0x5AC3_0F71
    expect = NAMED[code](np.broadcast_to(color_pixel(color), dst.shape), src, dst.copy())
    rop3_solid(dst, src, color, code)
    np.testing.assert_array_equal(dst, expect)


@pytest.mark.parametrize("code", list(NAMED), ids=lambda c: f"0x{int(c):02X}")
def test_named_codes_pattern(code: int) -> None:
    h, w = 11, 10
    dst, src, tile = blocks(h, w), blocks(h, w), blocks(3, 4)
    expect = NAMED[code](tiled(tile, 3, 1, h, w), src, dst.copy())
    rop3_pattern(dst, src, tile, 3, 1, code)
    np.testing.assert_array_equal(dst, expect)


def test_named_code_values() -> None:
    for code, formula in NAMED.items():
        p, s, d = (np.array([v], dtype=np.uint8) for v in (P_COL, S_COL, D_COL))
        assert int(formula(p, s, d)[0]) == int(code)


# --- pixel layout and the X byte ------------------------------------------------------------------------------


def test_brush_colour_layout() -> None:
    dst = np.zeros((2, 3, 4), dtype=np.uint8)
    rop3_solid(dst, None, 0x11223344, Rop3Code.PATCOPY)
    assert (dst == [0x44, 0x33, 0x22, 0x11]).all()  # B, G, R, X


def test_x_byte_takes_part_like_the_reference() -> None:
    # The reference combines whole 32-bit words and blits them back: the X/alpha byte is not preserved.
    dst = np.zeros((2, 2, 4), dtype=np.uint8)
    rop3_solid(dst, None, 0, Rop3Code.DSTINVERT)
    assert (dst == 0xFF).all()
    src = np.full((2, 2, 4), 0x7E, dtype=np.uint8)
    rop3_solid(dst, src, 0, Rop3Code.SRCCOPY)
    assert (dst[..., 3] == 0x7E).all()
    rop3_solid(dst, src, 0xA5000000, Rop3Code.PATINVERT)
    assert (dst[..., 3] == 0x7E ^ 0xA5).all() and (dst[..., :3] == 0x7E).all()


# --- strides, overlap, sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [0x1B, 0x66, 0xB8, 0xF0, 0x5A, 0x55])
def test_pixel_strided_views(code: int) -> None:
    surface = blocks(10, 40)
    dst = surface[::2, 1::3]  # rows and pixels both strided
    src_surface = blocks(5, 26)
    src = src_surface[:, ::2]
    tile = blocks(3, 2)
    d0, s0 = dst.copy(), src.copy()
    before = surface.copy()
    rop3_pattern(dst, src, tile, 1, 1, code)
    np.testing.assert_array_equal(dst, truth_table_model(d0, s0, tiled(tile, 1, 1, *d0.shape[:2]), code))
    before[::2, 1::3] = dst
    np.testing.assert_array_equal(surface, before)
    dst[...] = d0
    rop3_solid(dst, src, 0x01020304, code)
    np.testing.assert_array_equal(dst, truth_table_model(d0, s0, color_pixel(0x01020304), code))


def test_source_with_reversed_channels_is_read_correctly() -> None:
    dst, base = blocks(4, 6), blocks(4, 6)
    src = base[..., ::-1]  # last axis not contiguous: copied before the kernel sees it
    d0 = dst.copy()
    rop3_solid(dst, src, 0, Rop3Code.SRCINVERT)
    np.testing.assert_array_equal(dst, d0 ^ src)


@pytest.mark.parametrize(("dy", "dx"), [(0, 1), (1, 0), (-1, -2), (0, -3), (2, 2)])
def test_source_overlapping_destination_reads_original_pixels(dy: int, dx: int) -> None:
    surface = blocks(20, 24)
    original = surface.copy()
    dst = surface[5:15, 6:18]
    src = surface[5 + dy : 15 + dy, 6 + dx : 18 + dx]
    expect = truth_table_model(original[5:15, 6:18], original[5 + dy : 15 + dy, 6 + dx : 18 + dx], 0x3C, 0xB8)
    rop3_solid(dst, src, 0x3C3C3C3C, 0xB8)
    np.testing.assert_array_equal(surface[5:15, 6:18], expect)


def test_source_identical_to_destination() -> None:
    dst = blocks(7, 9)
    d0 = dst.copy()
    rop3_solid(dst, dst, 0, Rop3Code.SRCINVERT)  # S ^ D with S = D
    assert (dst == 0).all()
    dst[...] = d0
    rop3_solid(dst, dst, 0xFFFFFFFF, 0xB8)
    np.testing.assert_array_equal(dst, truth_table_model(d0, d0, 0xFF, 0xB8))


def test_tile_cut_from_destination() -> None:
    surface = blocks(12, 12)
    original = surface.copy()
    dst = surface[:, :]
    tile = surface[2:5, 3:7]
    rop3_pattern(dst, None, tile, 0, 0, Rop3Code.PATINVERT)
    expect = tiled(original[2:5, 3:7], 0, 0, 12, 12) ^ original
    np.testing.assert_array_equal(surface, expect)


def test_empty_blocks_are_a_no_op() -> None:
    rop3_solid(np.zeros((0, 5, 4), np.uint8), np.zeros((0, 5, 4), np.uint8), 0, 0xCC)
    rop3_pattern(np.zeros((3, 0, 4), np.uint8), None, blocks(2, 2), 0, 0, 0x5A)


def test_large_block() -> None:
    dst, src, tile = blocks(300, 517), blocks(300, 517), blocks(8, 8)
    d0 = dst.copy()
    rop3_pattern(dst, src, tile, 5, 3, 0xCA)
    np.testing.assert_array_equal(dst, truth_table_model(d0, src, tiled(tile, 5, 3, 300, 517), 0xCA))
    dst[...] = d0
    rop3_solid(dst, src, 0x00FF00FF, 0xCA)
    np.testing.assert_array_equal(dst, truth_table_model(d0, src, color_pixel(0x00FF00FF), 0xCA))


# --- argument checks ------------------------------------------------------------------------------------------


def test_argument_errors() -> None:
    dst, src, tile = blocks(4, 4), blocks(4, 4), blocks(2, 2)
    with pytest.raises(ValueError, match="byte"):
        rop3_solid(dst, src, 0, 256)
    with pytest.raises(ValueError, match="byte"):
        rop3_pattern(dst, src, tile, 0, 0, -1)
    with pytest.raises(ValueError, match="shape"):
        rop3_solid(dst, blocks(4, 5), 0, 0xCC)
    with pytest.raises(ValueError, match="shape"):
        rop3_solid(dst, blocks(4, 5), 0, 0xF0)  # a source is checked even when the code ignores it
    with pytest.raises(ValueError, match="uint8"):
        rop3_solid(dst.astype(np.uint16), src, 0, 0xCC)
    with pytest.raises(ValueError, match="uint8"):
        rop3_solid(dst[..., :3], src[..., :3], 0, 0xCC)
    with pytest.raises(TypeError):
        rop3_solid(dst, b"\0" * 64, 0, 0xCC)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="32-bit"):
        rop3_solid(dst, src, 1 << 32, 0xCC)
    with pytest.raises(ValueError, match="empty"):
        rop3_pattern(dst, src, np.zeros((0, 3, 4), np.uint8), 0, 0, 0xF0)
    with pytest.raises(ValueError, match="contiguous"):
        rop3_solid(dst[..., ::-1], src, 0, 0xCC)
    frozen = blocks(4, 4)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        rop3_solid(frozen, src, 0, 0xCC)
