"""The lab against real servers: Xvfb, Xspice (ground truth, TLS, password, agent, audio FIFO) and QEMU start,
behave and stop leaving nothing behind."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from spiceview_lab import certs, ports, procs, scenes, xwd
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
