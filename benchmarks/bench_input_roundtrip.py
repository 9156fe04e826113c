"""Input round trip: a key pressed in the viewer's window until the guest's echo shows in that window.

spiceview beside remote-viewer (spice-gtk, package virt-viewer) on the same Xspice (default image compression,
streaming off). In the guest, a screen-filling xterm (DejaVu Sans Mono 20) runs `cat` with the tty echoing every
letter; the guest pointer rests over it (no window manager: the keyboard focus follows the pointer). On the client
side each viewer gets a fresh Xvfb; its window is found by PID and given the pointer and the keyboard focus.

One sample (spiceview_lab.xinput.key_roundtrip): capture the viewer's window, note the time, XTEST press + release
of a letter on the client display, then wait for the first XDamage event of the viewer's window whose rectangle now
differs from the capture: the viewer drawing the echoed letter (the time is when the event was read; repaints that
change nothing are skipped and counted). A second connection watches damage on the guest's (Xspice's) root window:
the first change there is the echo drawn in the guest, the input half of the trip; a change of the viewer's window
before it cannot be the echo and is skipped and counted too. Between samples 100 ms pass and leftover damage is
dropped. The guest's `cat` log must hold exactly the letters typed, so a sample counts only real key deliveries. A
press that changes nothing within --timeout is "no response"; after --max-misses of them in a row that viewer's run
stops (spiceview rows say so while its keyboard is missing).

    python3 benchmarks/bench_input_roundtrip.py --samples 30 [--rounds 2] [--viewers remote-viewer,spiceview]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import _checkout  # noqa: F401 - first: the lab is imported from the checkout
import numpy as np
from report import append_report  # benchmarks/ is the script's folder: first on sys.path

from spiceview_lab import procs, xinput
from spiceview_lab.scenes import FONT, wait_mapped
from spiceview_lab.xspice import XspiceServer
from spiceview_lab.xvfb import XvfbServer

RESULTS = Path(__file__).parent / "results" / "input_roundtrip.md"
REPO = Path(__file__).resolve().parent.parent
LETTERS = "abcdefghijklmnopqrstuvwxyz"
GUEST_SIZE = (1024, 768)
CLIENT_SIZE = (1280, 1024)
XTERM_TITLE = "lab-echo"


@dataclass
class ViewerResult:
    viewer: str
    times: list[float] = field(default_factory=list)  # seconds, answered presses only
    presses: int = 0
    unchanged: int = 0  # damage events before the answer that left the pixels as they were
    early: int = 0  # window changes before the guest's screen changed (local drawing, not the echo)
    guest_times: list[float] = field(default_factory=list)  # seconds until the guest's own screen changed
    typed: str = ""
    guest_got: str = ""
    note: str = ""

    @property
    def answered(self) -> int:
        return len(self.times)


# -- guest ---------------------------------------------------------------------------------------------


def start_echo_xterm(server: XspiceServer, log: Path) -> subprocess.Popen:
    """A screen-filling xterm whose tty echoes each key at once (`stty -icanon`), `cat` logging what arrived."""
    script = 'stty -icanon; exec cat > "$1"'
    proc = server.run_client(
        [
            "xterm",
            "-fa",
            FONT,
            "-fs",
            "20",
            "-geometry",
            "80x24+0+0",
            "-T",
            XTERM_TITLE,
            "-bw",
            "0",
            "+bc",
            "-xrm",
            "XTerm*pointerMode: 0",
            "-e",
            "sh",
            "-c",
            script,
            "sh",
            str(log),
        ],
        env={"LC_ALL": "C.UTF-8"},
    )
    wid = wait_mapped(server.display, XTERM_TITLE)
    server.run(["xdotool", "windowsize", wid, str(GUEST_SIZE[0]), str(GUEST_SIZE[1])])
    # The guest pointer over the xterm: with no window manager the keyboard focus follows it.
    server.run(["xdotool", "mousemove", str(GUEST_SIZE[0] // 2), str(GUEST_SIZE[1] // 2)])
    deadline = time.monotonic() + 10
    while not log.exists():  # cat has started: the tty is in -icanon mode
        if time.monotonic() > deadline:
            raise RuntimeError("the guest xterm never started cat")
        time.sleep(0.02)
    time.sleep(0.3)
    return proc


# -- client --------------------------------------------------------------------------------------------


def viewer_argv(viewer: str, uri: str) -> list[str]:
    if viewer == "remote-viewer":
        return ["remote-viewer", uri]
    if viewer == "spiceview":
        return [sys.executable, "-m", "spiceview", uri]
    raise ValueError(f"unknown viewer {viewer!r}")


def _xrun(xvfb: XvfbServer, argv: list[str]) -> str:
    """Run a short X command (xdotool...) on the client display; raises on failure."""
    return subprocess.run(argv, env=xvfb.env, capture_output=True, text=True, timeout=30, check=True).stdout


def _geometry(xvfb: XvfbServer, wid: str) -> tuple[int, int, int, int]:
    out = _xrun(xvfb, ["xdotool", "getwindowgeometry", "--shell", wid])
    g = dict(line.split("=", 1) for line in out.split())
    return int(g["X"]), int(g["Y"]), int(g["WIDTH"]), int(g["HEIGHT"])


def find_window(xvfb: XvfbServer, proc: subprocess.Popen, timeout: float) -> str:
    """The largest visible window of proc's PID on xvfb (a toolkit may map small helper windows too)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the viewer exited ({proc.returncode}) before showing a window")
        res = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--pid", str(proc.pid)],
            env=xvfb.env,
            capture_output=True,
            text=True,
        )
        wids = res.stdout.split()
        if wids:
            sizes = {}
            for w in wids:
                with contextlib.suppress(subprocess.CalledProcessError, KeyError, ValueError):
                    _, _, width, height = _geometry(xvfb, w)
                    sizes[w] = width * height
            big = [w for w, area in sizes.items() if area >= 320 * 200]
            if big:
                return max(big, key=sizes.__getitem__)
        time.sleep(0.1)
    raise RuntimeError(f"no visible window of PID {proc.pid} after {timeout:.0f} s")


