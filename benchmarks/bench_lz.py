"""Decode throughput of LZ and GLZ (MB/s of decoded 4-byte pixels), one core.

    python3 benchmarks/bench_lz.py [--repeat N]

Two 1920x1080 images: "desktop" (flat areas, text-like speckles, repeated rows) and "photo"
(smooth gradients with noise: almost all literals). The streams come from a quick run/row
encoder below (ours, written for this script), producing the same instruction kinds a server
encoder does: literals, runs (distance 1), copies of the row above, and for GLZ copies from the
previous image in the window.
"""

from __future__ import annotations

import argparse
import struct
import time

import numpy as np

from spiceview.codecs.glz import GlzWindow, decode_glz
from spiceview.codecs.lz import decode_lz

W, H = 1920, 1080
LZ_MAGIC, LZ_VERSION, RGB32 = 0x20205A4C, 0x00010001, 8


def desktop_image(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.empty((H, W, 4), np.uint8)
    img[...] = (0xF2, 0xF1, 0xF0, 0)
    img[:32] = (0x30, 0x30, 0x38, 0)  # title bar
    for _ in range(40):  # windows and buttons
        y, x = rng.integers(0, H - 200), rng.integers(0, W - 300)
        img[y : y + rng.integers(20, 200), x : x + rng.integers(40, 300), :3] = rng.integers(0, 256, 3)
    for y in range(60, H - 20, 18):  # lines of "text": short dark strokes
        xs = rng.integers(0, W - 8, 160)
        for dy in range(0, 11, 2):
            img[y + dy, xs, :3] = 20
            img[y + dy, xs + 3, :3] = 40
    return img


def photo_image(seed: int = 2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W]
    img = np.zeros((H, W, 4), np.int32)
    img[..., 0] = x * 255 // W
    img[..., 1] = y * 255 // H
    img[..., 2] = 128 + 100 * np.sin(x / 97.0) * np.cos(y / 61.0)
    img[..., :3] += rng.integers(-6, 7, (H, W, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


class QuickEncoder:
    """Literals, runs and row-above copies (and GLZ references to one earlier image)."""

    def __init__(self, glz: bool) -> None:
        self.glz = glz
        self.out = bytearray()

    def literals(self, bgr: np.ndarray) -> None:
        flat = bgr.reshape(-1, 3)
        for start in range(0, len(flat), 32):
            chunk = flat[start : start + 32]
            self.out.append(len(chunk) - 1)
            self.out += chunk.tobytes()

    def match(self, length: int, distance: int = 0, image_dist: int = 0, offset: int = 0) -> None:
        """Same image: `distance` back; GLZ other image: pixel `offset` in image id - image_dist."""
        coded = length  # RGB32 matches carry their length unbiased
        lead = min(coded, 7) << 5
        ext = bytearray()
        if coded >= 7:
            rest = coded - 7
            ext += b"\xff" * (rest // 255) + bytes([rest % 255])
        if not self.glz:
            ofs = distance - 1
            assert ofs < 8191
            self.out += bytes([lead | (ofs >> 8)]) + ext + bytes([ofs & 255])
            return
        ofs = distance - 1 if image_dist == 0 else offset
        if ofs < 4096:
            assert image_dist < 64
            self.out += bytes([lead | (ofs & 15)]) + ext + bytes([(ofs >> 4) & 255, image_dist])
            return
        assert ofs < (1 << 25) and image_dist < 256
        very_long = int(ofs >= (1 << 17))
        third = ((1 if image_dist else 0) << 6) | (very_long << 5) | ((ofs >> 12) & 31)
        tail = (bytes([image_dist]) if image_dist else b"") + (bytes([ofs >> 17]) if very_long else b"")
        self.out += bytes([lead | 16 | (ofs & 15)]) + ext + bytes([(ofs >> 4) & 255, third]) + tail

    def encode_rows(self, img: np.ndarray, previous: np.ndarray | None = None) -> None:
        rgb = img[..., :3]
        y = 0
        while y < H:
            if previous is not None and (rgb[y] == previous[y, :, :3]).all():
                n = 1
                while y + n < H and (rgb[y + n] == previous[y + n, :, :3]).all():
                    n += 1
                left = n * W
                pos = y * W
                while left:
                    take = min(left, 60000)
                    self._cross(pos, take)
                    pos += take
                    left -= take
                y += n
                continue
            if y > 0 and (rgb[y] == rgb[y - 1]).all():
                n = 1
                while y + n < H and (rgb[y + n] == rgb[y - 1]).all():
                    n += 1
                self.match(n * W, distance=W)
                y += n
                continue
            self._row(rgb[y])
            y += 1

    def _cross(self, pos: int, length: int) -> None:
        self.match(length, image_dist=1, offset=pos)

    def _row(self, row: np.ndarray) -> None:
        packed = row.astype(np.uint32) @ np.array([1, 256, 65536], np.uint32)
        change = np.flatnonzero(np.diff(packed)) + 1
        starts = np.concatenate([[0], change])
        ends = np.concatenate([change, [len(packed)]])
        lit_from = None
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            if e - s >= 4:
                if lit_from is not None:
                    self.literals(row[lit_from:s])
                    lit_from = None
                self.literals(row[s : s + 1])
                self.match(e - s - 1, distance=1)
            elif lit_from is None:
                lit_from = s
        if lit_from is not None:
            self.literals(row[lit_from:])


def lz_stream(img: np.ndarray) -> bytes:
    enc = QuickEncoder(glz=False)
    enc.encode_rows(img)
    return struct.pack(">IIIIIII", LZ_MAGIC, LZ_VERSION, RGB32, W, H, W * 4, 1) + bytes(enc.out)


def glz_stream(img: np.ndarray, image_id: int, previous: np.ndarray | None) -> bytes:
    enc = QuickEncoder(glz=True)
    enc.encode_rows(img, previous)
    dist = 1 if previous is not None else 0
    return struct.pack(">IIBIIIQI", LZ_MAGIC, LZ_VERSION, RGB32 | 16, W, H, W * 4, image_id, dist) + bytes(enc.out)


def best_time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    mb = W * H * 4 / 1e6
    for name, make in (("desktop", desktop_image), ("photo", photo_image)):
        img = make()
        lz = lz_stream(img)
        out = decode_lz(lz).pixels
        assert (out[..., :3] == img[..., :3]).all(), "benchmark encoder broke the image"
        t = best_time(lambda lz=lz: decode_lz(lz), args.repeat)
        print(f"LZ  {name:8s} {len(lz) / 1e6:6.2f} MB in  {t * 1e3:7.2f} ms  {mb / t:7.0f} MB/s")

        second = img.copy()
        second[H // 2 : H // 2 + 40, 100:900, :3] = 77  # a small change between two frames
        first_glz = glz_stream(img, 0, None)
        second_glz = glz_stream(second, 1, img)

        def glz_pair(a: bytes = first_glz, b: bytes = second_glz) -> None:
            window = GlzWindow(W * H * 4)
            decode_glz(a, window)
            decode_glz(b, window)

        window = GlzWindow(W * H * 4)
        decode_glz(first_glz, window)
        got = decode_glz(second_glz, window).pixels
        assert (got[..., :3] == second[..., :3]).all(), "benchmark GLZ encoder broke the image"
        t = best_time(glz_pair, args.repeat) / 2
        sizes = f"{len(first_glz) / 1e6:.2f}+{len(second_glz) / 1e6:.2f}"
        print(f"GLZ {name:8s} {sizes:>9s} MB   {t * 1e3:7.2f} ms  {mb / t:7.0f} MB/s (per image)")


if __name__ == "__main__":
    main()
