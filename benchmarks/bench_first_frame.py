"""Time to first frame: `spiceview --screenshot` beside spice-gtk's `spicy-screenshot` on the same Xspice.

Both are measured as a user runs them (process start to exit, PNG/PPM written), alternating, on the standard
lab scene, for each image compression asked for. spicy-screenshot saves at the display's first MARK; spiceview
is measured both with `--settle-ms 0` (the same rule) and with its default settle time (300 ms of quiet). spiceview's
process time includes starting Python and importing Qt and numpy (about 0.3 s); "of which the session" is the
time from connecting to the PNG written, as `spiceview -v` reports it.

    python3 benchmarks/bench_first_frame.py --runs 11 --modes off,auto_glz,quic,lz,glz,auto_lz
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

import _checkout  # noqa: F401 - first: the lab is imported from the checkout

from spiceview_lab.pixels import compare, load_png, load_ppm
from spiceview_lab.scenes import standard_scene
from spiceview_lab.viewer import run_viewer_cli
from spiceview_lab.xspice import XspiceServer

RESULTS = Path(__file__).parent / "results" / "first_frame.md"


def spicy(port: int, out: Path) -> float:
    start = time.monotonic()
    subprocess.run(
        ["spicy-screenshot", "-h", "127.0.0.1", "-p", str(port), "-o", str(out)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return time.monotonic() - start


def ours(uri: str, out: Path, settle_ms: int) -> tuple[float, float]:
    """(process wall time, session time from connecting to the PNG written, as spiceview -v reports it)."""
    run = run_viewer_cli(["-v", "--screenshot", str(out), "--settle-ms", str(settle_ms), uri])
    if run.returncode != 0:
        raise RuntimeError(run.stderr)
    found = re.search(r"in ([0-9.]+) s", run.stderr)
    return run.seconds, float(found.group(1)) if found else float("nan")


def bench_mode(mode: str, runs: int, size: tuple[int, int]) -> dict[str, float | str]:
    with XspiceServer(image_compression=mode, size=size) as server, tempfile.TemporaryDirectory() as tmp:
        truth = standard_scene(server)
        times: dict[str, list[float]] = {"spicy": [], "ours0": [], "session0": [], "ours": []}
        for _ in range(runs):
            times["spicy"].append(spicy(server.port, Path(tmp) / "s.ppm"))
            wall, session = ours(server.uri, Path(tmp) / "o0.png", 0)
            times["ours0"].append(wall)
            times["session0"].append(session)
            times["ours"].append(ours(server.uri, Path(tmp) / "o.png", 300)[0])
        exact_ours = compare(load_png(Path(tmp) / "o.png"), truth)[0] == 0
        exact_spicy = compare(load_ppm(Path(tmp) / "s.ppm"), truth)[0] == 0
    med = {k: statistics.median(v) for k, v in times.items()}
    return {
        "mode": mode,
        "spicy": med["spicy"],
        "ours0": med["ours0"],
        "session0": med["session0"],
        "ours": med["ours"],
        "ratio0": med["ours0"] / med["spicy"],
        "exact": f"{'yes' if exact_ours else 'NO'} / {'yes' if exact_spicy else 'NO'}",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--modes", default="off")
    ap.add_argument("--size", default="1024x768")
    ap.add_argument("--no-record", action="store_true", help="print only; do not append to results/")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    rows = [bench_mode(mode, args.runs, size) for mode in args.modes.split(",")]  # type: ignore[arg-type]
    lines = [
        f"## {date.today()} - {platform.node()} ({platform.processor() or platform.machine()}), {args.size}, "
        f"median of {args.runs} runs",
        "",
        "| mode | spicy-screenshot (process) | spiceview --settle-ms 0 (process) | of which the session "
        "| spiceview default settle 300 ms (process) | ratio (process, settle 0) | exact vs xwd (spiceview / spicy) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['mode']} | {r['spicy']:.3f} s | {r['ours0']:.3f} s | {r['session0']:.3f} s | {r['ours']:.3f} s "
            f"| {r['ratio0']:.2f} "
            f"| {r['exact']} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        with RESULTS.open("a") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
