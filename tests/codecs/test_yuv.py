"""Y'CbCr -> B,G,R,0xFF conversion straight into a destination: exact to a float reference, and never out of bounds."""

from __future__ import annotations

import numpy as np
import pytest

from spiceview.codecs.video.yuv import PLANAR_FORMATS, YuvPicture, color_matrix, yuv_picture

KR_KB = {False: (0.299, 0.114), True: (0.2126, 0.0722)}


def planes(rng: np.random.Generator, w: int, h: int, sx: int, sy: int, pad: int = 7) -> list[np.ndarray]:
    """Random planes with line sizes wider than the picture, as FFmpeg's are."""
    cw, ch = (w + sx) >> sx, (h + sy) >> sy
    return [
        rng.integers(0, 256, (h, w + pad), dtype=np.uint8),
        rng.integers(0, 256, (ch, cw + pad), dtype=np.uint8),
        rng.integers(0, 256, (ch, cw + pad), dtype=np.uint8),
    ]


def reference(y: np.ndarray, u: np.ndarray, v: np.ndarray, w: int, h: int, sx: int, sy: int, bt709: bool,
              full: bool) -> np.ndarray:  # fmt: skip
    """Float B,G,R,0xFF of the whole picture, chroma repeated over the pixels that share it."""
    kr, kb = KR_KB[bt709]
    kg = 1 - kr - kb
    ys, yo, cs = (1.0, 0, 1.0) if full else (255 / 219, 16, 255 / 224)
    luma = (y[:h, :w].astype(float) - yo) * ys
    cb = (u.repeat(1 << sy, 0)[:h].repeat(1 << sx, 1)[:, :w].astype(float) - 128) * cs
    cr = (v.repeat(1 << sy, 0)[:h].repeat(1 << sx, 1)[:, :w].astype(float) - 128) * cs
    red = luma + 2 * (1 - kr) * cr
    green = luma - 2 * kb * (1 - kb) / kg * cb - 2 * kr * (1 - kr) / kg * cr
    blue = luma + 2 * (1 - kb) * cb
    out = np.full((h, w, 4), 255, np.uint8)
    out[..., :3] = np.clip(np.rint(np.stack([blue, green, red], -1)), 0, 255)
    return out


def picture(y: np.ndarray, u: np.ndarray, v: np.ndarray, w: int, h: int, sx: int, sy: int, bt709: bool = False,
            full: bool = False) -> YuvPicture:  # fmt: skip
    return YuvPicture(w, h, y, u, v, sx, sy, color_matrix(bt709, full), None)


@pytest.mark.parametrize(("sx", "sy"), [(1, 1), (1, 0), (0, 0)])
@pytest.mark.parametrize(("bt709", "full"), [(False, False), (True, False), (False, True), (True, True)])
def test_whole_picture_matches_float_reference(sx: int, sy: int, bt709: bool, full: bool) -> None:
    rng = np.random.default_rng(sx * 8 + sy * 4 + bt709 * 2 + full)
    w, h = 37, 19  # odd both ways: a last column and row with chroma of their own
    y, u, v = planes(rng, w, h, sx, sy)
    got = picture(y, u, v, w, h, sx, sy, bt709, full).to_bgrx().astype(int)
    diff = np.abs(got - reference(y, u, v, w, h, sx, sy, bt709, full))
    assert diff.max() <= 1 and diff.mean() < 0.05


@pytest.mark.parametrize(("sx", "sy"), [(1, 1), (0, 0)])
def test_regions_flips_and_strided_destination(sx: int, sy: int) -> None:
    """Any region, at odd or even columns, flipped or not, lands exactly where asked and nowhere else."""
    rng = np.random.default_rng(5)
    w, h = 41, 23
    y, u, v = planes(rng, w, h, sx, sy)
    pic = picture(y, u, v, w, h, sx, sy)
    whole = pic.to_bgrx().view(np.uint32)[..., 0]
    for _ in range(60):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = int(rng.integers(x0, w + 1)), int(rng.integers(y0, h + 1))
        flip = bool(rng.integers(0, 2))
        canvas = np.full((h + 4, w + 9), 0x12345678, np.uint32)  # a surface wider than the region: strided rows
        pic.draw(canvas[2 + y0 : 2 + y1, 3 + x0 : 3 + x1], x0, y0, flip)
        shown = whole[::-1] if flip else whole
        expected = np.full_like(canvas, 0x12345678)
        expected[2 + y0 : 2 + y1, 3 + x0 : 3 + x1] = shown[y0:y1, x0:x1]
        np.testing.assert_array_equal(canvas, expected)


def test_out_of_range_requests_are_refused() -> None:
    rng = np.random.default_rng(9)
    y, u, v = planes(rng, 16, 8, 1, 1)
    pic = picture(y, u, v, 16, 8, 1, 1)
    dst = np.zeros((8, 16), np.uint32)
    with pytest.raises(ValueError, match="outside"):
        pic.draw(dst, 1, 0, False)  # 16 wide from column 1 runs past the picture
    with pytest.raises(ValueError, match="outside"):
        pic.draw(dst[:4], 0, 5, False)
    with pytest.raises(ValueError, match="chroma"):
        picture(y, u[:2], v, 16, 8, 1, 1).draw(dst, 0, 0, False)
    with pytest.raises(ValueError, match="luma"):
        picture(y[:, :10], u, v, 16, 8, 1, 1).draw(dst[:, :8], 0, 0, False)
    with pytest.raises(ValueError, match="contiguous"):
        pic.draw(np.zeros((8, 32), np.uint32)[:, ::2], 0, 0, False)


def test_frames_of_other_formats_or_short_planes_are_left_to_ffmpeg() -> None:
    buf = np.zeros(64 * 8, np.uint8)
    assert yuv_picture(None, "nv12", 8, 8, 5, 1, [(buf, 64)] * 3) is None
    assert yuv_picture(None, "yuv420p", 8, 8, 5, 1, [(buf[:100], 64)] * 3) is None
    assert yuv_picture(None, "yuv420p", 8, 8, 5, 1, [(buf, 64)] * 2) is None
    pic = yuv_picture(None, "yuvj444p", 8, 8, 2, 1, [(buf, 64)] * 3)
    assert pic is not None and pic.coefficients == color_matrix(False, True) and "yuvj444p" in PLANAR_FORMATS
