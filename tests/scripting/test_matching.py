"""Template matching on screen pictures: exact, within a threshold, inside a region, and never by FFT rounding."""

from __future__ import annotations

import numpy as np
import pytest

from spiceview.canvas.png import read_png, write_png
from spiceview.scripting.matching import crop, differs_at_most, find

RNG = np.random.default_rng(7)


def screen() -> np.ndarray:
    return RNG.integers(0, 256, (300, 400, 3), dtype=np.uint8)


def test_exact_match_is_found_where_it_is() -> None:
    s = screen()
    assert find(s, s[120:150, 210:270].copy()) == (210, 120)
    assert find(s, s.copy()) == (0, 0)  # a full-screen picture: vncdo's expect


def test_threshold_is_per_channel_of_any_pixel() -> None:
    s = screen()
    t = s[10:40, 20:60].astype(int)
    t[5, 5, 1] += 9 if t[5, 5, 1] < 200 else -9
    noisy = t.astype(np.uint8)
    assert find(s, noisy) is None
    assert find(s, noisy, threshold=8) is None
    assert find(s, noisy, threshold=9) == (20, 10)


def test_region_limits_the_search_and_must_be_on_screen() -> None:
    s = screen()
    t = s[100:120, 100:140].copy()
    assert find(s, t, region=(90, 90, 60, 40)) == (100, 100)
    assert find(s, t, region=(0, 0, 100, 100)) is None
    with pytest.raises(ValueError, match="not inside the 400x300 screen"):
        find(s, t, region=(350, 0, 100, 10))
    with pytest.raises(ValueError):
        crop(s, (0, 0, 0, 5))


def test_flat_pictures_and_small_differences_are_decided_exactly() -> None:
    """On a flat screen every position is a candidate; one grey level apart is not a match at threshold 0."""
    s = np.full((200, 300, 3), 40, np.uint8)
    s[50:60, 70:90] = 41
    assert find(s, np.full((10, 20, 3), 41, np.uint8)) == (70, 50)
    assert find(s, np.full((10, 20, 3), 42, np.uint8)) is None
    assert find(s, np.full((300, 20, 3), 40, np.uint8)) is None  # larger than the screen


def test_pngs_round_trip_for_templates(tmp_path) -> None:  # noqa: ANN001
    s = screen()
    write_png(s, str(tmp_path / "s.png"))
    assert differs_at_most(read_png(str(tmp_path / "s.png")), s, 0)
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="bad.png: not a PNG picture"):
        read_png(str(tmp_path / "bad.png"))
