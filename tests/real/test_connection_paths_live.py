"""The connection paths no other test drives (issue 14), each end to end with `spiceview --screenshot`:

- a unix socket (QEMU `-spice unix=on`), by `spice+unix://` URI and by a .vv file's `unix-path`;
- an HTTP CONNECT proxy (spiceview_lab.http_proxy, a real proxy process thread) by `--spice-proxy`, the .vv
  `proxy` key and SPICE_PROXY, with and without Basic authentication;
- TLS: `spice+tls://`, channels the client puts on TLS (`--spice-secure-channels`), and channels the server wants
  on TLS only (QEMU `tls-channel=`), which spiceview links on the plain port first and retries on the TLS port
  (NEED_SECURED).

Where each channel went is checked on the wire (WireProxy, the HTTP proxy's tunnels) or by the server itself
(QEMU's query-spice); the picture against QEMU's screendump or a direct connection's. Every failing case must be
one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from spiceview.protocol.constants import CHANNEL_NAMES, ChannelType
from spiceview_lab.pixels import load_png, load_ppm
from spiceview_lab.requirements import require

pytestmark = [pytest.mark.xspice, pytest.mark.qemu]

CURSOR_BLINK_PIXELS = 18  # SeaBIOS's blinking text cursor (LAB.md)
TYPE_OF = {name: number for number, name in CHANNEL_NAMES.items()}


# -- helpers -----------------------------------------------------------------------------------------------


def spiceview_argv(*argv: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "spiceview", "--screenshot", str(out), "--timeout", "10", *argv]


def screenshot(*argv: str, out: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(spiceview_argv(*argv, out=out), capture_output=True, text=True, timeout=60, env=env)


def assert_ok(run: subprocess.CompletedProcess) -> None:
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr, run.stderr


def assert_one_line(run: subprocess.CompletedProcess, expected: str) -> None:
    """A failure: exit 1 and exactly one line on stderr, `expected` in it."""
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 1, run.stderr
    assert len(lines) == 1 and lines[0].startswith("spiceview: "), run.stderr
    assert expected in lines[0], run.stderr


def linked_types(stats_json: Path) -> list[int]:
    """The channel types the session received messages on (--stats-json), sorted."""
    names = json.loads(stats_json.read_text())["channels"]
    return sorted(TYPE_OF[name.rsplit("-", 1)[0]] for name, received in names.items() if received)


def differing(a: np.ndarray, b: np.ndarray) -> int:
    assert a.shape[:2] == b.shape[:2], f"{a.shape} != {b.shape}"
    return int(np.any(a[..., :3] != b[..., :3], axis=-1).sum())


def settled_screendump(qemu, tmp_path: Path, timeout: float = 10.0) -> np.ndarray:  # noqa: ANN001
    """QEMU's screendump once SeaBIOS is done printing (two dumps in a row differ by the cursor at most)."""
    previous = load_ppm(qemu.qmp.screendump(tmp_path / "dump0.ppm"))
    deadline = time.monotonic() + timeout
    while True:
        time.sleep(0.3)
        dump = load_ppm(qemu.qmp.screendump(tmp_path / "dump.ppm"))
        if previous.shape == dump.shape and differing(previous, dump) <= CURSOR_BLINK_PIXELS:
            return dump
        assert time.monotonic() < deadline, "SeaBIOS's screen never settled"
        previous = dump


def assert_seabios(shot_png: Path, qemu, tmp_path: Path) -> None:  # noqa: ANN001
    shot = load_png(shot_png)
    dump = settled_screendump(qemu, tmp_path)
    assert differing(shot, dump) <= CURSOR_BLINK_PIXELS, "the picture is not QEMU's screendump"
    assert len(np.unique(shot[..., :3].reshape(-1, 3), axis=0)) > 1, "a blank picture"


def spice_channels_while_running(qemu, argv: list[str], count: int) -> tuple[list[dict], str]:  # noqa: ANN001
    """Run spiceview; QEMU's own list of the channels linked (query-spice: type, id, tls) once `count` are."""
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        channels: list[dict] = []
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            channels = qemu.qmp.command("query-spice")["channels"]
            if len(channels) >= count:
                break
            time.sleep(0.05)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    return channels, err


# -- 1. a unix socket ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unix_qemu() -> Iterator[object]:
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    with QemuServer(unix=True) as server:
        yield server


