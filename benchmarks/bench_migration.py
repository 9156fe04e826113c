"""Live migration: how long the picture freezes while the VM moves, spiceview beside remote-viewer (spice-gtk).

Each round boots the lab's Linux guest (QEMU, Debian's kernel, busybox) with a picture that never rests (a
counter rewritten every 20 ms across the console's middle row, see LinuxGuest(animate=True)), shows it in one
viewer on its own Xvfb, starts a second QEMU waiting for the VM, tells the clients where it is
(client_migrate_info), waits ANSWER_WAIT_S (what libvirt does: QEMU 7.2 does not wait for the clients itself) and
migrates. Xvfb keeps its framebuffer in a file (-fbdir): a sampler reads the middle of the viewer's window every
SAMPLE_S and notes when it changed. The figure is the longest time without a change from the `migrate` command
until MEASURE_AFTER_S after the destination runs, next to the longest gap in the BASELINE_S just before `migrate`
(the guest's own pace on this machine).

How the session moved is read where both clients are seen alike: spice-server's debug log on the destination
(seamless: "reds_on_client_seamless_migrate_complete"; semi-seamless: "..._semi_seamless_..."; neither: the
client came by SWITCH_HOST). Modes: `seamless` (both QEMUs with seamless-migration=on), `semi-seamless` (without),
`switch-host` (without, and the destination's SPICE port behind the lab's WireProxy, cut from client_migrate_info
until the VM has moved: the links made in advance cannot complete, so the source falls back to SWITCH_HOST, the
full reconnect; the proxy carries the reconnect afterwards).

    python3 benchmarks/bench_migration.py [--rounds 3] [--modes seamless,semi-seamless,switch-host]
                                          [--viewers remote-viewer,spiceview] [--no-record]

Appends to benchmarks/results/migration.md (unless --no-record). Rounds alternate the viewers.
"""

from __future__ import annotations

import argparse
import contextlib
import mmap
import statistics
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import _checkout  # noqa: F401 - first: the lab is imported from the checkout
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cpu import client_env  # noqa: E402
from bench_input_roundtrip import _geometry, find_window, machine, source_version, viewer_argv  # noqa: E402
from report import append_report  # noqa: E402

