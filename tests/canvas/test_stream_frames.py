"""put_frame: a frame kept in Y'CbCr planes lands exactly as its B,G,R,0xFF array would, clipped and flipped."""

from __future__ import annotations

import numpy as np
import pytest

from spiceview.canvas.streams import Stream, put_frame
from spiceview.canvas.surface import Surface
from spiceview.codecs.video import VideoDecoder
from spiceview.codecs.video.yuv import YuvPicture, color_matrix
from spiceview.protocol.constants import ClipType, StreamFlags, SurfaceFmt, VideoCodecType
from spiceview.protocol.messages import types as t


def clip_of(*rects: tuple[int, int, int, int]) -> object:
    if not rects:
        return t.Clip.cls(type=ClipType.NONE)
    boxes = [t.Rect.cls(left=x0, top=y0, right=x1, bottom=y1) for x0, y0, x1, y1 in rects]
    return t.Clip.cls(type=ClipType.RECTS, rects=t.ClipRects.cls(num_rects=len(boxes), rects=boxes))


def surface_with(frame: np.ndarray | YuvPicture, flags: int, dest: tuple[int, int, int, int], clip: object) -> Surface:
    surface = Surface(0, 40, 30, SurfaceFmt.FMT_32_xRGB)
    surface.pixels[...] = 7
    stream = Stream(1, 0, flags, VideoCodecType.VP8, dest, clip, VideoDecoder(VideoCodecType.MJPEG))
    put_frame(surface, stream, frame)
    return surface


@pytest.mark.parametrize("flags", [StreamFlags.TOP_DOWN, 0])
@pytest.mark.parametrize(
    ("dest", "clip"),
    [
        ((5, 3, 26, 16), clip_of()),
        ((5, 3, 26, 16), clip_of((0, 0, 12, 9), (14, 10, 40, 30))),  # two parts, the second at odd columns
        ((30, 20, 51, 33), clip_of()),  # hanging off the surface
        ((5, 3, 36, 23), clip_of()),  # another size: scaled through the array path
    ],
)
def test_planes_and_array_draw_the_same(flags: int, dest: tuple[int, int, int, int], clip: object) -> None:
    rng = np.random.default_rng(3)
    w, h = 21, 13
    y = rng.integers(0, 256, (h, w + 3), dtype=np.uint8)
    u = rng.integers(0, 256, ((h + 1) // 2, (w + 1) // 2 + 5), dtype=np.uint8)
    v = rng.integers(0, 256, ((h + 1) // 2, (w + 1) // 2 + 5), dtype=np.uint8)
    picture = YuvPicture(w, h, y, u, v, 1, 1, color_matrix(False, False), None)
    from_planes = surface_with(picture, flags, dest, clip)
    from_array = surface_with(picture.to_bgrx(), flags, dest, clip)
    np.testing.assert_array_equal(from_planes.pixels, from_array.pixels)
    assert (from_planes.pixels != 7).any()
