"""Throwaway TLS material for SPICE servers: a CA, a server certificate, and wrong ones for negative tests.

The files are named like QEMU/Xspice expect in an x509 dir: ca-cert.pem, server-cert.pem, server-key.pem.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca-cert.pem"
SERVER_CERT = "server-cert.pem"
SERVER_KEY = "server-key.pem"


@dataclass(frozen=True)
class CertAuthority:
    """A CA able to sign server certificates."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def write(self, path: Path) -> Path:
        path.write_bytes(self.pem())
        return path


@dataclass(frozen=True)
class X509Dir:
    """An x509 dir for Xspice/QEMU plus the CA that signed it (what a client must trust)."""

    path: Path
    ca: CertAuthority
    subject: str

    @property
    def ca_file(self) -> Path:
        return self.path / CA_CERT

    @property
    def cert_file(self) -> Path:
        return self.path / SERVER_CERT

    @property
    def key_file(self) -> Path:
        return self.path / SERVER_KEY


def _key() -> rsa.RSAPrivateKey:
    # 2048 bits: fast to make (~50 ms) and accepted by every TLS stack's default security level.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _validity() -> tuple[datetime.datetime, datetime.datetime]:
    now = datetime.datetime.now(datetime.UTC)
    return now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)


def make_ca(common_name: str = "spiceview lab CA") -> CertAuthority:
    """A fresh self-signed CA (every call is a different CA: use a second one as the 'wrong CA')."""
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    not_before, not_after = _validity()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertAuthority(key, cert)


def _san(subject: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(subject))
    except ValueError:
        return x509.DNSName(subject)


def make_server_cert(ca: CertAuthority, subject: str = "127.0.0.1") -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A server key and certificate signed by ca, with CN=subject and subjectAltName subject (IP or DNS)."""
    key = _key()
    not_before, not_after = _validity()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([_san(subject)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return key, cert


def make_x509_dir(path: Path, subject: str = "127.0.0.1", ca: CertAuthority | None = None) -> X509Dir:
    """Write ca-cert.pem, server-cert.pem, server-key.pem into path (created) and return them.

    subject="127.0.0.1" gives a certificate a client connecting to 127.0.0.1 accepts; any other subject
    (e.g. "wrong.example") gives one that fails hostname verification while the CA still matches.
    """
    path.mkdir(parents=True, exist_ok=True)
    ca = ca or make_ca()
    key, cert = make_server_cert(ca, subject)
    ca.write(path / CA_CERT)
    (path / SERVER_CERT).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file = path / SERVER_KEY
    key_file.touch(mode=0o600)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return X509Dir(path, ca, subject)


def write_wrong_ca(path: Path) -> Path:
    """Write the certificate of an unrelated CA to path: trusting it must make a TLS client refuse."""
    return make_ca("spiceview lab WRONG CA").write(path)
