"""A slow link: spiceview (WAN profile) beside remote-viewer (defaults), both through the lab's ShapingProxy.

The link: MBIT_S each way, ONE_WAY_S each way (a 60 ms round trip), in user space (spiceview_lab/shaping_proxy.py).
Each viewer runs on its own Xvfb (framebuffer in a file, sampled every 10 ms in the middle of the window) against
its own Xspice (1024x768), one viewer at a time:

- key press to echo: bench_input_roundtrip's measurement (XInput key presses into the window, damage watched),
  through the link;
- key press to echo while a video plays below the echo (mpv, streamed): the same, counting only changes in the
  guest's top rows; the echo shares the slow link with the stream;
- video: mpv plays a 640x360 clip, streamed by the server; frames shown per second (changes of the window's
  middle) and kbit/s the link carried to the client, over WINDOW_S after a warm-up;
- slideshow: feh shows unique photo-like 1024x768 pictures full screen, one a second; pictures shown per second and
  kbit/s, the same way;
- full-screen change: feh steps to the next picture (a key in the guest); the time until the window changes,
  median of STEPS.

spiceview runs with `--spice-preferred-compression glz --spice-preferred-video-codecs vp8,vp9,h264,h265,mjpeg`
(the Quality menu's WAN profile; `--spiceview-codecs` changes the codec order); remote-viewer with its defaults.
Found here: Xspice (spice-server 0.15.1) can crash in its worker thread (SIGSEGV, the X server then hangs in its
abort handler with every socket open) when a client asks for VP9 or H.264 over this link; the table's notes say
when a measure saw the server fall silent.

    python3 benchmarks/bench_slow_link.py [--viewers remote-viewer,spiceview] [--no-record]

Appends to benchmarks/results/slow_link.md (unless --no-record).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import _checkout  # noqa: F401 - first: the lab is imported from the checkout

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_input_roundtrip as echo  # noqa: E402
from bench_cpu import client_env  # noqa: E402
from bench_input_roundtrip import _geometry, find_window, machine, source_version, viewer_argv  # noqa: E402
from bench_migration import FrameSampler  # noqa: E402
from report import append_report  # noqa: E402

from spiceview_lab.media import make_clip  # noqa: E402
from spiceview_lab.scenes import hide_cursor  # noqa: E402
from spiceview_lab.shaping_proxy import ShapingProxy  # noqa: E402
from spiceview_lab.wire_proxy import WireProxy  # noqa: E402
from spiceview_lab.xspice import XspiceServer  # noqa: E402
from spiceview_lab.xvfb import XvfbServer  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "slow_link.md"
MBIT_S = 4.0
ONE_WAY_S = 0.030
GUEST = (1024, 768)
SCREEN = (1280, 1024)
WARMUP_S = 6.0
WINDOW_S = 15.0
STEPS = 5
ECHO_PRESSES = 20
VIDEO_TOP = 400  # the video beside the echo plays below this guest row
# The server offers several codecs (its first is what a client without a preference gets).
SERVER_CODECS = "spice:mjpeg;gstreamer:vp8;gstreamer:h264;gstreamer:vp9"
WAN = ["--spice-preferred-compression", "glz", "--spice-preferred-video-codecs", "vp8,vp9,h264,h265,mjpeg"]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


SPICEVIEW_OPTIONS = list(WAN)  # --spiceview-codecs replaces the codec order


def argv_for(viewer: str, uri: str) -> list[str]:
    argv = viewer_argv(viewer, uri)
    if viewer == "spiceview":
        argv[-1:-1] = SPICEVIEW_OPTIONS
    return argv


@dataclass
class Result:
    viewer: str
    echo_ms: list[float] = field(default_factory=list)
    echo_video_ms: list[float] = field(default_factory=list)
    video_fps: float | None = None
    video_kbit: float | None = None
    video_codecs: str = ""  # what the server streamed, read on the wire
    slides_per_s: float | None = None
    slides_kbit: float | None = None
    change_ms: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def measure_echo(viewer: str, result: Result) -> None:
    with XspiceServer(size=GUEST) as server, ShapingProxy(server.port, mbit_s=MBIT_S, delay_s=ONE_WAY_S) as link:
        got = echo.run_viewer(viewer, server, ECHO_PRESSES, 5.0, 5, 60.0, argv=argv_for(viewer, link.uri))
        result.echo_ms = [t * 1000 for t in got.times]
        if got.note:
            result.notes.append(f"echo: {got.note}")


def measure_echo_beside_video(viewer: str, result: Result, root: Path) -> None:
    """Typing while a video plays lower on the screen: the echo shares the slow link with the stream."""
    clip = make_clip(root / "clip.mp4", "testsrc2=size=640x360:rate=25", 10, timeout=120)
    player = ["mpv", "--vo=x11", "--ao=null", "--loop=inf", "--no-osc", f"--geometry=+192+{VIDEO_TOP}", str(clip)]
    with (
        XspiceServer(size=GUEST, streaming_video="all", video_codecs=SERVER_CODECS) as server,
        ShapingProxy(server.port, mbit_s=MBIT_S, delay_s=ONE_WAY_S) as link,
    ):
        hide_cursor(server.display)
        got = echo.run_viewer(
            viewer,
            server,
            ECHO_PRESSES,
            5.0,
            5,
            60.0,
            argv=argv_for(viewer, link.uri),
            beside=lambda s: s.run_client(player),
            echo_rows=VIDEO_TOP // 2,
        )
        result.echo_video_ms = [t * 1000 for t in got.times]
        if got.note:
            result.notes.append(f"echo beside a video: {got.note}")


@contextlib.contextmanager
def viewer_on_link(viewer: str, server: XspiceServer, fbdir: Path):  # noqa: ANN201
    """The viewer on its Xvfb through the link, then the lab's counting proxy, then the server:
    (slow link, counting proxy, sampler watching the window's middle)."""
    with (
        WireProxy(server.port) as wire,
        ShapingProxy(wire.port, mbit_s=MBIT_S, delay_s=ONE_WAY_S) as link,  # type: ignore[arg-type]
        XvfbServer(*SCREEN, extra_args=["-fbdir", str(fbdir)]) as xvfb,
    ):
        proc = xvfb.run_client(argv_for(viewer, link.uri), env=client_env(), log=fbdir / f"{viewer}.log")
        sampler = FrameSampler(fbdir / "Xvfb_screen0")
        try:
            wid = find_window(xvfb, proc, 60)
            time.sleep(3.0)  # the window takes the guest's size
            x, y, w, h = _geometry(xvfb, wid)
            sampler.region = (x + w // 5, y + h // 4, w * 3 // 10, h * 3 // 10)
            sampler.start()
            yield link, wire, sampler
        finally:
            sampler.stop()
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)


def rate_over_window(link: ShapingProxy, sampler: FrameSampler) -> tuple[float, float]:
    time.sleep(WARMUP_S)
    start, sent = time.monotonic(), link.bytes_to_client
    time.sleep(WINDOW_S)
    end = time.monotonic()
    changes = sum(1 for t in sampler.changes if start <= t < end)
    return changes / (end - start), (link.bytes_to_client - sent) * 8 / 1000 / (end - start)


def measure_video(viewer: str, result: Result, root: Path) -> None:
    clip = make_clip(root / "clip.mp4", "testsrc2=size=640x360:rate=25", 10, timeout=120)
    with (
        XspiceServer(size=GUEST, streaming_video="all", video_codecs=SERVER_CODECS) as server,
        tempfile.TemporaryDirectory() as fbdir,
    ):
        hide_cursor(server.display)
        server.run_client(["mpv", "--vo=x11", "--ao=null", "--loop=inf", "--no-osc", "--geometry=+100+100", str(clip)])
        with viewer_on_link(viewer, server, Path(fbdir)) as (link, wire, sampler):
            result.video_fps, result.video_kbit = rate_over_window(link, sampler)
            codecs = wire.snapshot().display.codecs
            result.video_codecs = ", ".join(f"{name} x{n}" for name, n in codecs.most_common())
        if not result.video_kbit or result.video_kbit < 1.0:
            crashed = "Segmentation fault" in server.log_path.read_text(errors="replace")
            result.notes.append(
                "video: the server fell silent" + (" (Xspice crashed: SIGSEGV in its log)" if crashed else "")
            )
            result.video_fps = result.video_kbit = None


def make_slides(root: Path, count: int = 40) -> Path:
    slides = root / "slides"
    slides.mkdir(exist_ok=True)
    source = "gradients=s=1024x768:r=1:speed=0.05:n=6:seed=7,noise=alls=8:allf=t+u,format=rgb24"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-frames:v", str(count)]
        + [str(slides / "s%04d.png")],
        check=True,
        timeout=600,
    )
    return slides


