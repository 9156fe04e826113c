"""Connect spiceview first, draw a scene on the X server, then capture both sides once all is drawn.

A client that connects after the drawing gets the screen as one lossless image, so live tests connect
first and draw afterwards. The capture is taken when the scene is finished, not after a delay chosen in
advance: on a loaded machine an X client's start-up alone can outlast any such delay.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from spiceview.headless.session import HeadlessSession
from spiceview.session.uri import parse_spice_uri
from spiceview_lab.pixels import load_png
from spiceview_lab.scenes import wait_idle


@dataclass
class LiveCapture:
    got: np.ndarray  # spiceview's picture, (H, W, 4) B,G,R,0xFF like xwd captures
    truth: np.ndarray  # xwd -root once the X server is quiet
    stats: dict[str, Any]  # what spiceview received (the --stats-json figures)


def capture_live(
    server: Any,
    artifacts: Path,
    draw: Callable[[], object],
    *,
    preferred_compression: str | None = None,
    settle_ms: int = 1000,
) -> LiveCapture:
    """`settle_ms`: how long spiceview must see nothing drawn before the scene counts as finished."""
    params = parse_spice_uri(server.uri)
    if preferred_compression is not None:
        params = replace(params, preferred_compression=preferred_compression)
    with HeadlessSession(params, timeout=60) as session:
        session.wait_for_frame()  # connected before drawing, so the drawing crosses the wire as commands
        draw()
        # A slow client keeps the X server's command ring full and the X server then pauses mid-scene, which
        # would fool a "screen stopped changing" test: wait for spiceview to go quiet first, then for X, then
        # once more for spiceview (whatever X drew last is on its way).
        session.wait_idle(settle_ms=settle_ms, timeout=120)
        truth = wait_idle(server.display)
        session.wait_idle(settle_ms=500, timeout=120)
        shot = artifacts / "spiceview.png"
        session.screenshot(shot)
        stats = session.client.stats()
    (artifacts / "stats.json").write_text(json.dumps(stats, indent=1))
    return LiveCapture(load_png(shot), truth, stats)
