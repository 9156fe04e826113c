"""The ways to install spiceview side by side: size on disk and start-up time.

Builds the manylinux wheels (packaging/build-wheels.sh) and installs them into a fresh virtual environment, builds
the PyInstaller bundle (packaging/build-bundle.sh), then, against one Xspice, times a one-shot
`spiceview --screenshot --settle-ms 0` (the whole process: interpreter, imports, connection, the server's whole
initial screen) and
`spiceview --version` (interpreter and imports only) for the checkout, the virtual environment and the bundle,
alternating, median of RUNS. spicy-screenshot (spice-gtk) is timed the same way as the reference.

    python3 benchmarks/bench_packages.py [--runs 7] [--no-record]

Appends to benchmarks/results/packages.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import _checkout  # noqa: F401 - first: the lab is imported from the checkout

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_input_roundtrip import machine, source_version  # noqa: E402
from report import append_report  # noqa: E402

from spiceview_lab.scenes import hide_cursor, standard_scene  # noqa: E402
from spiceview_lab.xspice import XspiceServer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "packages.md"


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-packages-") as tmp:
        root = Path(tmp)
        build_env = {**os.environ, "PYTHON": sys.executable}
        subprocess.run(["sh", str(REPO / "packaging" / "build-wheels.sh"), str(root / "wh")], env=build_env, check=True,
                       capture_output=True)  # fmt: skip
        subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
        pip = [str(root / "venv" / "bin" / "pip"), "install", "-q", "--only-binary", ":all:"]
        subprocess.run([*pip, "--find-links", str(root / "wh"), "spiceview"], check=True, capture_output=True)
        subprocess.run(["sh", str(REPO / "packaging" / "build-bundle.sh"), str(root / "bundle")], env=build_env,
                       check=True, capture_output=True)  # fmt: skip
        wheel = next((root / "wh").glob("spiceview-*manylinux*.whl"))
        site = next((root / "venv" / "lib").glob("python3*/site-packages"))
        bundle = root / "bundle" / "spiceview"
        ways = {
            "checkout (pip install -e)": [sys.executable, "-m", "spiceview"],
            "wheel in a virtual environment": [str(root / "venv" / "bin" / "spiceview")],
            "self-contained bundle": [str(bundle / "spiceview")],
        }
        bare = {"PATH": "/usr/bin:/bin", "HOME": str(root), "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8"}
        envs = {name: {**os.environ, "QT_QPA_PLATFORM": "offscreen"} if "checkout" in name else bare for name in ways}
        shots: dict[str, list[float]] = {name: [] for name in [*ways, "spicy-screenshot (spice-gtk)"]}
        versions: dict[str, list[float]] = {name: [] for name in ways}
        with XspiceServer(size=(1024, 768)) as server:
            hide_cursor(server.display)
            standard_scene(server)
            for _ in range(args.runs):
                for name, argv in ways.items():
                    versions[name].append(timed([*argv, "--version"], envs[name], root))
                    shot = [*argv, "--screenshot", "s.png", "--settle-ms", "0", server.uri]
                    shots[name].append(timed(shot, envs[name], root))
                if shutil.which("spicy-screenshot"):
                    spicy = ["spicy-screenshot", "-h", "127.0.0.1", "-p", str(server.port), "-o", "spicy.ppm"]
                    shots["spicy-screenshot (spice-gtk)"].append(timed(spicy, dict(os.environ), root))
        sizes = {
            "checkout (pip install -e)": "-",
            "wheel in a virtual environment": f"{wheel.stat().st_size / 1e6:.1f} MB wheel; {du(site) / 1e6:.0f} MB "
            "installed with its dependencies",
            "self-contained bundle": f"{du(bundle) / 1e6:.0f} MB folder",
            "spicy-screenshot (spice-gtk)": "-",
        }
    med = lambda xs: f"{statistics.median(xs):.2f} s" if xs else "-"  # noqa: E731
    lines = [
        f"## {date.today()} - {machine()}, spiceview {source_version()}, {args.runs} runs each, alternating",
        "",
        "| install | size | `--screenshot --settle-ms 0` (whole process) | `--version` (start and imports) |",
        "|---|---|---|---|",
        *(f"| {name} | {sizes[name]} | {med(shots[name])} | {med(versions.get(name, []))} |" for name in shots),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_record:
        append_report(RESULTS, "Installs side by side: size and start-up (benchmarks/bench_packages.py)", text)


if __name__ == "__main__":
    main()
