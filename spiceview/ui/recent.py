"""Recently used connections, kept in QSettings: ``spice://`` URIs without passwords, and .vv files by path.

Entries are most recent first, at most :data:`MAX_RECENT`. Adding a target already listed moves it to the
top. A .vv file is listed only while it exists, and a file that asked to be deleted once read
(``delete-this-file=1``, a one-time ticket) is never remembered.

Settings live under organization and application "spiceview" (``~/.config/spiceview/spiceview.conf`` on
Linux); tests and tools pass an INI file path instead (see :func:`open_settings`).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from PySide6.QtCore import QSettings

from ..session.params import ConnectionParams
from ..session.uri import parse_spice_uri

log = logging.getLogger(__name__)

ORGANIZATION = "spiceview"
APPLICATION = "spiceview"
MAX_RECENT = 10
_ARRAY = "recent-connections"

SettingsSource = QSettings | str | os.PathLike[str] | None


def open_settings(source: SettingsSource = None) -> QSettings:
    """The user's spiceview settings, or an INI file at *source* (a path), or *source* itself (a QSettings)."""
    if isinstance(source, QSettings):
        return source
    if source is not None:
        return QSettings(os.fspath(source), QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


def spice_uri(params: ConnectionParams) -> str:
    """The ``spice://`` URI of *params*' address, never with the password.

    Only what a URI can say is kept: host, ports, user name, or the Unix socket; a TLS-only
    connection with every channel secure becomes ``spice+tls://``.
    """
    if params.unix_path is not None:
        return "spice+unix://" + quote(params.unix_path, safe="/")
    user = quote(params.username, safe="") + "@" if params.username else ""
    host = uri_host(params.host or "")
    if params.port is None and params.tls_port is not None and "all" in params.secure_channels:
        return f"spice+tls://{user}{host}:{params.tls_port}"
    uri = f"spice://{user}{host}"
    if params.port is not None:
        uri += f":{params.port}"
    if params.tls_port is not None:
        uri += f"?tls-port={params.tls_port}"
    return uri


def uri_host(host: str) -> str:
    """*host* as written in a URI: IPv6 in brackets, anything odd %-escaped (the parser decodes it back)."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        return "[" + quote(host, safe=":") + "]"
    return quote(host, safe="-._~!$&'()*+,;=")


def describe(params: ConnectionParams) -> str:
    """A short label for a connection: ``host:5900``, ``host:5901 (TLS)``, ``host:5900 (TLS 5901)``."""
    if params.unix_path is not None:
        return params.unix_path
    host = params.host or "?"
    if ":" in host:
        host = f"[{host}]"
    if params.port is not None and params.tls_port is not None:
        return f"{host}:{params.port} (TLS {params.tls_port})"
    if params.tls_port is not None:
        return f"{host}:{params.tls_port} (TLS)"
    return f"{host}:{params.port}" if params.port is not None else host


@dataclass(frozen=True)
class RecentEntry:
    """One remembered connection: a URI (no password) or the absolute path of a .vv file."""

    target: str
    label: str
    timestamp: float  # seconds since the epoch, when last used
    kind: Literal["uri", "vv"] = "uri"
    ca_file: str | None = None  # the CA file picked with a URI entry (a URI cannot say it)

    @property
    def is_vv(self) -> bool:
        return self.kind == "vv"

    def params(self) -> ConnectionParams:
        """ConnectionParams of a URI entry (ConfigError if the stored URI no longer parses)."""
        if self.is_vv:
            raise ValueError("a .vv entry is read with spiceview.session.vvfile.parse_vv")
        params = parse_spice_uri(self.target)
        params.ca_file = self.ca_file
        return params


class RecentConnections:
    """The recent-connections list in QSettings; every call reads or writes the settings directly."""

    def __init__(self, settings: SettingsSource = None, *, limit: int = MAX_RECENT) -> None:
        self.settings = open_settings(settings)
        self.limit = limit

    def entries(self) -> list[RecentEntry]:
        """Most recent first; .vv files that no longer exist are left out (but kept in the settings)."""
        return [e for e in self._read() if not e.is_vv or os.path.isfile(e.target)]

    def add_uri(
        self, uri: str, *, label: str | None = None, ca_file: str | None = None, when: float | None = None
    ) -> RecentEntry:
        """Remember a ``spice://`` URI; its password, if any, is dropped. ConfigError if it does not parse."""
        params = parse_spice_uri(uri)
        params.ca_file = ca_file
        return self.add_params(params, label=label, when=when)

    def add_params(
        self, params: ConnectionParams, *, label: str | None = None, when: float | None = None
    ) -> RecentEntry:
        """Remember the address of *params* (as :func:`spice_uri` writes it) and its CA file path."""
        entry = RecentEntry(
            target=spice_uri(params),
            label=label or params.title or describe(params),
            timestamp=time.time() if when is None else when,
            kind="uri",
            ca_file=params.ca_file,
        )
        self._put(entry)
        return entry

    def add_vv(
        self,
        path: str | os.PathLike[str],
        *,
        label: str | None = None,
        delete_this_file: bool = False,
        when: float | None = None,
    ) -> RecentEntry | None:
        """Remember a .vv file by absolute path; None (and any old entry dropped) if it asks to be deleted."""
        target = os.path.abspath(os.fspath(path))
        if delete_this_file:
            # Its ticket is single-use and the file will be gone: listing it would only mislead.
            self.remove(target)
            return None
        entry = RecentEntry(
            target=target,
            label=label or Path(target).name,
            timestamp=time.time() if when is None else when,
            kind="vv",
        )
        self._put(entry)
        return entry

    def remove(self, target: str | RecentEntry) -> bool:
        """Forget an entry (given as itself or its target); True if it was there."""
        key = target.target if isinstance(target, RecentEntry) else target
        stored = self._read()
        kept = [e for e in stored if e.target != key]
        if len(kept) == len(stored):
            return False
        self._write(kept)
        return True

    def clear(self) -> None:
        self._write([])

    def _put(self, entry: RecentEntry) -> None:
        others = [e for e in self._read() if e.target != entry.target]
        # Missing .vv files would only take places in the list without ever being shown.
        others = [e for e in others if not e.is_vv or os.path.isfile(e.target)]
        self._write([entry, *others][: self.limit])

    def _read(self) -> list[RecentEntry]:
        s = self.settings
        result: list[RecentEntry] = []
        size = s.beginReadArray(_ARRAY)
        try:
            for index in range(size):
                s.setArrayIndex(index)
                entry = _entry_from(
                    s.value("target"), s.value("label"), s.value("timestamp"), s.value("kind"), s.value("ca-file")
                )
                if entry is None:
                    log.warning("ignoring malformed recent connection #%d in %s", index + 1, s.fileName())
                elif all(e.target != entry.target for e in result):
                    result.append(entry)
        finally:
            s.endArray()
        return result

    def _write(self, entries: list[RecentEntry]) -> None:
        s = self.settings
        s.remove(_ARRAY)  # beginWriteArray keeps stale indexes beyond the new size
        s.beginWriteArray(_ARRAY, len(entries))
        for index, entry in enumerate(entries):
            s.setArrayIndex(index)
            s.setValue("target", entry.target)
            s.setValue("label", entry.label)
            s.setValue("timestamp", f"{entry.timestamp:.3f}")
            s.setValue("kind", entry.kind)
            if entry.ca_file:
                s.setValue("ca-file", entry.ca_file)
        s.endArray()
        s.sync()


def _entry_from(target: object, label: object, timestamp: object, kind: object, ca_file: object) -> RecentEntry | None:
    """An entry from raw settings values (hand-edited files hold anything), or None."""
    if not isinstance(target, str) or not target or kind not in ("uri", "vv"):
        return None
    try:
        when = float(str(timestamp))
    except ValueError:
        when = 0.0
    if kind == "uri":
        try:
            # Re-derive the URI: it must parse, and must never carry a password even if hand-written.
            params = parse_spice_uri(target, require_port=False)
        except ValueError:
            return None
        target = spice_uri(params)
    return RecentEntry(
        target=target,
        label=label if isinstance(label, str) and label else target,
        timestamp=when,
        kind=kind,  # type: ignore[arg-type]
        ca_file=ca_file if isinstance(ca_file, str) and ca_file else None,
    )
