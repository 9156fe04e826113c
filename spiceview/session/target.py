"""What a user names to connect: a spice:// URI, a .vv file, or '-' for a .vv file on standard input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ConfigError
from .params import ConnectionParams
from .uri import parse_spice_uri

if TYPE_CHECKING:
    from .vvfile import VVFile


def load_target(target: str | Path) -> tuple[ConnectionParams, VVFile | None]:
    """Connection parameters from a URI or a .vv file (and the parsed .vv, for delete-this-file)."""
    text = str(target)
    if "://" in text:
        return parse_spice_uri(text), None
    from .vvfile import parse_vv  # with its INI reader: only for a .vv file

    if text == "-":  # as remote-viewer: the .vv file on standard input
        vv = parse_vv(sys.stdin.buffer.read())
        return vv.to_params(), vv
    path = Path(text)
    if not path.exists():
        raise ConfigError(f"{text}: no such file, and not a spice:// URI")
    vv = parse_vv(path)
    return vv.to_params(), vv
