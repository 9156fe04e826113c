"""Our own xorg.conf for Xspice: the packaged one and `Xspice --auto` crash on Debian 12 (unset sizes = 0)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VdagentPaths:
    virtio: Path  # the driver listens here (must not exist beforehand)
    uinput: Path  # the driver mkfifo()s this (must not exist beforehand)
    uid: int
    gid: int


def _opt(name: str, value: object) -> str:
    if isinstance(value, bool):
        value = "True" if value else "False"
    return f'    Option "{name}" "{value}"'


def xorg_conf(
    *,
    numheads: int = 1,
    framebuffer_mb: int = 16,
    surface_mb: int = 128,
    command_mb: int = 128,
    vdagent: VdagentPaths | None = None,
    audio_fifo_dir: Path | None = None,
) -> str:
    """The text of an xorg.conf driving spiceqxl on 127.0.0.1 (port, TLS, compression: wrapper flags)."""
    opts = [
        _opt("SpiceAddr", "127.0.0.1"),
        _opt("NumHeads", numheads),
        _opt("FrameBufferSize", framebuffer_mb),
        _opt("SurfaceBufferSize", surface_mb),
        _opt("CommandBufferSize", command_mb),
        _opt("EnableImageCache", True),
        _opt("EnableFallbackCache", True),
        _opt("EnableSurfaces", True),
        _opt("SpiceAgentMouse", True),
        _opt("SpicePlaybackCompression", True),
    ]
    if vdagent is not None:
        opts += [
            _opt("SpiceVdagentEnabled", True),
            _opt("SpiceVdagentVirtioPath", vdagent.virtio),
            _opt("SpiceVdagentUinputPath", vdagent.uinput),
            _opt("SpiceVdagentUid", vdagent.uid),
            _opt("SpiceVdagentGid", vdagent.gid),
            _opt("SpiceDisableCopyPaste", False),
        ]
    if audio_fifo_dir is not None:
        opts.append(_opt("SpicePlaybackFIFODir", audio_fifo_dir))
    device = "\n".join(opts)
    return f"""\
Section "Device"
    Identifier "XSPICE"
    Driver "spiceqxl"
{device}
EndSection

Section "InputDevice"
    Identifier "XSPICE POINTER"
    Driver "xspice pointer"
EndSection

Section "InputDevice"
    Identifier "XSPICE KEYBOARD"
    Driver "xspice keyboard"
EndSection

Section "Monitor"
    Identifier "Configured Monitor"
EndSection

Section "Screen"
    Identifier "XSPICE Screen"
    Monitor "Configured Monitor"
    Device "XSPICE"
    DefaultDepth 24
EndSection

Section "ServerLayout"
    Identifier "XSPICE Example"
    Screen "XSPICE Screen"
    InputDevice "XSPICE KEYBOARD"
    InputDevice "XSPICE POINTER"
EndSection

Section "ServerFlags"
    Option "AutoAddDevices" "False"
EndSection
"""


def xorg_shim(xorg: str, env: dict[str, str]) -> str:
    """A /bin/sh script for the wrapper's --xorg: it exports env then execs Xorg (same PID).

    Needed because the wrapper always exports XSPICE_VDAGENT_ENABLED=0 without its (crashing) --vdagent.
    """
    exports = "".join(f"export {k}='{v}'\n" for k, v in env.items())
    return f'#!/bin/sh\n{exports}exec {xorg} "$@"\n'
