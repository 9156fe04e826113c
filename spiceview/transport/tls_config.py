"""What a channel needs to know to open TLS (kept apart from tls.py so plain connections skip X.509 imports)."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TlsConfig:
    ca_file: str | None = None
    ca_pem: str | None = None
    host_subject: str | None = None
    # Trust the system store when no CA is given (remote-viewer's behaviour).
    use_system_ca: bool = True
    ciphers: str | None = None  # an OpenSSL cipher list (.vv tls-ciphers); None: OpenSSL's defaults
