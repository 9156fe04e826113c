"""Client CPU per frame and peak memory: spiceview beside remote-viewer (spice-gtk) on the same real Xspice workloads.

Each run starts a fresh Xspice (spiceview_lab.XspiceServer, 127.0.0.1) with one workload playing in the guest,
a fresh Xvfb for the viewer, and a counting proxy (spiceview_lab.wire_proxy.WireProxy) between the two. The
viewer shows the guest 1:1 in kiosk mode (`-k`, audio off): spiceview fills an Xvfb of the guest's size;
remote-viewer keeps a 46-pixel GTK header without a window manager, so its Xvfb is 46 pixels taller. Once the
first drawing or stream frames have crossed the proxy, a warm-up passes (--warmup, 3 s) and a window is measured
(--seconds, 20 s):

- CPU: user + system time of the viewer's whole process tree (each process's CPU-time clock, every thread, to
  the nanosecond; the cutime + cstime of reaped children from /proc), at the window's start and end;
- frames: display-channel messages the server sent in the window, counted on the wire: stream frames
  (STREAM_DATA, STREAM_DATA_SIZED) for the video rows, drawing messages (DRAW_*, COPY_BITS) for the others; a
  video run whose server sent no stream is reported as such (its frames are then drawing messages);
- MB: display-channel bytes server -> client in the window; the codec of every STREAM_CREATE of the connection;
- peak RSS: VmHWM of the viewer's processes, summed, at the end.

ms/frame = CPU ms / frames. Each picture feh shows arrives as three drawing messages (a surface copy, a fill, the
image) and each video frame as ~15 stream frames (Xspice streams mpv's strips in parallel), so the table also gives
ms per guest frame: CPU / (stream frames / parallel streams seen), or CPU / drawn images other than surface copies
(the pictures). LAB.md's remote-viewer figures are in that unit. Workloads (guest size, server options, what plays):

    mjpeg, vp8, h264   1280x1024, streaming all, video codec spice:mjpeg / gstreamer:vp8 / gstreamer:h264;
                       mpv plays a 1280x720 25 fps clip (ffmpeg testsrc2, libx264) at the top left, looping
    glz-1024, glz-1920 1024x768 / 1920x1080, image compression glz, streaming off; feh shows a slideshow of
                       unique photo-like PNG frames of the screen's size, one every 0.2 s (enough frames that none
                       repeats within warm-up + window: the driver and the client cache images by their pixels)
    cache-1024         1024x768 glz, feh over ten repeating pictures (after the first round: cache hits)
    quic-1024, -1920   like glz-* with image compression quic
    idle               1024x768, one still picture: RSS and idle CPU only

Rounds alternate the viewers: for each round, for each workload, remote-viewer then spiceview; the table gives
the median over rounds. This machine is shared and noisy: compare the ratios, not the absolute times.

Two start-up rows come last (on a 1024x768 Xspice showing the lab's still standard scene, no proxy), median of
--startup-runs alternating runs: a one-shot screenshot as a user runs it (`spicy-screenshot --uri URI -o F` beside
`spiceview --screenshot F URI`, with its default 300 ms settle time and with `--settle-ms 0`: launch to exit; note
that spicy-screenshot writes its file at the first drawing command it receives, whatever part of the screen that
is, while spiceview waits at least for the server's MARK, the whole initial screen), and
the viewer window's first guest frame (launch under a fresh Xvfb, XGetImage of its screen every ~10 ms until the
guest's picture is there pixel for pixel).

    python3 benchmarks/bench_cpu.py [--rounds 2] [--seconds 20] [--warmup 3] [--workloads mjpeg,glz-1024,...]
                                    [--viewers remote-viewer,spiceview] [--startup-runs 5] [--no-record]

Appends to benchmarks/results/cpu.md (unless --no-record) and prints the table. A default run took 17 minutes on
a 2-CPU machine (about a minute of it making the pictures).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import _checkout  # noqa: F401 - first: the lab is imported from the checkout
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_input_roundtrip import REPO, machine, source_version, viewer_argv  # noqa: E402
from report import append_report  # noqa: E402

from spiceview.protocol.constants import DisplayCap  # noqa: E402
from spiceview_lab import procs, xinput  # noqa: E402
from spiceview_lab.media import make_clip  # noqa: E402
from spiceview_lab.scenes import hide_cursor, standard_scene  # noqa: E402
from spiceview_lab.wire_proxy import WireProxy, WireSnapshot  # noqa: E402
from spiceview_lab.xspice import XspiceServer  # noqa: E402
from spiceview_lab.xvfb import XvfbServer  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "cpu.md"
VIEWERS = ("remote-viewer", "spiceview")
RV_HEADER = 46  # remote-viewer -k without a window manager keeps a GTK header this tall above the guest
CLIP_SIZE = (1280, 720)
CLIP_SECONDS = 10
SLIDE_DELAY = 0.2
FIRST_FRAMES_TIMEOUT = 40.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str  # "video", "images", "cache", "idle"
    size: tuple[int, int]
    server: dict[str, str]

    @property
    def counts_streams(self) -> bool:
        return self.kind == "video"


WORKLOADS = {
    w.name: w
    for w in (
        Workload("mjpeg", "video", (1280, 1024), {"streaming_video": "all", "video_codecs": "spice:mjpeg"}),
        Workload("vp8", "video", (1280, 1024), {"streaming_video": "all", "video_codecs": "gstreamer:vp8"}),
        Workload("h264", "video", (1280, 1024), {"streaming_video": "all", "video_codecs": "gstreamer:h264"}),
        Workload("glz-1024", "images", (1024, 768), {"image_compression": "glz", "streaming_video": "off"}),
        Workload("glz-1920", "images", (1920, 1080), {"image_compression": "glz", "streaming_video": "off"}),
        Workload("cache-1024", "cache", (1024, 768), {"image_compression": "glz", "streaming_video": "off"}),
        Workload("quic-1024", "images", (1024, 768), {"image_compression": "quic", "streaming_video": "off"}),
        Workload("quic-1920", "images", (1920, 1080), {"image_compression": "quic", "streaming_video": "off"}),
        Workload("idle", "idle", (1024, 768), {"streaming_video": "off"}),
    )
}


# -- guest media (made once per run with ffmpeg) --------------------------------------------------------


def ffmpeg(*argv: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *argv], check=True, timeout=600)


class Media:
    """The clip and picture sets, made on first use in a temporary directory."""

    def __init__(self, root: Path, frames: int) -> None:
        self.root = root
        self.frames = frames
        self._made: dict[str, Path] = {}

    def clip(self) -> Path:
        if "clip" not in self._made:
            w, h = CLIP_SIZE
            path = make_clip(self.root / "clip.mp4", f"testsrc2=size={w}x{h}:rate=25", CLIP_SECONDS, encoder="libx264")
            self._made["clip"] = path
        return self._made["clip"]

    def slides(self, size: tuple[int, int]) -> Path:
        """A directory of unique photo-like PNGs of this size: smooth moving gradients, a faint test pattern
        and per-frame sensor-like noise (so GLZ/QUIC work as on photos and no two frames are equal)."""
        key = f"slides-{size[0]}x{size[1]}"
        if key not in self._made:
            out = self.root / key
            out.mkdir()
            w, h = size
            t0 = time.monotonic()
            ffmpeg(
                "-f",
                "lavfi",
                "-i",
                f"gradients=s={w}x{h}:r=5:speed=0.03:n=5:seed=7",
                "-f",
                "lavfi",
                "-i",
                f"testsrc2=s={w}x{h}:r=5",
                "-filter_complex",
                "[0][1]blend=all_expr='A*0.7+B*0.3',noise=alls=6:allf=t+u,format=rgb24",
                "-frames:v",
                str(self.frames),
                str(out / "f%04d.png"),
            )
            log(f"made {self.frames} {w}x{h} pictures in {time.monotonic() - t0:.0f} s")
            self._made[key] = out
        return self._made[key]

    def repeating(self, size: tuple[int, int], count: int = 10) -> Path:
        """`count` of the unique pictures, shown over and over."""
        key = f"repeat-{size[0]}x{size[1]}"
        if key not in self._made:
            out = self.root / key
            out.mkdir()
            for i, src in enumerate(sorted(self.slides(size).iterdir())[:count]):
                (out / f"r{i:02d}.png").symlink_to(src)
            self._made[key] = out
        return self._made[key]

    def prepare(self, workload: Workload) -> None:
        if workload.kind == "video":
            self.clip()
        elif workload.kind == "images":
            self.slides(workload.size)
        else:
            self.repeating(workload.size)


def start_guest(server: XspiceServer, workload: Workload, media: Media) -> subprocess.Popen:
    """The workload's program in the guest (tracked by the server: stopped with it)."""
    if workload.kind == "video":
        w, h = CLIP_SIZE
        argv = [
            "mpv",
            "--no-config",
            "--vo=x11",
            "--ao=null",
            "--loop=inf",
            f"--geometry={w}x{h}+0+0",
            str(media.clip()),
        ]
    elif workload.kind == "idle":  # one still picture (a slideshow of one would redraw it every delay)
        argv = ["feh", "-F", "-Y", str(next(media.repeating(workload.size, count=1).iterdir()))]
    else:
        folder = media.slides(workload.size) if workload.kind == "images" else media.repeating(workload.size)
        argv = ["feh", "-F", "-Y", "--sort", "filename", "--slideshow-delay", str(SLIDE_DELAY), str(folder)]
    assert server.tmpdir is not None
    log_path = server.tmpdir / f"guest-{argv[0]}.log"
    proc = server.run_client(argv, log=log_path)
    time.sleep(1.5)  # the first pictures / video frames are drawn before the viewer connects
    if proc.poll() is not None:
        raise RuntimeError(f"{argv[0]} exited ({proc.returncode}) in the guest: {procs.tail(log_path, 5)!r}")
    return proc


