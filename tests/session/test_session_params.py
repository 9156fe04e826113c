"""ConnectionParams: which port each channel uses, endpoint and value checks, small parsers."""

from __future__ import annotations

import pytest

from spiceview.session.errors import ConfigError
from spiceview.session.params import (
    CHANNEL_NAMES,
    ConnectionParams,
    Hotkeys,
    ProxyURL,
    check_host,
    check_usb_filter,
    parse_hotkeys_option,
    parse_proxy_url,
)


def test_config_error_message_and_context():
    error = ConfigError("'x' is not a number", expected="an integer")
    assert str(error) == "'x' is not a number (expected an integer)"
    located = error.with_context(source="vm.vv", line=4, key="port")
    assert str(located) == "vm.vv, line 4, key 'port': 'x' is not a number (expected an integer)"
    assert (located.source, located.line, located.key, located.problem) == ("vm.vv", 4, "port", error.problem)
    assert located.with_context(source="other", line=9).line == 4
    assert isinstance(located, ValueError)


def test_plain_port_used_unless_channel_is_secure():
    params = ConnectionParams(host="h", port=5900, tls_port=5901, secure_channels=["main", "inputs"])
    assert params.port_for_channel("main") == (5901, True)
    assert params.port_for_channel("inputs") == (5901, True)
    assert params.port_for_channel("display") == (5900, False)
    assert params.uses_tls("cursor") is False


def test_all_secures_every_channel():
    params = ConnectionParams(host="h", port=5900, tls_port=5901, secure_channels=["all"])
    assert all(params.port_for_channel(name) == (5901, True) for name in CHANNEL_NAMES)


def test_tls_port_alone_is_used_for_everything():
    params = ConnectionParams(host="h", tls_port=5901)
    assert params.port_for_channel("display") == (5901, True)


def test_missing_ports_are_named():
    with pytest.raises(ConfigError, match="channel 'main' must use TLS but no TLS port"):
        ConnectionParams(host="h", port=5900, secure_channels=["main"]).port_for_channel("main")
    with pytest.raises(ConfigError, match="no port given"):
        ConnectionParams(host="h").port_for_channel("main")
    with pytest.raises(ConfigError, match="Unix socket connection has no ports"):
        ConnectionParams(unix_path="/s").port_for_channel("main")
    with pytest.raises(ValueError, match="unknown SPICE channel"):
        ConnectionParams(host="h", port=1).uses_tls("video")


def test_require_endpoint():
    ConnectionParams(host="h", port=1).require_endpoint()
    ConnectionParams(host="h", tls_port=1, secure_channels=["all"]).require_endpoint()
    ConnectionParams(unix_path="/run/s").require_endpoint()
    cases = [
        (ConnectionParams(), "no host given"),
        (ConnectionParams(host="h"), "no port given"),
        (ConnectionParams(host="h", port=1, secure_channels=["main"]), "main must use TLS"),
        (ConnectionParams(unix_path=""), "path is empty"),
        (ConnectionParams(unix_path="/s", secure_channels=["all"]), "TLS is not available over a Unix"),
    ]
    for params, message in cases:
        with pytest.raises(ConfigError, match=message):
            params.require_endpoint()


