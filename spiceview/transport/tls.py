"""TLS for SPICE channels: the CA to trust, and the host-subject check spice-common's ssl_verify.c does."""

from __future__ import annotations

import ssl

from cryptography import x509

from .errors import TransportError
from .tls_config import TlsConfig


def parse_subject(text: str) -> list[tuple[str, str]]:
    """'C=IL, L=Raanana, O=Red Hat, CN=my server' -> ordered (key, value) pairs; '\\,' escapes a comma."""
    pairs: list[tuple[str, str]] = []
    key: list[str] = []
    value: list[str] = []
    in_value = False
    chars = iter(text)
    for ch in chars:
        escaped = False
        if ch == "\\":
            ch = next(chars, "")
            if ch not in ("\\", ","):
                raise TransportError(f"host-subject {text!r}: '\\' must escape ',' or '\\'")
            escaped = True
        if not in_value:
            if ch == " " and not key:
                continue
            if ch == "," and not escaped:
                raise TransportError(f"host-subject {text!r}: '=' missing before ','")
            if ch == "=" and not escaped:
                in_value = True
            else:
                key.append(ch)
        elif ch == "," and not escaped:
            if not value:
                raise TransportError(f"host-subject {text!r}: empty value for {''.join(key)!r}")
            pairs.append(("".join(key).strip(), "".join(value)))
            key, value, in_value = [], [], False
        else:
            value.append(ch)
    if in_value:
        if not value:
            raise TransportError(f"host-subject {text!r}: empty value for {''.join(key)!r}")
        pairs.append(("".join(key).strip(), "".join(value)))
    elif key:
        raise TransportError(f"host-subject {text!r}: '=' missing after {''.join(key)!r}")
    if not pairs:
        raise TransportError("host-subject is empty")
    return pairs


def _canonical(value: str) -> str:
    # OpenSSL compares names in a canonical form: case-folded, runs of spaces collapsed.
    return " ".join(value.split()).casefold()


def certificate_subject(der: bytes) -> list[tuple[str, str]]:
    cert = x509.load_der_x509_certificate(der)
    pairs = []
    for rdn in cert.subject.rdns:
        for attr in rdn:
            pairs.append((attr.rfc4514_attribute_name, str(attr.value)))
    return pairs


def subject_matches(der: bytes, expected: str) -> bool:
    want = [(k.upper(), _canonical(v)) for k, v in parse_subject(expected)]
    got = [(k.upper(), _canonical(v)) for k, v in certificate_subject(der)]
    return want == got


def make_context(config: TlsConfig) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_REQUIRED
    # With a host-subject the subject is checked instead of the host name, as in spice-gtk.
    ctx.check_hostname = config.host_subject is None
    try:
        if config.ca_file:
            ctx.load_verify_locations(cafile=config.ca_file)
        if config.ca_pem:
            ctx.load_verify_locations(cadata=config.ca_pem)
    except (OSError, ssl.SSLError) as exc:
        raise TransportError(f"cannot read the CA certificate: {exc}") from None
    if not (config.ca_file or config.ca_pem) and config.use_system_ca:
        ctx.load_default_certs()
    if config.ciphers:
        try:
            ctx.set_ciphers(config.ciphers)
        except ssl.SSLError:
            raise TransportError(f"TLS: no cipher that this system knows in tls-ciphers {config.ciphers!r}") from None
    return ctx


def describe_ssl_error(exc: ssl.SSLError, host: str) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or str(exc)
        if "hostname" in reason.lower() or "ip address mismatch" in reason.lower():
            return f"TLS: the server certificate is not valid for {host} ({reason})"
        return f"TLS: the server certificate could not be verified ({reason})"
    return f"TLS handshake with {host} failed: {exc.reason or exc}"
