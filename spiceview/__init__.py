"""spiceview: a desktop SPICE client.

`spiceview.connect(uri_or_vv)` opens a scripted session (spiceview.scripting; docs/scripting.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .scripting.console import Console


def connect(target: Any, **options: Any) -> Console:
    """A scripted session to a spice:// URI or a .vv file (spiceview.scripting.console.connect)."""
    from .scripting.console import connect as _connect  # imported on use: `spiceview` itself starts fast

    return _connect(target, **options)