def measure_slides(viewer: str, result: Result, slides: Path) -> None:
    with XspiceServer(size=GUEST) as server, tempfile.TemporaryDirectory() as fbdir:
        hide_cursor(server.display)
        server.run_client(["feh", "-F", "-Z", "-D", "1", "--cycle-once", str(slides)])
        with viewer_on_link(viewer, server, Path(fbdir)) as (link, _wire, sampler):
            result.slides_per_s, result.slides_kbit = rate_over_window(link, sampler)
    with XspiceServer(size=GUEST) as server, tempfile.TemporaryDirectory() as fbdir:
        hide_cursor(server.display)
        server.run_client(["feh", "-F", "-Z", str(slides)])
        with viewer_on_link(viewer, server, Path(fbdir)) as (_link, _wire, sampler):
            time.sleep(WARMUP_S)
            for _ in range(STEPS):
                quiet_since = time.monotonic()
                while time.monotonic() - max([quiet_since, *sampler.changes[-1:]]) < 1.0:
                    time.sleep(0.05)  # the previous picture is complete
                pressed = time.monotonic()
                server.run(["xdotool", "key", "space"])
                deadline = pressed + 30
                while not any(t > pressed for t in sampler.changes) and time.monotonic() < deadline:
                    time.sleep(0.005)
                first = next((t for t in sampler.changes if t > pressed), None)
                if first is None:
                    result.notes.append("a full-screen change did not appear within 30 s")
                    break
                result.change_ms.append((first - pressed) * 1000)


