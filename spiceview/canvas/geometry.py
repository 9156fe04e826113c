"""Rectangles as the canvas uses them: (x0, y0, x1, y1), half-open, in surface pixels."""

from __future__ import annotations

from ..protocol.constants import ClipType
from ..protocol.messages.classes import Clip, Rect

Box = tuple[int, int, int, int]


def rect_box(rect: Rect) -> Box:
    """A SPICE Rect (top, left, bottom, right) as a box."""
    return rect.left, rect.top, rect.right, rect.bottom


def intersect(a: Box, b: Box) -> Box | None:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    if x0 >= x1 or y0 >= y1:
        return None
    return x0, y0, x1, y1


def clip_boxes(box: Box, clip: Clip, bounds: Box) -> list[Box]:
    """The parts of `box` that a SPICE Clip and the surface bounds leave to draw, without overlaps."""
    area = intersect(box, bounds)
    if area is None:
        return []
    if clip is None or clip.type != ClipType.RECTS or clip.rects is None:
        return [area]
    out: list[Box] = []
    for rect in clip.rects.rects:
        part = intersect(area, rect_box(rect))
        if part is not None:
            out.append(part)
    return _remove_overlaps(out) if len(out) > 1 else out


def _remove_overlaps(boxes: list[Box]) -> list[Box]:
    # Clip rects come from a region and normally do not overlap; a hostile server's might, and drawing a
    # non-idempotent ROP twice would then be wrong. Split later boxes around earlier ones.
    result: list[Box] = []
    for box in boxes:
        pieces = [box]
        for kept in result:
            next_pieces: list[Box] = []
            for piece in pieces:
                next_pieces.extend(subtract(piece, kept))
            pieces = next_pieces
            if not pieces:
                break
        result.extend(pieces)
    return result


def subtract(a: Box, b: Box) -> list[Box]:
    """a minus b, as up to four boxes."""
    inter = intersect(a, b)
    if inter is None:
        return [a]
    ax0, ay0, ax1, ay1 = a
    ix0, iy0, ix1, iy1 = inter
    parts = []
    if ay0 < iy0:
        parts.append((ax0, ay0, ax1, iy0))
    if iy1 < ay1:
        parts.append((ax0, iy1, ax1, ay1))
    if ax0 < ix0:
        parts.append((ax0, iy0, ix0, iy1))
    if ix1 < ax1:
        parts.append((ix1, iy0, ax1, iy1))
    return parts


def bounding(boxes: list[Box]) -> Box | None:
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
