"""spice:// URIs: every accepted form, every refusal and its message, and fuzzing."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spiceview.session.errors import ConfigError
from spiceview.session.uri import parse_spice_uri


def test_host_and_port():
    params = parse_spice_uri("spice://example.org:5900")
    assert (params.host, params.port, params.tls_port) == ("example.org", 5900, None)
    assert params.secure_channels == [] and params.password is None and params.warnings == []


def test_legacy_query_parameters():
    params = parse_spice_uri("spice://host?port=5900&tls-port=5901&password=s3cret")
    assert (params.host, params.port, params.tls_port, params.password) == ("host", 5900, 5901, "s3cret")
    assert any("process list" in w for w in params.warnings)


def test_port_after_host_and_tls_port_in_query():
    params = parse_spice_uri("spice://host:5900?tls-port=5901")
    assert (params.port, params.tls_port) == (5900, 5901)


def test_tls_scheme_port_is_the_tls_port_and_all_channels_are_secure():
    params = parse_spice_uri("spice+tls://host:5901?password=x")
    assert (params.port, params.tls_port, params.secure_channels) == (None, 5901, ["all"])
    assert params.port_for_channel("display") == (5901, True)


def test_unix_socket():
    params = parse_spice_uri("spice+unix:///run/spice/vm%201.sock")
    assert params.unix_path == "/run/spice/vm 1.sock"
    assert params.host is None and params.port is None


def test_unix_socket_with_password():
    params = parse_spice_uri("spice+unix:///tmp/s?password=a%26b")
    assert (params.unix_path, params.password) == ("/tmp/s", "a&b")


@pytest.mark.parametrize(
    ("uri", "host", "port"),
    [
        ("spice://[::1]:5900", "::1", 5900),
        ("spice://[2001:db8::7]:1", "2001:db8::7", 1),
        ("spice://[fe80::1%25eth0]:65535", "fe80::1%eth0", 65535),
        ("spice://[::1]?port=5900", "::1", 5900),
        ("spice://127.0.0.1:5900", "127.0.0.1", 5900),
    ],
)
def test_addresses(uri, host, port):
    params = parse_spice_uri(uri)
    assert (params.host, params.port) == (host, port)


def test_percent_decoding_everywhere():
    params = parse_spice_uri("spice://J%C3%BCrgen@h%C3%B6st:5900?password=%3F%26%3D%25+%20")
    assert params.username == "Jürgen"
    assert params.host == "höst"
    assert params.password == "?&=%+ "


def test_scheme_and_parameter_names_are_case_insensitive():
    params = parse_spice_uri("SPICE://host?PORT=1&Tls-Port=2&PassWord=Aa")
    assert (params.port, params.tls_port, params.password) == (1, 2, "Aa")


def test_forgiving_spellings():
    assert parse_spice_uri("  spice://host:5900/  \n").port == 5900
    assert parse_spice_uri("spice://host:5900/?tls-port=5901&").tls_port == 5901
    assert parse_spice_uri("spice://host:05900").port == 5900
    assert parse_spice_uri("spice://host:%35%39").port == 59


def test_other_clients_parameters_are_ignored_with_a_warning():
    params = parse_spice_uri("spice://host:5900?com.redhat.spiceclient.MonitorMapping=2")
    assert params.port == 5900
    assert any("com.redhat.spiceclient.monitormapping" in w for w in params.warnings)


def test_ports_may_come_from_elsewhere():
    params = parse_spice_uri("spice://host", require_port=False)
    assert (params.host, params.port, params.tls_port) == ("host", None, None)
    with pytest.raises(ConfigError, match="no port given"):
        parse_spice_uri("spice://host")


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("", "not a SPICE URI"),
        ("host:5900", "not a SPICE URI"),
        ("vnc://host:5900", "spiceview speaks SPICE only"),
        ("http://host:5900", "unsupported scheme 'http://'"),
        ("spice://host:abc", "port 'abc' is not a number"),
        ("spice://host:-1", "port '-1' is not a number"),
        ("spice://host:0", "port 0 is out of range"),
        ("spice://host:65536", "port 65536 is out of range"),
        ("spice://host:99999999999", "is not a number"),
        ("spice://host:", "port '' is not a number"),
        ("spice://host?port=5900&tls-port=x", "tls-port 'x' is not a number"),
        ("spice://host?tls-port=70000", "tls-port 70000 is out of range"),
        ("spice://host?tls-port=", "tls-port '' is not a number"),
        ("spice://host:5900?foo=1", "unknown parameter 'foo' (expected port, tls-port or password)"),
        ("spice://host:5900?tls_port=1", "unknown parameter 'tls_port'"),
        ("spice://host?port=1&port=2", "parameter 'port' is given twice"),
        ("spice://host?password=a&PASSWORD=b", "parameter 'password' is given twice"),
        ("spice://host:5900?port=5900", "port is given twice"),
        ("spice://host?port", "parameter 'port' has no '=value'"),
        ("spice://host?=5900", "has no '=value'"),
        ("spice+tls://host:5901?port=5900", "spice+tls:// URI takes its TLS port after the host"),
        ("spice+tls://host?tls-port=5901", "spice+tls:// URI takes its TLS port after the host"),
        ("spice+tls://host", "no port given"),
        ("spice+unix:///s?port=1", "spice+unix:// URI takes no port"),
        ("spice+unix://", "Unix socket path is empty"),
        ("spice://host:5900#frag", "'#' fragment"),
        ("spice://host:5900/vm1", "unexpected path '/vm1'"),
        ("spice://host%zz:5900", "'%' not followed by two hex digits"),
        ("spice://host:5900?password=%FF", "not UTF-8"),
        ("spice://[::1:5900", "missing its closing ']'"),
        ("spice://[::1]x:5900", "unexpected 'x:5900' after the IPv6 address"),
        ("spice://[host]:5900", "'[host]' is not an IPv6 address"),
        ("spice://[fe80::zz]:5900", "is not an IPv6 address"),
        ("spice://::1:5900", "must be written in brackets"),
        ("spice://user:pw@host:5900", "use ?password="),
        ("spice://a@b@host:5900", "more than one '@'"),
        ("spice://:5900", "no host given"),
        ("spice://", "no host given"),
        ("spice://ho%20st:5900", "contains a space"),
        ("spice://host:5900?password=a%00b", "password contains a NUL"),
    ],
)
def test_refused_with_a_clear_message(uri, message):
    with pytest.raises(ConfigError) as info:
        parse_spice_uri(uri)
    assert message in str(info.value)
    assert str(info.value).startswith("SPICE URI '")


def test_messages_hide_the_password():
    with pytest.raises(ConfigError) as info:
        parse_spice_uri("spice://host:5900?password=hunter2&bogus=1")
    assert "hunter2" not in str(info.value)
    assert "password=***" in str(info.value)


def test_password_kept_out_of_repr():
    assert "hunter2" not in repr(parse_spice_uri("spice://h:1?password=hunter2"))


@given(st.text())
@settings(max_examples=400)
def test_arbitrary_text_raises_only_config_error(text):
    try:
        parse_spice_uri(text)
    except ConfigError:
        pass


_URI_CHARS = st.sampled_from(list("spice+tlunx:/[]?&=%@#;.-_ 0123456789abcdefABCDEF\x00é"))


@given(
    st.sampled_from(["spice://", "spice+tls://", "spice+unix://", "SPICE://"]),
    st.text(_URI_CHARS, max_size=40),
)
@settings(max_examples=600)
def test_uri_shaped_text_raises_only_config_error(scheme, rest):
    try:
        parse_spice_uri(scheme + rest)
    except ConfigError:
        pass


_hosts = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z0-9-]{1,10}){0,3}", fullmatch=True),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
)


@given(
    host=_hosts,
    port=st.none() | st.integers(1, 65535),
    tls_port=st.none() | st.integers(1, 65535),
    password=st.none() | st.text(st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=30),
)
def test_built_uris_read_back(host, port, tls_port, password):
    if port is None and tls_port is None:
        port = 5900
    shown = f"[{host}]" if ":" in host else host
    query = []
    if port is not None:
        query.append(f"port={port}")
    if tls_port is not None:
        query.append(f"tls-port={tls_port}")
    if password is not None:
        query.append("password=" + quote(password, safe=""))
    params = parse_spice_uri(f"spice://{shown}?{'&'.join(query)}")
    assert (params.host, params.port, params.tls_port, params.password) == (host, port, tls_port, password)
