"""SPICE ticket authentication: the password, NUL-terminated, encrypted with RSA-OAEP (SHA-1)."""

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .constants import MAX_PASSWORD_LENGTH
from .errors import LinkError


def encrypt_ticket(public_key_der: bytes, password: str) -> bytes:
    """The 128 bytes a client sends in place of its password; an empty password when ticketing is off."""
    secret = password.encode("utf-8")
    if len(secret) > MAX_PASSWORD_LENGTH:
        raise LinkError(f"password longer than {MAX_PASSWORD_LENGTH} bytes, which SPICE cannot send")
    try:
        key = serialization.load_der_public_key(public_key_der)
    except ValueError as exc:
        raise LinkError(f"server sent an unreadable public key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise LinkError("server public key is not an RSA key")
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    try:
        return key.encrypt(secret + b"\0", oaep)
    except ValueError as exc:
        raise LinkError(f"cannot encrypt the password with the server's key: {exc}") from None
