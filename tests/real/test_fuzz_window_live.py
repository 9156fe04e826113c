"""Hostile servers against the window: `spiceview URI` (offscreen Qt) on a real Xspice through
spiceview_lab.fuzz_proxy, on a still desktop in each image compression and while a video plays as an MJPEG
stream. Each seeded window runs a few seconds (a session that breaks is reconnected, through the proxy again),
then gets Ctrl+C: it must still be running or have ended with one clear line, quit within a few seconds of being
asked (not hung), and never crash or print a traceback. `FUZZ_WINDOW_SEEDS=N` runs N seeds per workload (default 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from spiceview_lab.fuzz_proxy import FuzzProxy
from spiceview_lab.media import make_clip
from spiceview_lab.requirements import require
from spiceview_lab.scenes import hide_cursor, standard_scene

pytestmark = pytest.mark.xspice

SEEDS = int(os.environ.get("FUZZ_WINDOW_SEEDS", "2"))
RUN_S = 6.0
# A still desktop sends a few dozen messages, a video hundreds: about as many changed messages per window either way.
RATES = {"video": 0.06}
DESKTOP_RATE = 0.25
WORKLOADS = ["auto_glz", "quic", "lz", "off", "video"]  # a still desktop in each image compression, and a video


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:  # noqa: ANN001
    require("ffmpeg", "mpv")
    return make_clip(tmp_path_factory.mktemp("video") / "clip.mp4", "testsrc=size=320x240:rate=25", 4, timeout=60)


def start_workload(workload: str, xspice, clip: Path):  # noqa: ANN001, ANN201
    if workload == "video":
        server = xspice(streaming_video="all", video_codecs="spice:mjpeg")
        hide_cursor(server.display)
        server.run_client(["mpv", "--vo=x11", "--ao=null", "--loop=inf", "--no-osc", "--geometry=+40+40", str(clip)])
        time.sleep(1.0)
    else:
        server = xspice(image_compression=workload)
        standard_scene(server)
    return server


@pytest.mark.parametrize("workload", WORKLOADS)
def test_mutated_sessions_in_a_window(workload: str, clip: Path, xspice, tmp_path: Path) -> None:  # noqa: ANN001
    server = start_workload(workload, xspice, clip)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    failures: list[str] = []
    outcomes: dict[str, int] = {}
    mutations = 0
    for seed in range(SEEDS):
        with FuzzProxy(server.port, seed=1000 + seed, rate=RATES.get(workload, DESKTOP_RATE)) as proxy:
            viewer = subprocess.Popen(
                [sys.executable, "-m", "spiceview", "--spice-disable-audio", "--timeout", "5", proxy.uri],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(RUN_S)
            running = viewer.poll() is None
            viewer.send_signal(signal.SIGINT)
            try:
                _out, err = viewer.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                viewer.kill()
                _out, err = viewer.communicate()
                failures.append(f"seed {1000 + seed}: did not quit when asked\n{err[-1500:]}\n" + "\n".join(proxy.log))
                continue
        mutations += len(proxy.log)
        lines = [line for line in err.splitlines() if line.startswith("spiceview:")]
        outcome = "ran" if running else f"ended {viewer.returncode}"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if viewer.returncode < 0 or "Traceback" in err:
            failures.append(f"seed {1000 + seed}: exit {viewer.returncode}\n{err[-1500:]}\n" + "\n".join(proxy.log))
        elif not running and (viewer.returncode != 1 or len(lines) != 1):
            failures.append(f"seed {1000 + seed}: ended {viewer.returncode} with {len(lines)} lines\n{err[-800:]}")
    print(f"{workload}: {SEEDS} windows: {outcomes}, {mutations} messages changed")
    assert not failures, "\n\n".join(failures)
