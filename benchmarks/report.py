"""Where the benchmarks keep their tables: appended to a markdown file under results/, titled when it is new."""

from __future__ import annotations

from pathlib import Path


def append_report(path: Path, title: str, text: str) -> None:
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_text(f"# {title}\n\n")
    with path.open("a") as fh:
        fh.write(text + "\n")