from spiceview_lab.linux_guest import LinuxGuest  # noqa: E402
from spiceview_lab.wire_proxy import WireProxy  # noqa: E402
from spiceview_lab.xvfb import XvfbServer  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "migration.md"
SCREEN = (1280, 1024)
SAMPLE_S = 0.01
ANSWER_WAIT_S = 2.0
MEASURE_AFTER_S = 5.0
MEMORY_MB = 256
SETTLE_S = 3.0
BASELINE_S = 1.5
PATHS = {
    "reds_on_client_seamless_migrate_complete": "seamless",
    "reds_on_client_semi_seamless_migrate_complete": "semi-seamless",
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class FrameSampler:
    """Notes when a region of Xvfb's framebuffer (an XWD file under -fbdir) changed, every SAMPLE_S."""

    def __init__(self, fb_file: Path) -> None:
        self._file = fb_file.open("rb")
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        # XWD header (big-endian words): its size at 0, bytes per line at 12, colour map entries at 19 (12 bytes
        # each, after the header), then the pixels.
        words = np.frombuffer(self._map, ">u4", 25)
        self._line = int(words[12])
        self._pixels = int(words[0]) + 12 * int(words[19])
        self.region = (0, 0, SCREEN[0], SCREEN[1])
        self.changes: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _digest(self) -> int:
        x, y, w, h = self.region
        rows = np.frombuffer(self._map, np.uint8, h * self._line, self._pixels + y * self._line).reshape(h, -1)
        return zlib.adler32(np.ascontiguousarray(rows[:, x * 4 : (x + w) * 4]))

    def _run(self) -> None:
        last = self._digest()
        while not self._stop.wait(SAMPLE_S):
            digest = self._digest()
            if digest != last:
                self.changes.append(time.monotonic())
                last = digest

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._map.close()
        self._file.close()

    def longest_gap(self, start: float, end: float) -> float:
        """The longest time in [start, end] without a change (the ends count as bounds)."""
        times = [start, *(t for t in self.changes if start < t < end), end]
        return max(b - a for a, b in zip(times, times[1:], strict=False))


@dataclass
class Round:
    viewer: str
    mode: str
    frozen: float | None = None  # longest gap around the migration, seconds
    baseline: float | None = None  # longest gap in the BASELINE_S before it
    path: str = ""
    migrate_s: float = 0.0  # the migrate command until the destination ran
    note: str = ""


@dataclass
class Summary:
    viewer: str
    mode: str
    rounds: list[Round] = field(default_factory=list)

    def frozen(self) -> list[float]:
        return [r.frozen for r in self.rounds if r.frozen is not None]


def one_round(viewer: str, mode: str, fbdir: Path) -> Round:
    result = Round(viewer, mode)
    seamless = mode == "seamless"
    options = {"animate": True, "seamless_migration": seamless, "memory_mb": MEMORY_MB, "spice_debug_log": True}
    with XvfbServer(*SCREEN, extra_args=["-fbdir", str(fbdir)]) as xvfb, LinuxGuest(**options) as src:  # type: ignore[arg-type]
        src.wait_for_shell(timeout=120)
        proc = xvfb.run_client(viewer_argv(viewer, src.uri), env=client_env(), log=fbdir / f"{viewer}.log")
        sampler = FrameSampler(fbdir / "Xvfb_screen0")
        try:
            wid = find_window(xvfb, proc, 60)
            time.sleep(SETTLE_S)  # the window takes the guest's size once the first picture is in
            x, y, w, h = _geometry(xvfb, wid)
            # The middle third of the window: the guest's counter row is there, menus and status lines are not.
            sampler.region = (x + w // 10, y + h // 3, w * 8 // 10, h // 3)
            sampler.start()
            deadline = time.monotonic() + 60
            while len(sampler.changes) < 50:
                if time.monotonic() > deadline:
                    result.note = "the picture did not move before the migration"
                    return result
                time.sleep(0.2)
            with LinuxGuest(incoming=True, **options) as dst:  # type: ignore[arg-type]
                assert src.qmp is not None and dst.qmp is not None
                t_migrate, t_run = migrate(src, dst, blocked=mode == "switch-host")
                result.migrate_s = t_run - t_migrate
                end = t_run + MEASURE_AFTER_S
                result.frozen = sampler.longest_gap(t_migrate, end)
                result.baseline = sampler.longest_gap(t_migrate - BASELINE_S, t_migrate)
                server_log = dst.log_path.read_text(errors="replace")
                result.path = next((name for key, name in PATHS.items() if key in server_log), "switch-host")
                if not any(t > end - 1.0 for t in sampler.changes):
                    result.note = "the picture stopped after the migration"
                if proc.poll() is not None:
                    result.note = f"the viewer exited ({proc.returncode})"
        finally:
            sampler.stop()
            with contextlib.suppress(Exception):
                proc.terminate()
                proc.wait(10)
    return result


def migrate(src: LinuxGuest, dst: LinuxGuest, *, blocked: bool) -> tuple[float, float]:
    """Tell the clients, wait ANSWER_WAIT_S, migrate; (when `migrate` was sent, when the destination ran).
    blocked: the clients reach the destination only through a proxy that passes nothing until the VM has moved."""
    assert src.qmp is not None and dst.qmp is not None and dst.port is not None
    with contextlib.ExitStack() as stack:
        port = dst.port
        proxy = stack.enter_context(WireProxy(dst.port)) if blocked else None
        if proxy is not None:
            proxy.cut()
            assert proxy.port is not None
            port = proxy.port
        src.qmp.client_migrate_info(port)
        time.sleep(ANSWER_WAIT_S)
        t_migrate = time.monotonic()
        src.qmp.migrate(f"tcp:127.0.0.1:{dst.migration_port}", timeout=120)
        if proxy is not None:
            proxy.restore()
        while dst.qmp.command("query-status")["status"] != "running":
            time.sleep(0.01)
        t_run = time.monotonic()
        time.sleep(MEASURE_AFTER_S)  # the proxy stays for the reconnect
        return t_migrate, t_run


def table(summaries: list[Summary], rounds: int) -> str:
    lines = [
        f"## {date.today()} - {machine()}, Linux guest {MEMORY_MB} MB, {rounds} round(s) per viewer and mode, "
        f"spiceview {source_version()}",
        "",
        "| mode | viewer | picture frozen, median | min | max | longest gap before (guest's pace) | migrate command | "
        "how the session moved | ratio to remote-viewer |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        base = next((b for b in summaries if b.mode == s.mode and b.viewer == "remote-viewer" and b.frozen()), None)
        frozen = s.frozen()
        if not frozen:
            lines.append(f"| {s.mode} | {s.viewer} | - | - | - | - | - | {'; '.join(r.note for r in s.rounds)} | - |")
            continue
        med = statistics.median(frozen)
        before = statistics.median(r.baseline for r in s.rounds if r.baseline is not None)
        migrate = statistics.median(r.migrate_s for r in s.rounds if r.frozen is not None)
        paths = ", ".join(sorted({r.path for r in s.rounds if r.path}))
        ratio = f"{med / statistics.median(base.frozen()):.2f}" if base is not None else "-"
        lines.append(
            f"| {s.mode} | {s.viewer} | {med * 1000:.0f} ms | {min(frozen) * 1000:.0f} ms | "
            f"{max(frozen) * 1000:.0f} ms | {before * 1000:.0f} ms | {migrate * 1000:.0f} ms | {paths} | {ratio} |"
        )
    notes = [f"{r.mode} {r.viewer}: {r.note}" for s in summaries for r in s.rounds if r.note]
    per_round = "; ".join(
        f"{r.mode} {r.viewer} {r.frozen * 1000:.0f} ms ({r.path})"
        for s in summaries
        for r in s.rounds
        if r.frozen is not None
    )
    lines += ["", f"Rounds: {per_round}."]
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="seamless,semi-seamless,switch-host")
    parser.add_argument("--viewers", default="remote-viewer,spiceview")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    summaries = [Summary(v, mode) for mode in args.modes.split(",") for v in args.viewers.split(",")]
    import tempfile

    for n in range(args.rounds):
        for summary in summaries:
            with tempfile.TemporaryDirectory(prefix="bench-migration-") as tmp:
                result = one_round(summary.viewer, summary.mode, Path(tmp))
            summary.rounds.append(result)
            frozen = f"{result.frozen * 1000:.0f} ms" if result.frozen is not None else "-"
            log(f"round {n + 1} {summary.mode} {summary.viewer}: frozen {frozen}, {result.path or '-'} {result.note}")
    text = table(summaries, args.rounds)
    print(text)
    if not args.no_record:
        append_report(RESULTS, "Live migration: how long the picture freezes", text)


if __name__ == "__main__":
    main()
