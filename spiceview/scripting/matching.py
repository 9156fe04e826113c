"""Finding a picture on the screen: where a template appears, within a per-channel tolerance.

`threshold` is how far any one colour channel of any pixel may be from the template's (0: exact, what a
lossless picture gives; 10-30 rides out JPEG or video artefacts). The search is vectorised numpy: the sum of
squared differences at every position, by FFT (correlation) and integral images, ranks the positions that can
match at all (a position within `threshold` per channel has a sum of at most threshold^2 per value); the best
of them are then checked exactly, pixel by pixel, so rounding in the FFT never decides a match.
"""

from __future__ import annotations

import numpy as np

MAX_CHECKED = 512  # candidate positions checked exactly per search (a flat template matches nearly everywhere)

Region = tuple[int, int, int, int]  # x, y, width, height


def crop(screen: np.ndarray, region: Region | None) -> np.ndarray:
    """The region of an (H, W, C) picture; ValueError naming both if it is not inside."""
    if region is None:
        return screen
    x, y, w, h = region
    height, width = screen.shape[:2]
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
        raise ValueError(f"region {w}x{h}+{x}+{y} is not inside the {width}x{height} screen")
    return screen[y : y + h, x : x + w]


def differs_at_most(a: np.ndarray, b: np.ndarray, threshold: float) -> bool:
    """Same shape and no channel of any pixel further apart than threshold."""
    if a.shape != b.shape:
        return False
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max(initial=0)) <= threshold


def find(
    screen: np.ndarray, template: np.ndarray, threshold: float = 0, region: Region | None = None
) -> tuple[int, int] | None:
    """Top-left (x, y) of the best place the (h, w, 3) template matches in the (H, W, 3) screen, or None."""
    if template.ndim != 3 or screen.ndim != 3 or template.shape[2] != screen.shape[2]:
        raise ValueError(f"a {template.shape} template cannot be looked for in a {screen.shape} screen")
    ox, oy = (region[0], region[1]) if region is not None else (0, 0)
    area = crop(screen, region)
    H, W = area.shape[:2]
    h, w = template.shape[:2]
    if h > H or w > W:
        return None
    ssd = _sum_squared_differences(area.astype(np.float64), template.astype(np.float64))
    # Rounding in the FFT is up to ~1e-9 of the energies involved: a margin, then exact checks decide.
    energy = float(np.square(template, dtype=np.float64).sum())
    limit = threshold * threshold * template.size + 1e-7 * (energy + float(ssd.max(initial=0))) + 0.5
    candidates = np.flatnonzero(ssd.ravel() <= limit)
    if candidates.size == 0:
        return None
    best = candidates[np.argsort(ssd.ravel()[candidates], kind="stable")[:MAX_CHECKED]]
    for index in best:
        y, x = divmod(int(index), ssd.shape[1])
        if differs_at_most(area[y : y + h, x : x + w], template, threshold):
            return x + ox, y + oy
    return None


def _sum_squared_differences(area: np.ndarray, template: np.ndarray) -> np.ndarray:
    """SSD at every position where the template fits: sum(I^2) over the window - 2 sum(I T) + sum(T^2)."""
    H, W, _ = area.shape
    h, w, _ = template.shape
    window = _window_sums(np.square(area).sum(axis=2), h, w)
    correlation = np.zeros((H, W))
    for c in range(area.shape[2]):
        spectrum = np.fft.rfft2(area[..., c]) * np.conj(np.fft.rfft2(template[..., c], s=(H, W)))
        correlation += np.fft.irfft2(spectrum, s=(H, W))
    cross = correlation[: H - h + 1, : W - w + 1]
    return np.maximum(window - 2 * cross + np.square(template).sum(), 0.0)


def _window_sums(values: np.ndarray, h: int, w: int) -> np.ndarray:
    """Sum over every h x w window (integral image)."""
    integral = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
    integral[1:, 1:] = values.cumsum(axis=0).cumsum(axis=1)
    return integral[h:, w:] - integral[:-h, w:] - integral[h:, :-w] + integral[:-h, :-w]
