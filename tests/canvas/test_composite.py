"""DRAW_COMPOSITE compositing against the real pixman (libpixman-1 through ctypes): every operator, every mask
kind, every repeat mode and filter, identity and non-identity transforms, both destination formats; results must
be bit-identical, the x8r8g8b8 fourth byte included.

Skipped when libpixman-1.so.0 is missing (a failure when CI=true).
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from pixman_oracle import OraclePicture, Pixman, oracle_or_skip

from spiceview.canvas.composite import Filter, Op, Picture, Repeat, composite

F1 = 0x10000
ALL_OPS = [op.value for op in Op]
FLOAT_OPS = [Op.SATURATE, Op.COLOR_DODGE, Op.COLOR_BURN, Op.SOFT_LIGHT, *range(0x10, 0x1C), *range(0x20, 0x2C)]
FLOAT_OPS += [Op.HSL_HUE, Op.HSL_SATURATION, Op.HSL_COLOR, Op.HSL_LUMINOSITY]
FILTERS = [Filter.FAST, Filter.GOOD, Filter.BEST, Filter.NEAREST, Filter.BILINEAR]
REPEATS = [Repeat.NONE, Repeat.NORMAL, Repeat.PAD, Repeat.REFLECT]
TRANSFORMS: dict[str, tuple[int, ...] | None] = {
    "identity": None,
    "identity-explicit": (F1, 0, 0, 0, F1, 0),
    "translate": (F1, 0, 3 * F1, 0, F1, -2 * F1),
    "translate-half": (F1, 0, F1 // 2, 0, F1, -F1 // 4),
    "upscale": (0xA000, 0, 0x1234, 0, 0x6000, -0x3000),
    "downscale": (0x1C000, 0, -0x8000, 0, 0x28000, 0x4000),
    "mirror": (-F1, 0, 12 * F1, 0, F1, 0),
    "rotate90": (0, -F1, 9 * F1, F1, 0, 0),
    "rotate180": (-F1, 0, 9 * F1, 0, -F1, 7 * F1),
    "rotate270": (0, F1, 0, -F1, 0, 9 * F1),
    "rotate30-scaled": (0xDDB4, -0x8000, 0x30000, 0x8000, 0xDDB4, -0x18000),
    "skew-negative": (-0x9000, 0x2400, 0x70000, -0x1800, -0xC000, 0x90000),
    "wire-uint32": (0xFFFF8000, 0x00001000, 0x00050000, 0xFFFFE000, 0x00014000, 0xFFFE0000),
}


@pytest.fixture(scope="module")
def pixman() -> Pixman:
    return oracle_or_skip()


def random_pixels(rng: np.random.Generator, fmt: str, h: int, w: int) -> np.ndarray:
    """Random pictures with the special values that take shortcuts: clear, opaque, premultiplied or not."""
    if fmt in ("a8", "a1"):
        a = rng.integers(0, 256, (h, w), dtype=np.uint8)
        a[rng.random((h, w)) < 0.2] = 0
        a[rng.random((h, w)) < 0.2] = 255
        if fmt == "a1":
            a[a < 128] = 0
        return a
    p = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    if rng.random() < 0.6:  # valid premultiplied colour; otherwise anything, as a server may send
        alpha = p[..., 3:4].astype(np.uint16)
        p[..., :3] = (p[..., :3] * alpha // 255).astype(np.uint8)
    p[rng.random((h, w)) < 0.15] = 0
    p[rng.random((h, w)) < 0.15, 3] = 255
    return p


def check(
    pixman: Pixman,
    op: int,
    src: Picture,
    mask: Picture | None,
    dest: np.ndarray,
    dest_format: str,
    src_x: int,
    src_y: int,
    mask_x: int,
    mask_y: int,
) -> np.ndarray:
    """Composite with both and require identical bytes; returns the result."""

    def oracle(pic: Picture) -> OraclePicture:
        return OraclePicture(pic.pixels, pic.format, pic.transform, pic.filter, pic.repeat, pic.component_alpha)

    want = pixman.composite(
        op, oracle(src), oracle(mask) if mask else None, dest, dest_format, src_x, src_y, mask_x, mask_y
    )
    got = dest.copy()
    composite(op, src, mask, got, dest_format, src_x, src_y, mask_x, mask_y)
    if not np.array_equal(got, want):
        bad = np.argwhere((got != want).any(axis=2))
        y, x = bad[0]
        pytest.fail(
            f"op {Op(op).name}: {len(bad)} pixels differ, first at ({x}, {y}): got {got[y, x]}, pixman "
            f"{want[y, x]}, dest was {dest[y, x]}; src {src.format} {src.pixels.shape} t={src.transform} "
            f"filter={src.filter} repeat={src.repeat}; mask "
            + (
                f"{mask.format} {mask.pixels.shape} t={mask.transform} filter={mask.filter} repeat={mask.repeat}"
                f" ca={mask.component_alpha}"
                if mask
                else "none"
            )
            + f"; dest {dest_format} {dest.shape}; origins {(src_x, src_y, mask_x, mask_y)}"
        )
    return got


MASKS = ["none", "a8", "a1", "a8r8g8b8", "x8r8g8b8", "a8r8g8b8-ca", "a8-ca"]


@pytest.mark.parametrize("dest_format", ["a8r8g8b8", "x8r8g8b8"])
@pytest.mark.parametrize("mask_kind", MASKS)
@pytest.mark.parametrize("op", ALL_OPS, ids=[Op(op).name for op in ALL_OPS])
def test_every_operator(pixman: Pixman, op: int, mask_kind: str, dest_format: str) -> None:
    rng = np.random.default_rng([op, MASKS.index(mask_kind), dest_format == "x8r8g8b8"])
    names = list(TRANSFORMS)
    for trial in range(6):
        h, w = int(rng.integers(1, 12)), int(rng.integers(1, 19))
        src_format = ["a8r8g8b8", "x8r8g8b8", "a8", "a1"][trial % 4]
        sh, sw = (1, 1) if trial == 5 else (int(rng.integers(2, 16)), int(rng.integers(2, 16)))
        src = Picture(
            random_pixels(rng, src_format, sh, sw),
            src_format,
            TRANSFORMS[names[int(rng.integers(len(names)))]] if trial % 2 else None,
            int(rng.choice(FILTERS)),
            int(rng.choice(REPEATS)),
        )
        mask = None
        if mask_kind != "none":
            fmt = mask_kind.removesuffix("-ca")
            mh, mw = int(rng.integers(1, 16)), int(rng.integers(1, 16))
            mask = Picture(
                random_pixels(rng, fmt, mh, mw),
                fmt,
                TRANSFORMS[names[int(rng.integers(len(names)))]] if trial % 3 == 2 else None,
                int(rng.choice(FILTERS)),
                int(rng.choice(REPEATS)),
                mask_kind.endswith("-ca"),
            )
        dest = random_pixels(rng, "a8r8g8b8", h, w)
        sx, sy, mx, my = (int(v) for v in rng.integers(-5, 9, 4))
        check(pixman, op, src, mask, dest, dest_format, sx, sy, mx, my)


SAMPLING_OPS = [Op.SRC, Op.OVER, Op.ADD, Op.DISJOINT_OVER, Op.HSL_COLOR]


@pytest.mark.parametrize("repeat", REPEATS, ids=[r.name for r in REPEATS])
@pytest.mark.parametrize("filt", FILTERS, ids=[f.name for f in FILTERS])
@pytest.mark.parametrize("transform", list(TRANSFORMS))
def test_sampling(pixman: Pixman, transform: str, filt: int, repeat: int) -> None:
    """Transforms x filters x repeats, for 8-bit and float operators, each picture format, as source and mask."""
    rng = np.random.default_rng([list(TRANSFORMS).index(transform), filt, repeat])
    t = TRANSFORMS[transform]
    for src_format in ("a8r8g8b8", "x8r8g8b8", "a8", "a1"):
        for op in SAMPLING_OPS:
            pixels = random_pixels(rng, src_format, int(rng.integers(3, 12)), int(rng.integers(3, 12)))
            dest = random_pixels(rng, "a8r8g8b8", 10, 13)
            sx, sy = (int(v) for v in rng.integers(-4, 6, 2))
            dest_format = "x8r8g8b8" if rng.random() < 0.5 else "a8r8g8b8"
            check(pixman, op, Picture(pixels, src_format, t, filt, repeat), None, dest, dest_format, sx, sy, 0, 0)
            # The same picture as a mask under a plain source.
            src = Picture(random_pixels(rng, "a8r8g8b8", 9, 14), "a8r8g8b8", None, Filter.NEAREST, Repeat.PAD)
            mask = Picture(pixels, src_format, t, filt, repeat, bool(rng.random() < 0.3))
            check(pixman, op, src, mask, dest, dest_format, 1, -1, sx, sy)


@pytest.mark.parametrize("size", [(1, 1), (1, 37), (37, 1), (17, 23), (64, 129)])
@pytest.mark.parametrize("src_size", [(1, 1), (3, 5), (40, 150), (200, 9)])
def test_sizes_and_origins(pixman: Pixman, size: tuple[int, int], src_size: tuple[int, int]) -> None:
    """Sources smaller and larger than the destination, origins inside, across and outside them."""
    rng = np.random.default_rng([*size, *src_size])
    h, w = size
    for op in (Op.OVER, Op.SRC, Op.IN, Op.ADD, Op.ATOP, Op.SATURATE):
        for src_format in ("a8r8g8b8", "x8r8g8b8"):
            for repeat in REPEATS:
                src = Picture(random_pixels(rng, src_format, *src_size), src_format, None, Filter.NEAREST, repeat)
                mask = None
                if rng.random() < 0.5:
                    mask = Picture(random_pixels(rng, "a8", int(rng.integers(1, 90)), int(rng.integers(1, 90))), "a8")
                dest = random_pixels(rng, "a8r8g8b8", h, w)
                sx = int(rng.choice([0, -3, 2, src_size[1] - 1, -w]))
                sy = int(rng.choice([0, -2, 1, src_size[0] - 1, -h]))
                dest_format = "x8r8g8b8" if rng.random() < 0.5 else "a8r8g8b8"
                check(pixman, op, src, mask, dest, dest_format, sx, sy, int(rng.integers(-3, 4)), 0)


def test_strided_destination_view(pixman: Pixman) -> None:
    """A view into a bigger surface: the block is composited, nothing around it is touched."""
    rng = np.random.default_rng(7)
    for op in (Op.OVER, Op.SRC, Op.XOR, Op.CONJOINT_ATOP, Op.SOFT_LIGHT):
        for dest_format in ("a8r8g8b8", "x8r8g8b8"):
            surface = random_pixels(rng, "a8r8g8b8", 40, 50)
            before = surface.copy()
            view = surface[5:30, 7:41]
            src = Picture(random_pixels(rng, "a8r8g8b8", 30, 40)[2:28, 3:39], "a8r8g8b8")  # strided too
            mask = Picture(random_pixels(rng, "a8", 26, 40)[:, ::2], "a8")  # pixels not adjacent
            want = pixman.composite(
                op,
                OraclePicture(src.pixels, "a8r8g8b8"),
                OraclePicture(mask.pixels, "a8"),
                view.copy(),
                dest_format,
                1,
                0,
                0,
                1,
            )
            composite(op, src, mask, view, dest_format, 1, 0, 0, 1)
            assert np.array_equal(view, want)
            outside = surface.copy()
            outside[5:30, 7:41] = before[5:30, 7:41]
            assert np.array_equal(outside, before)
    # A destination whose pixels are not 4 adjacent bytes goes through a copy.
    planar = np.zeros((4, 6, 8), dtype=np.uint8)[:, :, ::2]
    src = Picture(random_pixels(rng, "a8r8g8b8", 4, 6), "a8r8g8b8")
    want = pixman.composite(Op.OVER, OraclePicture(src.pixels, "a8r8g8b8"), None, planar.copy(), "a8r8g8b8", 0, 0, 0, 0)
    composite(Op.OVER, src, None, planar, "a8r8g8b8", 0, 0, 0, 0)
    assert np.array_equal(planar, want)


X8_CASES = {
    "copy": (Op.SRC, None, Repeat.NONE, Filter.NEAREST, (0, 0)),
    "copy-tiled": (Op.SRC, None, Repeat.NORMAL, Filter.NEAREST, (-3, 5)),
    "copy-outside": (Op.SRC, None, Repeat.NONE, Filter.NEAREST, (-3, 5)),
    "copy-pad": (Op.SRC, None, Repeat.PAD, Filter.NEAREST, (-3, 5)),
    "over-opaque-is-src": (Op.OVER, None, Repeat.NONE, Filter.NEAREST, (1, 1)),
    "scaled-nearest": (Op.SRC, TRANSFORMS["upscale"], Repeat.NORMAL, Filter.NEAREST, (0, 0)),
    "scaled-bilinear": (Op.SRC, TRANSFORMS["downscale"], Repeat.PAD, Filter.BILINEAR, (0, 0)),
    "mirrored": (Op.SRC, TRANSFORMS["mirror"], Repeat.REFLECT, Filter.NEAREST, (0, 0)),
    "rotated": (Op.SRC, TRANSFORMS["rotate90"], Repeat.NONE, Filter.NEAREST, (0, 0)),
    "rotated-skew": (Op.SRC, TRANSFORMS["rotate30-scaled"], Repeat.NONE, Filter.BILINEAR, (0, 0)),
    "atop": (Op.ATOP, None, Repeat.NONE, Filter.NEAREST, (2, 1)),
    "add": (Op.ADD, None, Repeat.NORMAL, Filter.NEAREST, (2, 1)),
    "float": (Op.CONJOINT_OVER, None, Repeat.NONE, Filter.NEAREST, (2, 1)),
    "clear": (Op.CLEAR, None, Repeat.NONE, Filter.NEAREST, (0, 0)),
}


@pytest.mark.parametrize("case", list(X8_CASES))
@pytest.mark.parametrize("src_format", ["x8r8g8b8", "a8r8g8b8"])
def test_x8r8g8b8_fourth_byte(pixman: Pixman, case: str, src_format: str) -> None:
    """The byte pixman leaves in an x8r8g8b8 destination: computed as alpha, zeroed, or copied from the source,
    depending on the path pixman takes; the sources' fourth bytes are random, so any mix-up shows."""
    op, t, repeat, filt, (sx, sy) = X8_CASES[case]
    rng = np.random.default_rng(list(X8_CASES).index(case))
    src = Picture(rng.integers(0, 256, (12, 14, 4), dtype=np.uint8), src_format, t, filt, repeat)
    for mask in (None, Picture(rng.integers(0, 256, (12, 14, 4), dtype=np.uint8), "x8r8g8b8", repeat=Repeat.PAD)):
        dest = rng.integers(0, 256, (10, 11, 4), dtype=np.uint8)
        check(pixman, op, src, mask, dest, "x8r8g8b8", sx, sy, 0, 0)


