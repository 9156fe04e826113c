"""Registering spiceview with the desktop: menu entry, icons, AppStream metadata, the .vv file type and spice:// links.

    spiceview --install-desktop user|system        (or python -m spiceview.desktop install [--system])
    spiceview --uninstall-desktop user|system

The files come from the installed package (spiceview/data), so the same command works from a checkout, a wheel and
the self-contained bundle. A user install goes to $XDG_DATA_HOME (~/.local/share), a system one to /usr/local/share
(or --prefix). The menu entry runs the spiceview that did the installing (its absolute path when it is not the one
on the PATH, a bundle for instance). `default=True` also makes spiceview the handler of .vv files and spice://
links in the user's mimeapps.list (xdg-open then starts it); without it, it is offered beside other viewers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

DESKTOP_ID = "spiceview.desktop"
METAINFO = "org.spiceview.spiceview.metainfo.xml"
MIME_TYPES = ("application/x-virt-viewer", "x-scheme-handler/spice", "x-scheme-handler/spice+tls")
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def data_dir(system: bool, prefix: Path | None = None) -> Path:
    if prefix is not None:
        return prefix / "share"
    if system:
        return Path("/usr/local/share")
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def targets(share: Path) -> dict[str, Path]:
    """What goes where, by the name of the file in spiceview/data."""
    icons = share / "icons" / "hicolor"
    files = {
        DESKTOP_ID: share / "applications" / DESKTOP_ID,
        "spiceview-mime.xml": share / "mime" / "packages" / "spiceview.xml",
        "spiceview.svg": icons / "scalable" / "apps" / "spiceview.svg",
        METAINFO: share / "metainfo" / METAINFO,
    }
    for size in ICON_SIZES:
        files[f"icons/{size}x{size}.png"] = icons / f"{size}x{size}" / "apps" / "spiceview.png"
    return files


def launcher() -> str:
    """How the menu entry starts spiceview: by name when that name finds this installation, else by path."""
    if getattr(sys, "frozen", False):  # a bundle: its own executable
        return str(Path(sys.executable).resolve())
    on_path = shutil.which("spiceview")
    here = Path(sys.argv[0]).resolve() if sys.argv and Path(sys.argv[0]).name == "spiceview" else None
    if on_path and (here is None or Path(on_path).resolve() == here):
        return "spiceview"
    return str(here) if here else "spiceview"


def desktop_entry(command: str) -> str:
    text = (resources.files("spiceview") / "data" / DESKTOP_ID).read_text(encoding="utf-8")
    if command == "spiceview":
        return text
    quoted = '"' + command.replace("\\", "\\\\").replace('"', '\\"') + '"' if " " in command else command
    lines = []
    for line in text.splitlines():
        if line.startswith("Exec="):
            line = f"Exec={quoted} %u"
        elif line.startswith("TryExec="):
            line = f"TryExec={command}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def install(*, system: bool = False, prefix: Path | None = None, default: bool = False) -> Path:
    """Copy the files (again: the same result each time); returns the share directory used."""
    share = data_dir(system, prefix)
    data = resources.files("spiceview") / "data"
    for name, target in targets(share).items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if name == DESKTOP_ID:
            target.write_text(desktop_entry(launcher()), encoding="utf-8")
        else:
            target.write_bytes((data / name).read_bytes())
        target.chmod(0o644)
    if default and not system and prefix is None:
        set_default_handler()
    refresh(share)
    return share


def remove(*, system: bool = False, prefix: Path | None = None) -> Path:
    share = data_dir(system, prefix)
    for target in targets(share).values():
        target.unlink(missing_ok=True)
    refresh(share)
    return share


def set_default_handler() -> None:
    """spiceview first for its types in the user's mimeapps.list (what xdg-open and desktops consult)."""
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    path = config / "mimeapps.list"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept, section = [], ""
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped
        elif section == "[Default Applications]" and stripped.split("=", 1)[0] in MIME_TYPES:
            continue
        kept.append(line)
    if "[Default Applications]" not in (line.strip() for line in kept):
        kept += ["", "[Default Applications]"] if kept else ["[Default Applications]"]
    at = [line.strip() for line in kept].index("[Default Applications]") + 1
    kept[at:at] = [f"{mime}={DESKTOP_ID}" for mime in MIME_TYPES]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def refresh(share: Path) -> None:
    """The desktop's caches, where their tools exist (without them desktops rescan these folders themselves)."""
    for argv in (
        ["update-mime-database", str(share / "mime")],
        ["update-desktop-database", str(share / "applications")],
        ["gtk-update-icon-cache", "-q", "-t", "-f", str(share / "icons" / "hicolor")],
    ):
        if shutil.which(argv[0]) and Path(argv[-1]).is_dir():
            subprocess.run(argv, capture_output=True, timeout=60)


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m spiceview.desktop", description=__doc__.split("\n")[0])
    p.add_argument("action", choices=("install", "remove"))
    p.add_argument("--system", action="store_true", help="for every user (/usr/local/share; needs root)")
    p.add_argument("--prefix", type=Path, help="under PREFIX/share instead")
    p.add_argument("--default", action="store_true", help="also make spiceview the handler of .vv and spice://")
    args = p.parse_args(argv)
    try:
        if args.action == "install":
            share = install(system=args.system, prefix=args.prefix, default=args.default)
        else:
            share = remove(system=args.system, prefix=args.prefix)
    except OSError as exc:
        print(
            f"spiceview: cannot {args.action} the desktop files: {exc.strerror or exc} ({exc.filename})",
            file=sys.stderr,
        )
        return 1
    print(f"spiceview: desktop files {'installed in' if args.action == 'install' else 'removed from'} {share}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