@pytest.mark.parametrize("how", ["uri", "vv"])
def test_unix_socket_picture_is_seabios(how: str, unix_qemu, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "shot.png"
    if how == "uri":
        target = f"spice+unix://{unix_qemu.unix_path}"
    else:
        vv = tmp_path / "console.vv"
        vv.write_text(f"[virt-viewer]\ntype=spice\nunix-path={unix_qemu.unix_path}\n")
        target = str(vv)
    run = screenshot(target, "--stats-json", str(tmp_path / "stats.json"), out=out)
    assert_ok(run)
    assert_seabios(out, unix_qemu, tmp_path)
    assert linked_types(tmp_path / "stats.json") == [ChannelType.MAIN, ChannelType.DISPLAY, ChannelType.INPUTS]


@pytest.mark.parametrize("how", ["uri", "vv"])
def test_unix_socket_missing_is_one_line(how: str, tmp_path: Path) -> None:
    missing = tmp_path / "no-such.sock"
    target = f"spice+unix://{missing}"
    if how == "vv":
        vv = tmp_path / "console.vv"
        vv.write_text(f"[virt-viewer]\ntype=spice\nunix-path={missing}\n")
        target = str(vv)
    assert_one_line(screenshot(target, out=tmp_path / "x.png"), f"cannot connect to {missing}: No such file")


def test_unix_socket_nobody_listening_is_one_line(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))  # bound, never listening: what a crashed server leaves
    assert_one_line(screenshot(f"spice+unix://{path}", out=tmp_path / "x.png"), "Connection refused")


# -- 2. an HTTP CONNECT proxy ----------------------------------------------------------------------------


@pytest.fixture
def idle_xspice(xspice, tmp_path: Path) -> tuple[object, np.ndarray]:  # noqa: ANN001
    """An Xspice and its picture taken directly (what every proxied picture must equal)."""
    server = xspice()
    run = screenshot(server.uri, out=tmp_path / "direct.png")
    assert_ok(run)
    return server, load_png(tmp_path / "direct.png")


@pytest.mark.parametrize("how", ["option", "option-auth", "vv-auth", "environment"])
def test_proxy_carries_every_channel(how: str, idle_xspice, tmp_path: Path) -> None:  # noqa: ANN001
    from spiceview_lab.http_proxy import HttpConnectProxy

    server, direct = idle_xspice
    auth = {"user": "alice", "password": "s3cret pass"} if how.endswith("auth") else {}
    with HttpConnectProxy(**auth) as proxy:
        url = proxy.url_with_credentials.replace(" ", "%20")
        argv, env = [server.uri], None
        if how.startswith("option"):
            argv = ["--spice-proxy", url, server.uri]
        elif how == "vv-auth":
            vv = tmp_path / "console.vv"
            vv.write_text(f"[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport={server.port}\nproxy={url}\n")
            argv = [str(vv)]
        else:
            env = {**os.environ, "SPICE_PROXY": url}
        out, stats = tmp_path / "shot.png", tmp_path / "stats.json"
        assert_ok(screenshot(*argv, "--stats-json", str(stats), out=out, env=env))
        tunnelled = sorted(t for t in proxy.channel_types() if t is not None)
        assert proxy.refused == []
        assert len(tunnelled) == proxy.connects, "a tunnel carried no SPICE link"
    # Every channel the session used came through the proxy, once each.
    assert tunnelled == linked_types(stats) == [ChannelType.MAIN, ChannelType.DISPLAY, ChannelType.INPUTS]
    assert differing(load_png(out), direct) == 0


@pytest.mark.parametrize("case", ["wrong-password", "no-credentials", "no-proxy", "server-down", "port-denied"])
def test_proxy_refusal_is_one_line(case: str, xspice, tmp_path: Path) -> None:  # noqa: ANN001
    from spiceview_lab.http_proxy import HttpConnectProxy
    from spiceview_lab.ports import free_port

    server = xspice()
    target = server.uri
    auth = {"user": "alice", "password": "s3cret"} if case in ("wrong-password", "no-credentials") else {}
    allowed = [1] if case == "port-denied" else None
    with HttpConnectProxy(**auth, allowed_ports=allowed) as proxy:
        url = {
            "wrong-password": proxy.url.replace("://", "://alice:nope@"),
            "no-proxy": f"http://127.0.0.1:{free_port()}",
        }
        if case == "server-down":
            target = f"spice://127.0.0.1:{free_port()}"
        run = screenshot("--spice-proxy", url.get(case, proxy.url), target, out=tmp_path / "x.png")
        expected = {
            "wrong-password": "407 Proxy Authentication Required",
            "no-credentials": "407 Proxy Authentication Required",
            "no-proxy": "cannot reach the proxy 127.0.0.1:",
            "server-down": "502 Bad Gateway",
            "port-denied": "403 Forbidden",
        }[case]
        assert_one_line(run, expected)
        assert proxy.connects == 0