def test_check_accepts_good_values():
    ConnectionParams(
        host="::1",
        port=1,
        tls_port=65535,
        secure_channels=["all", "main"],
        disable_channels=["usbredir", "webdav"],
        disable_effects=["wallpaper", "all"],
        preferred_compression="lz4",
        kiosk_quit="on-disconnect",
        color_depth=16,
        zoom=400,
        proxy="https://u:p@proxy:8080/",
        usb_filter="0x03,-1,-1,-1,0|-1,-1,-1,-1,1",
        usb_redirect_on_connect="",
        ca_pem="-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
        hotkeys=Hotkeys(release_cursor="shift+f12", toggle_fullscreen=""),
    ).check()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"port": 0}, "port 0 is out of range"),
        ({"tls_port": 65536}, "tls-port 65536 is out of range"),
        ({"port": True}, "out of range"),
        ({"host": "a b"}, "contains a space"),
        ({"password": "a\x00b"}, "password contains a NUL"),
        ({"secure_channels": ["mian"]}, "unknown secure channel 'mian'"),
        ({"disable_channels": ["all"]}, "unknown channel to disable 'all'"),
        ({"disable_effects": ["blur"]}, "unknown effect 'blur'"),
        ({"preferred_compression": "zstd"}, "unknown compression 'zstd'"),
        ({"kiosk_quit": "always"}, "unknown kiosk-quit value"),
        ({"color_depth": 12}, "color depth 12 is not supported"),
        ({"zoom": 5}, "zoom 5 is out of range"),
        ({"proxy": "socks5://p:1080"}, "proxy scheme 'socks5' is not supported"),
        ({"usb_filter": "1,2,3"}, "has 3 fields"),
        ({"usb_redirect_on_connect": "256,-1,-1,-1,1"}, "class '256' is not a number from -1 to 255"),
        ({"ca_pem": "MIIB"}, "not PEM text"),
        ({"hotkeys": Hotkeys(zoom_in="ctrl++")}, "zoom-in 'ctrl++' has an empty key name"),
    ],
)
def test_check_refuses_bad_values(changes, message):
    params = ConnectionParams(host="h", port=1)
    for name, value in changes.items():
        setattr(params, name, value)
    with pytest.raises(ConfigError) as info:
        params.check()
    assert message in str(info.value)


def test_check_host_forms():
    assert check_host("[::1]") == "::1"
    assert check_host(" example.org ") == "example.org"
    assert check_host("fe80::1%eth0") == "fe80::1%eth0"
    for bad, message in [("", "empty"), ("[]", "no IPv6"), ("[x]", "no IPv6"), ("h:1", "not an IPv6")]:
        with pytest.raises(ConfigError, match=message):
            check_host(bad)


def test_proxy_urls():
    assert parse_proxy_url("proxy") == ProxyURL("http", "proxy", 3128)
    assert parse_proxy_url("https://proxy") == ProxyURL("https", "proxy", 3129)
    assert parse_proxy_url("http://u:p@[::1]:8080/") == ProxyURL("http", "::1", 8080, "u", "p")
    assert "secret" not in repr(parse_proxy_url("http://u:secret@h:1"))
    for bad, message in [
        ("ftp://h", "scheme 'ftp'"),
        ("http://h:0", "proxy port 0"),
        ("http://:8080", "in the proxy URL, the host is empty"),
        ("http://[::1", r"not \[IPv6\]:port"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_proxy_url(bad)


def test_usb_filter_numbers_read_like_strtol():
    assert check_usb_filter("0x08,0x1234,0xffff,-1,1|010,1,2,3,0||") == "0x08,0x1234,0xffff,-1,1|010,1,2,3,0||"
    with pytest.raises(ConfigError, match="allow '2'"):
        check_usb_filter("-1,-1,-1,-1,2")
    with pytest.raises(ConfigError, match="vendor 'x'"):
        check_usb_filter("-1,x,-1,-1,0")
    with pytest.raises(ConfigError, match="class '09'"):
        check_usb_filter("09,-1,-1,-1,0")


def test_hotkeys_option():
    hotkeys = parse_hotkeys_option("toggle-fullscreen=shift+f11,Release-Cursor=ctrl+alt")
    assert hotkeys.toggle_fullscreen == "shift+f11" and hotkeys.release_cursor == "ctrl+alt"
    assert hotkeys.zoom_in == ""  # not named: disabled, as remote-viewer documents
    assert ("release-cursor", "ctrl+alt") in hotkeys.items()
    with pytest.raises(ConfigError, match="does not name an action"):
        parse_hotkeys_option("fullscreen=f11")
    with pytest.raises(ConfigError, match="empty key name"):
        parse_hotkeys_option("zoom-in=ctrl+")
