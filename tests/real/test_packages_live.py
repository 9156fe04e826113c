"""Issue 17: what a user installs, built from a clean copy of the checkout and run like a user would.

- The sdist and the wheel (`python -m build`), the wheel made manylinux by auditwheel, installed into a fresh
  virtual environment with binary packages only (no compiler, no Cython), then driven against a real Xspice.
- The self-contained bundle (PyInstaller, packaging/build-bundle.sh), started outside any virtual environment with
  a bare environment, connecting to Xspice: a screenshot equal to the server's own picture, a window on an X
  display, the guest's sound into a PulseAudio null sink, spiceview-do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from spiceview.canvas.png import read_png
from spiceview_lab.requirements import require
from spiceview_lab.scenes import hide_cursor, standard_scene

pytestmark = [pytest.mark.xspice, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BARE_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}  # no Python of ours, no virtual environment


def run(argv: list[str], timeout: float = 900, **kwargs: object) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)  # type: ignore[call-overload]
    assert done.returncode == 0, f"{' '.join(map(str, argv))}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def clean_copy(tmp_path_factory) -> Path:  # noqa: ANN001
    """The files git knows, nothing built."""
    source = tmp_path_factory.mktemp("src")
    files = run(["git", "ls-files", "-z"], cwd=REPO).stdout.split("\0")
    for name in filter(None, files):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((REPO / name).read_bytes())
    return source


def same_as_server(png: Path, server) -> bool:  # noqa: ANN001
    return bool(np.array_equal(read_png(str(png)), server.screenshot()[..., 2::-1]))


def test_sdist_and_manylinux_wheel_install_without_build_tools_and_run(
    clean_copy: Path, xspice, tmp_path: Path
) -> None:  # noqa: ANN001
    require("patchelf")
    wheelhouse = tmp_path / "wheelhouse"
    run(
        ["sh", str(clean_copy / "packaging" / "build-wheels.sh"), str(wheelhouse)],
        env={**os.environ, "PYTHON": sys.executable},
    )
    (sdist,) = wheelhouse.glob("spiceview-*.tar.gz")
    (wheel,) = wheelhouse.glob("spiceview-*manylinux_2_17_x86_64.whl")
    assert list(wheelhouse.glob("pycairo-*manylinux*.whl")), "no manylinux pycairo beside it (PyPI has none for Linux)"
    with tarfile.open(sdist) as archive:
        in_sdist = archive.getnames()
    assert any(n.endswith("/setup.py") for n in in_sdist) and any(n.endswith("/LICENSE") for n in in_sdist)
    assert any(n.endswith("codecs/glz/_core.pyx") for n in in_sdist)
    assert not any("spiceview_lab" in n or "/tests/" in n for n in in_sdist), "the lab or the tests in the sdist"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
        entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert any(n.startswith("spiceview/codecs/glz/_core.") and n.endswith(".so") for n in names)
    assert "spiceview/data/spiceview.desktop" in names and "spiceview/data/icons/256x256.png" in names
    assert "spiceview/data/org.spiceview.spiceview.metainfo.xml" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.endswith(".c") for n in names), "generated C in the wheel"
    assert {n.split("/")[0] for n in names} <= {"spiceview", next(n.split("/")[0] for n in names if ".dist-info" in n)}
    assert "License-Expression: GPL-3.0-or-later" in metadata
    assert "Classifier: Environment :: X11 Applications :: Qt" in metadata
    assert "spiceview = spiceview.cli:main" in entry_points
    assert "spiceview-do = spiceview.scripting.cli:main" in entry_points

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    # Binary packages only and no compiler: installing must not build anything.
    env = {**os.environ, "CC": "/bin/false", "CXX": "/bin/false", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    pip = [str(venv / "bin" / "pip"), "install", "-q", "--only-binary", ":all:", "--find-links", str(wheelhouse)]
    run([*pip, "spiceview"], env=env)
    assert subprocess.run([str(venv / "bin" / "python"), "-c", "import Cython"], capture_output=True).returncode != 0

    server = xspice()
    hide_cursor(server.display)
    standard_scene(server)
    venv_env = {**BARE_ENV, "HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    out = tmp_path / "wheel-shot.png"
    run(
        [str(venv / "bin" / "spiceview"), "--screenshot", str(out), server.uri], env=venv_env, cwd=tmp_path, timeout=120
    )
    assert same_as_server(out, server)
    run(
        [str(venv / "bin" / "spiceview-do"), server.uri, "capture", str(tmp_path / "do.png")], env=venv_env, timeout=120
    )
    assert same_as_server(tmp_path / "do.png", server)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:  # noqa: ANN001
    require("sh")
    out = tmp_path_factory.mktemp("bundle")
    run(["sh", str(REPO / "packaging" / "build-bundle.sh"), str(out)], env={**os.environ, "PYTHON": sys.executable})
    # What a user does with the archive: unpack it anywhere, run it from there.
    (archive,) = out.glob("spiceview-*-linux-x86_64.tar.gz")
    unpacked = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="tar")
    return unpacked / "spiceview"


def test_the_bundle_runs_outside_any_environment(bundle: Path, xspice, tmp_path: Path) -> None:  # noqa: ANN001
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    assert {"spiceview", "spiceview-do"} <= files
    assert "_internal/spiceview/data/spiceview.desktop" in files
    assert any(f.startswith("_internal/spiceview/codecs/glz/_core.") for f in files)
    assert not any("spiceview_lab" in f or "_pytest/" in f or "/tests/" in f for f in files)
    server = xspice(audio=True)
    hide_cursor(server.display)
    standard_scene(server)
    env = {**BARE_ENV, "HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    done = run([str(bundle / "spiceview"), "--version"], env=env, timeout=60)
    assert done.stdout.startswith("spiceview ")
    shot = tmp_path / "bundle-shot.png"
    run([str(bundle / "spiceview"), "--screenshot", str(shot), server.uri], env=env, timeout=120)
    assert same_as_server(shot, server)
    run([str(bundle / "spiceview-do"), server.uri, "capture", str(tmp_path / "do.png")], env=env, timeout=120)
    assert same_as_server(tmp_path / "do.png", server)


def test_the_bundle_shows_its_window_and_plays_the_guest_sound(bundle: Path, xspice, tmp_path: Path) -> None:  # noqa: ANN001
    """On an X display (Xvfb) with the sound going to a PulseAudio null sink: the window appears, the tone is heard."""
    from spiceview_lab.pulse import PulseNullSink
    from spiceview_lab.xvfb import XvfbServer

    sys.path.insert(0, str(Path(__file__).parent))
    from test_audio_live import RATE, play_into, tone

    server = xspice(audio=True)
    with PulseNullSink() as pulse, XvfbServer(1280, 1024) as xvfb:
        env = {**BARE_ENV, **{k: v for k, v in pulse.env.items() if k.startswith(("PULSE", "XDG", "ALSA"))}}
        env.update({"HOME": str(tmp_path), "DISPLAY": xvfb.display, "QT_QPA_PLATFORM": "xcb"})
        log = tmp_path / "bundle.log"
        viewer = subprocess.Popen([str(bundle / "spiceview"), "--debug", server.uri], env=env, stderr=log.open("w"))
        try:
            deadline = time.monotonic() + 60
            while "channel.playback-0 DEBUG: linked" not in log.read_text():
                assert viewer.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.1)
            windows = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--pid", str(viewer.pid)],
                env={"DISPLAY": xvfb.display, "PATH": "/usr/bin:/bin"},
                capture_output=True,
                text=True,
            ).stdout.split()
            assert windows, "the bundle's window is not on the X display"
            recorder = pulse.record()
            writer = play_into(server, tone(440, 4.0))
            writer.join(20)
            time.sleep(1.0)
            heard = pulse.stop_recording(recorder)
        finally:
            viewer.terminate()
            viewer.wait(10)
    assert "cannot play sound" not in log.read_text()
    assert len(np.flatnonzero(np.abs(heard[:, 0]) > 2000)) > RATE, "the tone was not heard from the bundle"
