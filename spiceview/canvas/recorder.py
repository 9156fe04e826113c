"""Recording the compressed images a server sends, with a digest of what they decoded to.

A debug aid (`spiceview --record-images DIR`) and the source of the codec test fixtures: a recording is
replayed through the decoders without a server (tests/codecs/test_captures.py). Images are kept in
arrival order because GLZ images refer to earlier ones.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..codecs.image import DecodedImage
from ..protocol.constants import ImageType
from ..protocol.messages.classes import Image
from .errors import required

MANIFEST = "manifest.jsonl"


def pixel_digest(image: DecodedImage) -> str:
    """SHA-256 of the decoded pixels (colour bytes only for XRGB32: the X byte carries nothing)."""
    pixels = image.pixels[..., :3] if image.format.value == "xrgb32" else image.pixels
    return hashlib.sha256(pixels.tobytes()).hexdigest()


def payload_of(image: Image) -> tuple[bytes, dict[str, Any]]:
    """The compressed bytes of an image and what else its decoder needs."""
    kind = image.type
    extra: dict[str, Any] = {}
    if kind == ImageType.QUIC:
        data = required(image.quic, "QUIC data").data
    elif kind in (ImageType.LZ_RGB, ImageType.GLZ_RGB):
        data = required(image.lz_rgb, "LZ data").data
    elif kind == ImageType.LZ_PLT:
        plt = required(image.lz_plt, "LZ_PLT data")
        data = plt.data
        extra["flags"] = plt.flags
        if plt.palette is not None:
            extra["palette"] = list(plt.palette.ents)
            extra["palette_unique"] = plt.palette.unique
        extra["palette_id"] = plt.palette_id
    elif kind == ImageType.ZLIB_GLZ_RGB:
        z = required(image.zlib_glz, "ZLIB_GLZ data")
        data = z.data
        extra["glz_data_size"] = z.glz_data_size
    elif kind == ImageType.LZ4:
        data = required(image.lz4, "LZ4 data").data
    elif kind == ImageType.JPEG:
        data = required(image.jpeg, "JPEG data").data
    elif kind == ImageType.JPEG_ALPHA:
        ja = required(image.jpeg_alpha, "JPEG_ALPHA data")
        data = ja.data
        extra["jpeg_size"] = ja.jpeg_size
        extra["flags"] = ja.flags
    else:
        return b"", extra
    return bytes(data), extra


class ImageRecorder:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._seq = 0

    def __call__(self, image: Image, decoded: DecodedImage) -> None:
        data, extra = payload_of(image)
        if not data:
            return  # uncompressed bitmaps are not worth keeping
        with self._lock:
            self._seq += 1
            name = f"{self._seq:05d}-{ImageType(image.type).name.lower()}.bin"
            (self.directory / name).write_bytes(data)
            entry = {
                "seq": self._seq,
                "file": name,
                "type": ImageType(image.type).name,
                "id": image.id,
                "width": image.width,
                "height": image.height,
                "format": decoded.format.value,
                "sha256": pixel_digest(decoded),
                **extra,
            }
            with (self.directory / MANIFEST).open("a") as fh:
                fh.write(json.dumps(entry) + "\n")


def read_manifest(directory: str | Path) -> list[dict[str, Any]]:
    lines = (Path(directory) / MANIFEST).read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def replay(directory: str | Path, glz_window_pixels: int = 1 << 22) -> Iterator[tuple[dict[str, Any], DecodedImage]]:
    """Decode a recording in order, without a server: (manifest entry, decoded image) for each image."""
    from ..codecs.glz import GlzWindow, decode_glz, decode_zlib_glz
    from ..codecs.jpeg import decode_jpeg, decode_jpeg_alpha
    from ..codecs.lz import decode_lz
    from ..codecs.lz4 import decode_lz4
    from ..codecs.quic import decode_quic
    from ..protocol.constants import BitmapFlags, JpegAlphaFlags

    window = GlzWindow(glz_window_pixels)
    palettes: dict[int, list[int]] = {}
    for entry in read_manifest(directory):
        data = (Path(directory) / entry["file"]).read_bytes()
        kind, w, h = entry["type"], entry["width"], entry["height"]
        if kind == "QUIC":
            image = decode_quic(data)
        elif kind == "LZ_RGB":
            image = decode_lz(data)
        elif kind == "LZ_PLT":
            ents = entry.get("palette")
            if ents is not None and entry.get("flags", 0) & BitmapFlags.PAL_CACHE_ME:
                palettes[entry["palette_unique"]] = ents
            if ents is None:
                ents = palettes[entry["palette_id"]]
            image = decode_lz(data, np.asarray(ents, dtype=np.uint32))
        elif kind == "GLZ_RGB":
            image = decode_glz(data, window)
        elif kind == "ZLIB_GLZ_RGB":
            image = decode_zlib_glz(data, entry["glz_data_size"], window)
        elif kind == "LZ4":
            image = decode_lz4(data, w, h)
        elif kind == "JPEG":
            image = decode_jpeg(data, w, h)
        elif kind == "JPEG_ALPHA":
            top_down = bool(entry["flags"] & JpegAlphaFlags.TOP_DOWN)
            image = decode_jpeg_alpha(data, entry["jpeg_size"], top_down, w, h)
        else:
            raise ValueError(f"unknown recorded type {kind}")
        yield entry, image
