"""Errors of the transport layer: reaching the server, TLS, proxies."""


class TransportError(OSError):
    """The connection could not be made or broke; the message says what happened in user terms."""


class TlsVerifyError(TransportError):
    """The server's certificate did not verify (or its subject did not match): trying again cannot help."""
