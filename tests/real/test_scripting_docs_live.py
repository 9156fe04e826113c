"""docs/scripting.md stays true: every sh and python block in it runs against a real Xspice (an xterm at the top
left), with the page's example address replaced by the server's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from spiceview_lab.scenes import FONT, hide_cursor, wait_mapped

pytestmark = [pytest.mark.xspice]

PAGE = Path(__file__).resolve().parents[2] / "docs" / "scripting.md"
EXAMPLE_URI = "spice://127.0.0.1:5900"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(PAGE.read_text())]


def test_the_page_has_examples_of_both_kinds() -> None:
    kinds = [kind for kind, _ in blocks()]
    assert kinds.count("sh") >= 4 and kinds.count("python") >= 2


def test_every_example_runs(xspice, tmp_path: Path) -> None:  # noqa: ANN001
    server = xspice(size=(1024, 768))
    hide_cursor(server.display)
    server.run_client(["xterm", "-fa", FONT, "-fs", "14", "-geometry", "70x12+0+0", "-T", "docs-xterm", "-e", "sh"])
    wait_mapped(server.display, "docs-xterm")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for number, (kind, code) in enumerate(blocks(), 1):
        code = code.replace(EXAMPLE_URI, server.uri)
        argv = ["bash", "-e", "-o", "pipefail", "-c", code] if kind == "sh" else [sys.executable, "-c", code]
        done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        where = f"block {number} ({kind}) of {PAGE.name}:\n{code}"
        assert done.returncode == 0, f"{where}\nstderr: {done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr, where
    assert (tmp_path / "screen.png").is_file() and (tmp_path / "python.png").is_file()
    assert (
        "exit status 1"
        in subprocess.run(
            ["bash", "-c", blocks()[4][1].replace(EXAMPLE_URI, server.uri)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        ).stdout
    )
