"""A real Linux guest without a disk image: Debian's kernel and a busybox initramfs, booted by QEMU (../shared/LAB.md).

The display is drawn by the guest's own qxl KMS driver (fbcon, 1024x768), keys go through its PS/2 keyboard to a
shell on tty1, and what that shell writes to /dev/ttyS0 lands in the serial log: the tests' oracle
(`echo guest-$((6*7)) > /dev/ttyS0` typed through a client's window makes "guest-42" appear there).

The kernel package (linux-image-*-amd64, the version linux-image-amd64 depends on) is fetched once with
`apt-get download` into the cache (SPICEVIEW_LAB_CACHE, default ~/.cache/spiceview-lab) with the initramfs built
from it; busybox comes from the busybox-static package, module dependencies from `modinfo` (package kmod), the
archive from cpio.

    with LinuxGuest() as guest:
        guest.wait_for_shell()
        run_client(guest.uri)
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from spiceview_lab import procs
from spiceview_lab.qemu import QemuServer

CACHE = Path(os.environ.get("SPICEVIEW_LAB_CACHE", "~/.cache/spiceview-lab")).expanduser()
MODULES = ("qxl",)  # and what they depend on, loaded first
READY = "spiceview-guest-ready"
BUSYBOX = Path("/bin/busybox")

INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for module in $(cat /modules.order); do insmod /modules/$module.ko; done
# The qxl framebuffer takes over the console: the shell's prompt is on the SPICE display.
sleep 1
echo {READY} > /dev/ttyS0
if grep -q spiceview.animate /proc/cmdline; then
  # A picture that never stops changing: a counter across the middle row, rewritten every 20 ms (one row, not
  # a scrolling screen: a full-screen redraw 50 times a second is more than the server encodes under TCG).
  setsid sh -c 'clear; i=0; while :; do i=$((i+1))
    printf "\\033[24;1Htick %-8d tick %-8d tick %-8d tick %-8d tick %-8d tick %-8d" $i $i $i $i $i $i
    usleep 20000; done >/dev/tty1 2>&1' &
else
  setsid cttyhack sh -c 'exec sh </dev/tty1 >/dev/tty1 2>&1' &
fi
while :; do sleep 3600; done
"""


