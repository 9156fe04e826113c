"""Hostile servers, live: a real Xspice session forwarded through spiceview_lab.fuzz_proxy, which mutates the
server's messages after the link (bits, extreme values, truncated and extended bodies, duplicates, now and then a
corrupted header). Each seeded session must end in a picture or one clear line: no crash, no hang, no traceback.
This runs a small seed set; `FUZZ_SEEDS=500 pytest tests/real/test_fuzz_live.py` runs the long one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from spiceview_lab.fuzz_proxy import FuzzProxy
from spiceview_lab.scenes import standard_scene

pytestmark = pytest.mark.xspice

SEEDS = int(os.environ.get("FUZZ_SEEDS", "12"))
COMPRESSIONS = ["auto_glz", "quic", "lz", "off"]
PER_TEST = 6  # seeds per test, so that a long run stays within each test's time limit
TOTAL, STEP = max(SEEDS, len(COMPRESSIONS)), len(COMPRESSIONS)
# Seed n runs with compression n mod 4; each test takes PER_TEST of one compression's seeds.
CASES = [
    (compression, range(start, min(start + STEP * PER_TEST, TOTAL), STEP))
    for i, compression in enumerate(COMPRESSIONS)
    for start in range(i, TOTAL, STEP * PER_TEST)
]


@pytest.mark.parametrize(("compression", "seeds"), CASES, ids=[f"{c}-{s.start}" for c, s in CASES])
def test_mutated_sessions_end_cleanly(compression: str, seeds: range, xspice, tmp_path) -> None:  # noqa: ANN001
    server = xspice(image_compression=compression)
    standard_scene(server)
    failures: list[str] = []
    outcomes: dict[str, int] = {}
    for seed in seeds:
        with FuzzProxy(server.port, seed=seed, rate=0.08) as proxy:
            out = tmp_path / f"shot-{seed}.png"
            try:
                run = subprocess.run(
                    [sys.executable, "-m", "spiceview", "--screenshot", str(out), "--timeout", "8", proxy.uri],
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
            except subprocess.TimeoutExpired:
                failures.append(f"seed {seed}: hung\n" + "\n".join(proxy.log))
                continue
        lines = [line for line in run.stderr.splitlines() if line.startswith("spiceview:")]
        outcome = "picture" if run.returncode == 0 else (lines[-1].split(":")[1].strip()[:40] if lines else "?")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if run.returncode < 0 or run.returncode not in (0, 1) or "Traceback" in run.stderr:
            failures.append(f"seed {seed}: exit {run.returncode}\n{run.stderr[-1500:]}\n" + "\n".join(proxy.log))
        elif run.returncode == 1 and len(lines) != 1:
            failures.append(f"seed {seed}: {len(lines)} lines for one failure\n{run.stderr[-800:]}")
    print(f"{compression}: {sum(outcomes.values())} sessions: {outcomes}")  # shown with -s
    assert not failures, "\n\n".join(failures)
