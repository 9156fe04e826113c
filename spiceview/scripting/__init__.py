"""Scripting a VM over SPICE: the Python API (console.py) and `spiceview-do` (cli.py); see docs/scripting.md."""

from .console import Console, ScriptError, SessionLost, WaitTimeout, connect

__all__ = ["Console", "ScriptError", "SessionLost", "WaitTimeout", "connect"]