def row(name: str, unit: str, values: dict[str, float | None], lower_is_better: bool) -> str:
    rv, sv = values.get("remote-viewer"), values.get("spiceview")
    ahead = "-"
    if rv is not None and sv is not None:
        ahead = "yes" if (sv <= rv if lower_is_better else sv >= rv) else "no"
    fmt = lambda v: "-" if v is None else f"{v:,.1f} {unit}"  # noqa: E731
    return f"| {name} | {fmt(rv)} | {fmt(sv)} | {ahead} |"


def per_picture(r: Result) -> float | None:
    """KB the link carried per picture shown: the window holds 14 or 15 pictures depending on where the
    slideshow's one-second beat falls, which moves kbit/s by 7 % between runs of the same viewer."""
    if not r.slides_kbit or not r.slides_per_s:
        return None
    return r.slides_kbit / r.slides_per_s / 8


def table(results: list[Result]) -> str:
    by = {r.viewer: r for r in results}

    def pick(fn: Any) -> dict[str, float | None]:
        return {name: fn(r) for name, r in by.items()}

    med = lambda xs: statistics.median(xs) if xs else None  # noqa: E731
    lines = [
        f"## {date.today()} - {machine()}, {MBIT_S:g} Mbit/s and {ONE_WAY_S * 2000:.0f} ms round trip (ShapingProxy), "
        f"Xspice {GUEST[0]}x{GUEST[1]} offering {SERVER_CODECS}, spiceview {source_version()} with "
        f"`{' '.join(SPICEVIEW_OPTIONS)}`, remote-viewer defaults",
        "",
        "| measure | remote-viewer | spiceview | spiceview ahead |",
        "|---|---|---|---|",
        row("key press to echo, median", "ms", pick(lambda r: med(r.echo_ms)), True),
        row("key press to echo while a video plays below, median", "ms", pick(lambda r: med(r.echo_video_ms)), True),
        row("video: frames shown per second", "fps", pick(lambda r: r.video_fps), False),
        row("video: link carried to the client", "kbit/s", pick(lambda r: r.video_kbit), True),
        "| video: codec on the wire | "
        + " | ".join(by[v].video_codecs or "-" if v in by else "-" for v in ("remote-viewer", "spiceview"))
        + " | - |",
        row("slideshow: pictures shown per second", "/s", pick(lambda r: r.slides_per_s), False),
        row("slideshow: link carried to the client", "kbit/s", pick(lambda r: r.slides_kbit), True),
        row("slideshow: carried per picture shown", "KB", pick(per_picture), True),
        row("full-screen change appears, median", "ms", pick(lambda r: med(r.change_ms)), True),
    ]
    notes = [f"{r.viewer}: {n}" for r in results for n in r.notes]
    if notes:
        lines += ["", "Notes: " + "; ".join(notes) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", default="remote-viewer,spiceview")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--spiceview-codecs", help="the video codec order spiceview asks for (default: WAN's)")
    parser.add_argument("--measures", default="echo,echo-video,video,slides", help="which measures to run")
    args = parser.parse_args()
    if args.spiceview_codecs:
        SPICEVIEW_OPTIONS[-1] = args.spiceview_codecs
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-slow-link-") as tmp:
        root = Path(tmp)
        slides = make_slides(root)
        for viewer in args.viewers.split(","):
            result = Result(viewer)
            for what, run in (
                ("echo", lambda v=viewer, r=result: measure_echo(v, r)),
                ("echo-video", lambda v=viewer, r=result: measure_echo_beside_video(v, r, root)),
                ("video", lambda v=viewer, r=result: measure_video(v, r, root)),
                ("slides", lambda v=viewer, r=result: measure_slides(v, r, slides)),
            ):
                if what not in args.measures.split(","):
                    continue
                try:
                    run()
                except Exception as exc:  # noqa: BLE001 - one measure failing must not lose the others
                    result.notes.append(f"{what} failed: {exc}")
                log(f"{viewer} {what} done")
            results.append(result)
    text = table(results)
    print(text)
    if not args.no_record:
        append_report(RESULTS, "A slow link: 4 Mbit/s, 60 ms", text)


if __name__ == "__main__":
    main()
