"""The house rules a reviewer would otherwise check by hand: ruff clean, imports pointing one way, QtWidgets only in
ui/, the lab only where a checkout is needed."""

from __future__ import annotations

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "spiceview"
BELOW_UI = {"channels", "transport", "canvas", "codecs", "audio", "usb", "protocol", "session"}
# Which spiceview packages each package may import
# (ui -> channels -> transport, canvas, codecs, audio, usb -> protocol).
ALLOWED = {
    "protocol": set(),
    "codecs": {"protocol"},
    "canvas": {"codecs", "protocol"},
    "audio": {"codecs", "protocol"},
    "session": {"protocol"},
    "transport": {"protocol", "session"},
    "usb": {"protocol"},
    "channels": {"transport", "canvas", "codecs", "audio", "usb", "protocol", "session"},
    "headless": BELOW_UI,
    "scripting": BELOW_UI | {"headless"},
    "ui": BELOW_UI,
}
ENTRY_POINTS = {"cli", "demo", "__main__", "__init__"}  # wire everything together


def imported_modules(path: Path) -> set[str]:
    """Absolute names of what a module imports (relative imports resolved)."""
    package = list(path.relative_to(REPO).parts[:-1])  # a.b for a/b/c.py and for a/b/__init__.py
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def layer_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def test_imports_point_one_way() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = layer_of(path)
        for name in imported_modules(path):
            head = name.split(".")
            if "QtWidgets" in name and layer != "ui":
                wrong.append(f"{path.relative_to(REPO)} imports {name}: only ui/ imports QtWidgets")
            if head[0] == "spiceview_lab" and layer != "demo":
                wrong.append(f"{path.relative_to(REPO)} imports the lab, which is not installed")
            if head[0] != "spiceview" or len(head) < 2 or layer in ENTRY_POINTS or head[1] == layer:
                continue
            if head[1] in ALLOWED and head[1] not in ALLOWED.get(layer, set()):
                wrong.append(f"{path.relative_to(REPO)} ({layer}) imports {name}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("argv", [["check", "."], ["format", "--check", "."]])
def test_ruff_is_clean(argv: list[str]) -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' brings it)")
    res = subprocess.run([ruff, *argv], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-1000:]


LIVE_MARKS = ("xspice", "qemu", "xvfb", "pulse")


def test_live_tests_are_in_tests_real_and_marked() -> None:
    """A test that starts a real server (the lab's Xspice, QEMU, Xvfb, PulseAudio) lives in tests/real/ and
    carries the mark saying which; unit tests elsewhere start none."""
    wrong = []
    for path in sorted((REPO / "tests").rglob("test_*.py")):
        if path == Path(__file__).resolve():
            continue
        text = path.read_text()
        live = any(f"mark.{m}" in text for m in LIVE_MARKS) or "XspiceServer(" in text or "PulseNullSink(" in text
        where = path.relative_to(REPO)
        if live and where.parts[1] != "real":
            wrong.append(f"{where}: a live test outside tests/real")
        if where.parts[1] == "real" and not any(f"mark.{m}" in text for m in LIVE_MARKS):
            wrong.append(f"{where}: a live test without a mark ({', '.join(LIVE_MARKS)})")
    assert not wrong, "\n".join(wrong)


BELOW_THE_UI = (
    "protocol", "codecs", "canvas", "channels", "transport", "audio", "usb", "session", "headless", "scripting"
)  # fmt: skip


def test_mypy_is_clean_below_the_ui() -> None:
    """The type checker over every layer below the UI (pyproject's [tool.mypy] lists them)."""
    try:
        import mypy.api
    except ImportError:
        pytest.skip("mypy is not installed (pip install -e '.[test]' brings it)")
    packages = [str(PACKAGE / name) for name in BELOW_THE_UI]
    out, err, status = mypy.api.run(
        ["--config-file", str(REPO / "pyproject.toml"), "--cache-dir", "/dev/null", *packages]
    )
    assert status == 0, out[-3000:] + err[-1000:]


def test_message_handlers_name_their_message_class() -> None:
    """Handlers and the canvas take the generated message classes, never Any (issue 12)."""
    import ast

    wrong = []
    for name in ("channels", "canvas"):
        for path in sorted((PACKAGE / name).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                    if arg.annotation is not None and "Any" in ast.unparse(arg.annotation):
                        wrong.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}({arg.arg}: Any)")
    allowed = {"kwargs"}  # client_from_params(**kwargs) passes options through
    wrong = [w for w in wrong if not any(f"({a}: Any)" in w for a in allowed)]
    assert not wrong, "\n".join(wrong)
