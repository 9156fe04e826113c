"""Everything needed to open a SPICE session, whatever it came from (URI, .vv file, options).

Field names follow remote-viewer's .vv keys with ``-`` turned into ``_``. ``None`` means "not
given": the caller applies its own default. Validators here raise :class:`ConfigError` without
a location; the URI and .vv parsers add the source, line and key.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, fields
from typing import Literal

from spiceview.session.errors import ConfigError

# spice-gtk's channel names (spice_channel_type_to_string); "all" is also allowed where
# secure channels are listed.
CHANNEL_NAMES = (
    "main",
    "display",
    "inputs",
    "cursor",
    "playback",
    "record",
    "tunnel",
    "smartcard",
    "usbredir",
    "port",
    "webdav",
)
EFFECT_NAMES = ("wallpaper", "font-smooth", "animation", "all")
COMPRESSION_NAMES = ("auto-glz", "auto-lz", "quic", "glz", "lz", "lz4", "off")
VIDEO_CODEC_NAMES = ("mjpeg", "vp8", "vp9", "h264", "h265")
COLOR_DEPTHS = (8, 16, 24, 32)
ZOOM_RANGE = (10, 400)
KIOSK_QUIT = ("never", "on-disconnect")
# remote-viewer's hotkey actions, as named in .vv files and in --hotkeys.
HOTKEY_ACTIONS = (
    "toggle-fullscreen",
    "release-cursor",
    "zoom-in",
    "zoom-out",
    "zoom-reset",
    "secure-attention",
    "usb-device-reset",
    "smartcard-insert",
    "smartcard-remove",
)

_PORT_TEXT = re.compile(r"[0-9]{1,10}")
_HOST_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f/\\?#@\[\]]")


def check_port(value: int, what: str = "port") -> int:
    """*value* if it is a TCP port (1-65535), else ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigError(f"{what} {value!r} is out of range", expected="a port number 1-65535")
    return value


def parse_port(text: str, what: str = "port") -> int:
    """A port written in decimal digits only (no sign, no spaces), 1-65535."""
    if not _PORT_TEXT.fullmatch(text):
        shown = repr(text) if len(text) <= 40 else repr(text[:40] + "...")
        raise ConfigError(f"{what} {shown} is not a number", expected="a port number 1-65535")
    return check_port(int(text), what)


def check_host(host: str) -> str:
    """A host name or address as sockets want it: IPv6 without brackets.

    ``[::1]`` and ``::1`` both give ``::1``; a zone (``fe80::1%eth0``) is kept.
    """
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
        if ":" not in text:
            raise ConfigError(f"host {host!r} has brackets but no IPv6 address in them")
    if not text:
        raise ConfigError("the host is empty", expected="a host name or IP address")
    if ":" in text:
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            raise ConfigError(
                f"host {host!r} contains ':' but is not an IPv6 address",
                expected="a host name, an IPv4 address or an IPv6 address",
            ) from None
        return text
    if _HOST_FORBIDDEN.search(text):
        raise ConfigError(
            f"host {host!r} contains a space, control character or one of / \\ ? # @ [ ]",
            expected="a host name or IP address",
        )
    return text


def check_hotkey(text: str, action: str = "hotkey") -> str:
    """A hotkey like ``shift+f11`` or ``ctrl+alt+end``; the empty string disables the action."""
    value = text.strip()
    if value and any(not part.strip() for part in value.split("+")):
        raise ConfigError(
            f"{action} {text!r} has an empty key name",
            expected="key names joined by '+', such as shift+f11",
        )
    return value


def check_usb_filter(text: str, what: str = "USB filter") -> str:
    """A usbredir filter: rules ``class,vendor,product,version,allow`` joined by ``|`` (protocol/usbredir/filter)."""
    from ..protocol.usbredir.filter import FilterError, parse

    try:
        parse(text)
    except FilterError as exc:
        fields = "fields" in str(exc)
        expected = "rules class,vendor,product,version,allow joined by '|', -1 for any" if fields else None
        raise ConfigError(f"{what} {exc}", expected=expected) from None
    return text


