"""SASL against a real QEMU (`-spice sasl=on`, a sasldb made by the test with saslpasswd2): on plain TCP the
server accepts only a mechanism with a security layer, so this is DIGEST-MD5 with every byte wrapped after the
link. The picture must equal QEMU's screendump; wrong credentials are one clear line and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spiceview_lab import xwd
from spiceview_lab.pixels import load_png
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.qemu]

CURSOR_BLINK_PIXELS = 18  # SeaBIOS's blinking text cursor


@pytest.fixture(scope="module")
def sasl_qemu():  # noqa: ANN201
    require("qemu-system-x86_64", "saslpasswd2")
    from spiceview_lab.qemu import QemuServer

    with QemuServer(sasl_users={"alice": "wonder land"}) as server:
        yield server


def screenshot(*argv: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "spiceview", "--screenshot", str(out), "--timeout", "15", *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("how", ["uri", "vv"])
def test_sasl_picture_equals_the_screendump(how: str, sasl_qemu, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "shot.png"
    if how == "uri":
        run = screenshot("--password", "wonder land", f"spice://alice@127.0.0.1:{sasl_qemu.port}", out=out)
    else:
        vv = tmp_path / "console.vv"
        vv.write_text(
            f"[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport={sasl_qemu.port}\nusername=alice\npassword=wonder land\n"
        )
        run = screenshot(str(vv), out=out)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    shot = load_png(out)
    dump = xwd.load_ppm(sasl_qemu.qmp.screendump(tmp_path / "dump.ppm"))
    assert shot.shape[:2] == dump.shape[:2]
    differing = int(np.any(shot[..., :3] != dump[..., :3], axis=-1).sum())
    assert differing <= CURSOR_BLINK_PIXELS, f"{differing} pixels differ from QEMU's screendump"


@pytest.mark.parametrize(
    ("user", "password"), [("alice", "wrong"), ("mallory", "wonder land")], ids=["password", "user"]
)
def test_sasl_refused_is_one_line(user: str, password: str, sasl_qemu, tmp_path: Path) -> None:  # noqa: ANN001
    run = screenshot("--password", password, f"spice://{user}@127.0.0.1:{sasl_qemu.port}", out=tmp_path / "x.png")
    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert lines == ["spiceview: SASL authentication failed: wrong user name or password"], run.stderr


def test_window_asks_again_when_the_login_is_refused(qt_application, sasl_qemu, runner_for) -> None:  # noqa: ANN001
    """The window's first connection is refused (wrong password): spiceview asks for the user name and password
    (SASL) instead of ending, and the answer logs in."""
    from spiceview_lab.qt_wait import pump

    asked: list[tuple[str, bool]] = []

    def answer(reason: str, sasl: bool) -> tuple[str | None, str]:
        asked.append((reason, sasl))
        return "alice", "wonder land"

    def prepare(runner) -> None:  # noqa: ANN001
        runner.ask_credentials = answer

    runner = runner_for(f"spice://mallory@127.0.0.1:{sasl_qemu.port}?password=nope", before_start=prepare)
    pump(qt_application, lambda: runner.viewer is not None and runner.viewer.monitors, 30, "the guest after logging in")
    assert asked == [("SASL authentication failed: wrong user name or password", True)]
    assert runner.params.username == "alice" and runner.code == 0
