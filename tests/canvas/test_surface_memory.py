"""Primary surfaces keep their pixels where the session says (the viewer: memory the X server reads); the others,
and any surface whose memory cannot be had, in numpy's own."""

from __future__ import annotations

import mmap

import numpy as np

from spiceview.canvas.caches import PaletteCache, PixmapCache
from spiceview.canvas.canvas import Canvas
from spiceview.canvas.images import ImageResolver
from spiceview.protocol.constants import SurfaceFlags, SurfaceFmt


def canvas_with(memory) -> Canvas:  # noqa: ANN001
    return Canvas(ImageResolver(PixmapCache(), PaletteCache(), lambda sid: None), memory)


def test_the_primary_surface_lives_in_the_given_memory() -> None:
    asked: list[int] = []
    given: list[mmap.mmap] = []

    def allocate(nbytes: int) -> mmap.mmap:
        asked.append(nbytes)
        given.append(mmap.mmap(-1, nbytes))
        return given[-1]

    canvas = canvas_with(allocate)
    primary = canvas.create_surface(0, 64, 48, SurfaceFmt.FMT_32_xRGB, SurfaceFlags.PRIMARY)
    offscreen = canvas.create_surface(1, 16, 16, SurfaceFmt.FMT_32_xRGB, 0)
    assert asked == [64 * 48 * 4]
    assert primary.memory is given[0] and offscreen.memory is None
    primary.pixels[3, 5] = (1, 2, 3, 255)
    assert given[0][(3 * 64 + 5) * 4 : (3 * 64 + 5) * 4 + 4] == bytes((1, 2, 3, 255))
    assert not primary.pixels.any(axis=2)[0].any()  # zeroed like numpy's


def test_a_surface_whose_memory_is_refused_uses_ordinary_memory() -> None:
    def refuse(nbytes: int) -> mmap.mmap:
        raise OSError(24, "Too many open files")

    surface = canvas_with(refuse).create_surface(0, 8, 8, SurfaceFmt.FMT_32_xRGB, SurfaceFlags.PRIMARY)
    assert surface.memory is None
    surface.pixels[...] = 7
    assert np.all(surface.pixels == 7)