def test_hsl_reads_stale_source_where_the_mask_is_clear(pixman: Pixman) -> None:
    """pixman's per-pixel source fetchers skip pixels whose mask is clear; the HSL operators leave blue
    unmasked, so what the buffer held there (zero, or the row above) shows in the result."""
    rng = np.random.default_rng(11)
    for op in (Op.HSL_HUE, Op.HSL_SATURATION, Op.HSL_COLOR, Op.HSL_LUMINOSITY):
        for t in (TRANSFORMS["translate"], TRANSFORMS["rotate30-scaled"], None):
            src = Picture(random_pixels(rng, "a8r8g8b8", 9, 9), "a8r8g8b8", t, Filter.BILINEAR, Repeat.REFLECT)
            mask_pixels = rng.integers(0, 256, (8, 16), dtype=np.uint8)
            mask_pixels[rng.random((8, 16)) < 0.5] = 0
            dest = random_pixels(rng, "a8r8g8b8", 8, 16)
            check(pixman, op, src, Picture(mask_pixels, "a8"), dest, "a8r8g8b8", 0, 0, 0, 0)


@pytest.mark.parametrize(
    "case",
    ["wide-source", "tall-mask", "far-origin", "far-mask-origin", "huge-scale", "huge-translate", "int32-origin"],
)
def test_what_pixman_refuses_is_not_drawn(pixman: Pixman, case: str) -> None:
    """pixman draws nothing when a picture is 0x7fff pixels or more, when the area in source or mask space does
    not fit 16 bits, or when its transformed extents overflow 16.16."""
    rng = np.random.default_rng(3)
    src = Picture(random_pixels(rng, "a8r8g8b8", 6, 6), "a8r8g8b8", repeat=Repeat.NORMAL)
    mask = None
    sx = mx = 0
    if case == "wide-source":
        src = Picture(random_pixels(rng, "a8r8g8b8", 1, 0x7FFF), "a8r8g8b8")
    elif case == "tall-mask":
        mask = Picture(np.full((0x7FFF, 1), 200, np.uint8), "a8", repeat=Repeat.NORMAL)
    elif case == "far-origin":
        sx = 32760
    elif case == "far-mask-origin":
        mask = Picture(np.full((3, 3), 200, np.uint8), "a8")
        mx = -32769
    elif case == "huge-scale":
        src.transform = (0x7FFF0000, 0, 0, 0, F1, 0)
    elif case == "huge-translate":
        src.transform = (F1, 0, 0x7FFF0000, 0, F1, 0)
    elif case == "int32-origin":
        sx = 2**31 - 3
    dest = random_pixels(rng, "a8r8g8b8", 5, 7)
    got = check(pixman, Op.SRC, src, mask, dest, "a8r8g8b8", sx, 0, mx, 0)
    assert np.array_equal(got, dest)