# -- the client's process tree ----------------------------------------------------------------------------


def tree(pid: int) -> list[int]:
    """pid and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(procs.children(p))
    return out


def process_cpu_clock(pid: int) -> float:
    """CPU seconds of process pid so far, every thread included (those already ended too), to the nanosecond.

    The process's CPU-time clock, as clock_getcpuclockid(3) names it on Linux. /proc/PID/stat counts in 10 ms
    ticks: over a 20 s window a light workload (cache hits, MJPEG: 150-250 ms of CPU) moved by 4-7 % on the
    rounding alone.
    """
    return time.clock_gettime(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of pid's tree, including reaped children's (cutime, cstime)."""
    seconds = 0.0
    ticks = 0
    for p in tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(v) for v in fields[13:15])  # cutime, cstime (fields 16-17): children already reaped
            seconds += process_cpu_clock(p)
    return seconds + ticks / CLK_TCK


def tree_memory(pid: int, field: str = "VmHWM") -> int:
    """A memory figure of /proc/PID/status (VmHWM: peak resident set; VmRSS: resident now) summed over pid's
    tree, in bytes."""
    total = 0
    for p in tree(pid):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1]) * 1024
    return total


def tree_hwm(pid: int) -> int:
    """Peak resident set (VmHWM) of pid's tree, summed, in bytes."""
    return tree_memory(pid, "VmHWM")


