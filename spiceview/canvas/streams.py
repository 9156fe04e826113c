"""Video streams on a surface: where each stream draws, and how a decoded frame is put there.

As in the reference client's put_image: the frame (flipped when the stream is not top-down) is scaled to the
destination rectangle with nearest-neighbour sampling and drawn inside the stream's clip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..protocol.constants import StreamFlags
from ..protocol.messages.classes import Clip, Rect
from .geometry import Box, bounding, clip_boxes, rect_box
from .scale import scale_area
from .surface import Surface

if TYPE_CHECKING:  # loaded with the first stream (video.decoder)
    from ..codecs.video.decoder import VideoDecoder
    from ..codecs.video.yuv import YuvPicture


@dataclass
class Stream:
    id: int
    surface_id: int
    flags: int
    codec: int
    dest: Box
    clip: Clip
    decoder: VideoDecoder
    frames: int = 0
    drops: int = 0
    bytes: int = 0  # compressed frame data received (the statistics' bitrate)
    first_mm_time: int = 0
    last_mm_time: int = 0
    sizes: list[tuple[int, int]] = field(default_factory=list)
    # direct_rows' answer for the stream's own destination on `direct_surface` (worked out once, not per strip;
    # forgotten when the clip changes).
    direct: tuple[np.ndarray, Box] | None = None
    direct_surface: Surface | None = None

    def set_clip(self, clip: Clip) -> None:
        self.clip = clip
        self.direct_surface = None


def stream_direct_rows(surface: Surface, stream: Stream) -> tuple[np.ndarray, Box] | None:
    """direct_rows for the stream's own destination, remembered on the stream for this surface."""
    if stream.direct_surface is not surface:
        stream.direct = direct_rows(surface, stream)
        stream.direct_surface = surface
    return stream.direct


def direct_rows(surface: Surface, stream: Stream, dest: Rect | None = None) -> tuple[np.ndarray, Box] | None:
    """The surface rows a frame fills exactly, as one contiguous (H, W, 4) block a decoder can write into, and
    their box; or None: only for a top-down, unclipped stream as wide as a surface whose rows are contiguous (a video
    played full width, as Xspice streams it in strips)."""
    box = rect_box(dest) if dest is not None else stream.dest
    x0, y0, x1, y1 = box
    if (
        not stream.flags & StreamFlags.TOP_DOWN
        or x0 != 0
        or x1 != surface.width
        or y1 <= y0
        or surface.is_alpha_only
        or not surface.pixels.flags.c_contiguous
        or clip_boxes(box, stream.clip, surface.bounds) != [box]
    ):
        return None
    return surface.pixels[y0:y1], box


def put_frame(
    surface: Surface, stream: Stream, pixels: np.ndarray | YuvPicture, dest: Rect | None = None
) -> Box | None:
    """Draw a decoded frame ((H, W, 4) B,G,R,0xFF, or planes converted on the way); returns the changed box."""
    box = rect_box(dest) if dest is not None else stream.dest
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    if width <= 0 or height <= 0 or surface.is_alpha_only:
        return None
    parts = clip_boxes(box, stream.clip, surface.bounds)
    if not parts:
        return None
    flip = not stream.flags & StreamFlags.TOP_DOWN
    dst = surface.pixels.view(np.uint32)[..., 0]  # a surface's pixels are whole 4-byte pixels, rows maybe strided
    if not isinstance(pixels, np.ndarray):  # a YuvPicture (its module loads with the first stream: video.decoder)
        if (pixels.width, pixels.height) == (width, height):
            # Converted straight into the surface inside the clip: no B,G,R,X copy of the frame at all.
            with surface.lock:
                for px0, py0, px1, py1 in parts:
                    pixels.draw(dst[py0:py1, px0:px1], px0 - x0, py0 - y0, flip)
            return parts[0] if len(parts) == 1 else bounding(parts)
        pixels = pixels.to_bgrx()  # another size: scaled below like any picture
    if flip:
        pixels = pixels[::-1]
    fh, fw = pixels.shape[:2]
    if (fw, fh) != (width, height):
        pixels = scale_area(np.ascontiguousarray(pixels), "x8r8g8b8", (0, 0, fw, fh), width, height, nearest=True)
    # Whole pixels at a time (decoders give X = 0xFF): one pass per row instead of a strided copy of the
    # colour bytes and another of the X byte.
    if pixels.strides[1:] != (4, 1):
        pixels = np.ascontiguousarray(pixels)
    src = pixels.view(np.uint32)[..., 0]
    with surface.lock:
        for px0, py0, px1, py1 in parts:
            dst[py0:py1, px0:px1] = src[py0 - y0 : py1 - y0, px0 - x0 : px1 - x0]
    return parts[0] if len(parts) == 1 else bounding(parts)
