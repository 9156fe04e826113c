"""``spice://`` URIs (spice-common docs/spice_uri_scheme.txt) into ConnectionParams.

Accepted forms::

    spice://host:port                      plain port; channels may still go TLS
    spice://host?port=5900&tls-port=5901   legacy parameters
    spice+tls://host:port                  port is the TLS port; every channel uses TLS
    spice+unix:///path/to/socket           a local Unix socket
    spice://[::1]:5900                     IPv6 addresses in brackets

Parameters are ``port``, ``tls-port`` and ``password``, names matched case-insensitively as the
scheme document asks. Where spice-gtk only logs a warning, this parser is stricter, because a
silently ignored typo later shows up as a puzzling connection failure:

* an unknown parameter is an error (spice-gtk refuses those too), except names with a dot,
  which the scheme document reserves for other clients' own parameters: those are ignored
  with a note in ``ConnectionParams.warnings``;
* a path after the host (other than ``/``) is an error (spice-gtk ignores it);
* ``port``/``tls-port`` parameters on a ``spice+tls://`` URI are an error (spice-gtk ignores);
* parameters are separated by ``&`` only, as in the scheme document (spice-gtk also splits
  at ``;``, which the document lets values contain).

Percent-escapes are decoded everywhere as UTF-8; a malformed escape is an error. Error messages
show the URI with any password replaced by ``***``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from spiceview.session.errors import ConfigError
from spiceview.session.params import ConnectionParams, check_host, parse_port

SCHEMES = ("spice", "spice+tls", "spice+unix")
_EXPECTED = "spice://host:port, spice+tls://host:port or spice+unix:///path/to/socket"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_PASSWORD_PARAM = re.compile(r"(?i)([?&]password=)[^&]*")
_KNOWN = ("port", "tls-port", "password")


def parse_spice_uri(text: str, *, require_port: bool = True) -> ConnectionParams:
    """Read a SPICE URI; ConfigError, naming the problem, for anything unusable.

    With *require_port* (the default) a URI that gives no port at all is refused, as spice-gtk
    does; pass False when the ports come from elsewhere (command-line options).
    """
    uri = text.strip()
    try:
        params = _parse(uri)
        if require_port or params.unix_path is not None:
            params.require_endpoint()
        params.check()
    except ConfigError as exc:
        raise exc.with_context(source=f"SPICE URI '{_redact(uri)}'") from None
    return params


def _parse(uri: str) -> ConnectionParams:
    match = _SCHEME.match(uri)
    if not match:
        raise ConfigError("this is not a SPICE URI", expected=_EXPECTED)
    scheme = match.group(1).lower()
    if scheme not in SCHEMES:
        extra = "; spiceview speaks SPICE only" if scheme.startswith("vnc") else ""
        raise ConfigError(f"unsupported scheme '{scheme}://'{extra}", expected=_EXPECTED)
    rest = uri[match.end() :]
    if "#" in rest:
        raise ConfigError("a SPICE URI cannot have a '#' fragment (write '#' as %23)")
    body, _, query_text = rest.partition("?")
    query = _parse_query(query_text, scheme)
    params = ConnectionParams(password=query.password)
    if query.password is not None:
        params.warnings.append("the password was given in the URI: other local users may see it in the process list")
    for key in query.ignored:
        params.warnings.append(f"ignored parameter '{key}' meant for another client")
    if scheme == "spice+unix":
        if query.ports:
            raise ConfigError("a spice+unix:// URI takes no port: the socket path is the address")
        params.unix_path = _decode(body, "the socket path")
        if not params.unix_path:
            raise ConfigError("the Unix socket path is empty", expected=_EXPECTED)
        return params
    authority, slash, path = body.partition("/")
    if slash and path:
        raise ConfigError(f"unexpected path '/{path}' after the host", expected=_EXPECTED)
    params.username, params.host, port = _parse_authority(authority)
    if scheme == "spice+tls":
        params.tls_port = port
        params.secure_channels = ["all"]
        return params
    if port is not None and "port" in query.ports:
        raise ConfigError("the port is given twice, after the host and as ?port=")
    params.port = port if port is not None else query.ports.get("port")
    params.tls_port = query.ports.get("tls-port")
    return params


@dataclass
class _Query:
    ports: dict[str, int] = field(default_factory=dict)
    password: str | None = None
    ignored: list[str] = field(default_factory=list)


def _parse_query(text: str, scheme: str) -> _Query:
    query = _Query()
    seen: set[str] = set()
    for item in text.split("&"):
        if not item:
            continue
        raw_key, eq, raw_value = item.partition("=")
        key = _decode(raw_key, "a parameter name").lower()
        if not eq or not key:
            raise ConfigError(
                f"parameter '{_short(key or item)}' has no '=value'",
                expected="name=value pairs joined by '&'",
            )
        if key in seen:
            raise ConfigError(f"parameter '{_short(key)}' is given twice")
        seen.add(key)
        if key not in _KNOWN:
            if "." in key:
                query.ignored.append(key)
                continue
            raise ConfigError(f"unknown parameter '{_short(key)}'", expected="port, tls-port or password")
        if scheme == "spice+tls" and key != "password":
            raise ConfigError(f"a spice+tls:// URI takes its TLS port after the host, not as ?{key}=")
        value = _decode(raw_value, f"the value of '{key}'")
        if key == "password":
            query.password = value
        else:
            query.ports[key] = parse_port(value, key)
    return query


def _parse_authority(authority: str) -> tuple[str | None, str, int | None]:
    userinfo, at, hostport = authority.rpartition("@")
    username = None
    if at:
        if "@" in userinfo:
            raise ConfigError("the address has more than one '@' (write '@' in a user name as %40)")
        if ":" in userinfo:
            raise ConfigError("a password before the host is not supported: use ?password=")
        username = _decode(userinfo, "the user name") or None
    port_text = None
    if hostport.startswith("["):
        inner, bracket, after = hostport[1:].partition("]")
        if not bracket:
            raise ConfigError("an IPv6 address is missing its closing ']'")
        if after and not after.startswith(":"):
            raise ConfigError(f"unexpected '{_short(after)}' after the IPv6 address")
        host = _decode(inner, "the host")
        if ":" not in host:
            raise ConfigError(f"'[{_short(host)}]' is not an IPv6 address")
        port_text = after[1:] if after else None
    else:
        host, colon, port_text = hostport.partition(":")
        if ":" in port_text:
            raise ConfigError("an IPv6 address must be written in brackets, as in spice://[::1]:5900")
        host = _decode(host, "the host")
        port_text = port_text if colon else None
    if not host:
        raise ConfigError("no host given", expected=_EXPECTED)
    port = None if port_text is None else parse_port(_decode(port_text, "the port"))
    return username, check_host(host), port


def _decode(text: str, what: str) -> str:
    if "%" not in text:
        return text
    if _BAD_ESCAPE.search(text):
        raise ConfigError(f"{what} has a '%' not followed by two hex digits (write '%' as %25)")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} is not UTF-8 text once its %-escapes are decoded") from None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _redact(uri: str) -> str:
    return _short(_PASSWORD_PARAM.sub(r"\1***", uri), 200)
