"""The image and palette caches stay within their bounds even when a server never evicts."""

from __future__ import annotations

import numpy as np

from spiceview.canvas.caches import PaletteCache, PixmapCache
from spiceview.codecs.image import DecodedImage, PixelFormat


def picture(w: int, h: int) -> DecodedImage:
    return DecodedImage(w, h, PixelFormat.XRGB32, np.zeros((h, w, 4), np.uint8))


def test_a_server_that_never_evicts_cannot_grow_the_image_cache() -> None:
    cache = PixmapCache(max_pixels=10_000)
    for image_id in range(100):  # 100 x 2500 pixels against room for 10,000
        cache.put(image_id, picture(50, 50))
        assert cache.pixels <= cache.max_pixels
    assert len(cache) == 4 and cache.evicted == 96
    assert cache.get(95) is None and cache.get(99) is not None  # the oldest went first


def test_the_count_follows_puts_replacements_removals_and_clears() -> None:
    cache = PixmapCache(max_pixels=10_000)
    cache.put(1, picture(10, 10))
    cache.put(1, picture(20, 10))  # replaced (a lossless copy of a lossy one, say)
    cache.put(2, picture(5, 5))
    assert cache.pixels == 225
    cache.remove(1)
    cache.remove(7)  # unknown: nothing
    assert cache.pixels == 25 and cache.evicted == 0
    cache.clear()
    assert cache.pixels == 0 and len(cache) == 0


def test_one_image_larger_than_the_cache_is_still_kept() -> None:
    """The server only caches what fits by its own count; one oversized entry is kept rather than dropped at once."""
    cache = PixmapCache(max_pixels=100)
    cache.put(1, picture(20, 20))
    assert cache.get(1) is not None


def test_palettes_are_bounded_too() -> None:
    cache = PaletteCache(max_items=8)
    for unique in range(50):
        cache.put(unique, np.zeros((2, 4), np.uint8))
    assert len(cache) == 8 and cache.get(41) is None and cache.get(49) is not None
