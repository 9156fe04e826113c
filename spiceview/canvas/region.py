"""The set of pixels a draw command may touch: the box, cut by the clip rects, the surface and the QMask.

The reference canvas builds a pixman region from the same three things; here the clip part is a list of
non-overlapping boxes and the mask part a boolean array over the command's box.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..protocol.messages.classes import Clip
from .geometry import Box, bounding, clip_boxes


@dataclass(slots=True)
class Region:
    boxes: list[Box]
    mask: np.ndarray | None = None  # bool, True = drawn; covers `mask_box`
    mask_box: Box = (0, 0, 0, 0)

    @classmethod
    def of(cls, box: Box, clip: Clip, bounds: Box) -> Region:
        return cls(clip_boxes(box, clip, bounds))

    def extent(self) -> Box:
        """The smallest box holding every box of a region that is not empty."""
        box = bounding(self.boxes)
        assert box is not None, "extent() of an empty region"
        return box

    def empty(self) -> bool:
        if not self.boxes:
            return True
        if self.mask is None:
            return False
        return not any(sel is None or sel.any() for _, sel in self.pieces())

    def pieces(self) -> Iterator[tuple[Box, np.ndarray | None]]:
        """Each box with the mask's selection over it (None: the whole box)."""
        mx0, my0 = self.mask_box[0], self.mask_box[1]
        for box in self.boxes:
            if self.mask is None:
                yield box, None
                continue
            x0, y0, x1, y1 = box
            yield box, self.mask[y0 - my0 : y1 - my0, x0 - mx0 : x1 - mx0]

    def bounds(self) -> Box | None:
        return bounding(self.boxes)

    def intersect_box(self, box: Box) -> Region:
        from .geometry import intersect

        kept = [b for b in (intersect(b, box) for b in self.boxes) if b is not None]
        return Region(kept, self.mask, self.mask_box)

    def apply_mask(self, mask: np.ndarray, origin: tuple[int, int]) -> None:
        """Keep only pixels where `mask` (bool, placed with its [0, 0] at `origin`) is True; outside it: nothing."""
        box = self.bounds()
        if box is None:
            return
        x0, y0, x1, y1 = box
        sel = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        ox, oy = origin
        mh, mw = mask.shape
        # The mask's part that overlaps the region's bounds.
        ix0, iy0 = max(x0, ox), max(y0, oy)
        ix1, iy1 = min(x1, ox + mw), min(y1, oy + mh)
        if ix0 < ix1 and iy0 < iy1:
            sel[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = mask[iy0 - oy : iy1 - oy, ix0 - ox : ix1 - ox]
        if self.mask is not None:
            old = np.zeros_like(sel)
            mx0, my0, mx1, my1 = self.mask_box
            jx0, jy0, jx1, jy1 = max(x0, mx0), max(y0, my0), min(x1, mx1), min(y1, my1)
            if jx0 < jx1 and jy0 < jy1:
                old[jy0 - y0 : jy1 - y0, jx0 - x0 : jx1 - x0] = self.mask[jy0 - my0 : jy1 - my0, jx0 - mx0 : jx1 - mx0]
            sel &= old
        self.mask = sel
        self.mask_box = box
