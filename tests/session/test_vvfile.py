""".vv connection files: every key, the key-file syntax, refusals and their messages, deletion."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spiceview.session.errors import ConfigError
from spiceview.session.params import Hotkeys
from spiceview.session.vvfile import VV_KEYS, delete_vv_file, parse_vv

PEM = "-----BEGIN CERTIFICATE-----\\nMIIBszCCAVmgAwIBAgIU\\n-----END CERTIFICATE-----\\n"

EVERY_KEY = f"""# written by a management server
[virt-viewer]
type=spice
version=7.0
versions=rhev-win64:2.0-160;rhel8:7.0-3
newer-version-url=https://example.org/clients
host=node1.example.org
port=-1
tls-port=5901
username=alice
password=s3cr\\\\et
disable-channels=webdav;usbredir
tls-ciphers=HIGH:!aNULL
ca={PEM}
host-subject=OU=PVE Cluster Node,O=Proxmox VE,CN=node1
fullscreen=1
title=VM 101 - Press SHIFT+F12 to Release Cursor
title[fr]=VM 101 en français
toggle-fullscreen=shift+f11
release-cursor=shift+f12
zoom-in=ctrl+plus
zoom-out=ctrl+minus
zoom-reset=ctrl+0
smartcard-insert=shift+f9
smartcard-remove=shift+f10
secure-attention=ctrl+alt+end
usb-device-reset=ctrl+alt+r
color-depth=32
disable-effects=wallpaper;animation
enable-smartcard=0
enable-usbredir=true
enable-usb-autoshare=1
usb-filter=-1,-1,-1,-1,0
usb-redirect-on-connect=0x08,-1,-1,-1,1|-1,-1,-1,-1,0
secure-channels=main;inputs;cursor;playback;record;display;smartcard;usbredir
delete-this-file=1
proxy=http://proxy.example.org:3128
unix-path-is-not-this=1
x-vendor-thing=kept

