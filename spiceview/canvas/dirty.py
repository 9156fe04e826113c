"""The areas drawn since the presentation last looked: a few boxes, merged so that few repaints cover them."""

from __future__ import annotations

from .geometry import Box


def _area(box: Box) -> int:
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def _union(a: Box, b: Box) -> Box:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _overlap(a: Box, b: Box) -> int:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


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
        for other in boxes:  # the usual case for a video: the same area again
            if other[0] <= box[0] and other[1] <= box[1] and box[2] <= other[2] and box[3] <= other[3]:
                return
        merged = True
        while merged:
            merged = False
            for i, other in enumerate(boxes):
                union = _union(box, other)
                covered = _area(box) + _area(other) - _overlap(box, other)
                if _area(union) - covered <= max(self.SLACK, covered // 4):
                    del boxes[i]
                    box = union
                    merged = True
                    break
        boxes.append(box)
        if len(boxes) > self.MAX_BOXES:
            bounding = boxes[0]
            for other in boxes[1:]:
                bounding = _union(bounding, other)
            self.boxes = [bounding]

    def mark_full(self) -> None:
        self.full = True
        self.boxes = []

    def take(self, bounds: Box) -> list[Box]:
        """The boxes clipped to `bounds` (all of it when full), and start afresh."""
        if self.full:
            boxes = [bounds]
        else:
            boxes = [
                (max(b[0], bounds[0]), max(b[1], bounds[1]), min(b[2], bounds[2]), min(b[3], bounds[3]))
                for b in self.boxes
            ]
        self.boxes = []
        self.full = False
        return [b for b in boxes if b[0] < b[2] and b[1] < b[3]]