def test_empty_picture_is_transparent(pixman: Pixman) -> None:
    rng = np.random.default_rng(5)
    for fmt, shape in (("a8r8g8b8", (0, 4, 4)), ("x8r8g8b8", (3, 0, 4)), ("a8", (0, 0))):
        dest = random_pixels(rng, "a8r8g8b8", 4, 5)
        src = Picture(random_pixels(rng, "a8r8g8b8", 4, 4), "a8r8g8b8")
        check(pixman, Op.OVER, Picture(np.zeros(shape, np.uint8), fmt), None, dest, "a8r8g8b8", 0, 0, 0, 0)
        check(pixman, Op.OVER, src, Picture(np.zeros(shape, np.uint8), fmt), dest, "x8r8g8b8", 0, 0, 0, 0)
    with pytest.raises(ValueError):
        composite(
            Op.OVER,
            Picture(np.zeros((0, 4, 4), np.uint8), "a8r8g8b8", repeat=Repeat.NORMAL),
            None,
            np.zeros((2, 2, 4), np.uint8),
            "a8r8g8b8",
            0,
            0,
            0,
            0,
        )


def test_source_overlapping_destination(pixman: Pixman) -> None:
    """A source that is a view of the destination's own surface is read as it was before the operation."""
    rng = np.random.default_rng(9)
    surface = random_pixels(rng, "a8r8g8b8", 30, 30)
    src_view = surface[2:22, 3:23]
    dest_view = surface[6:26, 5:25]
    want = pixman.composite(
        Op.OVER, OraclePicture(src_view.copy(), "a8r8g8b8"), None, dest_view.copy(), "a8r8g8b8", 0, 0, 0, 0
    )
    composite(Op.OVER, Picture(src_view, "a8r8g8b8"), None, dest_view, "a8r8g8b8", 0, 0, 0, 0)
    assert np.array_equal(dest_view, want)