def _run(argv: list[str], cwd: Path | None = None, timeout: float = 300) -> str:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise procs.LabProcessError(f"{argv[0]} not found (packages: apt-utils, dpkg, kmod, cpio)") from None
    if done.returncode != 0:
        raise procs.LabProcessError(f"{' '.join(argv)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def kernel_package() -> str:
    """The versioned kernel package Debian's linux-image-amd64 points at (a glob would fetch every version)."""
    for line in _run(["apt-cache", "depends", "linux-image-amd64"]).splitlines():
        name = line.split("Depends:", 1)[1].strip() if "Depends:" in line else ""
        if name.startswith("linux-image-") and name != "linux-image-amd64":
            return name
    raise procs.LabProcessError("apt-cache does not know linux-image-amd64 (apt-get update?)")


def kernel_tree(cache: Path = CACHE) -> Path:
    """The kernel package unpacked in the cache (fetched on first use)."""
    package = kernel_package()
    root = cache / package
    if (root / ".complete").exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    debs = list(cache.glob(f"{package}_*.deb"))
    if not debs:
        _run(["apt-get", "download", package], cwd=cache)
        debs = list(cache.glob(f"{package}_*.deb"))
    shutil.rmtree(root, ignore_errors=True)
    _run(["dpkg-deb", "-x", str(debs[0]), str(root)])
    (root / ".complete").touch()
    return root


def module_order(modules_dir: Path, wanted: tuple[str, ...]) -> list[Path]:
    """The .ko files of `wanted` and their dependencies, each after what it needs."""
    files = {p.name.split(".ko")[0].replace("-", "_"): p for p in modules_dir.rglob("*.ko*")}
    order: list[Path] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        key = name.replace("-", "_")
        if key in seen:
            return
        seen.add(key)
        path = files.get(key)
        if path is None:
            raise procs.LabProcessError(f"module {name} not in {modules_dir}")
        for dep in filter(None, _run(["modinfo", "-F", "depends", str(path)]).strip().split(",")):
            visit(dep)
        order.append(path)

    for name in wanted:
        visit(name)
    return order


def build_initramfs(cache: Path = CACHE) -> tuple[Path, Path]:
    """(vmlinuz, initrd.gz): built once per kernel and init script, then taken from the cache."""
    if not BUSYBOX.exists():
        raise procs.LabProcessError(f"{BUSYBOX} missing: install the Debian package busybox-static")
    tree = kernel_tree(cache)
    kernel = next((tree / "boot").glob("vmlinuz-*"))
    stamp = hashlib.sha256((INIT + kernel.name + ",".join(MODULES)).encode()).hexdigest()[:12]
    initrd = cache / f"initrd-{stamp}.gz"
    if initrd.exists():
        return kernel, initrd
    work = cache / f"initramfs-{stamp}"
    shutil.rmtree(work, ignore_errors=True)
    for sub in ("bin", "proc", "sys", "dev", "modules", "tmp"):
        (work / sub).mkdir(parents=True)
    shutil.copy(BUSYBOX, work / "bin" / "busybox")
    (work / "bin" / "sh").symlink_to("busybox")
    names = []
    for path in module_order(next((tree / "lib" / "modules").iterdir()), MODULES):
        name = path.name.split(".ko")[0]
        data = path.read_bytes()
        if path.name.endswith(".xz"):
            import lzma

            data = lzma.decompress(data)
        (work / "modules" / f"{name}.ko").write_bytes(data)
        names.append(name)
    (work / "modules.order").write_text("\n".join(names) + "\n")
    (work / "init").write_text(INIT)
    (work / "init").chmod(0o755)
    listing = "\n".join(str(p.relative_to(work)) for p in sorted(work.rglob("*"))) + "\n"
    archive = subprocess.run(
        ["cpio", "-o", "-H", "newc", "--quiet"], cwd=work, input=listing.encode(), capture_output=True, check=True
    ).stdout
    partial = initrd.with_suffix(".part")
    partial.write_bytes(gzip.compress(archive, 6))
    partial.rename(initrd)
    shutil.rmtree(work, ignore_errors=True)
    return kernel, initrd


class LinuxGuest(QemuServer):
    """QEMU booting Debian's kernel with the busybox initramfs; `serial_log` is what the guest wrote to ttyS0.

    port: the SPICE port to use (a restarted guest keeps its predecessor's). animate: instead of a shell, tty1
    gets a line every 20 ms for ever (the picture never rests).
    """

    def __init__(
        self, *, port: int | None = None, memory_mb: int = 512, animate: bool = False, **options: object
    ) -> None:
        self.kernel, self.initrd = build_initramfs()
        self.animate = animate
        super().__init__(memory_mb=memory_mb, port=port, serial_log=True, **options)  # type: ignore[arg-type]

    def argv(self) -> list[str]:
        return [
            *super().argv(),
            "-kernel",
            str(self.kernel),
            "-initrd",
            str(self.initrd),
            "-append",
            "console=ttyS0 loglevel=3" + (" spiceview.animate" if self.animate else ""),
        ]

    def serial_text(self) -> str:
        try:
            return self.serial_log.read_text(errors="replace")
        except OSError:
            return ""

    def wait_for_serial(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.serial_text():
            if self.proc is None or self.proc.poll() is not None:
                raise procs.LabProcessError(f"the guest stopped; serial log:\n{self.serial_text()[-1500:]}")
            if time.monotonic() > deadline:
                raise procs.LabProcessError(f"{text!r} not on the serial line in {timeout:.0f} s")
            time.sleep(0.1)

    def wait_for_shell(self, timeout: float = 60.0) -> None:
        """The modules are loaded and the shell on tty1 is starting (its prompt follows within a moment)."""
        self.wait_for_serial(READY, timeout)
