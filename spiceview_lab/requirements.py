"""require(): a test needs a tool or Debian package; skip without it locally, FAIL without it on CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

# Tool -> the Debian/Ubuntu package that ships it.
PACKAGES: dict[str, str] = {
    "Xspice": "xserver-xspice",
    "Xorg": "xserver-xorg-core",
    "Xvfb": "xvfb",
    "xwd": "x11-apps",
    "xwud": "x11-apps",
    "xlogo": "x11-apps",
    "xeyes": "x11-apps",
    "xsetroot": "x11-xserver-utils",
    "xrandr": "x11-xserver-utils",
    "xdpyinfo": "x11-utils",
    "xdotool": "xdotool",
    "xterm": "xterm",
    "xclip": "xclip",
    "xev": "x11-utils",
    "setxkbmap": "x11-xkb-utils",
    "xmodmap": "x11-xserver-utils",
    "x11perf": "x11-apps",
    "xclock": "x11-apps",
    "display": "imagemagick",
    "convert": "imagemagick",
    "spicy-screenshot": "spice-client-gtk",
    "spicy": "spice-client-gtk",
    "remote-viewer": "virt-viewer",
    "spice-vdagent": "spice-vdagent",
    "spice-vdagentd": "spice-vdagent",
    "qemu-system-x86_64": "qemu-system-x86",
    "openbox": "openbox",
    "pulseaudio": "pulseaudio",
    "pactl": "pulseaudio-utils",
    "parec": "pulseaudio-utils",
    "pacat": "pulseaudio-utils",
    "mpv": "mpv",
    "ffmpeg": "ffmpeg",
    "openssl": "openssl",
    "ss": "iproute2",
    "strace": "strace",
    "cpio": "cpio",
    "modinfo": "kmod",
    "saslpasswd2": "sasl2-bin",
}
# Things that are not programs: how to tell they are there.
FILES: dict[str, tuple[str, str]] = {
    "fonts-dejavu-core": ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", "fonts-dejavu-core"),
    "spiceqxl": ("/usr/lib/xorg/modules/drivers/spiceqxl_drv.so", "xserver-xspice"),
    "dummy-video": ("/usr/lib/xorg/modules/drivers/dummy_drv.so", "xserver-xorg-video-dummy"),
    "busybox-static": ("/bin/busybox", "busybox-static"),
}
_TOOLS_OF_PACKAGE = {pkg: tool for tool, pkg in reversed(PACKAGES.items())}


class MissingRequirement(RuntimeError):
    """A required tool is missing while CI=true: the test must fail, not skip."""


@cache
def _dpkg_installed(package: str) -> bool:
    if shutil.which("dpkg-query") is None:
        return False
    res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return res.returncode == 0 and "install ok installed" in res.stdout


def package_for(name: str) -> str:
    """The apt package that provides a tool / file key / package name."""
    if name in FILES:
        return FILES[name][1]
    return PACKAGES.get(name, name)


def have(name: str) -> bool:
    """True if a tool is on PATH, a known file exists, or (for a package name) it is installed."""
    if name in FILES:
        return Path(FILES[name][0]).exists()
    if name in _TOOLS_OF_PACKAGE:  # a package name: check one of its programs
        return shutil.which(_TOOLS_OF_PACKAGE[name]) is not None
    if shutil.which(name) is not None:
        return True
    return name not in PACKAGES and _dpkg_installed(name)


def missing_message(name: str) -> str:
    pkg = package_for(name)
    return f"{name} is missing: apt-get install {pkg}"


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(*names: str) -> None:
    """Skip the calling test if a tool/package is missing; with CI=true, raise so the test FAILS."""
    missing = [n for n in names if not have(n)]
    if not missing:
        return
    msg = "; ".join(missing_message(n) for n in missing)
    if on_ci():
        raise MissingRequirement(msg)
    import pytest  # lazily: the demo uses this module without pytest installed

    pytest.skip(msg)