@dataclass(frozen=True)
class ProxyURL:
    """An HTTP CONNECT proxy, as spice-gtk reads it (no scheme means http)."""

    scheme: Literal["http", "https"]
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_proxy_url(text: str) -> ProxyURL:
    """Read ``[http[s]://][user[:password]@]host[:port][/]``; ports default to 3128/3129."""
    scheme, sep, rest = text.strip().partition("://")
    if not sep:
        scheme, rest = "http", text.strip()
    scheme = scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigError(f"proxy scheme {scheme!r} is not supported", expected="http:// or https://")
    rest = rest.rstrip("/")
    userinfo, at, hostport = rest.rpartition("@")
    username = password = None
    if at:
        username, colon, pw = userinfo.partition(":")
        password = pw if colon else None
    port = 3128 if scheme == "http" else 3129
    if hostport.startswith("["):
        host, bracket, after = hostport[1:].partition("]")
        if not bracket or (after and not after.startswith(":")):
            raise ConfigError(f"proxy address {hostport!r} is not [IPv6]:port")
        host = "[" + host + "]"
        port_text = after[1:] if after else None
    else:
        host, colon, port_text = hostport.partition(":")
        port_text = port_text if colon else None
    if port_text is not None:
        port = parse_port(port_text, "proxy port")
    try:
        host = check_host(host)
    except ConfigError as exc:
        raise ConfigError("in the proxy URL, " + exc.problem, expected=exc.expected) from None
    return ProxyURL(scheme, host, port, username or None, password)  # type: ignore[arg-type]


@dataclass
class Hotkeys:
    """Key bindings per remote-viewer action: ``None`` not given, ``""`` disabled."""

    toggle_fullscreen: str | None = None
    release_cursor: str | None = None
    zoom_in: str | None = None
    zoom_out: str | None = None
    zoom_reset: str | None = None
    secure_attention: str | None = None
    usb_device_reset: str | None = None
    smartcard_insert: str | None = None
    smartcard_remove: str | None = None

    def items(self) -> list[tuple[str, str]]:
        """``(action, keys)`` for each action given, with action names as in HOTKEY_ACTIONS."""
        pairs = [(a, getattr(self, a.replace("-", "_"))) for a in HOTKEY_ACTIONS]
        return [(a, keys) for a, keys in pairs if keys is not None]

    def check(self) -> None:
        for action, keys in self.items():
            check_hotkey(keys, action)


def parse_hotkeys_option(text: str) -> Hotkeys:
    """remote-viewer's ``--hotkeys`` value: ``action=keys[,action=keys]...``.

    As remote-viewer documents, the actions not named are disabled (``""``).
    """
    hotkeys = Hotkeys(**{a.replace("-", "_"): "" for a in HOTKEY_ACTIONS})
    for item in (i for i in text.split(",") if i.strip()):
        action, eq, keys = item.partition("=")
        action = action.strip().lower()
        if not eq or action not in HOTKEY_ACTIONS:
            raise ConfigError(
                f"hotkey setting {item.strip()!r} does not name an action",
                expected="action=keys with action one of " + ", ".join(HOTKEY_ACTIONS),
            )
        setattr(hotkeys, action.replace("-", "_"), check_hotkey(keys, action))
    return hotkeys


@dataclass(frozen=True)
class UsbShare:
    """A disk image (read-only unless `writable`) or an ISO (`cdrom`: always read-only) shared as a USB drive."""

    path: str
    writable: bool = False
    cdrom: bool = False


@dataclass(frozen=True)
class UsbDeviceShare:
    """A USB device of this computer, redirected to the VM; bus and address as libusb numbers them."""

    bus: int
    address: int