# -- one measured run --------------------------------------------------------------------------------------


@dataclass
class Run:
    workload: str
    viewer: str
    cpu: float = math.nan  # seconds in the window
    wall: float = math.nan
    frames: int = 0
    bytes: int = 0
    rss: int = 0
    codecs: Counter[str] = field(default_factory=Counter)  # STREAM_CREATE codecs of the whole connection
    images: Counter[str] = field(default_factory=Counter)  # drawn images by type, in the window
    streamed: bool = False  # stream frames came in the window
    draws: int = 0
    stream_data: int = 0
    streams: int = 0  # distinct stream ids with frames in the window
    guest_frames: float = 0.0  # video: stream frames / streams; pictures: drawn images but surface copies
    note: str = ""

    @property
    def ok(self) -> bool:
        return not math.isnan(self.cpu) and self.frames > 0

    @property
    def ms_per_frame(self) -> float:
        return 1000 * self.cpu / self.frames if self.frames else math.nan

    @property
    def ms_per_guest_frame(self) -> float:
        return 1000 * self.cpu / self.guest_frames if self.guest_frames else math.nan


def client_env() -> dict[str, str]:
    return {
        "QT_QPA_PLATFORM": "xcb",
        "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        # Bytecode cached as on a user's machine (pip writes it at install; some sandboxes set this variable, which
        # made every start compile spiceview's modules again: ~40 ms of a one-shot screenshot).
        "PYTHONDONTWRITEBYTECODE": "",
    }