def test_bad_spice_proxy_variable_is_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SPICE_PROXY": "socks5://127.0.0.1:1080"}
    run = screenshot("spice://127.0.0.1:5900", out=tmp_path / "x.png", env=env)
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 2 and len(lines) == 1, run.stderr
    assert "SPICE_PROXY" in lines[0] and "socks5" in lines[0], run.stderr


# -- 3. TLS ------------------------------------------------------------------------------------------------


@pytest.fixture
def tls_xspice(xspice, tmp_path: Path) -> Iterator[tuple[object, object, object, np.ndarray]]:  # noqa: ANN001
    """Xspice with a plain and a TLS port, a WireProxy before each, and its picture over the plain port."""
    from spiceview_lab.wire_proxy import WireProxy

    server = xspice(tls=True)
    assert_ok(screenshot(server.uri, out=tmp_path / "direct.png"))
    with WireProxy(server.port) as plain, WireProxy(server.tls_port) as tls:
        yield server, plain, tls, load_png(tmp_path / "direct.png")


def connections(proxy) -> dict[int, int]:  # noqa: ANN001
    """Connections per channel type seen by a WireProxy (a TLS one sees no link: type UNKNOWN, 0)."""
    return {ctype: c.connections for ctype, c in proxy.snapshot().channels.items() if c.connections}


def test_spice_tls_uri_puts_every_channel_on_tls(tls_xspice, tmp_path: Path) -> None:  # noqa: ANN001
    server, plain, tls, direct = tls_xspice
    out, stats = tmp_path / "shot.png", tmp_path / "stats.json"
    run = screenshot(
        "--spice-ca-file", str(server.ca_file), "--stats-json", str(stats), f"spice+tls://127.0.0.1:{tls.port}", out=out
    )
    assert_ok(run)
    assert connections(plain) == {}
    assert sum(connections(tls).values()) == len(linked_types(stats)) == 3
    assert differing(load_png(out), direct) == 0


def test_client_secure_channels_split_the_ports(tls_xspice, tmp_path: Path) -> None:  # noqa: ANN001
    server, plain, tls, direct = tls_xspice
    out = tmp_path / "shot.png"
    uri = f"spice://127.0.0.1:{plain.port}?tls-port={tls.port}"
    run = screenshot("--spice-ca-file", str(server.ca_file), "--spice-secure-channels", "main,display", uri, out=out)
    assert_ok(run)
    # Inputs on the plain port, readable there; main and display are the two TLS connections.
    assert connections(plain) == {ChannelType.INPUTS: 1}
    assert sum(connections(tls).values()) == 2
    assert differing(load_png(out), direct) == 0


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong-ca", "could not be verified"),
        ("no-ca", "could not be verified"),
        ("wrong-host", "the server certificate is not valid for 127.0.0.1"),
        ("wrong-subject", "subject does not match 'CN=someone.else'"),
    ],
)
def test_tls_verification_failure_is_one_line(case: str, expected: str, xspice, tmp_path: Path) -> None:  # noqa: ANN001
    from spiceview_lab.certs import make_x509_dir, write_wrong_ca

    x509 = make_x509_dir(tmp_path / "x509", subject="wrong.example") if case.startswith("wrong-") else None
    server = xspice(tls=True, plaintext=False, x509_dir=x509)
    argv = {
        "wrong-ca": ["--spice-ca-file", str(write_wrong_ca(tmp_path / "wrong-ca.pem"))],
        "no-ca": [],
        "wrong-host": ["--spice-ca-file", str(server.ca_file)],
        "wrong-subject": ["--spice-ca-file", str(server.ca_file), "--spice-host-subject", "CN=someone.else"],
    }[case]
    run = screenshot(*argv, f"spice+tls://127.0.0.1:{server.tls_port}", out=tmp_path / "x.png")
    assert_one_line(run, expected)


