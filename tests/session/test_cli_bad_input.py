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


def test_a_vv_asking_for_a_newer_remote_viewer_is_refused(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    vv = tmp_path / "console.vv"
    vv.write_text(
        "[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=1\nversion=99.0\nnewer-version-url=https://x.test/\n"
    )
    assert main([str(vv)]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "spiceview: this connection needs remote-viewer 99.0 or newer; spiceview covers 11.0; see https://x.test/\n"
    )


def test_a_vv_from_standard_input_and_its_warnings(monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    """`spiceview -` reads the .vv from standard input; each warning is said once, before connecting."""
    import io
    import sys

    data = b"[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=1\nfoo=bar\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    seen = {}
    monkeypatch.setattr("spiceview.cli.run_screenshot", lambda params, args: seen.setdefault("params", params) and 0)
    main(["--screenshot", "out.png", "-"])
    assert seen["params"].host == "127.0.0.1" and seen["params"].port == 1
    assert capsys.readouterr().err == "spiceview: warning: <.vv data>, line 5: unknown key 'foo' ignored\n"