[ovirt]
host=https://engine.example.org
vm-guid=1234
jsessionid=abc
sso-token=tok
ca={PEM}
admin=1
"""


def vv_text(*lines: str, head: str = "[virt-viewer]\ntype=spice\nhost=h\nport=5900\n") -> str:
    return head + "\n".join(lines) + "\n"


def test_sample_covers_every_key():
    vv = parse_vv(EVERY_KEY)
    assert set(VV_KEYS) - {"unix-path"} <= set(vv.values)


def test_every_key_is_typed():
    vv = parse_vv(EVERY_KEY)
    v = vv.values
    assert vv.session_type == "spice"
    assert v["version"] == "7.0"
    assert v["versions"] == {"rhev-win64": "2.0-160", "rhel8": "7.0-3"}
    assert v["newer-version-url"] == "https://example.org/clients"
    assert (v["host"], v["port"], v["tls-port"]) == ("node1.example.org", None, 5901)
    assert (v["username"], v["password"]) == ("alice", "s3cr\\et")
    assert v["disable-channels"] == ["webdav", "usbredir"]
    assert v["tls-ciphers"] == "HIGH:!aNULL"
    assert v["ca"] == "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"
    assert v["host-subject"] == "OU=PVE Cluster Node,O=Proxmox VE,CN=node1"
    assert v["fullscreen"] is True
    assert v["title"] == "VM 101 - Press SHIFT+F12 to Release Cursor"
    assert v["toggle-fullscreen"] == "shift+f11" and v["secure-attention"] == "ctrl+alt+end"
    assert v["color-depth"] == 32
    assert v["disable-effects"] == ["wallpaper", "animation"]
    assert (v["enable-smartcard"], v["enable-usbredir"], v["enable-usb-autoshare"]) == (False, True, True)
    assert v["usb-filter"] == "-1,-1,-1,-1,0"
    assert v["usb-redirect-on-connect"] == "0x08,-1,-1,-1,1|-1,-1,-1,-1,0"
    assert v["secure-channels"][0] == "main" and len(v["secure-channels"]) == 8
    assert v["delete-this-file"] is True and vv.delete_after_reading
    assert v["proxy"] == "http://proxy.example.org:3128"
    assert vv.extra == {"unix-path-is-not-this": "1", "x-vendor-thing": "kept"}
    assert any("unknown key 'unix-path-is-not-this'" in w for w in vv.warnings)
    assert not any("x-vendor-thing" in w for w in vv.warnings)
    assert vv.ovirt["vm-guid"] == "1234" and vv.ovirt["admin"] == "1"
    assert vv.ovirt["ca"].startswith("-----BEGIN CERTIFICATE-----\\n")  # kept raw
    assert "s3cr" not in repr(vv)


def test_to_params_maps_every_key():
    params = parse_vv(EVERY_KEY).to_params()
    assert (params.host, params.port, params.tls_port, params.unix_path) == ("node1.example.org", None, 5901, None)
    assert (params.username, params.password) == ("alice", "s3cr\\et")
    assert params.ca_pem is not None and params.ca_pem.endswith("-----END CERTIFICATE-----\n")
    assert params.ca_file is None
    assert params.host_subject == "OU=PVE Cluster Node,O=Proxmox VE,CN=node1"
    assert params.tls_ciphers == "HIGH:!aNULL"
    assert params.secure_channels[-1] == "usbredir"
    assert params.disable_channels == ["webdav", "usbredir"]
    assert params.proxy == "http://proxy.example.org:3128"
    assert params.title.startswith("VM 101") and params.fullscreen is True
    assert params.hotkeys == Hotkeys(
        toggle_fullscreen="shift+f11",
        release_cursor="shift+f12",
        zoom_in="ctrl+plus",
        zoom_out="ctrl+minus",
        zoom_reset="ctrl+0",
        secure_attention="ctrl+alt+end",
        usb_device_reset="ctrl+alt+r",
        smartcard_insert="shift+f9",
        smartcard_remove="shift+f10",
    )
    assert (params.enable_smartcard, params.enable_usbredir, params.enable_usb_autoshare) == (False, True, True)
    assert params.usb_filter == "-1,-1,-1,-1,0"
    assert params.usb_redirect_on_connect.startswith("0x08")
    assert params.color_depth == 32 and params.disable_effects == ["wallpaper", "animation"]
    assert params.delete_this_file is True
    assert (params.version, params.newer_version_url) == ("7.0", "https://example.org/clients")
    assert params.versions["rhel8"] == "7.0-3"
    assert params.port_for_channel("display") == (5901, True)


def test_minimal_file_defaults():
    params = parse_vv("[virt-viewer]\ntype=spice\nhost=h\nport=5900\n").to_params()
    assert (params.host, params.port, params.tls_port) == ("h", 5900, None)
    assert params.fullscreen is False and params.delete_this_file is False
    assert params.enable_usbredir is None and params.hotkeys == Hotkeys()
    assert params.secure_channels == [] and params.warnings == []


def test_unix_path_wins_over_host_like_remote_viewer():
    params = parse_vv(vv_text("unix-path=/run/vm.sock")).to_params()
    assert (params.unix_path, params.host, params.port) == ("/run/vm.sock", None, None)
    assert any("unix-path is set, so host, port are ignored" in w for w in params.warnings)


def test_key_file_syntax():
    text = (
        "\ufeff  # leading comment\r\n"
        "\r\n"
        "[virt-viewer]   \r\n"
        "  type =  SPICE\r\n"
        "host\t=\t[::1]\r\n"
        "port=5900  \r\n"
        "title=\\sTwo  spaces\\tand\\\\ a tab \r\n"
        "secure-channels = main ; display;;\\;x\r\n"
        "password=a;b#c\r\n"
        "fullscreen=TRUE\r\n"
        "[virt-viewer]\r\n"
        "tls-port=5901\r\n"
        "port=5902\r\n"
    )
    with pytest.raises(ConfigError, match="unknown channel ';x'"):
        parse_vv(text)
    vv = parse_vv(text.replace(";\\;x", ""))
    assert vv.session_type == "spice"
    assert vv.values["host"] == "::1"
    assert (vv.values["port"], vv.values["tls-port"]) == (5902, 5901)  # last one wins, groups merge
    assert vv.values["title"] == " Two  spaces\tand\\ a tab "  # trailing spaces kept
    assert vv.values["secure-channels"] == ["main", "display"]
    assert vv.values["password"] == "a;b#c"
    assert vv.values["fullscreen"] is True


def test_translations():
    vv = parse_vv(vv_text("title=Plain", "title[fr]=Français", "title[de_DE]=Deutsch", "title[sr@latin]=Srpski"))
    assert vv.localized("title", ["fr_BE.UTF-8"]) == "Français"
    assert vv.localized("title", ["de_DE.UTF-8@euro", "fr"]) == "Deutsch"
    assert vv.localized("title", ["sr_RS@latin"]) == "Srpski"
    assert vv.localized("title", ["it", "C"]) == "Plain"
    assert vv.localized("title", []) == "Plain"
    assert vv.values["title"] == "Plain"


def test_ports_minus_one_or_empty_mean_absent():
    params = parse_vv(vv_text("tls-port=5901", head="[virt-viewer]\ntype=spice\nhost=h\nport=\n")).to_params()
    assert (params.port, params.tls_port) == (None, 5901)


def test_booleans_and_color_depth_zero():
    vv = parse_vv(vv_text("fullscreen=false", "enable-smartcard=True", "delete-this-file=0 ", "color-depth=0"))
    assert vv.values["fullscreen"] is False and vv.values["enable-smartcard"] is True
    assert vv.delete_after_reading is False and vv.values["color-depth"] is None


def test_proxy_empty_means_none():
    assert parse_vv(vv_text("proxy=")).to_params().proxy is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("port=abc", "line 5, key 'port': 'abc' is not a whole number (expected an integer)"),
        ("port=5900x", "key 'port': '5900x' is not a whole number"),
        ("port=0", "key 'port': port 0 is out of range"),
        ("port=65536", "port 65536 is out of range"),
        ("port=-2", "port -2 is out of range"),
        ("tls-port=1.5", "key 'tls-port': '1.5' is not a whole number"),
        ("host=", "key 'host': the host is empty"),
        ("host=my host", "contains a space"),
        ("host=h:5900", "contains ':' but is not an IPv6 address"),
        ("type=", "key 'type': the session type is empty"),
        ("fullscreen=yes", "key 'fullscreen': 'yes' is not a boolean (expected 0 or 1; true and false also work)"),
        ("fullscreen=2", "'2' is not a boolean"),
        ("enable-smartcard=on", "key 'enable-smartcard'"),
        ("enable-usbredir=", "key 'enable-usbredir': '' is not a boolean"),
        ("enable-usb-autoshare=-1", "key 'enable-usb-autoshare'"),
        ("delete-this-file=yes", "key 'delete-this-file'"),
        ("color-depth=12", "key 'color-depth': color depth 12 is not supported (expected 16 or 32)"),
        ("color-depth=deep", "'deep' is not a whole number"),
        ("disable-effects=wallpaper;blur", "key 'disable-effects': unknown effect 'blur'"),
        ("disable-channels=main;all", "key 'disable-channels': unknown channel 'all'"),
        ("secure-channels=main;mian", "key 'secure-channels': unknown channel 'mian'"),
        ("versions=rhel8", "key 'versions': entry 'rhel8' is not osid:version"),
        ("versions=:1.0", "is not osid:version"),
        ("ca=MIIBszCCAVmgAwIBAgIU", "key 'ca': this is not a PEM certificate"),
        ("usb-filter=-1,-1,-1", "key 'usb-filter': USB filter rule 1 ('-1,-1,-1') has 3 fields"),
        ("usb-redirect-on-connect=-1,-1,-1,-1,5", "allow '5' is not a number from 0 to 1"),
        ("proxy=socks://p:1", "key 'proxy': proxy scheme 'socks' is not supported"),
        ("proxy=http://p:99999", "proxy port 99999 is out of range"),
        ("toggle-fullscreen=shift+", "key 'toggle-fullscreen': hotkey 'shift+' has an empty key name"),
        ("release-cursor=+", "key 'release-cursor'"),
        ("zoom-in=ctrl++", "key 'zoom-in'"),
        ("zoom-out=a++b", "key 'zoom-out'"),
        ("zoom-reset=+0", "key 'zoom-reset'"),
        ("smartcard-insert=shift++f9", "key 'smartcard-insert'"),
        ("smartcard-remove=f10+", "key 'smartcard-remove'"),
        ("secure-attention=ctrl+alt+", "key 'secure-attention'"),
        ("usb-device-reset=+r", "key 'usb-device-reset'"),
        ("title=bad \\x escape", "key 'title': invalid escape sequence '\\x'"),
        ("password=ends with \\", "key 'password': the value ends with a lone '\\'"),
        ("title[fr]=\\q", "line 5, key 'title[fr]': invalid escape sequence '\\q'"),
        ("username=\\;", "key 'username': invalid escape sequence '\\;'"),
        ("tls-ciphers=\\e", "key 'tls-ciphers'"),
        ("host-subject=\\z", "key 'host-subject'"),
        ("version=\\v", "key 'version'"),
        ("newer-version-url=\\u", "key 'newer-version-url'"),
        ("unix-path=\\o", "key 'unix-path'"),
    ],
)
def test_bad_values_name_line_and_key(line, message):
    text = vv_text(line)
    with pytest.raises(ConfigError) as info:
        parse_vv(text)
    assert str(info.value).startswith("<.vv text>, line ")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "<.vv text>: there is no [virt-viewer] group (expected a [virt-viewer] group with type=spice)"),
        ("# only a comment\n", "there is no [virt-viewer] group"),
        ("[ovirt]\nhost=e\n", "there is no [virt-viewer] group"),
        ("type=spice\n", "line 1: a key comes before the first [group] header"),
        ("[virt-viewer]\ntype=spice\nhost=h\nport=1\nthis is garbage\n", "line 5: this line is not a key=value pair"),
        ("[virt-viewer]\ntype=spice\n; comment\n", "line 3: ';' does not start a comment here, '#' does"),
        ("[virt-viewer\ntype=spice\n", "line 1: malformed group header"),
        ("[virt-viewer] x\ntype=spice\n", "line 1: malformed group header"),
        ("[]\n", "line 1: invalid group name"),
        ("[a[b]\n", "line 1: invalid group name"),
        ("[virt-viewer]\n=spice\n", "line 2: this line is not a key=value pair"),
        ("[virt-viewer]\ntitle[]=x\n", "line 2, key 'title[]': invalid key name"),
        ("[virt-viewer]\ntitle[fr]x=y\n", "line 2, key 'title[fr]x': invalid key name"),
        ("[virt-viewer]\nti]tle=y\n", "invalid key name"),
        ("[virt-viewer]\ntitle [fr]=y\n", "invalid key name"),
        ("[virt-viewer]\nhost=h\nport=1\n", "has no 'type' key, and spiceview speaks SPICE only"),
        ("x.vv", "looks like a file name"),
    ],
)
def test_broken_files(text, message):
    with pytest.raises(ConfigError) as info:
        parse_vv(text)
    assert message in str(info.value)


def test_multi_line_ca_gets_a_hint():
    text = vv_text("ca=-----BEGIN CERTIFICATE-----", "MIIBszCCAVmgAwIBAgIU", "-----END CERTIFICATE-----")
    with pytest.raises(ConfigError) as info:
        parse_vv(text)
    assert "line 6" in str(info.value) and "line breaks written \\n" in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[virt-viewer]\ntype=vnc\nhost=h\nport=5900\n", "line 2, key 'type': this is a 'vnc' connection file"),
        ("[virt-viewer]\ntype=ovirt\n", "'ovirt' connection file, and spiceview speaks SPICE only"),
        ("[virt-viewer]\ntype=spice\nport=5900\n", "<.vv text>: no host given"),
        ("[virt-viewer]\ntype=spice\nhost=h\n", "<.vv text>: no port given"),
        ("[virt-viewer]\ntype=spice\nhost=h\nport=-1\n", "no port given"),
        ("[virt-viewer]\ntype=spice\nhost=h\nport=1\nsecure-channels=all\n", "must use TLS but no TLS port"),
        ("[virt-viewer]\ntype=spice\nunix-path=/s\nsecure-channels=main\n", "TLS is not available over a Unix"),
        ("[virt-viewer]\ntype=spice\nunix-path=\n", "Unix socket path is empty"),
        ("[virt-viewer]\ntype=spice\nhost=h\nport=1\npassword=a\\\\\x00\n", "password contains a NUL"),
    ],
)
def test_unusable_for_spice(text, message):
    vv = parse_vv(text)
    with pytest.raises(ConfigError) as info:
        vv.to_params()
    assert message in str(info.value)


def test_spice_only_message_for_vnc():
    with pytest.raises(ConfigError, match="spiceview speaks SPICE only"):
        parse_vv("[virt-viewer]\ntype=vnc\nhost=h\nport=5900\n").to_params()


def test_reading_files(tmp_path: Path):
    path = tmp_path / "console.vv"
    path.write_bytes(b"\xef\xbb\xbf[virt-viewer]\ntype=spice\nhost=h\nport=5900\ntitle=V\xc3\xa9\n")
    vv = parse_vv(path)
    assert vv.path == path and vv.source == str(path)
    assert vv.values["title"] == "Vé"
    info = os.stat(path)
    assert vv.file_id == (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    assert parse_vv(path.read_bytes()).values["title"] == "Vé"


def test_file_errors_name_the_file(tmp_path: Path):
    cases = [
        (tmp_path / "missing.vv", "missing.vv: no such file"),
        (tmp_path, "not a regular file"),
    ]
    bad_utf8 = tmp_path / "latin1.vv"
    bad_utf8.write_bytes(b"[virt-viewer]\ntype=spice\ntitle=\xe9\n")
    cases.append((bad_utf8, "latin1.vv, line 3: this is not UTF-8 text"))
    huge = tmp_path / "huge.vv"
    huge.write_bytes(b"#" * (1 << 20) + b"\n")
    cases.append((huge, "too large"))
    broken = tmp_path / "broken.vv"
    broken.write_text("[virt-viewer]\ntype=spice\nport=x\n")
    cases.append((broken, "broken.vv, line 3, key 'port'"))
    for path, message in cases:
        with pytest.raises(ConfigError) as info:
            parse_vv(path)
        assert message in str(info.value)
    with pytest.raises(ConfigError, match="not UTF-8"):
        parse_vv(b"\xff")


def test_parsing_never_deletes(tmp_path: Path):
    path = tmp_path / "once.vv"
    path.write_text(vv_text("delete-this-file=1"))
    vv = parse_vv(path)
    assert vv.delete_after_reading and path.exists()
    vv.to_params()
    assert path.exists()
    assert vv.delete_file() is True and not path.exists()
    assert vv.delete_file() is False


def test_delete_only_when_asked(tmp_path: Path):
    path = tmp_path / "keep.vv"
    path.write_text(vv_text("delete-this-file=0"))
    assert parse_vv(path).delete_file() is False and path.exists()
    assert parse_vv(path.read_text()).delete_file() is False


def test_delete_leaves_a_replaced_file(tmp_path: Path):
    path = tmp_path / "swap.vv"
    path.write_text(vv_text("delete-this-file=1"))
    vv = parse_vv(path)
    path.unlink()
    other = tmp_path / "other"
    other.write_text("someone else's file")
    other.rename(path)
    assert vv.delete_file() is False and path.exists()


def test_delete_leaves_symlinks_and_directories(tmp_path: Path):
    target = tmp_path / "target.vv"
    target.write_text(vv_text("delete-this-file=1"))
    link = tmp_path / "link.vv"
    link.symlink_to(target)
    assert parse_vv(link).delete_file() is False
    assert link.exists() and target.exists()
    assert delete_vv_file(tmp_path) is False and tmp_path.exists()
    assert delete_vv_file(tmp_path / "nothing") is False


def test_delete_honours_remote_viewers_keep_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "debug.vv"
    path.write_text(vv_text("delete-this-file=1"))
    monkeypatch.setenv("VIRT_VIEWER_KEEP_FILE", "1")
    assert parse_vv(path).delete_file() is False and path.exists()
    monkeypatch.delenv("VIRT_VIEWER_KEEP_FILE")
    assert delete_vv_file(path) is True and not path.exists()


@given(st.text())
@settings(max_examples=400)
def test_arbitrary_text_raises_only_config_error(text):
    try:
        parse_vv(text).to_params()
    except ConfigError:
        pass


_tokens = list("01-+ ;,|:\\snt[]=x#é.fsha") + ["spice", "5900", "all", "main", "true", "0x1f"]
_values = st.lists(st.sampled_from(_tokens), max_size=8).map("".join)
_lines = st.one_of(
    st.tuples(st.sampled_from(VV_KEYS), _values).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.tuples(st.sampled_from(VV_KEYS), _values).map(lambda kv: f"{kv[0]}[fr]={kv[1]}"),
    st.sampled_from(["[virt-viewer]", "[ovirt]", "# c", "", "type=spice", "host=h", "port=5900", "garbage"]),
)


@given(st.lists(_lines, max_size=12))
@settings(max_examples=600)
def test_key_shaped_files_raise_only_config_error(lines):
    try:
        parse_vv("[virt-viewer]\n" + "\n".join(lines)).to_params()
    except ConfigError:
        pass
