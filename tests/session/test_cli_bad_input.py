"""Bad command-line input: one clear line on stderr and the usage exit code, never a traceback, and nothing
connects or opens a window first."""

from __future__ import annotations

import pytest

from spiceview.cli import EXIT_USAGE, main

CASES = {
    "mapping not pairs": (
        ["--monitor-mapping", "bogus", "spice://127.0.0.1:1"],
        "spiceview: monitor mapping 'bogus': 'bogus' is not GUEST:CLIENT",
    ),
    "mapping twice the same monitor": (
        ["--monitor-mapping", "1:1;1:2", "spice://127.0.0.1:1"],
        "spiceview: monitor mapping '1:1;1:2': monitors count from 1, each once",
    ),
    "mapping without a target": (
        ["--monitor-mapping", "0:1"],
        "spiceview: monitor mapping '0:1': monitors count from 1, each once",
    ),
    "zoom out of range": (["--zoom", "5", "spice://127.0.0.1:1"], "spiceview: --zoom 5: must be between 10 and 400"),
    "no such file": (
        ["/nonexistent/console.vv"],
        "spiceview: /nonexistent/console.vv: no such file, and not a spice:// URI",
    ),
    "screenshot without a target": (
        ["--screenshot", "out.png"],
        "spiceview: --screenshot needs a spice:// URI or a .vv file",
    ),
    "missing CA file": (
        ["--spice-ca-file", "/nonexistent/ca.pem", "spice://127.0.0.1:1"],
        "spiceview: --spice-ca-file /nonexistent/ca.pem: no such file",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_clear_line(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv, message = CASES[case]
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == message + "\n"
