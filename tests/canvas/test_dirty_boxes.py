"""DirtyBoxes: what was drawn stays covered, a video's strips become one box, far-apart changes stay apart, and the
shortcuts (a strip below the last one, the same area again) give what the general merging rule gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from spiceview.canvas.dirty import DirtyBoxes
from spiceview.canvas.geometry import Box


def reference_add(boxes: list[Box], box: Box) -> list[Box]:
    """The merging rule alone, without `add`'s shortcuts (a box already covered changes nothing)."""
    if box[0] >= box[2] or box[1] >= box[3]:
        return boxes
    if any(o[0] <= box[0] and o[1] <= box[1] and box[2] <= o[2] and box[3] <= o[3] for o in boxes):
        return boxes
    reference = DirtyBoxes()
    reference.boxes = list(boxes)
    reference._merge(box)
    return reference.boxes


def test_the_strips_of_a_video_frame_become_one_box() -> None:
    dirty = DirtyBoxes()
    for top in range(0, 720, 48):
        dirty.add((0, top, 1280, top + 48))
    assert dirty.boxes == [(0, 0, 1280, 720)]
    for top in range(0, 720, 48):  # the next frame: nothing new
        dirty.add((0, top, 1280, top + 48))
    assert dirty.boxes == [(0, 0, 1280, 720)]


def test_a_clock_and_a_cursor_in_opposite_corners_stay_two_boxes() -> None:
    dirty = DirtyBoxes()
    dirty.add((0, 0, 60, 20))
    dirty.add((1900, 1060, 1920, 1080))
    assert dirty.boxes == [(0, 0, 60, 20), (1900, 1060, 1920, 1080)]


coords = st.integers(0, 300)
boxes = st.tuples(coords, coords, coords, coords).map(lambda b: (b[0], b[1], b[0] + b[2] // 3, b[1] + b[3] // 3))
strips = st.tuples(st.integers(0, 3), st.integers(0, 200), st.integers(-8, 40)).map(
    lambda s: (s[0] * 10, s[1], s[0] * 10 + 100, s[1] + s[2])
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(boxes, strips), max_size=30))
def test_the_boxes_are_those_of_the_merging_rule_and_cover_every_drawn_pixel(added: list[Box]) -> None:
    dirty = DirtyBoxes()
    expected: list[Box] = []
    for box in added:
        dirty.add(box)
        expected = reference_add(expected, box)
        assert dirty.boxes == expected
    for box in added:
        if box[0] < box[2] and box[1] < box[3]:
            corners = [(box[0], box[1]), (box[2] - 1, box[3] - 1)]
            for x, y in corners:
                assert any(b[0] <= x < b[2] and b[1] <= y < b[3] for b in dirty.boxes)
