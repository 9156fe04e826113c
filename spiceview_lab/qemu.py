"""QemuServer: QEMU with a qxl card as a SPICE server on 127.0.0.1 (no guest disk: SeaBIOS on screen)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from spiceview_lab import procs
from spiceview_lab.certs import X509Dir, make_x509_dir
from spiceview_lab.ports import free_ports
from spiceview_lab.qmp import Qmp

QEMU = "qemu-system-x86_64"
_RETRYABLE = ("Address already in use", "Failed to bind", "failed to initialize spice server")
_ATTEMPTS = 4


class QemuServer:
    """qemu-system-x86_64 -display none -vga qxl -spice port=P,addr=127.0.0.1,... stopped by PID.

    heads: qxl heads (extra ones are `-device qxl`); agent: the vdagent virtio-serial port; audio: HDA
    with a SPICE audiodev; incoming=True: wait for a migration on `migration_port`. unix=True: SPICE on a
    unix socket (`unix_path`) instead of TCP. tls=True: a TLS port too (`tls_port`, `ca_file`), with
    `tls_channels` (only over TLS; "default" for every channel not named in `plaintext_channels`) and
    `plaintext_channels` (never over TLS). After start(): `port`, `uri`, `qmp` (a connected Qmp client)
    and `qmp_path`.
    """

    def __init__(
        self,
        *,
        heads: int = 1,
        agent: bool = False,
        audio: bool = False,
        password: str | None = None,
        image_compression: str | None = None,
        incoming: bool = False,
        memory_mb: int = 64,
        accel: str = "tcg",
        extra_args: Sequence[str] = (),
        startup_timeout: float = 30.0,
        port: int | None = None,
        serial_log: bool = False,
        sasl_users: dict[str, str] | None = None,
        unix: bool = False,
        tls: bool = False,
        tls_channels: Sequence[str] = (),
        plaintext_channels: Sequence[str] = (),
        seamless_migration: bool = False,
        spice_debug_log: bool = False,
        x509: X509Dir | None = None,
    ) -> None:
        if unix and (tls or port is not None or incoming):
            raise ValueError("a unix socket server has no TCP port, TLS or migration port")
        if (tls_channels or plaintext_channels) and not tls:
            raise ValueError("tls_channels and plaintext_channels need tls=True")
        self.heads, self.agent, self.audio = heads, agent, audio
        self.password = password
        self.image_compression = image_compression
        self.incoming = incoming
        self.seamless_migration = seamless_migration  # -spice seamless-migration=on (both ends need it)
        self.spice_debug_log = spice_debug_log  # spice-server's debug lines in log_path (G_MESSAGES_DEBUG=all)
        self.memory_mb, self.accel = memory_mb, accel
        self.extra_args = tuple(extra_args)
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self.fixed_port = port  # the SPICE port to use (a restarted server keeps its predecessor's), else free
        self.use_serial_log = serial_log  # the guest's ttyS0 into serial_log
        # SASL instead of the SPICE ticket: these users in a sasldb made for this server (sasl2-bin)
        self.sasl_users = sasl_users
        self.unix, self.tls = unix, tls
        self.tls_channels, self.plaintext_channels = tuple(tls_channels), tuple(plaintext_channels)
        self.x509: X509Dir | None = x509  # another server's certificates (a migration's two ends share a CA)
        self.port: int | None = None
        self.tls_port: int | None = None
        self.migration_port: int | None = None
        self.tmpdir: Path | None = None
        self.qmp: Qmp | None = None

    @property
    def uri(self) -> str:
        if self.unix:
            return f"spice+unix://{self.unix_path}"
        tls = f"?tls-port={self.tls_port}" if self.tls_port is not None else ""
        return f"spice://127.0.0.1:{self.port}{tls}"

    @property
    def unix_path(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "spice.sock"

    @property
    def ca_file(self) -> Path | None:
        return self.x509.ca_file if self.x509 is not None else None

    @property
    def qmp_path(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "qmp.sock"

    @property
    def log_path(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "qemu.log"

    @property
    def serial_log(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "serial.log"

    def __enter__(self) -> QemuServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def argv(self) -> list[str]:
        spice = f"unix=on,addr={self.unix_path}" if self.unix else f"port={self.port},addr=127.0.0.1"
        if self.tls:
            assert self.x509 is not None
            spice += f",tls-port={self.tls_port},x509-dir={self.x509.path}"
            spice += "".join(f",tls-channel={c}" for c in self.tls_channels)
            spice += "".join(f",plaintext-channel={c}" for c in self.plaintext_channels)
        spice += ",password-secret=spicepw" if self.password is not None else ",disable-ticketing=on"
        if self.sasl_users is not None:
            spice += ",sasl=on"
        if self.image_compression is not None:
            spice += f",image-compression={self.image_compression}"
        if self.seamless_migration:
            spice += ",seamless-migration=on"
        argv = [
            QEMU,
            "-nodefaults",
            "-no-user-config",
            "-display",
            "none",
            "-accel",
            self.accel,
            "-m",
            str(self.memory_mb),
            "-serial",
            f"file:{self.serial_log}" if self.use_serial_log else "none",
            "-parallel",
            "none",
            "-vga",
            "qxl",
            "-spice",
            spice,
            "-qmp",
            f"unix:{self.qmp_path},server=on,wait=off",
        ]
        if self.password is not None:
            argv[1:1] = ["-object", f"secret,id=spicepw,data={self.password}"]
        for _ in range(self.heads - 1):
            argv += ["-device", "qxl"]
        if self.agent:
            argv += [
                "-device",
                "virtio-serial",
                "-chardev",
                "spicevmc,id=vdagent,name=vdagent",
                "-device",
                "virtserialport,chardev=vdagent,name=com.redhat.spice.0",
            ]
        if self.audio:
            argv += ["-audiodev", "spice,id=snd0", "-device", "intel-hda", "-device", "hda-duplex,audiodev=snd0"]
        if self.incoming:
            argv += ["-incoming", f"tcp:127.0.0.1:{self.migration_port}"]
        return argv + list(self.extra_args)

    def start(self) -> QemuServer:
        if shutil.which(QEMU) is None:
            raise procs.LabProcessError(f"{QEMU} not found: install the Debian/Ubuntu package qemu-system-x86")
        self.tmpdir = Path(tempfile.mkdtemp(prefix="spiceview-qemu-"))
        procs.register(self)
        try:
            if self.tls and self.x509 is None:
                self.x509 = make_x509_dir(self.tmpdir / "x509")
            for attempt in range(_ATTEMPTS):
                try:
                    self._launch()
                    return self
                except procs.LabProcessError as e:
                    self._stop_process()
                    if attempt + 1 == _ATTEMPTS or not any(s in str(e) for s in _RETRYABLE):
                        raise
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self) -> None:
        self.port, self.migration_port, tls_port = free_ports(3)
        self.tls_port = tls_port if self.tls else None
        if self.fixed_port is not None:
            self.port = self.fixed_port
        if self.unix:
            self.port = None
            self.unix_path.unlink(missing_ok=True)  # a failed attempt's socket
        env = self._sasl_env() if self.sasl_users is not None else None
        if self.spice_debug_log:
            env = {**(env or os.environ), "G_MESSAGES_DEBUG": "all"}
        self.proc = procs.spawn(self.argv(), env=env, log=self.log_path)
        proc = self.proc
        deadline = time.monotonic() + self.startup_timeout
        if self.unix:
            self._wait_for_unix_socket(deadline)
        for port in (self.port, self.tls_port):
            if port is not None:
                procs.wait_for_port(
                    port,
                    timeout=self.startup_timeout,
                    alive=lambda: proc.poll() is None,
                    what="QEMU",
                    log=self.log_path,
                )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                self.qmp = Qmp(self.qmp_path)
                return
            except OSError as e:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = procs.tail(self.log_path)
                    raise procs.LabProcessError(f"QEMU QMP not reachable ({e}); log:\n{log}") from None
                time.sleep(0.05)

    def _wait_for_unix_socket(self, deadline: float) -> None:
        """Until the SPICE socket accepts a connection (spice-server drops a link that never starts)."""
        import socket

        assert self.proc is not None
        while True:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                try:
                    probe.connect(str(self.unix_path))
                    return
                except OSError:
                    pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = procs.tail(self.log_path)
                raise procs.LabProcessError(f"QEMU's SPICE socket {self.unix_path} never listened; log:\n{log}")
            time.sleep(0.05)

    def _sasl_env(self) -> dict[str, str]:
        """A SASL configuration for QEMU (application name "qemu") and its user database (LAB.md)."""
        import os

        assert self.tmpdir is not None and self.sasl_users is not None
        conf, db = self.tmpdir / "sasl", self.tmpdir / "sasl" / "users.db"
        conf.mkdir(exist_ok=True)
        (conf / "qemu.conf").write_text(f"mech_list: digest-md5 scram-sha-256\nsasldb_path: {db}\n")
        for user, password in self.sasl_users.items():
            subprocess.run(
                ["saslpasswd2", "-p", "-a", "qemu", "-f", str(db), "-c", user],
                input=password.encode(),
                check=True,
                capture_output=True,
                timeout=30,
            )
        return {**os.environ, "SASL_CONF_PATH": str(conf)}

    def migrate_to(
        self, target: QemuServer, timeout: float = 60.0, before_migrate: Callable[[], object] | None = None
    ) -> dict:
        """Live-migrate this VM into target (started with incoming=True), telling SPICE clients first.

        `before_migrate` runs between the two: QEMU 7.2's client_migrate_info returns at once, and a VM that
        finishes moving before the clients have linked to the target leaves them only SWITCH_HOST; libvirt waits
        for the clients there, and so can a test. Returns the source's final query-migrate once the target runs
        (it reports 'inmigrate' for a moment after the source says 'completed').
        """
        assert self.qmp is not None and target.qmp is not None and target.port is not None
        self.qmp.client_migrate_info(target.port, tls_port=target.tls_port)
        if before_migrate is not None:
            before_migrate()
        info = self.qmp.migrate(f"tcp:127.0.0.1:{target.migration_port}", timeout=timeout)
        deadline = time.monotonic() + timeout
        while (status := target.qmp.command("query-status")["status"]) != "running":
            if time.monotonic() > deadline:
                raise TimeoutError(f"migration target still {status!r} after {timeout:.0f} s")
            time.sleep(0.02)
        return info

    def stop(self) -> None:
        self._stop_process()
        procs.unregister(self)
        if self.tmpdir is not None:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _stop_process(self) -> None:
        if self.qmp is not None:
            self.qmp.close()
            self.qmp = None
        if self.proc is not None:
            procs.stop_child(self.proc, timeout=5.0)
            self.proc = None

    def __repr__(self) -> str:
        running = self.proc is not None and self.proc.poll() is None
        return f"<QemuServer {self.uri if running else 'stopped'}>"
