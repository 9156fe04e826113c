"""DRAW_COMPOSITE: the reference hands it to pixman; spiceview.canvas.composite reproduces pixman's result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import DrawError

if TYPE_CHECKING:
    from .canvas import Canvas, Changed
    from .region import Region
    from .surface import Surface


def draw_composite(canvas: Canvas, surface: Surface, region: Region, base: Any, comp: Any) -> Changed:
    raise DrawError("composite is not supported yet")