@dataclass
class ConnectionParams:
    """Where to connect and how; see the module docstring for conventions."""

    host: str | None = None
    port: int | None = None
    tls_port: int | None = None
    unix_path: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # kept out of logs
    ca_pem: str | None = field(default=None, repr=False)  # PEM text (a .vv ``ca``)
    ca_file: str | None = None  # path to a PEM file (``--spice-ca-file``)
    host_subject: str | None = None
    tls_ciphers: str | None = None
    secure_channels: list[str] = field(default_factory=list)  # channel names, or ["all"]
    disable_channels: list[str] = field(default_factory=list)
    proxy: str | None = None  # http(s) proxy URL; see parse_proxy_url
    title: str | None = None
    fullscreen: bool = False
    kiosk: bool = False
    kiosk_quit: Literal["never", "on-disconnect"] = "never"
    zoom: int | None = None  # percent, 10-400
    hotkeys: Hotkeys = field(default_factory=Hotkeys)
    enable_smartcard: bool | None = None
    enable_usbredir: bool | None = None
    enable_usb_autoshare: bool | None = None  # redirect devices plugged in during the session (None: yes)
    usb_filter: str | None = None  # auto-redirect filter for devices plugged in later
    usb_redirect_on_connect: str | None = None  # filter for devices present at connect
    enable_audio: bool | None = None
    shared_dir: str | None = None
    preferred_compression: str | None = None
    preferred_video_codecs: list[str] = field(default_factory=list)  # the order to ask the server for
    # Images shared as USB drives through the usbredir channels, one per slot the server offers.
    usb_shares: list[UsbShare | UsbDeviceShare] = field(default_factory=list)
    color_depth: int | None = None
    disable_effects: list[str] = field(default_factory=list)
    delete_this_file: bool = False
    version: str | None = None  # minimum remote-viewer version a .vv asks for (informational)
    versions: dict[str, str] = field(default_factory=dict)  # osid -> minimum version
    newer_version_url: str | None = None
    warnings: list[str] = field(default_factory=list)  # for the user: ignored or risky input

    def uses_tls(self, channel: str) -> bool:
        """Whether *channel* goes over TLS, as spice-gtk decides it.

        Channels listed in secure_channels (or all, with "all") use TLS; the others use the
        plain port when there is one, else the TLS port. A server answering NEED_SECURED asks
        for a retry over TLS: that is up to the caller.
        """
        if channel not in CHANNEL_NAMES:
            raise ValueError(f"unknown SPICE channel name {channel!r}")
        if "all" in self.secure_channels or channel in self.secure_channels:
            return True
        return self.port is None

    def port_for_channel(self, channel: str) -> tuple[int, bool]:
        """``(port, use_tls)`` for *channel*; ConfigError if the port it needs was not given."""
        if self.unix_path is not None:
            raise ConfigError("a Unix socket connection has no ports")
        tls = self.uses_tls(channel)
        port = self.tls_port if tls else self.port
        if port is None:
            if self.port is None and self.tls_port is None:
                raise ConfigError("no port given", expected="a port or a TLS port")
            raise ConfigError(f"channel {channel!r} must use TLS but no TLS port was given", expected="tls-port")
        return port, tls

    def require_endpoint(self) -> None:
        """ConfigError unless there is a Unix socket, or a host with a port fit for each channel."""
        if self.unix_path is not None:
            if not self.unix_path:
                raise ConfigError("the Unix socket path is empty")
            if self.secure_channels:
                raise ConfigError("TLS is not available over a Unix socket, but secure channels are set")
            return
        if not self.host:
            raise ConfigError("no host given", expected="a host name or address")
        if self.port is None and self.tls_port is None:
            raise ConfigError("no port given", expected="a port or a TLS port")
        if self.tls_port is None and self.secure_channels:
            names = ", ".join(self.secure_channels)
            raise ConfigError(f"channels {names} must use TLS but no TLS port was given", expected="tls-port")

    def check(self) -> None:
        """ConfigError if any field holds a value no server or client could use."""
        for name in ("port", "tls_port"):
            if getattr(self, name) is not None:
                check_port(getattr(self, name), name.replace("_", "-"))
        if self.host is not None:
            check_host(self.host)
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) and "\x00" in value:
                raise ConfigError(f"{f.name.replace('_', '-')} contains a NUL character")
        check_names(self.secure_channels, (*CHANNEL_NAMES, "all"), "secure channel")
        check_names(self.disable_channels, CHANNEL_NAMES, "channel to disable")
        check_names(self.disable_effects, EFFECT_NAMES, "effect")
        if self.preferred_compression is not None:
            check_names([self.preferred_compression], COMPRESSION_NAMES, "compression")
        if self.preferred_video_codecs:
            check_names(self.preferred_video_codecs, VIDEO_CODEC_NAMES, "video codec")
        if self.kiosk_quit not in KIOSK_QUIT:
            check_names([self.kiosk_quit], KIOSK_QUIT, "kiosk-quit value")
        if self.color_depth is not None and self.color_depth not in COLOR_DEPTHS:
            raise ConfigError(f"color depth {self.color_depth!r} is not supported", expected="16 or 32")
        if self.zoom is not None and not ZOOM_RANGE[0] <= self.zoom <= ZOOM_RANGE[1]:
            raise ConfigError(f"zoom {self.zoom!r} is out of range", expected="10 to 400 percent")
        if self.proxy is not None:
            parse_proxy_url(self.proxy)
        for name in ("usb_filter", "usb_redirect_on_connect"):
            if getattr(self, name) is not None:
                check_usb_filter(getattr(self, name), name.replace("_", "-"))
        if self.ca_pem is not None and "-----BEGIN " not in self.ca_pem:
            raise ConfigError(
                "the CA certificate is not PEM text",
                expected="-----BEGIN CERTIFICATE----- ... with lines joined by \\n",
            )
        self.hotkeys.check()


def check_names(values: list[str], allowed: tuple[str, ...], what: str) -> None:
    """ConfigError naming the first of *values* that is not in *allowed*."""
    for value in values:
        if value not in allowed:
            raise ConfigError(f"unknown {what} {value!r}", expected="one of " + ", ".join(allowed))
