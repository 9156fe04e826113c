"""Soak: a long session of everything at once through one window, spiceview beside remote-viewer (spice-gtk).

Each viewer gets its own Xspice (with the guest agent) and its own Xvfb, both running at the same time, with the
same guest workload: a looping video (streamed), a slideshow of unique pictures, text typed through the viewer's
window into an xterm in the guest (xdotool on the client display), and clipboard traffic both ways (xclip: the
guest copies and the client pastes, the client copies and the guest pastes, each every CLIPBOARD_EVERY_S).
Resident memory (VmRSS of the viewer's process tree) is sampled every SAMPLE_S; the growth figure compares the
median of the samples around minute 2 (after start-up and the caches filling) with the median of the last
minute. The issue's bar: under 5 %.

    python3 benchmarks/bench_soak.py [--minutes 30] [--viewers remote-viewer,spiceview] [--no-record]

Appends to benchmarks/results/soak.md (unless --no-record): the table and each viewer's series (one sample a
minute). A 30-minute run takes about 32 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import _checkout  # noqa: F401 - first: the lab is imported from the checkout

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cpu import client_env, tree_memory  # noqa: E402
from bench_input_roundtrip import machine, source_version, viewer_argv  # noqa: E402
from report import append_report  # noqa: E402

from spiceview_lab import procs  # noqa: E402
from spiceview_lab.media import make_clip  # noqa: E402
from spiceview_lab.scenes import hide_cursor  # noqa: E402
from spiceview_lab.xspice import XspiceServer  # noqa: E402
from spiceview_lab.xvfb import XvfbServer  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "soak.md"
GUEST = (1280, 800)
SAMPLE_S = 10.0
TYPE_EVERY_S = 7.0
CLIPBOARD_EVERY_S = 11.0
SLIDES = 90
BASELINE_S = (90.0, 150.0)  # "minute 2": the samples in this window
BAR_PERCENT = 5.0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def make_media(root: Path) -> tuple[Path, Path]:
    clip = make_clip(root / "clip.mp4", "testsrc2=size=480x270:rate=25", 10, encoder="libx264")
    slides = root / "slides"
    slides.mkdir()
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "gradients=s=560x420:r=5:speed=0.03:n=5:seed=3,noise=alls=6:allf=t+u,format=rgb24",
            "-frames:v",
            str(SLIDES),
            str(slides / "s%04d.png"),
        ],
        check=True,
        timeout=600,
    )
    return clip, slides


@dataclass
class Soak:
    viewer: str
    samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, RSS bytes)
    typed: int = 0
    typed_ok: int = 0  # lines the guest's shell ran
    copies: int = 0
    pastes_ok: int = 0
    note: str = ""

    def at(self, lo: float, hi: float) -> float:
        values = [rss for t, rss in self.samples if lo <= t <= hi]
        return statistics.median(values) if values else float("nan")

    @property
    def baseline(self) -> float:
        return self.at(*BASELINE_S)

    @property
    def final(self) -> float:
        end = self.samples[-1][0] if self.samples else 0.0
        return self.at(end - 60.0, end)

    @property
    def growth(self) -> float:
        return 100.0 * (self.final - self.baseline) / self.baseline


def _x(display_env: dict[str, str], *argv: str, data: str | None = None, timeout: float = 10.0) -> str:
    try:
        done = subprocess.run(argv, env=display_env, input=data, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return ""
    return done.stdout if done.returncode == 0 else ""


def _copy_bg(env: dict[str, str], text: str) -> None:
    proc = subprocess.Popen(
        ["xclip", "-selection", "clipboard", "-loops", "3"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdin is not None
    proc.stdin.write(text)
    proc.stdin.close()
    threading.Timer(30.0, lambda: proc.poll() is None and proc.kill()).start()


def soak(viewer: str, clip: Path, slides: Path, seconds: float, stop: threading.Event, result: Soak) -> None:
    with XspiceServer(size=GUEST, vdagent=True, streaming_video="filter") as server:
        hide_cursor(server.display)
        guest_env = dict(server.env)
        assert server.tmpdir is not None
        typed_file = server.tmpdir / "typed.txt"  # what the guest's shell got from the typed lines
        server.run_client(["xterm", "-geometry", "80x12+0+560", "-fa", "Monospace", "-fs", "10"])
        server.run_client(["mpv", "--no-config", "--vo=x11", "--ao=null", "--loop=inf", "--geometry=+0+0", str(clip)])
        server.run_client(["feh", "-g", "560x420+620+0", "--slideshow-delay", "1", "--sort", "filename", str(slides)])
        time.sleep(2.0)
        # No window manager: the xterm takes the keyboard focus for good (else keys go where the pointer is).
        _x(guest_env, "xdotool", "search", "--sync", "--class", "XTerm", "windowfocus", "--sync")
        assert server.port is not None
        with XvfbServer(GUEST[0], GUEST[1] + 46) as xvfb:
            client_env_x = {**xvfb.env, **client_env()}
            argv = viewer_argv(viewer, f"spice://127.0.0.1:{server.port}")
            argv[-1:-1] = ["--spice-disable-audio"]
            log_path = xvfb.tmpdir / f"{viewer}.log" if xvfb.tmpdir else None
            proc = xvfb.run_client(argv, env=client_env(), log=log_path)
            start = time.monotonic()
            next_sample = next_type = 0.0
            next_clip = 5.0
            turn = 0
            while not stop.is_set():
                now = time.monotonic() - start
                if now >= seconds:
                    break
                if proc.poll() is not None:
                    result.note = f"{viewer} exited ({proc.returncode}) at {now:.0f} s: {procs.tail(log_path, 3)!r}"
                    return
                if now >= next_sample:
                    result.samples.append((now, tree_memory(proc.pid, "VmRSS")))
                    next_sample += SAMPLE_S
                if now >= next_type:
                    # Into the viewer's window (it has the focus: nothing else is on that display).
                    _x(client_env_x, "xdotool", "type", "--delay", "40", f"echo soak {turn} >> {typed_file}")
                    _x(client_env_x, "xdotool", "key", "Return")
                    result.typed += 1
                    next_type += TYPE_EVERY_S
                if now >= next_clip:
                    turn += 1
                    text = f"soak clipboard {viewer} {turn} " + "x" * (turn % 7) * 1000
                    if turn % 2:  # the guest copies, the client pastes (the viewer asks the agent)
                        _copy_bg(guest_env, text)
                        time.sleep(1.0)
                        got = _x(client_env_x, "xclip", "-o", "-selection", "clipboard")
                    else:  # the client copies, the guest pastes (the agent asks the viewer)
                        _copy_bg(client_env_x, text)
                        time.sleep(1.0)
                        got = _x(guest_env, "xclip", "-o", "-selection", "clipboard")
                    result.copies += 1
                    result.pastes_ok += got == text
                    next_clip += CLIPBOARD_EVERY_S
                time.sleep(0.2)
            procs.stop_child(proc)
            with contextlib.suppress(OSError):
                result.typed_ok = len(typed_file.read_text().splitlines())


def table(results: list[Soak], minutes: float) -> str:
    lines = [
        f"## {date.today()} - soak, {minutes:.0f} min, commit {source_version()}",
        "",
        f"Machine: {machine()}. Both viewers at once, each on its own Xspice {GUEST[0]}x{GUEST[1]} with the agent:",
        "a looping 480x270 video (streamed), a slideshow of unique 560x420 pictures (1 s), text typed through the",
        f"window every {TYPE_EVERY_S:.0f} s, a clipboard copy each way in turn every {CLIPBOARD_EVERY_S:.0f} s.",
        f"RSS = VmRSS of the viewer's process tree; minute 2 = median of {BASELINE_S[0]:.0f}-{BASELINE_S[1]:.0f} s,",
        "end = median of the last minute.",
        "",
        "| viewer | RSS min 2 (MB) | RSS end (MB) | growth | peak (MB) | typed / run in guest | pastes ok | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        peak = max((rss for _t, rss in r.samples), default=0)
        lines.append(
            f"| {r.viewer} | {r.baseline / 2**20:.1f} | {r.final / 2**20:.1f} | {r.growth:+.1f} % | "
            f"{peak / 2**20:.1f} | {r.typed} / {r.typed_ok} | {r.pastes_ok}/{r.copies} | {r.note} |"
        )
    lines += ["", "RSS each minute (MB):", ""]
    for r in results:
        per_minute = [f"{rss / 2**20:.0f}" for t, rss in r.samples if int(t) % 60 < SAMPLE_S]
        lines.append(f"- {r.viewer}: " + " ".join(per_minute))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--viewers", default="remote-viewer,spiceview")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    viewers = [v for v in args.viewers.split(",") if v]
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        clip, slides = make_media(Path(tmp))
        results = [Soak(v) for v in viewers]
        stop = threading.Event()
        threads = [
            threading.Thread(target=soak, args=(v, clip, slides, args.minutes * 60, stop, r), name=v)
            for v, r in zip(viewers, results, strict=True)
        ]
        log(f"soaking {', '.join(viewers)} for {args.minutes:.0f} min")
        for t in threads:
            t.start()
        try:
            for t in threads:
                t.join()
        except KeyboardInterrupt:
            stop.set()
            for t in threads:
                t.join()
    text = table(results, args.minutes)
    print(text)
    if not args.no_record:
        append_report(RESULTS, "Soak: memory over a long session, spiceview beside remote-viewer", text)


if __name__ == "__main__":
    main()