def test_a1_bits_are_zero_or_not(pixman: Pixman) -> None:
    rng = np.random.default_rng(2)
    bits = (rng.random((7, 40)) < 0.5).astype(np.uint8)
    dest = random_pixels(rng, "a8r8g8b8", 7, 40)
    src = Picture(random_pixels(rng, "a8r8g8b8", 7, 40), "a8r8g8b8")
    ones = check(pixman, Op.OVER, src, Picture(bits, "a1"), dest, "a8r8g8b8", 0, 0, 0, 0)
    full = check(pixman, Op.OVER, src, Picture(bits * 255, "a1"), dest, "a8r8g8b8", 0, 0, 0, 0)
    assert np.array_equal(ones, full)


def test_random_sweep(pixman: Pixman) -> None:
    """Everything at once, at random: operators, formats, transforms (some arbitrary), filters, repeats, masks,
    origins. SPICEVIEW_COMPOSITE_SWEEP=N runs N cases (default 400)."""
    rng = np.random.default_rng(2024)
    names = list(TRANSFORMS)
    for _ in range(int(os.environ.get("SPICEVIEW_COMPOSITE_SWEEP", "400"))):

        def transform() -> tuple[int, ...] | None:
            if rng.random() < 0.25:
                return tuple(int(v) for v in rng.integers(-2 * F1, 2 * F1, 6))
            return TRANSFORMS[names[int(rng.integers(len(names)))]]

        op = int(rng.choice(ALL_OPS))
        src_format = str(rng.choice(["a8r8g8b8", "x8r8g8b8", "a8", "a1"]))
        shape = (1, 1) if rng.random() < 0.1 else (int(rng.integers(1, 40)), int(rng.integers(1, 40)))
        src = Picture(
            random_pixels(rng, src_format, *shape),
            src_format,
            transform(),
            int(rng.choice(FILTERS)),
            int(rng.choice(REPEATS)),
        )
        mask = None
        if rng.random() < 0.6:
            fmt = str(rng.choice(["a8", "a1", "a8r8g8b8", "x8r8g8b8"]))
            mask = Picture(
                random_pixels(rng, fmt, int(rng.integers(1, 40)), int(rng.integers(1, 40))),
                fmt,
                transform() if rng.random() < 0.4 else None,
                int(rng.choice(FILTERS)),
                int(rng.choice(REPEATS)),
                bool(rng.random() < 0.3),
            )
        dest = random_pixels(rng, "a8r8g8b8", int(rng.integers(1, 30)), int(rng.integers(1, 50)))
        sx, sy, mx, my = (int(v) for v in rng.integers(-20, 30, 4))
        check(pixman, op, src, mask, dest, str(rng.choice(["a8r8g8b8", "x8r8g8b8"])), sx, sy, mx, my)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"op": 0x0E},
        {"op": 0x1C},
        {"op": 0x3F},
        {"op": 0x40},
        {"op": -1},
        {"filter": Filter.CONVOLUTION},
        {"filter": Filter.SEPARABLE_CONVOLUTION},
        {"filter": 7},
        {"repeat": 4},
        {"format": "r5g6b5"},
        {"dest_format": "a8"},
        {"transform": (1, 2, 3)},
        {"pixels": np.zeros((3, 3), np.uint8)},
        {"pixels": np.zeros((3, 3, 4), np.uint16)},
    ],
)
def test_rejects_what_it_cannot_draw(kwargs: dict) -> None:
    pic = {
        "pixels": np.zeros((3, 3, 4), np.uint8),
        "format": "a8r8g8b8",
        "transform": None,
        "filter": Filter.NEAREST,
        "repeat": Repeat.NONE,
    }
    pic.update({k: v for k, v in kwargs.items() if k in pic})
    with pytest.raises(ValueError):
        composite(
            kwargs.get("op", Op.OVER),
            Picture(**pic),
            None,
            np.zeros((2, 2, 4), np.uint8),
            kwargs.get("dest_format", "a8r8g8b8"),
            0,
            0,
            0,
            0,
        )
