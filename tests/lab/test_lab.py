"""The lab harness itself: ports, pixels, Xspice/Xvfb/QEMU lifecycles, and the ground-truth pipeline."""

from __future__ import annotations

import os
import struct
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from spiceview_lab import certs, pixels, ports, procs, requirements, scenes, xwd
from spiceview_lab.reference import ReferenceClientError, spicy_screenshot
from spiceview_lab.requirements import require


def _gone(pids: list[int]) -> list[int]:
    """The pids of the list that still run (zombies count as gone: their parent reaps them)."""
    deadline = time.monotonic() + 3
    while True:
        alive = [p for p in pids if procs.is_running(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


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


@pytest.mark.xvfb
def test_xvfb_size_and_cleanup(xvfb) -> None:
    require("xwd")
    x = xvfb(width=640, height=480)
    assert xwd.capture(x.display).shape == (480, 640, 4)
    pid, n = x.proc.pid, x.display_number
    x.stop()
    assert _gone([pid]) == []
    assert not ports.display_in_use(n)


# -- Xspice ----------------------------------------------------------------------------------------------


@pytest.mark.xspice
def test_xspice_start_stop_leaves_nothing(xspice) -> None:
    require("xlogo")
    t0 = time.monotonic()
    s = xspice()
    started = time.monotonic() - t0
    client = s.run_client(["xlogo"])
    assert s.alive() and ports.port_accepts(s.port)
    assert s.uri == f"spice://127.0.0.1:{s.port}" and s.display == f":{s.display_number}"
    assert ports.lock_pid(s.display_number) == s.xorg_pid
    pids = [s.wrapper.pid, s.xorg_pid, client.pid]
    port, n = s.port, s.display_number
    t0 = time.monotonic()
    s.stop()
    stopped = time.monotonic() - t0
    assert _gone(pids) == []
    assert not ports.port_accepts(port)
    assert not ports.display_in_use(n)
    print(f"Xspice start {started:.2f} s, stop {stopped:.2f} s")


@pytest.mark.xspice
def test_xspice_listens_on_loopback_only(xspice) -> None:
    require("ss")
    s = xspice()
    out = subprocess.run(["ss", "-Hltn", f"sport = :{s.port}"], capture_output=True, text=True).stdout
    assert {line.split()[3] for line in out.splitlines()} == {f"127.0.0.1:{s.port}"}


@pytest.mark.xspice
@pytest.mark.parametrize("compression", ["off", "auto_glz", "quic", "lz"])
def test_ground_truth_equals_reference_client(xspice, artifacts_dir: Path, compression: str) -> None:
    """xwd parsed in numpy == spicy-screenshot's picture, pixel for pixel (lossless modes, cursor hidden)."""
    require("xwd", "spicy-screenshot", "xsetroot", "xdotool", "xterm", "display", "xlogo", "xeyes")
    s = xspice(image_compression=compression)
    truth = scenes.standard_scene(s)
    seen = spicy_screenshot(port=s.port)
    xwd.save_png(truth, artifacts_dir / "xwd.png")
    xwd.save_png(seen, artifacts_dir / "spicy.png")
    n, bbox = xwd.compare(truth, seen)
    if n:
        xwd.save_png(xwd.diff_image(truth, seen), artifacts_dir / "diff.png")
    assert (n, bbox) == (0, None), f"{n} pixels differ in {bbox}; see {artifacts_dir}"
    assert len(np.unique(truth.reshape(-1, 4), axis=0)) > 1000  # the scene really has content


@pytest.mark.xspice
@pytest.mark.slow
def test_ground_truth_full_hd(xspice, artifacts_dir: Path) -> None:
    require("xwd", "spicy-screenshot", "xsetroot", "xdotool", "xrandr", "xlogo")
    s = xspice(size=(1920, 1080))
    scenes.show_logo(s, 1500, 700, 300)
    scenes.hide_cursor(s.display)
    truth = scenes.wait_idle(s.display)
    assert truth.shape == (1080, 1920, 4)
    seen = spicy_screenshot(port=s.port)
    n, bbox = xwd.compare(truth, seen)
    if n:
        xwd.save_png(xwd.diff_image(truth, seen), artifacts_dir / "diff.png")
    assert n == 0, f"{n} pixels differ in {bbox}"


@pytest.mark.xspice
def test_odd_size_adds_a_mode(xspice) -> None:
    require("xrandr", "xwd")
    s = xspice(size=(1000, 700))
    assert s.screenshot().shape == (700, 1000, 4)


@pytest.mark.xspice
def test_password(xspice) -> None:
    require("spicy-screenshot")
    s = xspice(password="s3cret")
    assert spicy_screenshot(port=s.port, password="s3cret").shape == (768, 1024, 4)
    with pytest.raises(ReferenceClientError):
        spicy_screenshot(port=s.port, password="wrong")
    with pytest.raises(ReferenceClientError):
        spicy_screenshot(port=s.port)


@pytest.mark.xspice
def test_tls(xspice, tmp_path: Path) -> None:
    require("spicy-screenshot")
    s = xspice(tls=True, plaintext=False, password="pw")
    assert s.port is None and s.uri == f"spice://127.0.0.1?tls-port={s.tls_port}"
    assert spicy_screenshot(tls_port=s.tls_port, password="pw", ca_file=s.ca_file).shape == (768, 1024, 4)
    with pytest.raises(ReferenceClientError, match="SSL|verif"):
        spicy_screenshot(tls_port=s.tls_port, password="pw", ca_file=certs.write_wrong_ca(tmp_path / "w.pem"))


@pytest.mark.xspice
def test_tls_wrong_subject_is_refused(xspice, tmp_path: Path) -> None:
    require("spicy-screenshot")
    x509 = certs.make_x509_dir(tmp_path / "x509", subject="wrong.example")
    s = xspice(tls=True, x509_dir=x509)
    assert spicy_screenshot(port=s.port).shape == (768, 1024, 4)  # the plain port still works
    with pytest.raises(ReferenceClientError, match="verif"):
        spicy_screenshot(tls_port=s.tls_port, ca_file=s.ca_file)


@pytest.mark.xspice
def test_vdagent(xspice) -> None:
    require("spice-vdagent", "spice-vdagentd", "spicy-screenshot")
    s = xspice(vdagent=True, numheads=2)
    assert s.vdagent.alive() and s.transfer_dir.is_dir()
    spicy_screenshot(port=s.port)
    deadline = time.monotonic() + 5
    while not s.vdagent.client_seen() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert s.vdagent.client_seen(), procs.tail(s.vdagent.vdagentd_log)
    assert s.vdagent.alive()
    pids = [s.vdagent.vdagent.pid, s.vdagent.vdagentd.pid, s.xorg_pid]
    s.stop()
    assert _gone(pids) == []


@pytest.mark.xspice
def test_audio_fifo_is_opened_by_the_server(xspice) -> None:
    s = xspice(audio=True)
    assert list(s.audio_fifo_dir.iterdir()) == []
    fifo = s.new_audio_fifo()
    opened = threading.Event()

    def write() -> None:
        fd = os.open(fifo, os.O_WRONLY)  # blocks until the server opens its end
        opened.set()
        os.write(fd, bytes(48000 * 4 // 10))  # 0.1 s of S16LE stereo silence
        os.close(fd)

    threading.Thread(target=write, daemon=True).start()
    assert opened.wait(10), "Xspice never opened the audio FIFO"


@pytest.mark.xspice
def test_wait_idle_sees_changes_settle(xspice) -> None:
    require("xlogo", "xwd")
    s = xspice()
    before = scenes.wait_idle(s.display)
    scenes.show_logo(s, 10, 10, 100)
    after = scenes.wait_idle(s.display)
    n, bbox = xwd.compare(before, after)
    assert n > 0 and bbox[0] >= 10 and bbox[1] >= 10 and bbox[2] <= 112 and bbox[3] <= 112  # Xt border: 1 px


# -- QEMU ------------------------------------------------------------------------------------------------


@pytest.mark.qemu
@pytest.mark.slow
def test_qemu_screendump_equals_reference_and_migrates() -> None:
    require("qemu-system-x86_64", "spicy-screenshot")
    from spiceview_lab.qemu import QemuServer

    with QemuServer(heads=2, agent=True, audio=True) as src:
        # SeaBIOS keeps printing for a while under TCG: wait until two reference pictures agree (up to the
        # 18 pixels of a blinking text cursor) before comparing with QEMU's own screendump.
        deadline = time.monotonic() + 30
        last = spicy_screenshot(port=src.port)
        while True:
            time.sleep(0.5)
            seen = spicy_screenshot(port=src.port)
            settled = (
                last.shape == seen.shape  # SeaBIOS starts in 640x480 graphics, then 720x400 text
                and xwd.compare(last, seen)[0] <= 18
                and len(np.unique(seen.reshape(-1, 4), axis=0)) > 1
            )
            if settled or time.monotonic() > deadline:
                break
            last = seen
        dump = xwd.load_ppm(src.qmp.screendump(src.tmpdir / "dump.ppm"))
        assert seen.shape == (400, 720, 4)
        assert xwd.compare(dump, seen)[0] <= 18
        with QemuServer(heads=2, agent=True, audio=True, incoming=True) as dst:
            assert src.migrate_to(dst)["status"] == "completed"
            assert dst.qmp.command("query-status")["status"] == "running"
        pid = src.proc.pid
    assert _gone([pid]) == []


@pytest.mark.xspice
def test_xspice_retries_when_its_port_is_taken(xspice, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from spiceview_lab import xspice as xspice_mod

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        calls: list[int] = []
        real = xspice_mod.free_ports

        def first_taken(n: int) -> list[int]:
            calls.append(n)
            return [taken] if len(calls) == 1 else real(n)

        monkeypatch.setattr(xspice_mod, "free_ports", first_taken)
        s = xspice()
        assert len(calls) == 2 and s.port != taken and s.alive()