def kiosk_argv(viewer: str, uri: str) -> list[str]:
    argv = viewer_argv(viewer, uri)
    argv[-1:-1] = ["-k", "--spice-disable-audio"]
    return argv


def client_screen(viewer: str, guest: tuple[int, int]) -> tuple[int, int]:
    return guest[0], guest[1] + (RV_HEADER if viewer == "remote-viewer" else 0)


def measure(workload: Workload, viewer: str, media: Media, seconds: float, warmup: float) -> Run:
    run = Run(workload.name, viewer)
    with XspiceServer(size=workload.size, **workload.server) as server:  # type: ignore[arg-type]
        hide_cursor(server.display)
        start_guest(server, workload, media)
        assert server.port is not None
        with WireProxy(server.port) as proxy, XvfbServer(*client_screen(viewer, workload.size)) as xvfb:
            log_path = xvfb.tmpdir / f"{viewer}.log" if xvfb.tmpdir else None
            proc = xvfb.run_client(kiosk_argv(viewer, proxy.uri), env=client_env(), log=log_path)
            try:
                if (
                    not proxy.wait_until(
                        lambda s: proc.poll() is not None or s.display.draws + s.display.stream_data > 0,
                        FIRST_FRAMES_TIMEOUT,
                    )
                    or proc.poll() is not None
                ):
                    run.note = f"no frames ({procs.tail(log_path, 3)!r})"
                    return run
                time.sleep(warmup)
                before, cpu0 = proxy.snapshot(), tree_cpu(proc.pid)
                time.sleep(seconds)
                after, cpu1 = proxy.snapshot(), tree_cpu(proc.pid)
                run.rss = tree_hwm(proc.pid)
                if proc.poll() is not None:
                    run.note = f"the viewer exited ({proc.returncode}) during the window"
                    return run
            finally:
                procs.stop_child(proc)
            fill(run, workload, after - before, after, cpu1 - cpu0)
            if proxy.errors:
                run.note = "; ".join([run.note, *proxy.errors[:2]]).strip("; ")
    return run


def fill(run: Run, workload: Workload, window: WireSnapshot, total: WireSnapshot, cpu: float) -> None:
    d = window.display
    run.cpu, run.wall = cpu, window.seconds
    run.bytes = d.bytes_to_client
    run.draws, run.stream_data = d.draws, d.stream_data
    run.codecs = total.display.codecs
    run.images = d.images
    run.streamed = d.stream_data > 0
    run.streams = len(d.stream_frames)
    pictures = sum(n for kind, n in d.images.items() if kind != "surface")
    if workload.counts_streams and run.streamed:
        run.frames = d.stream_data
        run.guest_frames = d.stream_data / run.streams
    elif workload.counts_streams:
        # Video drawn as images (strips of each frame, some from the cache): no guest frame count to give.
        run.frames = d.draws
        codec = workload.server["video_codecs"].split(":")[-1]
        cap = DisplayCap[f"CODEC_{codec.upper()}"]
        offered = "offered" if cap in total.display.client_caps else "did not offer"
        kinds = "+".join(k for k, _ in d.images.most_common() if k != "surface") or "no"
        run.note = f"no stream: the server sent {kinds} images; the client {offered} {cap.name}"
    else:
        run.frames, run.guest_frames = d.draws, pictures
    if workload.kind == "idle":
        run.frames, run.guest_frames = 0, 0  # nothing to divide by: CPU and RSS only


# -- start-up ----------------------------------------------------------------------------------------------