def test_host_subject_replaces_the_host_name_check(xspice, tmp_path: Path) -> None:  # noqa: ANN001
    """As spice-gtk: with a host subject the certificate must carry that subject, not the host's name."""
    from spiceview_lab.certs import make_x509_dir

    server = xspice(tls=True, plaintext=False, x509_dir=make_x509_dir(tmp_path / "x509", subject="wrong.example"))
    ca = str(server.ca_file)
    uri = f"spice+tls://127.0.0.1:{server.tls_port}"
    assert_ok(
        screenshot("--spice-ca-file", ca, "--spice-host-subject", "CN=wrong.example", uri, out=tmp_path / "x.png")
    )


SPLITS = {
    # name: (tls_channels, plaintext_channels, channels spiceview must put on TLS)
    "display-tls": (("display",), (), {ChannelType.DISPLAY}),
    "main-tls": (("main",), (), {ChannelType.MAIN}),
    "default-tls-inputs-plain": (("default",), ("inputs",), {ChannelType.MAIN, ChannelType.DISPLAY}),
}


@pytest.fixture(scope="module", params=list(SPLITS))
def split_qemu(request: pytest.FixtureRequest) -> Iterator[tuple[object, set[int]]]:
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    tls_channels, plaintext_channels, on_tls = SPLITS[request.param]
    with QemuServer(tls=True, tls_channels=tls_channels, plaintext_channels=plaintext_channels) as server:
        yield server, on_tls


def test_server_split_channels_retry_on_tls(split_qemu, tmp_path: Path) -> None:  # noqa: ANN001
    """The URI gives both ports and no secure channels: each channel the server wants on TLS is refused on the
    plain port (NEED_SECURED) and linked again on the TLS port; QEMU itself says which channel is on TLS."""
    qemu, on_tls = split_qemu
    refused_before = qemu.log_path.read_text().count("should be encrypted")
    out = tmp_path / "shot.png"
    argv = spiceview_argv("--spice-ca-file", str(qemu.ca_file), "--delay-ms", "500", "-v", qemu.uri, out=out)
    channels, err = spice_channels_while_running(qemu, argv, count=3)
    tls_by_type = {c["channel-type"]: c["tls"] for c in channels}
    assert tls_by_type == {t: t in on_tls for t in (ChannelType.MAIN, ChannelType.DISPLAY, ChannelType.INPUTS)}
    assert err.count("server asks for TLS; reconnecting on the TLS port") == len(on_tls), err
    assert qemu.log_path.read_text().count("should be encrypted") - refused_before == len(on_tls)
    assert_seabios(out, qemu, tmp_path)


def test_server_split_without_tls_port_is_one_line(split_qemu, tmp_path: Path) -> None:  # noqa: ANN001
    qemu, on_tls = split_qemu
    run = screenshot(f"spice://127.0.0.1:{qemu.port}", out=tmp_path / "x.png")
    assert_one_line(run, "this channel must use TLS (the server asks for the secure port)")


def test_server_split_wrong_ca_is_one_line(split_qemu, tmp_path: Path) -> None:  # noqa: ANN001
    from spiceview_lab.certs import write_wrong_ca

    qemu, _on_tls = split_qemu
    run = screenshot("--spice-ca-file", str(write_wrong_ca(tmp_path / "ca.pem")), qemu.uri, out=tmp_path / "x.png")
    assert_one_line(run, "TLS: the server certificate could not be verified")


def test_channel_the_server_keeps_plain_is_retried_on_the_plain_port(tmp_path: Path) -> None:
    """The client asks for TLS everywhere (--spice-secure-channels all) and the server keeps inputs plain
    (plaintext-channel=inputs): refused with NEED_UNSECURED, inputs is linked again on the plain port instead of
    being lost (spice-gtk gives it up: no keyboard, no mouse)."""
    require("qemu-system-x86_64")
    from spiceview_lab.qemu import QemuServer

    with QemuServer(tls=True, tls_channels=("default",), plaintext_channels=("inputs",)) as qemu:
        out = tmp_path / "shot.png"
        argv = spiceview_argv(
            "--spice-ca-file", str(qemu.ca_file), "--spice-secure-channels", "all", "--delay-ms", "500", "-v",
            qemu.uri, out=out,
        )  # fmt: skip
        channels, err = spice_channels_while_running(qemu, argv, count=3)
        tls_by_type = {c["channel-type"]: c["tls"] for c in channels}
        assert tls_by_type == {ChannelType.MAIN: True, ChannelType.DISPLAY: True, ChannelType.INPUTS: False}
        assert err.count("server wants this channel without TLS; reconnecting on the plain port") == 1, err
        assert_seabios(out, qemu, tmp_path)
