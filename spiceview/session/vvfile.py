"""virt-viewer connection files (``.vv``) as remote-viewer reads them, into ConnectionParams.

The syntax is GLib's key file (see :mod:`spiceview.session.keyfile`).

Every key of the ``[virt-viewer]`` group documented in remote-viewer(1) is checked here: its
type and its values. Where remote-viewer would quietly read a bad value as 0 or nothing, this
raises :class:`ConfigError` naming the file, line and key. Booleans take ``0``/``1`` (what
remote-viewer reads) and also ``true``/``false``. ``port=-1`` (written by oVirt) or an empty
port means "no such port". Unknown keys are kept in ``VVFile.extra`` (keys starting ``x-`` are
reserved for extensions; others also get a warning); other groups such as ``[ovirt]`` are kept
raw in ``VVFile.groups``.

Any ``type`` parses; :meth:`VVFile.to_params` refuses all but ``spice`` (spiceview speaks SPICE
only) and files with nowhere to connect. Hotkeys the file does not name stay ``None`` in
ConnectionParams.hotkeys (the UI's defaults apply; remote-viewer drops its global hotkeys
instead); an empty value, ``""``, disables that action. ``title[fr]`` and other translations
are in ``VVFile.translations`` and :meth:`VVFile.localized`; remote-viewer itself ignores them.

Parsing never deletes anything: ``delete-this-file=1`` only sets ``delete_after_reading``; the
caller calls :meth:`VVFile.delete_file` when it sees fit (remote-viewer does so right after
reading). remote-viewer's ``-`` (read standard input) is the caller's: pass the bytes read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from spiceview.session.errors import ConfigError
from spiceview.session.keyfile import (
    WHITESPACE,
    locale_variants,
    read_bool,
    read_groups,
    read_int,
    read_list,
    read_string,
)
from spiceview.session.params import (
    CHANNEL_NAMES,
    COLOR_DEPTHS,
    EFFECT_NAMES,
    HOTKEY_ACTIONS,
    ConnectionParams,
    Hotkeys,
    check_host,
    check_hotkey,
    check_names,
    check_port,
    check_usb_filter,
    parse_proxy_url,
)

MAIN_GROUP = "virt-viewer"
MAX_FILE_BYTES = 1 << 20
VVValue = str | int | bool | list[str] | dict[str, str] | None


def _port(raw: str) -> int | None:
    if raw.rstrip(WHITESPACE) in ("", "-1"):
        return None
    return check_port(read_int(raw))


def _color_depth(raw: str) -> int | None:
    value = read_int(raw)
    if value == 0:
        return None
    if value not in COLOR_DEPTHS:
        raise ConfigError(f"color depth {value} is not supported", expected="16 or 32")
    return value


def _session_type(raw: str) -> str:
    value = read_string(raw).strip().lower()
    if not value:
        raise ConfigError("the session type is empty", expected="spice")
    return value


def _pem(raw: str) -> str:
    value = read_string(raw)
    if "-----BEGIN " not in value:
        raise ConfigError("this is not a PEM certificate", expected="-----BEGIN CERTIFICATE-----\\n... on one line")
    return value


def _proxy(raw: str) -> str | None:
    value = read_string(raw).strip()
    if not value:
        return None
    parse_proxy_url(value)
    return value


def _versions(raw: str) -> dict[str, str]:
    table = {}
    for item in read_list(raw):
        osid, colon, version = item.partition(":")
        if not colon or not osid.strip() or not version.strip():
            raise ConfigError(f"entry '{item[:40]}' is not osid:version", expected="e.g. rhel8:7.0-3")
        table[osid.strip()] = version.strip()
    return table


def _names(allowed: tuple[str, ...], what: str) -> Callable[[str], list[str]]:
    def convert(raw: str) -> list[str]:
        values = read_list(raw)
        check_names(values, allowed, what)
        return values

    return convert


# Every [virt-viewer] key remote-viewer knows, with how to read its value.
_SCHEMA: dict[str, Callable[[str], VVValue]] = {
    "type": _session_type,
    "version": read_string,
    "versions": _versions,
    "newer-version-url": read_string,
    "unix-path": read_string,
    "host": lambda raw: check_host(read_string(raw)),
    "port": _port,
    "tls-port": _port,
    "username": read_string,
    "password": read_string,
    "disable-channels": _names(CHANNEL_NAMES, "channel"),
    "tls-ciphers": read_string,
    "ca": _pem,
    "host-subject": read_string,
    "fullscreen": read_bool,
    "title": read_string,
    **{action: (lambda raw: check_hotkey(read_string(raw))) for action in HOTKEY_ACTIONS},
    "color-depth": _color_depth,
    "disable-effects": _names(EFFECT_NAMES, "effect"),
    "enable-smartcard": read_bool,
    "enable-usbredir": read_bool,
    "enable-usb-autoshare": read_bool,
    "usb-filter": lambda raw: check_usb_filter(read_string(raw)),
    "usb-redirect-on-connect": lambda raw: check_usb_filter(read_string(raw)),
    "secure-channels": _names((*CHANNEL_NAMES, "all"), "channel"),
    "delete-this-file": read_bool,
    "proxy": _proxy,
}
VV_KEYS = tuple(_SCHEMA)
# .vv keys whose value goes to the ConnectionParams field of the same name as is.
_SAME_NAME = (
    "username",
    "password",
    "tls-ciphers",
    "host-subject",
    "title",
    "proxy",
    "enable-smartcard",
    "enable-usbredir",
    "enable-usb-autoshare",
    "usb-filter",
    "usb-redirect-on-connect",
    "color-depth",
    "version",
    "newer-version-url",
)


@dataclass
class VVFile:
    """One parsed connection file; ``values`` holds the [virt-viewer] keys given, typed."""

    source: str  # the path, or "<.vv text>", as shown in messages
    path: Path | None = None
    values: dict[str, VVValue] = field(default_factory=dict, repr=False)
    lines: dict[str, int] = field(default_factory=dict, repr=False)
    translations: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    extra: dict[str, str] = field(default_factory=dict)  # unknown [virt-viewer] keys, raw
    groups: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)  # others, raw
    warnings: list[str] = field(default_factory=list)
    file_id: tuple[int, ...] | None = None  # identity of the file read, for delete_file

    @property
    def session_type(self) -> str:
        return str(self.values["type"])

    @property
    def delete_after_reading(self) -> bool:
        return bool(self.values.get("delete-this-file", False))

    @property
    def ovirt(self) -> dict[str, str]:
        """The raw ``[ovirt]`` group (host, vm-guid, jsessionid, sso-token, ca, admin)."""
        return self.groups.get("ovirt", {})

    def get(self, key: str, default: VVValue = None) -> VVValue:
        return self.values.get(key, default)

    def localized(self, key: str, languages: Sequence[str]) -> str | None:
        """``key[locale]`` for the first of *languages* (like ``fr_BE.UTF-8``) given, else ``key``."""
        per_locale = self.translations.get(key, {})
        for language in languages:
            for variant in locale_variants(language):
                if variant in per_locale:
                    return per_locale[variant]
        value = self.values.get(key)
        return value if isinstance(value, str) else None

    def to_params(self) -> ConnectionParams:
        """ConnectionParams for a ``type=spice`` file; ConfigError for any other type."""
        kind = self.session_type
        if kind != "spice":
            raise ConfigError(
                f"this is a '{kind}' connection file, and spiceview speaks SPICE only",
                source=self.source,
                line=self.lines.get("type"),
                key="type",
                expected="type=spice",
            )
        v = self.values
        params = ConnectionParams(warnings=list(self.warnings))
        if "unix-path" in v:
            params.unix_path = _opt_str(v["unix-path"])
            ignored = [key for key in ("host", "port", "tls-port") if key in v]
            if ignored:
                params.warnings.append(f"unix-path is set, so {', '.join(ignored)} are ignored")
        else:
            params.host = _opt_str(v.get("host"))
            params.port = _opt_int(v.get("port"))
            params.tls_port = _opt_int(v.get("tls-port"))
        for key in _SAME_NAME:
            if key in v:
                setattr(params, key.replace("-", "_"), v[key])
        params.ca_pem = _opt_str(v.get("ca"))
        params.secure_channels = _str_list(v.get("secure-channels"))
        params.disable_channels = _str_list(v.get("disable-channels"))
        params.disable_effects = _str_list(v.get("disable-effects"))
        params.fullscreen = bool(v.get("fullscreen", False))
        params.delete_this_file = self.delete_after_reading
        versions = v.get("versions")
        params.versions = dict(versions) if isinstance(versions, dict) else {}
        params.hotkeys = Hotkeys(**{a.replace("-", "_"): _opt_str(v.get(a)) for a in HOTKEY_ACTIONS})
        try:
            params.check()
            params.require_endpoint()
        except ConfigError as exc:
            raise exc.with_context(source=self.source) from None
        return params

    def delete_file(self) -> bool:
        """Delete the file this was read from, if it asked for it (``delete-this-file=1``).

        Quiet like remote-viewer: returns whether the file was removed, never raises.
        """
        if not self.delete_after_reading or self.path is None:
            return False
        return delete_vv_file(self.path, self.file_id)


def delete_vv_file(path: str | os.PathLike[str], expected_id: tuple[int, ...] | None = None) -> bool:
    """Remove a connection file; True if it was removed. Never raises.

    Leaves alone anything that is not a regular file (a symlink, a directory, a device), a
    file that is no longer the one read (*expected_id* is ``VVFile.file_id``: device, inode,
    size and modification time), and everything when ``VIRT_VIEWER_KEEP_FILE`` is set
    (remote-viewer's debugging switch).
    """
    if os.environ.get("VIRT_VIEWER_KEEP_FILE"):
        return False
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            return False
        if expected_id is not None and _identity(info) != expected_id:
            return False
        os.unlink(path)
    except OSError:
        return False
    return True


def parse_vv(source: str | bytes | os.PathLike[str]) -> VVFile:
    """Parse a .vv file: a path (``pathlib.Path``) to read, or its content as str or bytes."""
    path = None
    file_id = None
    if isinstance(source, os.PathLike):
        path = Path(source)
        name = str(path)
        text, file_id = _read_file(path)
    elif isinstance(source, bytes):
        name = "<.vv data>"
        text = _decode(source, name)
    else:
        name = "<.vv text>"
        text = source
        if "\n" not in text.strip() and text.strip().lower().endswith(".vv"):
            raise ConfigError("this looks like a file name, not a file's content: pass a pathlib.Path", source=name)
    vv = _build(text.removeprefix("\ufeff"), name)
    vv.path, vv.file_id = path, file_id
    return vv


def _build(text: str, name: str) -> VVFile:
    try:
        groups = read_groups(text)
    except ConfigError as exc:
        raise exc.with_context(source=name) from None
    main = groups.pop(MAIN_GROUP, None)
    if main is None:
        raise ConfigError(
            "there is no [virt-viewer] group", source=name, expected="a [virt-viewer] group with type=spice"
        )
    vv = VVFile(source=name)
    for key, entry in main.entries.items():
        convert = _SCHEMA.get(key)
        if convert is None:
            vv.extra[key] = entry.raw
            if not key.startswith("x-"):
                vv.warnings.append(f"{name}, line {entry.line}: unknown key '{key}' ignored")
            continue
        try:
            vv.values[key] = convert(entry.raw)
        except ConfigError as exc:
            raise exc.with_context(source=name, line=entry.line, key=key) from None
        vv.lines[key] = entry.line
    for key, per_locale in main.translations.items():
        for locale, entry in per_locale.items():
            try:
                vv.translations.setdefault(key, {})[locale] = read_string(entry.raw)
            except ConfigError as exc:
                raise exc.with_context(source=name, line=entry.line, key=f"{key}[{locale}]") from None
    for group_name, group in groups.items():
        raw = {key: entry.raw for key, entry in group.entries.items()}
        for key, per_locale in group.translations.items():
            raw.update({f"{key}[{locale}]": entry.raw for locale, entry in per_locale.items()})
        vv.groups[group_name] = raw
    if "type" not in vv.values:
        raise ConfigError(
            "the file has no 'type' key, and spiceview speaks SPICE only",
            source=name,
            expected="type=spice in [virt-viewer]",
        )
    return vv


def _read_file(path: Path) -> tuple[str, tuple[int, ...]]:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ConfigError("this is not a regular file", source=str(path))
            with os.fdopen(fd, "rb", closefd=False) as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise ConfigError("no such file", source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"the file cannot be read: {exc.strerror or exc}", source=str(path)) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError("the file is too large for a connection file (over 1 MiB)", source=str(path))
    return _decode(data, str(path)), _identity(info)


def _identity(info: os.stat_result) -> tuple[int, ...]:
    """What tells the file read from one put in its place later (inode numbers get reused)."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError("this is not UTF-8 text", source=name, line=line) from None


def _opt_str(value: VVValue) -> str | None:
    return value if isinstance(value, str) else None


def _opt_int(value: VVValue) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_list(value: VVValue) -> list[str]:
    return list(value) if isinstance(value, list) else []
