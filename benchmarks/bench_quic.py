"""Decode throughput of QUIC (MB/s of decoded 4-byte pixels), one core.

    python3 benchmarks/bench_quic.py [--repeat N] [--type rgb32|rgb16|rgba|gray] [--kernel auto|baseline|bmi2|both]

(after `python3 setup.py build_ext --inplace`, which needs setuptools 77 or newer: pip install -e . gets it by itself)

Two 1920x1080 images: "photo" (smooth gradients with noise: every pixel coded, few runs) and
"desktop" (flat areas, windows, text-like speckles: mostly runs). The streams come from the
test-only encoder in tests/codecs/quic_encoder.py (bit-identical to the SPICE server's encoder, but
pure Python: encoding takes a few seconds per image, so streams are cached in the temp directory).
`--kernel both` alternates the baseline x86-64 build of the kernel and the BMI2 one decode by decode (the
machine's speed drifts; alternating keeps the comparison fair); `auto` is what decode_quic() picks.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

# Runs from a source checkout: the package (built in place) and the test-only encoder.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "codecs")]
from quic_encoder import encode_quic  # noqa: E402

from spiceview.codecs import quic  # noqa: E402
from spiceview.codecs.quic import QuicImageType, _kernel, _kernel_bmi2, decode_quic  # noqa: E402

W, H = 1920, 1080
TYPES = {
    "rgb32": QuicImageType.RGB32,
    "rgb16": QuicImageType.RGB16,
    "rgba": QuicImageType.RGBA,
    "gray": QuicImageType.GRAY,
}


def photo_planes(seed: int = 2) -> np.ndarray:
    """R, G, B, A planes of a photo-like picture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.stack(
        [
            128 + 90 * np.sin(x / 97 + y / 151),
            128 + 80 * np.cos(x / 63 - y / 89),
            128 + 70 * np.sin((x + y) / 211),
            200 + 50 * np.sin(x / 300),
        ],
        -1,
    )
    img += rng.normal(0, 5, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def desktop_planes(seed: int = 1) -> np.ndarray:
    """R, G, B, A planes of a desktop-like picture."""
    rng = np.random.default_rng(seed)
    img = np.empty((H, W, 4), np.uint8)
    img[...] = (0xF0, 0xF1, 0xF2, 0xFF)
    img[:32] = (0x38, 0x30, 0x30, 0xFF)  # title bar
    for _ in range(40):  # windows and buttons
        y, x = rng.integers(0, H - 200), rng.integers(0, W - 300)
        img[y : y + rng.integers(20, 200), x : x + rng.integers(40, 300), :3] = rng.integers(0, 256, 3)
    for y in range(60, H - 20, 18):  # lines of "text": short dark strokes
        xs = rng.integers(0, W - 8, 160)
        for dy in range(0, 11, 2):
            img[y + dy, xs, :3] = 20
            img[y + dy, xs + 3, :3] = 40
    return img


def planes_for(image_type: QuicImageType, rgba: np.ndarray) -> np.ndarray:
    if image_type is QuicImageType.GRAY:
        return rgba[..., 1:2]
    if image_type is QuicImageType.RGB16:
        return rgba[..., :3] >> 3
    if image_type is QuicImageType.RGBA:
        return rgba
    return rgba[..., :3]


def stream(name: str, image_type: QuicImageType, planes: np.ndarray) -> bytes:
    key = hashlib.sha256(planes.tobytes() + bytes([image_type])).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"spiceview-bench-quic-{name}-{key}.quic"
    if cache.exists():
        return cache.read_bytes()
    start = time.perf_counter()
    data = encode_quic(image_type, planes)
    print(f"  (encoded {name} in {time.perf_counter() - start:.1f} s, cached in {cache})")
    cache.write_bytes(data)
    return data


def bench(name: str, data: bytes, repeat: int, kernels: dict[str, ModuleType]) -> None:
    times: dict[str, list[float]] = {label: [] for label in kernels}
    for rep in range(repeat + 1):
        for label, kernel in kernels.items():
            quic._decoder = kernel
            start = time.perf_counter()
            img = decode_quic(data)
            if rep:  # the first round warms up
                times[label].append(time.perf_counter() - start)
    out_bytes = img.width * img.height * (1 if img.pixels.ndim == 2 else 4)
    pixels = img.width * img.height
    for label, runs in times.items():
        best, median = min(runs), float(np.median(runs))
        print(
            f"{name:8s} {label:8s} {len(data) / 1e6:6.2f} MB coded ({8 * len(data) / pixels:5.2f} bit/px)"
            f"  best {best * 1e3:6.1f} ms  {out_bytes / best / 1e6:7.0f} MB/s  {pixels / best / 1e6:6.1f} Mpx/s"
            f"  (median {out_bytes / median / 1e6:.0f} MB/s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--type", choices=sorted(TYPES), default="rgb32")
    parser.add_argument("--kernel", choices=("auto", "baseline", "bmi2", "both"), default="auto")
    args = parser.parse_args()
    image_type = TYPES[args.type]
    if args.kernel in ("bmi2", "both") and not _kernel.BMI2_CPU:
        raise SystemExit("this CPU has no BMI2 / LZCNT: only the baseline kernel runs here")
    kernels = {
        "auto": {"auto": quic._decoder},
        "baseline": {"baseline": _kernel},
        "bmi2": {"bmi2": _kernel_bmi2},
        "both": {"baseline": _kernel, "bmi2": _kernel_bmi2},
    }[args.kernel]
    print(f"QUIC {image_type.name} {W}x{H}, decode_quic() end to end (output allocation included)")
    for name, make in (("photo", photo_planes), ("desktop", desktop_planes)):
        data = stream(name, image_type, planes_for(image_type, make()))
        bench(name, data, args.repeat, kernels)


if __name__ == "__main__":
    main()
