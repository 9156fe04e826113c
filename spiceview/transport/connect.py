"""Opening the socket of one channel: plain TCP, TLS, a unix socket, or through an HTTP proxy."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import TlsVerifyError, TransportError

if TYPE_CHECKING:
    from .tls_config import TlsConfig


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str = ""
    port: int = 0
    tls: TlsConfig | None = None
    proxy: str | None = None
    unix_path: str | None = None

    def describe(self) -> str:
        if self.unix_path:
            return self.unix_path
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}" + (" (TLS)" if self.tls else "")


def open_socket(endpoint: Endpoint, timeout: float = 10.0) -> socket.socket:
    """A connected (and, for TLS, verified) blocking socket; TransportError with a user-facing message."""
    if endpoint.unix_path:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(endpoint.unix_path)
        except OSError as exc:
            sock.close()
            raise TransportError(f"cannot connect to {endpoint.unix_path}: {exc.strerror or exc}") from None
        return sock
    if endpoint.proxy:
        from .proxy import connect_via_proxy

        sock = connect_via_proxy(endpoint.proxy, endpoint.host, endpoint.port, timeout)
    else:
        try:
            # An ASCII name as bytes: a str makes the socket module load the IDNA codec (~1 ms of start-up).
            host = endpoint.host.encode("ascii") if endpoint.host.isascii() else endpoint.host
            sock = socket.create_connection((host, endpoint.port), timeout=timeout)  # type: ignore[arg-type]
        except socket.gaierror as exc:
            raise TransportError(f"cannot resolve {endpoint.host}: {exc.strerror or exc}") from None
        except ConnectionRefusedError:
            raise TransportError(f"connection to {endpoint.describe()} refused (is the server running?)") from None
        except TimeoutError:
            raise TransportError(f"connection to {endpoint.describe()} timed out") from None
        except OSError as exc:
            raise TransportError(f"cannot connect to {endpoint.describe()}: {exc.strerror or exc}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if endpoint.tls is None:
        return sock
    return _wrap_tls(sock, endpoint, timeout)


def _wrap_tls(sock: socket.socket, endpoint: Endpoint, timeout: float) -> socket.socket:
    # Imported here: ssl and the X.509 machinery are only needed for TLS (a plain session starts faster and
    # maps ~5 MB less without them).
    import ssl

    from .tls import describe_ssl_error, make_context, subject_matches

    assert endpoint.tls is not None
    try:
        ctx = make_context(endpoint.tls)
        tls_sock = ctx.wrap_socket(sock, server_hostname=endpoint.host)
        tls_sock.settimeout(timeout)
    except ssl.SSLCertVerificationError as exc:
        sock.close()
        raise TlsVerifyError(describe_ssl_error(exc, endpoint.host)) from None
    except ssl.SSLError as exc:
        sock.close()
        raise TransportError(describe_ssl_error(exc, endpoint.host)) from None
    except TimeoutError:
        sock.close()
        raise TransportError(f"TLS handshake with {endpoint.describe()} timed out") from None
    except OSError as exc:
        sock.close()
        if isinstance(exc, TransportError):
            raise
        raise TransportError(f"TLS connection to {endpoint.describe()} failed: {exc.strerror or exc}") from None
    subject = endpoint.tls.host_subject
    if subject is not None:
        der = tls_sock.getpeercert(binary_form=True)
        if not der or not subject_matches(der, subject):
            tls_sock.close()
            raise TlsVerifyError(f"TLS: the server certificate's subject does not match {subject!r}")
    return tls_sock
