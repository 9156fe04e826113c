"""What a plain session loads before it connects: a one-shot `spiceview --screenshot` is mostly the interpreter and
its imports (spicy-screenshot's whole run is ~0.1 s), so modules only some sessions need load on first use:
each codec with its first image or stream, TLS, proxies, migration, .vv files, Cairo, Qt, the agent.
(benchmarks/bench_cpu.py times the whole process beside spicy-screenshot.)"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

import pytest

from spiceview.cli import EXIT_USAGE, main

# What `spiceview --screenshot out.png spice://host:port` has imported when it connects.
SCREENSHOT_PATH = [
    "spiceview.cli",
    "spiceview.session.target",
    "spiceview.channels.from_params",
    "spiceview.channels.spice_session",
    "spiceview.channels.display_channel",
    "spiceview.headless.screenshot",
    "spiceview.canvas.png",
]
# What it has imported when the main channel starts linking: the display's modules (numpy, the canvas, the codecs)
# load during that link (headless/screenshot.py's load_display_modules).
LINK_PATH = [
    "spiceview.cli",
    "spiceview.session.target",
    "spiceview.channels.from_params",
    "spiceview.channels.spice_session",
    "spiceview.headless.screenshot",
]
LOADED_ON_USE = [
    "ssl",  # TLS: connect.py, when it wraps a socket
    "cairo",  # zoomed repaints and strokes
    "PySide6",
    "av",  # PyAV: the first FFmpeg stream
    "simplejpeg",  # JPEG images and MJPEG streams
    "spiceview.codecs.jpeg",
    "spiceview.codecs.video.decoder",
    "spiceview.codecs.video._yuv",
    "spiceview.codecs.quic",
    "spiceview.codecs.lz4",
    "spiceview.canvas.composite",  # pixman's composite: scaled and composited draws
    "spiceview.channels.migration",
    "spiceview.protocol.migration",
    "spiceview.transport.proxy",
    "spiceview.session.vvfile",
    "spiceview.protocol.agent.messages",
    "spiceview.channels.cursor_channel",
    "uuid",  # the server's UUID, formatted when it comes
    "encodings.idna",  # host names that are not ASCII
]


def loaded_after(modules: list[str]) -> tuple[set[str], dict[str, str]]:
    code = (
        "import importlib, json, os, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps([sorted(sys.modules), {'blas': os.environ.get('OPENBLAS_NUM_THREADS', '')}]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}  # as a user's shell has it
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    names, seen = json.loads(out)
    return set(names), seen


def test_a_screenshot_connects_without_what_only_some_sessions_need() -> None:
    loaded, _ = loaded_after(SCREENSHOT_PATH)
    early = sorted(name for name in LOADED_ON_USE if name in loaded)
    assert early == [], f"imported before they are needed: {early}"


def test_the_main_channel_links_before_the_display_modules_load() -> None:
    loaded, _ = loaded_after(LINK_PATH)
    display = ["numpy", "spiceview.channels.display_channel", "spiceview.canvas.png"]
    early = sorted(name for name in display if name in loaded)
    assert early == [], f"imported before the main channel links: {early}"


def test_the_command_keeps_numpy_to_one_blas_thread() -> None:
    # OpenBLAS's extra worker spins ~0.1 s of CPU after numpy loads; spiceview does no linear algebra.
    loaded, env = loaded_after(["spiceview.cli"])
    assert "numpy" not in loaded  # set before numpy can have loaded its BLAS
    assert env["blas"] == "1"


def test_the_garbage_collector_is_back_on_after_the_command() -> None:
    assert main(["--screenshot", "out.png"]) == EXIT_USAGE  # no target: refused before connecting
    assert gc.isenabled()
    with pytest.raises(SystemExit):
        main(["--no-such-option"])
    assert gc.isenabled()
