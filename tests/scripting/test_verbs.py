"""spiceview-do's verbs: parsed and checked before connecting, from words, script files and stdin."""

from __future__ import annotations

import io
import shlex
import subprocess
import sys

import pytest

from spiceview.scripting.verbs import UsageError, parse


def test_vncdo_style_chains() -> None:
    steps = parse(shlex.split("move 100 200 click 1 type hello key enter expect done.png 5 pause 0.5 capture a.png"))
    assert [(s.verb, s.args) for s in steps] == [
        ("move", (100, 200)),
        ("click", (1,)),
        ("type", ("hello",)),
        ("key", ("enter",)),
        ("expect", ("done.png", 5.0)),
        ("pause", (0.5,)),
        ("capture", ("a.png",)),
    ]
    assert [s.verb for s in parse(["mousemove", "1", "2", "click", "kdown", "shift", "kup", "shift"])] == [
        "move",
        "click",  # the optional button left out: the next word is a verb
        "keydown",
        "keyup",
    ]
    assert str(parse(["type", "two words"])[0]) == "type 'two words'"


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["jump"], "unknown verb 'jump'"),
        (["move", "10"], "move needs X Y"),
        (["move", "10", "ten"], "Y 'ten' is not a whole number"),
        (["click", "9"], "unknown verb '9'"),
        (["mousedown", "0"], "BUTTON '0' is not a mouse button from 1 to 5"),
        (["expect", "a.png", "300"], "unknown verb '300'"),
        (["pause", "-1"], "SECONDS '-1' is not a number of seconds"),
        (["pause", "nan"], "is not a number of seconds"),
        (["rcapture", "a.png", "1", "2", "3"], "rcapture needs FILE X Y W H"),
    ],
)
def test_mistakes_are_named_before_anything_runs(words: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(words)


def test_script_files_and_stdin(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    script = tmp_path / "login.vdo"
    script.write_text("# log in\ntype 'root'  # the user\nkey enter\n\nexpect prompt.png 10\n")
    steps = parse([str(script), "capture", "after.png"])
    assert [s.verb for s in steps] == ["type", "key", "expect", "capture"] and steps[0].args == ("root",)
    monkeypatch.setattr(sys, "stdin", io.StringIO("key esc pause 1"))
    assert [s.verb for s in parse(["-"])] == ["key", "pause"]
    loop = tmp_path / "loop.vdo"
    loop.write_text(str(loop))
    with pytest.raises(UsageError, match="nested more than"):
        parse([str(loop)])
    (tmp_path / "quote.vdo").write_text('type "unclosed')
    with pytest.raises(UsageError, match="quote.vdo"):
        parse([str(tmp_path / "quote.vdo")])


def test_the_command_exits_2_for_a_bad_script_without_connecting() -> None:
    # Port 9 on 127.0.0.1: nothing listens; a usage error must be reported before any connection is tried.
    done = subprocess.run(
        [sys.executable, "-m", "spiceview.scripting.cli", "spice://127.0.0.1:9", "jump"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        done.returncode == 2
        and done.stderr.strip()
        == "spiceview-do: unknown verb 'jump' (verbs: "
        + ", ".join(sorted(__import__("spiceview.scripting.verbs", fromlist=["BY_NAME"]).BY_NAME))
        + ")"
    )
    done = subprocess.run(
        [sys.executable, "-m", "spiceview.scripting.cli", "--timeout", "3", "spice://127.0.0.1:9", "key", "esc"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and done.stderr.startswith("spiceview-do: cannot connect to spice://127.0.0.1:9")
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
