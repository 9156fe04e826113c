"""What a display channel offers and sends as it links, without the display's drawing modules (numpy, the canvas,
the codecs): a one-shot screenshot links its first display while those load (SpiceSession.link_display_early)."""

from __future__ import annotations

from ..codecs.video import supported_codecs
from ..protocol.constants import DisplayCap, VideoCodecType
from ..protocol.messages import display as dmsg
from ..protocol.schema import WireStruct
from .limits import IMAGES_CACHE_BYTES

# The pixmap cache every display channel shares, in pixels: the size INIT announces.
PIXMAP_CACHE_PIXELS = IMAGES_CACHE_BYTES // 4

CODEC_CAPS = {
    VideoCodecType.MJPEG: DisplayCap.CODEC_MJPEG,
    VideoCodecType.VP8: DisplayCap.CODEC_VP8,
    VideoCodecType.H264: DisplayCap.CODEC_H264,
    VideoCodecType.VP9: DisplayCap.CODEC_VP9,
    VideoCodecType.H265: DisplayCap.CODEC_H265,
}


def display_caps() -> frozenset[int]:
    """Only what is really handled, so the server picks what it can send."""
    caps = {
        DisplayCap.MONITORS_CONFIG,
        DisplayCap.LZ4_COMPRESSION,
        DisplayCap.COMPOSITE,
        DisplayCap.A8_SURFACE,
        DisplayCap.SIZED_STREAM,
        DisplayCap.MULTI_CODEC,
        DisplayCap.STREAM_REPORT,
    }
    caps |= {CODEC_CAPS[codec] for codec in supported_codecs()}
    return frozenset(caps)


def display_link_messages(
    server_caps: frozenset[int], *, cache_pixels: int, glz_window_bytes: int, compression: int | None
) -> list[WireStruct]:
    """INIT (the server sends nothing before it), and the image compression to use from the first screen on."""
    messages: list[WireStruct] = [
        dmsg.MSGC_INIT.cls(
            pixmap_cache_id=1,
            pixmap_cache_size=cache_pixels,
            glz_dictionary_id=1,
            glz_dictionary_window_size=glz_window_bytes // 4,
        )
    ]
    if compression is not None and DisplayCap.PREF_COMPRESSION in server_caps:
        messages.append(dmsg.MSGC_PREFERRED_COMPRESSION.cls(image_compression=compression))
    return messages
