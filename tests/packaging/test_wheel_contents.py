"""What a user installs: the wheel built from a clean copy of the checkout holds spiceview and nothing of the lab."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_ships_spiceview_without_the_lab(tmp_path: Path) -> None:
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    source = tmp_path / "src"
    for name in files:  # a clean copy: no build/ left over from earlier builds to slip into the wheel
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((REPO / name).read_bytes())
    env = {**os.environ, "SPICEVIEW_NO_EXTENSIONS": "1"}  # the file list is the point, not the compiled kernels
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("spiceview-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names}
    assert "spiceview/cli.py" in names and "spiceview/codecs/video/yuv_rows.h" in names
    assert not [name for name in names if "lab" in name.split("/")[0] or "/lab/" in name], "lab code in the wheel"
    assert packages <= {"spiceview", next(p for p in packages if p.endswith(".dist-info"))}, packages