def one_shot(argv: list[str], out: Path) -> float:
    out.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}  # both are headless
    env.update({k: client_env()[k] for k in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")})
    t0 = time.monotonic()
    res = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=out.parent)
    wall = time.monotonic() - t0
    if res.returncode != 0 or not out.exists():
        raise RuntimeError(f"{argv[0]} failed ({res.returncode}): {res.stderr.strip()[-500:]}")
    return wall


def window_first_frame(viewer: str, server: XspiceServer, truth: np.ndarray, timeout: float = 30.0) -> float:
    """Seconds from launching the viewer until its screen shows the guest's picture, pixel for pixel."""
    h, w = truth.shape[:2]
    with XvfbServer(*client_screen(viewer, (w, h))) as xvfb, xinput.XDisplay(xvfb.display) as d:
        t0 = time.monotonic()
        proc = xvfb.run_client(kiosk_argv(viewer, server.uri), env=client_env())
        try:
            while time.monotonic() - t0 < timeout:
                screen = xinput.get_image(d, d.root)
                # The guest sits at the bottom: remote-viewer's header is above it.
                if np.array_equal(screen[-h:, :, :3], truth[..., :3]):
                    return time.monotonic() - t0
                if proc.poll() is not None:
                    raise RuntimeError(f"{viewer} exited ({proc.returncode}) before showing the guest")
                time.sleep(0.01)
        finally:
            procs.stop_child(proc)
    raise RuntimeError(f"{viewer} did not show the guest's picture within {timeout:.0f} s")


def startup(runs: int, viewers: list[str]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    with XspiceServer(size=(1024, 768)) as server, tempfile.TemporaryDirectory(prefix="bench-cpu-shot-") as tmp:
        truth = standard_scene(server)
        shots = {
            "remote-viewer": (
                "shot:spicy-screenshot",
                ["spicy-screenshot", "--uri", server.uri, "-o", "s.ppm"],
                "s.ppm",
            ),
            "spiceview": (
                "shot:spiceview",
                [sys.executable, "-m", "spiceview", "--screenshot", "o.png", server.uri],
                "o.png",
            ),
        }
        for i in range(runs):
            for viewer in viewers:
                key, argv, out = shots[viewer]
                tries = [(key, argv)]
                if viewer == "spiceview":
                    tries.append(("shot:spiceview-settle0", [*argv[:-1], "--settle-ms", "0", argv[-1]]))
                for k, cmd in tries:
                    try:
                        times.setdefault(k, []).append(one_shot(cmd, Path(tmp) / out))
                    except (RuntimeError, subprocess.SubprocessError) as e:
                        log(f"start-up {k}: {e}")
            for viewer in viewers:
                try:
                    times.setdefault(f"window:{viewer}", []).append(window_first_frame(viewer, server, truth))
                except RuntimeError as e:
                    log(f"start-up {viewer}: {e}")
            log(f"start-up round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items() if v))
    return times


# -- report ------------------------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def med(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else math.nan


def fmt(v: float, spec: str = ".1f", unit: str = "") -> str:
    return "-" if math.isnan(v) else f"{v:{spec}}{unit}"


def image_cell(images: Counter[str]) -> str:
    """The drawn image types, most first, surface copies last ("glz_rgb 16 + surface 16")."""
    kinds = sorted(images.items(), key=lambda kv: (kv[0] == "surface", -kv[1]))
    return " + ".join(f"{k} {n}" for k, n in kinds) or "no images"


def wire_cell(runs: list[Run], workload: Workload) -> str:
    """What carried the frames: the stream codec (video rows) or the image types (picture rows)."""
    if workload.kind == "idle":
        return "-"
    if workload.kind == "video" and any(r.streamed for r in runs):
        found: Counter[str] = Counter()
        for r in runs:
            found.update(r.codecs)
        return "+".join(found) or "?"
    images: Counter[str] = Counter()
    for r in runs:
        images.update(r.images)
    kinds = [k for k, _ in images.most_common() if k != "surface"]
    return ("no stream: " if workload.kind == "video" else "") + ("+".join(kinds) or "no images")


def tool_version(argv: list[str]) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    return "?"


def table(
    results: dict[str, dict[str, list[Run]]],
    viewers: list[str],
    args: argparse.Namespace,
    start: dict[str, list[float]],
    elapsed: float,
    load: tuple[float, float],
    versions: list[str],
) -> str:
    rv, sv = viewers[0], (viewers[1] if len(viewers) > 1 else "")
    names = " / ".join(viewers)
    if len(versions) > 1:  # each spiceview run uses the code as it was at its launch
        version = f"{' -> '.join(versions)} (its code changed during the run)"
    else:
        version = versions[0] if versions else source_version()
    lines = [
        f"## {date.today()} - {machine()}, CPython {platform.python_version()}, spiceview {version}, "
        f"{tool_version(['remote-viewer', '--version'])} ({tool_version(['remote-viewer', '--spice-gtk-version'])})",
        "",
        f"{args.seconds:g} s window after {args.warmup:g} s warm-up, {args.rounds} round(s), median over rounds; "
        f"kiosk 1:1, audio off, through the counting proxy; the whole run took {elapsed / 60:.0f} min, load "
        f"average {load[0]:.1f} before and {load[1]:.1f} after. "
        "ms/frame: CPU of the viewer's process tree (process CPU clocks, to the ns) / frames the server sent in "
        "the window: stream frames "
        "(STREAM_DATA) for video, drawing messages (DRAW_*, COPY_BITS) for pictures. ms/guest frame: per video "
        "frame (stream frames / parallel streams) or per picture (drawn images other than surface copies).",
        "",
        f"| workload | on the wire | {rv} ms/frame | {sv} ms/frame | ratio | frames ({names}) | MB ({names}) "
        f"| ms/guest frame ({names}) | CPU % of a core ({names}) | peak RSS MB ({names}) | RSS ratio | note |",
        "|---|---|---:|---:|---:|---|---|---|---|---|---:|---|",
    ]
    for name, per_viewer in results.items():
        wl = WORKLOADS[name]
        cols: dict[str, dict[str, float]] = {}
        wires, notes = [], []
        for v in viewers:
            runs = per_viewer.get(v, [])
            good = [r for r in runs if not math.isnan(r.cpu)]
            cols[v] = {
                "ms": med([r.ms_per_frame for r in good if r.frames]),
                "frames": med([float(r.frames) for r in good]),
                "mb": med([r.bytes / 1e6 for r in good]),
                "guest": med([r.ms_per_guest_frame for r in good if r.guest_frames]),
                "cpu": med([100 * r.cpu / r.wall for r in good]),
                "rss": med([r.rss / 2**20 for r in good if r.rss]),
            }
            wires.append(wire_cell(good, wl) if good else "-")
            for note, n in Counter(r.note for r in runs if r.note).items():
                notes.append(f"{v}: {note} ({n} of {len(runs)} runs)")
        a, b = cols[rv], cols.get(sv, {})
        nan = math.nan
        # One viewer got a stream and the other images: their frames are not alike, no ratio.
        comparable = len({r.streamed for runs in per_viewer.values() for r in runs if r.frames}) <= 1
        if not comparable:
            notes.insert(0, "no ratio: the viewers got different kinds of frames")

        def pair(key: str, spec: str, cols: dict[str, dict[str, float]] = cols) -> str:
            return " / ".join(fmt(cols[v][key], spec) for v in viewers)

        cells = [
            f"{name} ({wl.size[0]}x{wl.size[1]})",
            wires[0] if len(set(wires)) == 1 else " / ".join(wires),
            fmt(a["ms"], ".2f"),
            fmt(b.get("ms", nan), ".2f"),
            fmt(b.get("ms", nan) / a["ms"] if comparable else nan, ".2f"),
            pair("frames", ".0f"),
            pair("mb", ".1f"),
            pair("guest", ".1f"),
            pair("cpu", ".0f"),
            pair("rss", ".0f"),
            fmt(b.get("rss", nan) / a["rss"], ".2f"),
            "; ".join(notes).replace("|", "/").replace("\n", " "),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if start:
        lines += [
            "",
            f"Start-up, 1024x768 Xspice showing a still scene, median of {args.startup_runs} alternating runs "
            "(spicy-screenshot writes its file at the first drawing command; spiceview waits at least for MARK, "
            "the whole initial screen):",
            "",
            "| start-up | spice-gtk | spiceview | ratio |",
            "|---|---:|---:|---:|",
        ]
        s = {k: med(v) for k, v in start.items()}
        rows = [
            (
                "one-shot screenshot, launch to exit (spicy-screenshot / spiceview --screenshot, 300 ms settle)",
                "shot:spicy-screenshot",
                "shot:spiceview",
            ),
            (
                "one-shot screenshot, launch to exit (spicy-screenshot / spiceview --screenshot --settle-ms 0)",
                "shot:spicy-screenshot",
                "shot:spiceview-settle0",
            ),
            (
                "window shows the guest's first frame after launch (remote-viewer -k / spiceview -k)",
                "window:remote-viewer",
                "window:spiceview",
            ),
        ]
        for label, ka, kb in rows:
            va, vb = s.get(ka, math.nan), s.get(kb, math.nan)
            lines.append(f"| {label} | {fmt(va, '.2f', ' s')} | {fmt(vb, '.2f', ' s')} | {fmt(vb / va, '.2f')} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=20.0, help="measured window per run")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds after the first frames before the window")
    ap.add_argument("--workloads", default=",".join(WORKLOADS), help=f"comma list of {', '.join(WORKLOADS)}")
    ap.add_argument("--viewers", default=",".join(VIEWERS))
    ap.add_argument("--startup-runs", type=int, default=5, help="start-up rows: runs per viewer (0: skip them)")
    ap.add_argument("--no-record", action="store_true", help="print only; do not append to results/")
    args = ap.parse_args()
    names = [w for w in args.workloads.split(",") if w]
    unknown = [w for w in names if w not in WORKLOADS]
    viewers = [v for v in args.viewers.split(",") if v]
    if unknown or not set(viewers) <= set(VIEWERS):
        ap.error(f"unknown workload or viewer: {unknown or viewers}")
    # SIGINT (even when started in the background, where it comes ignored) and SIGTERM unwind the stack, so every
    # server, proxy and viewer is stopped by PID on the way out.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = os.getloadavg()[0]
    t_start = time.monotonic()
    # Unique pictures for warm-up + window and a margin (first frames, start-up), at one every SLIDE_DELAY s.
    frames = max(125, math.ceil((args.warmup + args.seconds + 15) / SLIDE_DELAY))
    results: dict[str, dict[str, list[Run]]] = {n: {v: [] for v in viewers} for n in names}
    versions: list[str] = []  # spiceview's commit at each of its launches, in order
    with tempfile.TemporaryDirectory(prefix="bench-cpu-media-") as tmp:
        media = Media(Path(tmp), frames)
        for name in names:  # made before the first run, not between runs
            media.prepare(WORKLOADS[name])
        for rnd in range(args.rounds):
            for name in names:
                for viewer in viewers:
                    if viewer == "spiceview" and source_version() not in versions:
                        versions.append(source_version())
                    try:
                        run = measure(WORKLOADS[name], viewer, media, args.seconds, args.warmup)
                    except (RuntimeError, procs.LabProcessError, subprocess.SubprocessError, OSError) as e:
                        run = Run(name, viewer, note=f"error: {e}".splitlines()[0][:200])
                    results[name][viewer].append(run)
                    log(
                        f"round {rnd + 1} {name} {viewer}: {fmt(run.ms_per_frame, '.2f')} ms/frame "
                        f"({fmt(run.ms_per_guest_frame, '.1f')} per guest frame), cpu {fmt(run.cpu, '.2f')} s, "
                        f"frames {run.frames} (draws {run.draws}, stream {run.stream_data} of {run.streams} streams), "
                        f"{run.bytes / 1e6:.1f} MB, codecs {dict(run.codecs)}, images {image_cell(run.images)}, "
                        f"rss {run.rss / 2**20:.0f} MB" + (f" - {run.note}" if run.note else "")
                    )
    start: dict[str, list[float]] = {}
    if args.startup_runs > 0:
        try:
            start = startup(args.startup_runs, viewers)
        except (RuntimeError, subprocess.SubprocessError, OSError) as e:  # keep the CPU table
            log(f"start-up rows left out: {e}")
    load = (load_before, os.getloadavg()[0])
    report = table(results, viewers, args, start, time.monotonic() - t_start, load, versions)
    print(report)
    if not args.no_record:
        append_report(RESULTS, "Client CPU per frame and peak memory (benchmarks/bench_cpu.py)", report)


if __name__ == "__main__":
    main()
