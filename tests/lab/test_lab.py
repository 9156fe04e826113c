"""The lab harness itself: ports, pixels, Xspice/Xvfb/QEMU lifecycles, and the ground-truth pipeline."""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from spiceview_lab import certs, pixels, ports, requirements, scenes, xwd
from spiceview_lab.requirements import require

# -- no server needed ---------------------------------------------------------------------------------


def test_free_ports_are_distinct_and_bindable() -> None:
    got = ports.free_ports(5)
    assert len(set(got)) == 5
    for port in got:
        assert not ports.port_accepts(port)


def test_display_reservations_are_exclusive() -> None:
    a = ports.reserve_display()
    b = ports.reserve_display()
    try:
        assert a.number != b.number
        assert not ports.display_in_use(a.number)
    finally:
        a.release()
        b.release()


def test_stale_lock_removed_only_when_its_pid_is_gone() -> None:
    r = ports.reserve_display()
    try:
        n = r.number
        dead = subprocess.Popen(["true"])
        dead.wait()
        lock = ports.lock_path(n)
        lock.write_text(f"{dead.pid:>10}\n")
        try:
            assert ports.display_in_use(n)
            lock.write_text(f"{os.getpid():>10}\n")  # a live owner: hands off
            assert not ports.clean_stale_display(n)
            assert lock.exists()
            lock.write_text(f"{dead.pid:>10}\n")
            assert ports.clean_stale_display(n)
            assert not lock.exists()
        finally:
            lock.unlink(missing_ok=True)
    finally:
        r.release()


def _rgb_noise(h: int, w: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = scenes.make_photo(w, h, seed)
    img[h // 3 : h // 2, :, :3] = rng.integers(0, 256, (h // 2 - h // 3, w, 3), dtype=np.uint8)
    return img


def test_png_and_ppm_round_trip(tmp_path: Path) -> None:
    img = _rgb_noise(61, 97)
    assert pixels.compare(pixels.load_png(pixels.save_png(img, tmp_path / "a.png")), img) == (0, None)
    assert pixels.compare(pixels.load_ppm(pixels.save_ppm(img, tmp_path / "a.ppm")), img) == (0, None)
    gray = img[..., 1]
    back = pixels.load_png(pixels.save_png(gray, tmp_path / "g.png"))
    assert np.array_equal(back[..., 0], gray) and np.array_equal(back[..., 2], gray)


@pytest.mark.parametrize("color_type", [2, 6])
def test_png_decoder_handles_all_filters(tmp_path: Path, color_type: int) -> None:
    """ImageMagick's adaptive filtering mixes None/Sub/Up/Average/Paeth rows (like libpng in Qt)."""
    require("convert")
    img = _rgb_noise(120, 173)
    src = pixels.save_ppm(img, tmp_path / "src.ppm")
    out = tmp_path / "im.png"
    subprocess.run(
        ["convert", str(src), "-quality", "95", "-define", f"png:color-type={color_type}", str(out)], check=True
    )
    data = out.read_bytes()
    assert pixels.compare(pixels.decode_png(data), img) == (0, None)


def test_compare_and_psnr() -> None:
    a = _rgb_noise(40, 50)
    b = a.copy()
    assert pixels.compare(a, b) == (0, None) and pixels.psnr(a, b) == float("inf")
    b[5, 7, 2] ^= 0x80
    b[9, 30, 0] ^= 1
    b[0:20, 0:50, 3] = 0  # the X byte is ignored
    assert pixels.compare(a, b) == (2, (7, 5, 31, 10))
    assert pixels.compare(a, b, tolerance=1) == (1, (7, 5, 8, 6))
    assert 30 < pixels.psnr(a, b) < 80
    assert pixels.diff_image(a, b)[5, 7].tolist() == [0, 0, 255, 255]


def _xwd_bytes(img: np.ndarray, bpp: int, lsb: bool, masks: tuple[int, int, int]) -> bytes:
    """A synthetic XWD file (big-endian header as xwd writes it) for the generic decoding path."""
    h, w = img.shape[:2]
    r, g, b = (img[..., 2].astype(np.uint32), img[..., 1].astype(np.uint32), img[..., 0].astype(np.uint32))

    def put(v: np.ndarray, mask: int) -> np.ndarray:
        shift = (mask & -mask).bit_length() - 1
        maxv = mask >> shift
        return ((v * maxv + 127) // 255) << shift

    pix = put(r, masks[0]) | put(g, masks[1]) | put(b, masks[2])
    nbytes = bpp // 8
    order = range(nbytes) if lsb else range(nbytes - 1, -1, -1)
    raw = np.stack([(pix >> (8 * i)) & 0xFF for i in order], axis=-1).astype(np.uint8)
    stride = (w * nbytes + 3) // 4 * 4
    rows = np.zeros((h, stride), np.uint8)
    rows[:, : w * nbytes] = raw.reshape(h, -1)
    name = b"synthetic\0"
    header = struct.pack(
        ">25I",
        100 + len(name),
        7,
        2,
        24 if bpp > 16 else 16,
        w,
        h,
        0,
        0 if lsb else 1,
        32,
        0,
        32,
        bpp,
        stride,
        4,
        *masks,
        8,
        0,
        0,
        w,
        h,
        0,
        0,
        0,
    )
    return header + name + rows.tobytes()


@pytest.mark.parametrize(
    ("bpp", "lsb", "masks"),
    [
        (32, True, (0xFF0000, 0xFF00, 0xFF)),
        (32, False, (0xFF0000, 0xFF00, 0xFF)),
        (32, True, (0xFF, 0xFF00, 0xFF0000)),
        (24, True, (0xFF0000, 0xFF00, 0xFF)),
        (24, False, (0xFF0000, 0xFF00, 0xFF)),
    ],
)
def test_xwd_parser_formats(bpp: int, lsb: bool, masks: tuple[int, int, int]) -> None:
    img = _rgb_noise(17, 29)
    assert pixels.compare(xwd.parse_xwd(_xwd_bytes(img, bpp, lsb, masks)), img) == (0, None)


def test_xwd_parser_16bpp_scales_channels() -> None:
    img = _rgb_noise(8, 9)
    out = xwd.parse_xwd(_xwd_bytes(img, 16, True, (0xF800, 0x07E0, 0x001F)))
    assert out.shape == (8, 9, 4) and (out[..., 3] == 255).all()
    assert np.abs(out[..., :3].astype(int) - img[..., :3]).max() <= 4  # 5/6/5 bits


def test_require_skips_locally_and_fails_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install no-such-pkg"):
        requirements.require("no-such-pkg")
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(requirements.MissingRequirement, match="apt-get install xserver-xspice"):
        requirements.require("Xspice")


def test_certs_chain_and_subjects(tmp_path: Path) -> None:
    require("openssl")
    good = certs.make_x509_dir(tmp_path / "good")
    wrong_ca = certs.write_wrong_ca(tmp_path / "wrong-ca.pem")

    def verify(ca: Path, cert: Path, *extra: str) -> int:
        return subprocess.run(
            ["openssl", "verify", "-CAfile", str(ca), *extra, str(cert)], capture_output=True
        ).returncode

    assert verify(good.ca_file, good.cert_file, "-verify_ip", "127.0.0.1") == 0
    assert verify(wrong_ca, good.cert_file) != 0
    other = certs.make_x509_dir(tmp_path / "other", subject="wrong.example", ca=good.ca)
    assert verify(good.ca_file, other.cert_file) == 0
    assert verify(good.ca_file, other.cert_file, "-verify_ip", "127.0.0.1") != 0


# -- Xvfb ------------------------------------------------------------------------------------------------
