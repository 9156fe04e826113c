"""Read a JPEG's frame size from its markers, so bad sizes are refused before FFmpeg allocates."""

from __future__ import annotations

from spiceview.codecs.errors import DecodeError

# Start-of-frame markers of every coding process (C4 = DHT, C8 = JPG extension, CC = DAC are not).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_STANDALONE = frozenset(range(0xD0, 0xD8)) | {0x01, 0xD8}  # RSTn, TEM, SOI: no length field
_SOS = 0xDA
_EOI = 0xD9


def jpeg_frame_size(data: memoryview) -> tuple[int, int]:
    """(width, height) from the first SOF segment; DecodeError if there is none before SOS."""
    if len(data) < 4 or data[0] != 0xFF or data[1] != 0xD8:
        raise DecodeError("not a JPEG (no SOI marker)")
    pos = 2
    end = len(data)
    while pos < end:
        if data[pos] != 0xFF:
            raise DecodeError("JPEG marker expected")
        while pos < end and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE:
            continue
        if marker in (_SOS, _EOI):
            break
        if end - pos < 2:
            break
        length = (data[pos] << 8) | data[pos + 1]
        if length < 2 or length > end - pos:
            raise DecodeError("JPEG segment length out of range")
        if marker in _SOF:
            if length < 8:
                raise DecodeError("JPEG frame header too short")
            height = (data[pos + 3] << 8) | data[pos + 4]
            width = (data[pos + 5] << 8) | data[pos + 6]
            return width, height
        pos += length
    raise DecodeError("JPEG has no frame header")
