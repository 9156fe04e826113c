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
    """Images the server asked to keep (CACHE_ME), by image id; the server evicts with INVAL_LIST/ALL."""

    def __init__(self) -> None:
        self._items: dict[int, CachedImage] = {}
        self._lock = threading.Lock()

    def put(self, image_id: int, image: DecodedImage, lossy: bool = False) -> None:
        with self._lock:
            self._items[image_id] = CachedImage(image, lossy)

    def get(self, image_id: int) -> CachedImage | None:
        with self._lock:
            return self._items.get(image_id)

    def remove(self, image_id: int) -> None:
        with self._lock:
            self._items.pop(image_id, None)

    def clear(self) -> None:
        with self._lock:
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
