"""The session's pixmap and palette caches, shared by every display channel.

The server manages them (it knows the size the client announced and evicts with INVAL_LIST / INVAL_ALL). Each
also has a bound of its own, so that a server which forgets to evict cannot make the client grow without end:
past it the oldest entries go, and the log says so once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from ..codecs.image import DecodedImage

log = logging.getLogger(__name__)
DEFAULT_MAX_PIXELS = 20 * 1024 * 1024  # what spiceview announces (80 MiB of 32-bit pixels), as spice-gtk
DEFAULT_MAX_PALETTES = 4096


@dataclass(slots=True)
class CachedImage:
    image: DecodedImage
    lossy: bool


class PixmapCache:
    """Images the server asked to keep (CACHE_ME), by image id; the server evicts with INVAL_LIST/ALL.

    Shared by every display channel of the session. With several display channels an image may be
    drawn from the cache by one channel before another has finished putting it there, so `get` waits
    up to `wait_seconds` (0 with a single display channel: nothing else could add it).
    """

    def __init__(self, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self._items: dict[int, CachedImage] = {}  # oldest first
        self._cond = threading.Condition()
        self.wait_seconds = 0.0
        self.max_pixels = max_pixels
        self.pixels = 0  # held, counted as the server counts: width x height of each image
        self.evicted = 0  # entries dropped because the server let the cache overflow

    def put(self, image_id: int, image: DecodedImage, lossy: bool = False) -> None:
        with self._cond:
            old = self._items.pop(image_id, None)
            if old is not None:
                self.pixels -= old.image.width * old.image.height
            self._items[image_id] = CachedImage(image, lossy)
            self.pixels += image.width * image.height
            while self.pixels > self.max_pixels and len(self._items) > 1:
                dropped = self._items.pop(next(iter(self._items)))
                self.pixels -= dropped.image.width * dropped.image.height
                if not self.evicted:
                    log.warning(
                        "the server overfilled the image cache (%d pixels announced); dropping the oldest",
                        self.max_pixels,
                    )
                self.evicted += 1
            self._cond.notify_all()

    def get(self, image_id: int, lossless: bool = False) -> CachedImage | None:
        def ready() -> bool:
            item = self._items.get(image_id)
            return item is not None and not (lossless and item.lossy)

        with self._cond:
            if not ready() and self.wait_seconds > 0:
                self._cond.wait_for(ready, self.wait_seconds)
            return self._items.get(image_id) if ready() else None

    def remove(self, image_id: int) -> None:
        with self._cond:
            dropped = self._items.pop(image_id, None)
            if dropped is not None:
                self.pixels -= dropped.image.width * dropped.image.height

    def clear(self) -> None:
        with self._cond:
            self._items.clear()
            self.pixels = 0

    def __len__(self) -> int:
        return len(self._items)


class PaletteCache:
    """Palettes by their `unique` id, as (N, 4) B, G, R, X tables."""

    def __init__(self, max_items: int = DEFAULT_MAX_PALETTES) -> None:
        self._items: dict[int, np.ndarray] = {}  # oldest first
        self._lock = threading.Lock()
        self.max_items = max_items

    def put(self, unique: int, table: np.ndarray) -> None:
        with self._lock:
            self._items.pop(unique, None)
            self._items[unique] = table
            while len(self._items) > self.max_items:
                del self._items[next(iter(self._items))]

    def __len__(self) -> int:
        return len(self._items)

    def get(self, unique: int) -> np.ndarray | None:
        with self._lock:
            return self._items.get(unique)

    def remove(self, unique: int) -> None:
        with self._lock:
            self._items.pop(unique, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
