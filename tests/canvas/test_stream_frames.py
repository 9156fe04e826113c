"""put_frame: a frame kept in Y'CbCr planes lands exactly as its B,G,R,0xFF array would, clipped and flipped."""

from __future__ import annotations

import numpy as np
import pytest
from jpeg_samples import encode_jpeg, photo_like

from spiceview.canvas.streams import Stream, direct_rows, put_frame, stream_direct_rows
from spiceview.canvas.surface import Surface
from spiceview.codecs.video.decoder import VideoDecoder
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


def test_only_full_width_unclipped_top_down_frames_are_decoded_in_place() -> None:
    """MJPEG strips as wide as the surface go straight into its rows; anything else needs the copy."""
    surface = Surface(0, 40, 30, SurfaceFmt.FMT_32_xRGB)
    decoder = VideoDecoder(VideoCodecType.MJPEG)

    def rows(dest: tuple[int, int, int, int], flags: int = StreamFlags.TOP_DOWN, clip: object = None) -> object:
        stream = Stream(1, 0, flags, VideoCodecType.MJPEG, dest, clip or clip_of(), decoder)
        return direct_rows(surface, stream)

    target = rows((0, 5, 40, 12))
    assert target is not None
    block, box = target
    assert box == (0, 5, 40, 12) and block.shape == (7, 40, 4) and block.flags.c_contiguous
    assert np.shares_memory(block, surface.pixels)
    assert rows((1, 5, 40, 12)) is None  # not full width: rows are not one block
    assert rows((0, 5, 40, 12), flags=0) is None  # bottom-up: flipped on the way
    assert rows((0, 5, 40, 12), clip=clip_of((0, 0, 20, 30))) is None
    assert rows((0, 25, 40, 35)) is None  # hangs off the surface


def test_a_frame_decoded_in_place_equals_the_copied_one() -> None:
    surface = Surface(0, 32, 24, SurfaceFmt.FMT_32_xRGB)
    jpeg = encode_jpeg(photo_like(8, 32, 4))
    decoder = VideoDecoder(VideoCodecType.MJPEG)
    stream = Stream(1, 0, StreamFlags.TOP_DOWN, VideoCodecType.MJPEG, (0, 8, 32, 16), clip_of(), decoder)
    target = direct_rows(surface, stream)
    assert target is not None
    assert not decoder.decode_into(jpeg, target[0][:4])  # another size: nothing written
    assert (surface.pixels == 0).all()
    assert decoder.decode_into(jpeg, target[0])
    np.testing.assert_array_equal(surface.pixels[8:16], VideoDecoder(VideoCodecType.MJPEG).decode(jpeg))
    assert (surface.pixels[:8] == 0).all() and (surface.pixels[16:] == 0).all()


def test_the_in_place_answer_is_kept_per_stream_until_the_clip_changes() -> None:
    surface = Surface(0, 40, 30, SurfaceFmt.FMT_32_xRGB)
    stream = Stream(1, 0, StreamFlags.TOP_DOWN, VideoCodecType.MJPEG, (0, 5, 40, 12), clip_of(), None)  # type: ignore[arg-type]
    first = stream_direct_rows(surface, stream)
    assert first is not None and stream_direct_rows(surface, stream) is first
    stream.set_clip(clip_of((0, 0, 20, 30)))  # a window now covers part of the video
    assert stream_direct_rows(surface, stream) is None
    other = Surface(0, 40, 30, SurfaceFmt.FMT_32_xRGB)  # the primary surface was made again
    stream.set_clip(clip_of())
    target = stream_direct_rows(other, stream)
    assert target is not None and np.shares_memory(target[0], other.pixels)
