"""The GLZ window: decoded images that later GLZ images may copy from, shared by all displays.

The server numbers GLZ images across every display channel of a session from 0, so an image can
reference one that another channel's thread is still decoding; lookups wait for it. Images are
released the way the reference client does: once every id up to some image has arrived (the
"tail" has no gap), nothing will again reference ids older than that image's id minus its
window-head distance. A pixel budget derived from the announced window size backs this up, so
a server that never lets images go (or a stream that broke the tail) cannot grow memory without
bound.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from spiceview.codecs.errors import DecodeError

LZ_MAX_WINDOW_SIZE = 1 << 25  # pixels; the protocol's limit, the server clamps to it
_FAILED_MEMORY = 1024  # how many failed ids we remember, to fail their waiters fast


@dataclass(frozen=True, slots=True)
class _Entry:
    pixels: np.ndarray  # uint32 per pixel in wire row order, X byte as the reference stores it
    release_floor: int


class GlzWindow:
    """One per session; every display channel thread decodes against it (thread-safe)."""

    def __init__(self, size_pixels: int) -> None:
        if size_pixels < 0:
            raise ValueError("window size must not be negative")
        self.size_pixels = size_pixels
        # The server never keeps more than its window (at most LZ_MAX_WINDOW_SIZE) for the images
        # in flight; twice that leaves room for images other channels have not decoded yet.
        self._budget = 2 * min(size_pixels or LZ_MAX_WINDOW_SIZE, LZ_MAX_WINDOW_SIZE)
        self._cond = threading.Condition()
        self._epoch = 0
        self._reset()

    def _reset(self) -> None:
        self._images: dict[int, _Entry] = {}
        self._failed: dict[int, None] = {}  # insertion-ordered set
        self._tail = 0  # lowest id that has not arrived yet
        self._target = 0  # release floor implied by the gap-free images
        self._floor = 0  # ids below this are gone for good
        self._held = 0  # pixels held
        self._epoch += 1

    @property
    def epoch(self) -> int:
        """Changes on clear(); a decode started in an older epoch must not add its image."""
        with self._cond:
            return self._epoch

    def clear(self) -> None:
        """Forget every image (new session or server dictionary reset); wakes all waiters."""
        with self._cond:
            self._reset()
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._images)

    def __contains__(self, image_id: object) -> bool:
        with self._cond:
            return image_id in self._images

    @property
    def held_pixels(self) -> int:
        with self._cond:
            return self._held

    def get(self, image_id: int, deadline: float, epoch: int) -> np.ndarray:
        """The stored pixels of `image_id`, waiting until `deadline` (time.monotonic) for them."""
        with self._cond:
            while True:
                if self._epoch != epoch:
                    raise DecodeError("GLZ window was cleared during decoding")
                entry = self._images.get(image_id)
                if entry is not None:
                    return entry.pixels
                if image_id < self._floor:
                    raise DecodeError(f"GLZ image {image_id} has left the window")
                if image_id in self._failed:
                    raise DecodeError(f"GLZ image {image_id} failed to decode")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DecodeError(f"timed out waiting for GLZ image {image_id}")
                self._cond.wait(remaining)

    def add(self, image_id: int, release_floor: int, pixels: np.ndarray, epoch: int) -> None:
        """Store a decoded image, wake its waiters, release what can no longer be referenced."""
        with self._cond:
            if self._epoch != epoch or image_id < self._floor:
                return  # from a dictionary that is gone, or already released: nobody wants it
            old = self._images.pop(image_id, None)
            if old is not None:
                self._held -= old.pixels.size
            self._images[image_id] = _Entry(pixels, release_floor)
            self._held += pixels.size
            self._failed.pop(image_id, None)
            self._advance()
            self._enforce_budget(image_id)
            self._cond.notify_all()

    def fail(self, image_id: int, epoch: int) -> None:
        """Note that `image_id` will never arrive, so waiters fail now and the tail moves on."""
        with self._cond:
            if self._epoch != epoch or image_id < self._floor or image_id in self._images:
                return
            self._failed[image_id] = None
            while len(self._failed) > _FAILED_MEMORY:
                del self._failed[next(iter(self._failed))]
            self._advance()
            self._cond.notify_all()

    def _advance(self) -> None:
        self._tail = max(self._tail, self._floor)  # released ids count as arrived
        while True:
            entry = self._images.get(self._tail)
            if entry is not None:
                self._target = max(self._target, entry.release_floor)
            elif self._tail not in self._failed:
                break
            self._tail += 1
        self._release_below(self._target)

    def _release_below(self, floor: int) -> None:
        if floor <= self._floor:
            return
        known = len(self._images) + len(self._failed)
        ids = range(self._floor, floor) if floor - self._floor <= known else list(self._images)
        for image_id in ids:
            if image_id < floor:
                entry = self._images.pop(image_id, None)
                if entry is not None:
                    self._held -= entry.pixels.size
        for image_id in [i for i in self._failed if i < floor]:
            del self._failed[image_id]
        self._floor = floor

    def _enforce_budget(self, newest: int) -> None:
        if self._held <= self._budget:
            return
        for image_id in sorted(self._images):
            if self._held <= self._budget or image_id == newest:
                break
            self._held -= self._images.pop(image_id).pixels.size
            self._floor = max(self._floor, image_id + 1)
