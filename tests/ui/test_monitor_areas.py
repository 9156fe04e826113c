"""Which part of a surface each guest monitor shows (ui/viewer.monitors_of), from MONITORS_CONFIG heads as a
server sends them, hostile ones included: a head's u32 values can exceed Qt's int (found by the window fuzzing:
seed 1015 set a head's x to 2**31 and the GUI thread raised OverflowError)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from spiceview.protocol.messages.classes import Head
from spiceview.ui.viewer import monitors_of


def display_with(*heads: Head) -> SimpleNamespace:
    primary = SimpleNamespace(id=0, width=1024, height=768)
    return SimpleNamespace(
        primary=primary, monitors=list(heads), canvas=SimpleNamespace(surfaces={0: primary}), channel_id=0
    )


def head(x: int, y: int, width: int, height: int, monitor_id: int = 0) -> Head:
    return Head(monitor_id=monitor_id, surface_id=0, width=width, height=height, x=x, y=y, flags=0)


def test_two_heads_side_by_side() -> None:
    found = monitors_of(display_with(head(0, 0, 512, 768), head(512, 0, 512, 768, 1)))  # type: ignore[arg-type]
    assert [(m.key, m.area.getRect()) for m in found] == [((0, 0), (0, 0, 512, 768)), ((0, 1), (512, 0, 512, 768))]


@pytest.mark.parametrize(
    ("x", "y", "width", "height", "expected"),
    [
        (2**31, 0, 1024, 768, None),
        (0, 0, 2**32 - 1, 2**32 - 1, (0, 0, 1024, 768)),
        (1000, 700, 2**31, 2**31, (1000, 700, 24, 68)),
        (0, 2**32 - 1, 262912, 1024, None),
    ],
)
def test_extreme_heads_are_clipped_without_overflow(
    x: int, y: int, width: int, height: int, expected: tuple[int, int, int, int] | None
) -> None:
    found = monitors_of(display_with(head(x, y, width, height)))  # type: ignore[arg-type]
    assert [m.area.getRect() for m in found] == ([expected] if expected else [])
