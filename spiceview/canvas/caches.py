"""The session's pixmap and palette caches, shared by every display channel (server-managed eviction)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from ..codecs.image import DecodedImage


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

    def __init__(self) -> None:
        self._items: dict[int, CachedImage] = {}
        self._cond = threading.Condition()
        self.wait_seconds = 0.0

    def put(self, image_id: int, image: DecodedImage, lossy: bool = False) -> None:
        with self._cond:
            self._items[image_id] = CachedImage(image, lossy)
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
            self._items.pop(image_id, None)

    def clear(self) -> None:
        with self._cond:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class PaletteCache:
    """Palettes by their `unique` id, as (N, 4) B, G, R, X tables."""

    def __init__(self) -> None:
        self._items: dict[int, np.ndarray] = {}
        self._lock = threading.Lock()

    def put(self, unique: int, table: np.ndarray) -> None:
        with self._lock:
            self._items[unique] = table

    def get(self, unique: int) -> np.ndarray | None:
        with self._lock:
            return self._items.get(unique)

    def remove(self, unique: int) -> None:
        with self._lock:
            self._items.pop(unique, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
