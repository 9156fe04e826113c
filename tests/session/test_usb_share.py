"""--spice-share-disk: images are checked before connecting, with one clear line for each problem."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spiceview.cli import apply_options, build_parser, load_target
from spiceview.session.errors import ConfigError
from spiceview.session.params import UsbShare
from spiceview.session.usb_share import check_disk_image, open_disk_image


def test_good_images_become_usb_disks(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(4096))
    args = build_parser().parse_args(
        ["--spice-share-disk", str(image), "--spice-share-disk-rw", str(image), "spice://h:5900"]
    )
    params = apply_options(load_target("spice://h:5900")[0], args)
    assert params.usb_shares == [UsbShare(str(image)), UsbShare(str(image), writable=True)]
    host = open_disk_image(str(image), False)
    assert host.device.blocks == 8 and not host.device.writable
    host.device.medium.close()


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "No such file"), (b"", "0 bytes is not a whole number"), (b"x" * 1000, "1000 bytes is not a whole")],
)
def test_unusable_images_are_refused(tmp_path: Path, content: bytes | None, reason: str) -> None:
    image = tmp_path / "disk.img"
    if content is not None:
        image.write_bytes(content)
    with pytest.raises(ConfigError, match=reason):
        check_disk_image(str(image), False)


def test_a_directory_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a regular file"):
        check_disk_image(str(tmp_path), False)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anything")
def test_a_read_only_file_cannot_be_shared_writable(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(512))
    image.chmod(0o444)
    with pytest.raises(ConfigError, match="not writable"):
        check_disk_image(str(image), True)


def test_a_vv_file_that_turns_usb_redirection_off_refuses_shares(tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(512))
    vv = tmp_path / "console.vv"
    vv.write_text("[virt-viewer]\ntype=spice\nhost=h\nport=5900\nenable-usbredir=0\n")
    args = build_parser().parse_args(["--spice-share-cd", str(image), str(vv)])
    with pytest.raises(ConfigError, match=r"turns USB redirection off \(enable-usbredir=0\)"):
        apply_options(load_target(str(vv))[0], args)
    from spiceview.channels.from_params import client_from_params

    session = client_from_params(load_target(str(vv))[0])
    assert session.share_usb(UsbShare(str(image))) == "this connection turns USB redirection off (enable-usbredir=0)"
