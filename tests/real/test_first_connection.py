"""Issue 2: spiceview --screenshot against a real Xspice equals xwd -root pixel for pixel (plain, password, TLS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spiceview_lab.certs import write_wrong_ca
from spiceview_lab.scenes import standard_scene
from spiceview_lab.viewer import assert_same_picture, run_viewer_cli, screenshot

pytestmark = pytest.mark.xspice


def test_plain_tcp_matches_xwd(xspice, artifacts_dir: Path) -> None:
    server = xspice(image_compression="off")
    truth = standard_scene(server)
    got, _ = screenshot(server.uri, artifacts_dir / "spiceview.png")
    assert_same_picture(got, truth, artifacts_dir)


def test_password_matches_xwd(xspice, artifacts_dir: Path) -> None:
    server = xspice(image_compression="off", password="s3cr3t pass")
    truth = standard_scene(server)
    uri = f"spice://127.0.0.1?port={server.port}&password=s3cr3t%20pass"
    got, _ = screenshot(uri, artifacts_dir / "spiceview.png")
    assert_same_picture(got, truth, artifacts_dir)


def test_tls_with_ca_matches_xwd(xspice, artifacts_dir: Path) -> None:
    # TLS only: every channel must go over the TLS port.
    server = xspice(image_compression="off", tls=True, plaintext=False, password="pw")
    truth = standard_scene(server)
    uri = f"spice://127.0.0.1?tls-port={server.tls_port}&password=pw"
    got, _ = screenshot(uri, artifacts_dir / "spiceview.png", "--spice-ca-file", str(server.ca_file))
    assert_same_picture(got, truth, artifacts_dir)


def test_tls_host_subject_and_secure_channels(xspice, artifacts_dir: Path) -> None:
    # Both ports open; secure-channels=all sends main and display over TLS, verified by subject.
    server = xspice(image_compression="off", tls=True)
    truth = standard_scene(server)
    uri = f"spice://127.0.0.1?port={server.port}&tls-port={server.tls_port}"
    got, _ = screenshot(
        uri,
        artifacts_dir / "spiceview.png",
        "--spice-ca-file",
        str(server.ca_file),
        "--spice-host-subject",
        "CN=127.0.0.1",
        "--spice-secure-channels",
        "all",
    )
    assert_same_picture(got, truth, artifacts_dir)


def test_vv_file_with_inline_ca(xspice, artifacts_dir: Path, tmp_path: Path) -> None:
    server = xspice(image_compression="off", tls=True, plaintext=False, password="vvpass")
    truth = standard_scene(server)
    ca = Path(server.ca_file).read_text().replace("\n", "\\n")
    vv = tmp_path / "console.vv"
    vv.write_text(
        "[virt-viewer]\ntype=spice\nhost=127.0.0.1\n"
        f"tls-port={server.tls_port}\npassword=vvpass\nca={ca}\nsecure-channels=main;display\n"
        "delete-this-file=1\ntitle=Lab VM\n"
    )
    got, _ = screenshot(str(vv), artifacts_dir / "spiceview.png")
    assert_same_picture(got, truth, artifacts_dir)
    assert not vv.exists(), "delete-this-file=1 must remove the .vv once read"


# --- failures: one clear line, non-zero exit, within seconds ------------------------------------------------


def _fails(target: str, *extra: str, within: float = 15.0) -> str:
    run = run_viewer_cli(["--screenshot", "/dev/null", "--timeout", "5", *extra, target], timeout=within + 20)
    assert run.returncode != 0
    assert run.seconds < within, f"took {run.seconds:.1f} s"
    assert "Traceback" not in run.stderr
    # Warnings about the input (a password in the URI) come first, once each; then the one line of the failure.
    lines = [line for line in run.stderr.splitlines() if line.strip() and not line.startswith("spiceview: warning:")]
    assert len(lines) == 1, run.stderr
    return lines[0]


def test_wrong_password(xspice) -> None:
    server = xspice(image_compression="off", password="right")
    line = _fails(f"spice://127.0.0.1?port={server.port}&password=wrong")
    assert "password" in line


def test_missing_password(xspice) -> None:
    server = xspice(image_compression="off", password="right")
    assert "password" in _fails(server.uri)


def test_wrong_ca(xspice, tmp_path: Path) -> None:
    server = xspice(image_compression="off", tls=True, plaintext=False)
    wrong = write_wrong_ca(tmp_path / "wrong-ca.pem")
    line = _fails(f"spice://127.0.0.1?tls-port={server.tls_port}", "--spice-ca-file", str(wrong))
    assert "certificate" in line


def test_wrong_host_subject(xspice) -> None:
    server = xspice(image_compression="off", tls=True, plaintext=False)
    line = _fails(
        f"spice://127.0.0.1?tls-port={server.tls_port}",
        "--spice-ca-file",
        str(server.ca_file),
        "--spice-host-subject",
        "CN=someone.else",
    )
    assert "subject" in line


def test_hostname_mismatch_without_subject(xspice, tmp_path: Path) -> None:
    from spiceview_lab.certs import make_x509_dir

    certs = make_x509_dir(tmp_path / "x509", subject="wrong.example")
    server = xspice(image_compression="off", tls=True, plaintext=False, x509_dir=certs)
    line = _fails(f"spice://127.0.0.1?tls-port={server.tls_port}", "--spice-ca-file", str(certs.ca_file))
    assert "127.0.0.1" in line or "certificate" in line


def test_refused_port() -> None:
    from spiceview_lab.ports import free_port

    line = _fails(f"spice://127.0.0.1:{free_port()}", within=8)
    assert "refused" in line
