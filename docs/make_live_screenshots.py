"""Screenshots of spiceview showing a real Xspice guest: docs/window.png, docs/fullscreen.png and
docs/stats-overlay.png.

    python3 docs/make_live_screenshots.py [OUTPUT_DIR] [window|fullscreen|stats ...]

window.png: the viewer's window (menus, title bar from openbox) on an Xvfb. fullscreen.png: the whole client
X screen of an Xorg with two 1024x768 monitors (dummy driver), where `spiceview -f` has asked the guest agent
for two monitors and put each on its own screen. Needs what the live tests need (packaging/debian-deps.sh --test).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: the lab is not installed

from spiceview_lab import xwd  # noqa: E402
from spiceview_lab.pixels import save_png  # noqa: E402
from spiceview_lab.xorg_dummy import XorgDummyServer  # noqa: E402
from spiceview_lab.xspice import XspiceServer  # noqa: E402
from spiceview_lab.xvfb import XvfbServer  # noqa: E402


def furnish(guest: XspiceServer, width: int) -> None:
    """A desktop worth looking at: a coloured root, a terminal, a clock and the X logo on each monitor."""
    guest.run(["xsetroot", "-solid", "#2e5c8a"])
    guest.run_client(
        [
            "xterm",
            "-geometry",
            "72x20+40+40",
            "-fa",
            "DejaVu Sans Mono",
            "-fs",
            "10",
            "-e",
            "sh",
            "-c",
            "echo guest: Xspice, shown by spiceview; echo; ls -l /usr; sleep 3600",
        ]
    )
    guest.run_client(["xclock", "-analog", "-update", "1", "-geometry", "200x200+620+60"])
    guest.run_client(["xlogo", "-geometry", "220x220+640+420"])
    if width > 1024:
        guest.run_client(["xeyes", "-geometry", "300x200+1200+100"])
        guest.run_client(["xcalc", "-geometry", "+1500+300"])
    time.sleep(2.0)


def viewer(display_env: dict[str, str], guest: XspiceServer, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "spiceview", "-t", "build-vm", *args, guest.uri],
        env={**display_env, "QT_QPA_PLATFORM": "xcb"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def window_shot(out: Path) -> None:
    with XspiceServer(size=(1024, 768)) as guest, XvfbServer(1400, 1000) as client:
        client.run_client(["openbox"])
        time.sleep(1.0)
        furnish(guest, 1024)
        proc = viewer(client.env, guest, "--scaling", "1:1")
        try:
            time.sleep(5.0)
            for window in subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--pid", str(proc.pid)],
                env=client.env,
                capture_output=True,
                text=True,
            ).stdout.split():
                subprocess.run(["xdotool", "windowmove", window, "24", "48"], env=client.env)  # all on screen
            time.sleep(1.5)
            screen = xwd.capture(client.display)
        finally:
            proc.terminate()
            proc.wait(10)
    # The window sits at the top left under openbox; keep its frame and a little of the root around it.
    rows = (screen[..., :3] != screen[-1, -1, :3]).any(axis=2)
    ys, xs = rows.nonzero()
    top, left = max(ys.min() - 8, 0), max(xs.min() - 8, 0)
    save_png(screen[top : ys.max() + 9, left : xs.max() + 9], out / "window.png")
    print(out / "window.png")


def fullscreen_shot(out: Path) -> None:
    with XspiceServer(vdagent=True, numheads=2) as guest, XorgDummyServer(monitors=2) as client:
        proc = viewer(client.env, guest, "-f")
        try:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                if "qxl-1" in guest.run(["xrandr", "--listactivemonitors"]).stdout:
                    break
                time.sleep(0.5)
            furnish(guest, 2048)
            time.sleep(3.0)
            save_png(xwd.capture(client.display), out / "fullscreen.png")
        finally:
            proc.terminate()
            proc.wait(10)
    print(out / "fullscreen.png")


def stats_shot(out: Path) -> None:
    """The statistics overlay (Shift+F12, pressed with xdotool) over a video mpv plays in the guest, streamed."""
    from spiceview_lab.media import make_clip

    with (
        XspiceServer(size=(1024, 768), streaming_video="all", video_codecs="spice:mjpeg") as guest,
        XvfbServer(1400, 1000) as client,
    ):
        client.run_client(["openbox"])
        guest.run(["xsetroot", "-solid", "#2e5c8a"])
        clip = make_clip(out / "overlay-clip.mp4", "testsrc2=size=640x360:rate=25", 20, timeout=120)
        guest.run_client(["mpv", "--vo=x11", "--ao=null", "--loop=inf", "--no-osc", "--geometry=+300+300", str(clip)])
        proc = viewer(client.env, guest, "--scaling", "1:1")
        try:
            time.sleep(5.0)
            windows = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--pid", str(proc.pid)],
                env=client.env,
                capture_output=True,
                text=True,
            ).stdout.split()
            for window in windows:
                subprocess.run(["xdotool", "windowmove", window, "24", "48"], env=client.env)
            subprocess.run(["xdotool", "windowactivate", "--sync", windows[-1]], env=client.env)
            subprocess.run(["xdotool", "key", "shift+F12"], env=client.env)
            time.sleep(20.0)  # a third of a minute of graphs
            screen = xwd.capture(client.display)
        finally:
            proc.terminate()
            proc.wait(10)
            (out / "overlay-clip.mp4").unlink(missing_ok=True)
    rows = (screen[..., :3] != screen[-1, -1, :3]).any(axis=2)
    ys, xs = rows.nonzero()
    top, left = max(ys.min() - 8, 0), max(xs.min() - 8, 0)
    save_png(screen[top : ys.max() + 9, left : xs.max() + 9], out / "stats-overlay.png")
    print(out / "stats-overlay.png")


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(sys.argv[2:]) or {"window", "fullscreen", "stats"}
    if "window" in wanted:
        window_shot(out)
    if "fullscreen" in wanted:
        fullscreen_shot(out)
    if "stats" in wanted:
        stats_shot(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
