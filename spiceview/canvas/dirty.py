"""The areas drawn since the presentation last looked: a few boxes, merged so that few repaints cover them."""

from __future__ import annotations

from .geometry import Box, bounding, intersect


def _area(box: Box | None) -> int:
    return 0 if box is None else (box[2] - box[0]) * (box[3] - box[1])


def _union(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


class DirtyBoxes:
    """Changed boxes (x0, y0, x1, y1). Two boxes merge when their union wastes (covers unchanged) at most a
    quarter of their pixels or `SLACK` pixels, less than a paint call's overhead; past `MAX_BOXES` they collapse
    into their bounding box. A clock in one corner and a cursor in the other stay two small repaints rather
    than one of the whole screen, and the fifteen strips of a video stream become one."""

    MAX_BOXES = 16
    SLACK = 4096

    __slots__ = ("boxes", "full")

    def __init__(self) -> None:
        self.boxes: list[Box] = []
        self.full = False

    def __bool__(self) -> bool:
        return self.full or bool(self.boxes)

    def add(self, box: Box) -> None:
        if self.full or box[0] >= box[2] or box[1] >= box[3]:
            return
        boxes = self.boxes
        if len(boxes) == 1:  # a video's next strip: the same columns, touching rows (what merging would give)
            last = boxes[0]
            if last[0] == box[0] and last[2] == box[2] and last[1] <= box[3] and box[1] <= last[3]:
                boxes[0] = (last[0], min(last[1], box[1]), last[2], max(last[3], box[3]))
                return
        for other in boxes:  # the same area again (a video's next frame)
            if other[0] <= box[0] and other[1] <= box[1] and box[2] <= other[2] and box[3] <= other[3]:
                return
        self._merge(box)

    def _merge(self, box: Box) -> None:
        """The general rule (what the shortcuts in `add` give in their cases): merge while the union wastes little."""
        boxes = self.boxes
        merged = True
        while merged:
            merged = False
            for i, other in enumerate(boxes):
                union = _union(box, other)
                covered = _area(box) + _area(other) - _area(intersect(box, other))
                if _area(union) - covered <= max(self.SLACK, covered // 4):
                    del boxes[i]
                    box = union
                    merged = True
                    break
        boxes.append(box)
        if len(boxes) > self.MAX_BOXES:
            self.boxes = [bounding(boxes)]  # type: ignore[list-item]  # not empty

    def mark_full(self) -> None:
        self.full = True
        self.boxes = []

    def take(self, bounds: Box) -> list[Box]:
        """The boxes clipped to `bounds` (all of it when full), and start afresh."""
        clipped = [intersect(b, bounds) for b in ([bounds] if self.full else self.boxes)]
        self.boxes = []
        self.full = False
        return [b for b in clipped if b is not None]