def run_viewer(
    viewer: str,
    server: XspiceServer,
    samples: int,
    timeout: float,
    max_misses: int,
    start_timeout: float,
    argv: list[str] | None = None,
    beside: Callable[[XspiceServer], subprocess.Popen] | None = None,
    echo_rows: int | None = None,
) -> ViewerResult:
    """`argv`: how to start the viewer (default: viewer_argv on the server's URI; another route or options).
    `beside`: starts a program that keeps drawing in the guest below its top `echo_rows` pixels (a video) while the
    keys are pressed; then only changes in those rows (of the guest, and of the window) count as the echo."""
    result = ViewerResult(viewer)
    assert server.tmpdir is not None
    log = server.tmpdir / f"echo-{viewer}-{time.monotonic_ns()}.txt"
    xterm = start_echo_xterm(server, log)
    other = None
    try:
        with XvfbServer(*CLIENT_SIZE) as xvfb:
            env = {"QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
            viewer_log = xvfb.tmpdir / f"{viewer}.log" if xvfb.tmpdir else None
            proc = xvfb.run_client(argv or viewer_argv(viewer, server.uri), env=env, log=viewer_log)
            try:
                wid = find_window(xvfb, proc, start_timeout)
            except RuntimeError as e:
                result.note = f"no window: {e}; log: {procs.tail(viewer_log, 5)!r}"
                return result
            with xinput.XDisplay(xvfb.display) as d, xinput.XDisplay(server.display) as g:
                # Wait for the guest picture to arrive and settle (the window may resize to it) before touching it.
                with xinput.DamageWatch(d, int(wid)) as watch:
                    watch.wait_quiet(1.0, timeout=start_timeout)
                x, y, w, h = _geometry(xvfb, wid)
                xinput.fake_motion(d, x + w // 2, y + h // 2)
                _xrun(xvfb, ["xdotool", "windowfocus", "--sync", wid])
                # Whatever the viewer did with the motion, the guest pointer goes back over the xterm.
                server.run(["xdotool", "mousemove", str(GUEST_SIZE[0] // 2), str(GUEST_SIZE[1] // 2)])
                codes = [xinput.keycode(d, LETTERS[i % len(LETTERS)]) for i in range(samples)]
                region = guest_region = None
                if beside is not None and echo_rows is not None:
                    other = beside(server)
                    time.sleep(3.0)  # drawing by now (a video: streamed)
                    guest_region = (0, 0, GUEST_SIZE[0], echo_rows)
                    region = (0, 0, w, echo_rows + (h - GUEST_SIZE[1]))  # the window's bars above the guest too
                try:
                    with xinput.DamageWatch(g, g.root) as guest_screen:
                        got = xinput.key_roundtrip(
                            d,
                            int(wid),
                            codes,
                            timeout=timeout,
                            gap=0.1,
                            settle=0.5,
                            max_misses=max_misses,
                            guest=guest_screen,
                            region=region,
                            guest_region=guest_region,
                        )
                except xinput.XInputError as e:  # e.g. the window vanished or left the screen
                    got, result.note = [], f"X error: {e}"
            result.presses = len(got)
            result.typed = "".join(LETTERS[i % len(LETTERS)] for i in range(len(got)))
            result.times = [s.seconds for s in got if s.seconds is not None]
            result.unchanged = sum(s.unchanged_damage for s in got)
            result.early = sum(s.early_changes for s in got)
            result.guest_times = [s.guest_seconds for s in got if s.guest_seconds is not None]
            if proc.poll() is not None:
                result.note = "; ".join(n for n in (result.note, f"the viewer exited ({proc.returncode})") if n)
            elif len(got) < samples and not result.note:
                result.note = f"stopped after {max_misses} presses in a row without a response"
            if not result.times:
                result.note += f"; viewer log: {procs.tail(viewer_log, 2)!r}"
    finally:
        if other is not None:
            procs.stop_child(other, timeout=2.0)
        time.sleep(0.3)  # let the guest's cat write the last letters
        result.guest_got = log.read_text(errors="replace") if log.exists() else ""
        procs.stop_child(xterm, timeout=2.0)
    if result.guest_got != result.typed and not result.note:
        result.note = f"guest got {result.guest_got[:40]!r}, typed {result.typed[:40]!r}"
    return result


# -- report --------------------------------------------------------------------------------------------


def merge(results: list[ViewerResult]) -> ViewerResult:
    out = ViewerResult(results[0].viewer)
    for r in results:
        out.times += r.times
        out.presses += r.presses
        out.unchanged += r.unchanged
        out.early += r.early
        out.guest_times += r.guest_times
        out.typed += r.typed
        out.guest_got += r.guest_got
        if r.note and r.note not in out.note:
            out.note = "; ".join(n for n in (out.note, r.note) if n)
    return out


def machine() -> str:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{platform.node()} ({model}, {os.cpu_count()} CPUs)"


def source_version() -> str:
    """The spiceview commit measured, marked when the working tree has uncommitted changes to spiceview/."""

    def git(*argv: str) -> str:
        res = subprocess.run(["git", "-C", str(REPO), *argv], capture_output=True, text=True)
        return res.stdout.strip() if res.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "spiceview")
    return f"{commit} + uncommitted changes" if dirty else commit


def ms(v: float) -> str:
    return f"{v * 1000:.1f} ms"


def table(results: list[ViewerResult], samples: int, rounds: int, timeout: float) -> str:
    base = next((r for r in results if r.viewer == "remote-viewer" and r.times), None)
    lines = [
        f"## {date.today()} - {machine()}, guest {GUEST_SIZE[0]}x{GUEST_SIZE[1]}, {samples} presses x {rounds} "
        f"round(s) per viewer, timeout {timeout:g} s, spiceview {source_version()}",
        "",
        "| viewer | answered / pressed | guest got every letter | median | p90 | min | max | ratio to remote-viewer "
        "(median) | of which key -> guest echo drawn (median) | ignored damage: no change / before the guest's "
        "| note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        exact = "yes" if r.guest_got == r.typed and r.presses else f"no ({len(r.guest_got)} of {r.presses})"
        if r.times:
            t = np.array(r.times)
            stats = [ms(float(np.median(t))), ms(float(np.percentile(t, 90))), ms(float(t.min())), ms(float(t.max()))]
            ratio = f"{np.median(t) / np.median(base.times):.2f}" if base is not None else "-"
        else:
            stats, ratio = ["no response"] + ["-"] * 3, "-"
        note = r.note.replace("|", "/").replace("\n", " ")
        guest = ms(float(np.median(r.guest_times))) if r.guest_times else "-"
        ignored = f"{r.unchanged} / {r.early}"
        cells = [r.viewer, f"{r.answered} / {r.presses}", exact, *stats, ratio, guest, ignored, note]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=30, help="key presses per viewer and round")
    ap.add_argument("--rounds", type=int, default=1, help="rounds; each runs every viewer once, order alternating")
    ap.add_argument("--viewers", default="remote-viewer,spiceview")
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds a press may take to show (else no response)")
    ap.add_argument("--max-misses", type=int, default=3, help="stop a viewer's run after this many misses in a row")
    ap.add_argument("--start-timeout", type=float, default=30.0, help="seconds for a viewer's window and picture")
    ap.add_argument("--no-record", action="store_true", help="print only; do not append to results/")
    args = ap.parse_args()
    viewers = args.viewers.split(",")
    runs: dict[str, list[ViewerResult]] = {v: [] for v in viewers}
    with XspiceServer(streaming_video="off", size=GUEST_SIZE) as server:
        for rnd in range(args.rounds):
            for viewer in viewers if rnd % 2 == 0 else viewers[::-1]:
                r = run_viewer(viewer, server, args.samples, args.timeout, args.max_misses, args.start_timeout)
                print(
                    f"round {rnd + 1} {viewer}: {r.answered}/{r.presses} answered"
                    + (f", median {ms(float(np.median(r.times)))}" if r.times else "")
                    + (f", guest echo median {ms(float(np.median(r.guest_times)))}" if r.guest_times else "")
                    + (f" ({r.note})" if r.note else ""),
                    file=sys.stderr,
                )
                runs[viewer].append(r)
    text = table([merge(runs[v]) for v in viewers], args.samples, args.rounds, args.timeout)
    print(text)
    if not args.no_record:
        append_report(RESULTS, "Input round trip (benchmarks/bench_input_roundtrip.py)", text)


if __name__ == "__main__":
    main()
