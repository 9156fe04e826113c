"""SASL authentication through Cyrus libsasl2 (ctypes), as the server side of QEMU and Xspice uses it.

Cyrus SASL rather than a pure-Python library: the server offers whatever mechanisms its libsasl2 plugins have
(DIGEST-MD5, SCRAM-SHA-*, GSSAPI, PLAIN...), and on a plain TCP connection spice-server accepts only a mechanism
that negotiates a security layer of at least 56 bits (DIGEST-MD5's auth-conf, GSSAPI), after which every byte is
wrapped by sasl_encode/sasl_decode. The same library on the client covers exactly that, security layer included;
pure-Python SASL packages offer SCRAM or PLAIN without security layers, which such a server refuses.

`SaslSession` implements protocol.sasl.SaslClient: the sans-IO connection drives it with the server's bytes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache

from ..protocol.errors import LinkError
from ..protocol.sasl import SaslCredentials

SASL_OK, SASL_CONTINUE, SASL_INTERACT = 0, 1, 2
SASL_CB_LIST_END, SASL_CB_USER, SASL_CB_AUTHNAME, SASL_CB_PASS = 0, 0x4001, 0x4002, 0x4004
SASL_SUCCESS_DATA = 0x0004
SASL_SEC_NOPLAINTEXT, SASL_SEC_NOANONYMOUS = 0x0001, 0x0010
SASL_SSF, SASL_MAXOUTBUF = 1, 2
SASL_SSF_EXTERNAL, SASL_SEC_PROPS = 100, 101
MIN_LAYER_SSF = 56  # what spice-server asks of a connection without TLS


class _Callback(ctypes.Structure):
    _fields_ = [("id", ctypes.c_ulong), ("proc", ctypes.c_void_p), ("context", ctypes.c_void_p)]


class _Interact(ctypes.Structure):
    _fields_ = [
        ("id", ctypes.c_ulong),
        ("challenge", ctypes.c_char_p),
        ("prompt", ctypes.c_char_p),
        ("defresult", ctypes.c_char_p),
        ("result", ctypes.c_void_p),
        ("len", ctypes.c_uint),
    ]


class _SecProps(ctypes.Structure):
    _fields_ = [
        ("min_ssf", ctypes.c_uint),
        ("max_ssf", ctypes.c_uint),
        ("maxbufsize", ctypes.c_uint),
        ("security_flags", ctypes.c_uint),
        ("property_names", ctypes.c_void_p),
        ("property_values", ctypes.c_void_p),
    ]


def _load(name: str) -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


@cache
def _library() -> ctypes.CDLL | None:
    """libsasl2, initialised once for clients (None when it is not installed)."""
    lib = _load("libsasl2.so.2") or _load("libsasl2.dylib")
    if lib is None:
        found = ctypes.util.find_library("sasl2")  # runs ldconfig or a compiler: only when the sonames failed
        lib = _load(found) if found else None
    if lib is None:
        return None
    lib.sasl_client_init.argtypes = [ctypes.c_void_p]
    lib.sasl_client_new.argtypes = [
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_void_p,
        ctypes.c_uint,
        ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.sasl_client_start.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.POINTER(_Interact)),
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.POINTER(ctypes.c_uint),
        ctypes.POINTER(ctypes.c_char_p),
    ]
    lib.sasl_client_step.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_uint,
        ctypes.POINTER(ctypes.POINTER(_Interact)),
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.POINTER(ctypes.c_uint),
    ]
    lib.sasl_setprop.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    lib.sasl_getprop.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
    for name_ in ("sasl_encode", "sasl_decode"):
        fn = getattr(lib, name_)
        fn.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_uint),
        ]
    lib.sasl_errdetail.argtypes = [ctypes.c_void_p]
    lib.sasl_errdetail.restype = ctypes.c_char_p
    lib.sasl_dispose.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    if lib.sasl_client_init(None) != SASL_OK:
        return None
    return lib


class SaslSession:
    """One channel's SASL exchange and, when one was negotiated, its security layer."""

    def __init__(self, host: str, credentials: SaslCredentials, *, over_tls: bool, tls_bits: int = 0) -> None:
        lib = _library()
        if lib is None:
            raise LinkError("the server asks for SASL authentication, and libsasl2 is not installed (libsasl2-2)")
        self._lib = lib
        self._credentials = credentials
        self.over_tls = over_tls
        self._keep: list[object] = []  # buffers libsasl2 points at until the exchange is over
        self._callbacks = (_Callback * 4)(
            _Callback(SASL_CB_USER, None, None),
            _Callback(SASL_CB_AUTHNAME, None, None),
            _Callback(SASL_CB_PASS, None, None),
            _Callback(SASL_CB_LIST_END, None, None),
        )
        conn = ctypes.c_void_p()
        err = lib.sasl_client_new(
            b"spice", host.encode("utf-8") or None, None, None, self._callbacks, SASL_SUCCESS_DATA, ctypes.byref(conn)
        )
        if err != SASL_OK:
            raise LinkError(f"SASL could not start ({err})")
        self._conn = conn
        if over_tls:
            bits = ctypes.c_uint(tls_bits)
            lib.sasl_setprop(conn, SASL_SSF_EXTERNAL, ctypes.byref(bits))
        # Without TLS: a mechanism with a security layer (as the server demands), never a plain-text password.
        props = _SecProps(
            0 if over_tls else MIN_LAYER_SSF,
            0 if over_tls else 100000,
            100000,
            0 if over_tls else SASL_SEC_NOANONYMOUS | SASL_SEC_NOPLAINTEXT,
            None,
            None,
        )
        lib.sasl_setprop(conn, SASL_SEC_PROPS, ctypes.byref(props))
        self._max_out = 8192

    # --- the exchange (protocol.sasl.SaslClient) ------------------------------------------------------------

    def start(self, mechlist: str) -> tuple[str, bytes | None]:
        out, out_len, mech = ctypes.c_void_p(), ctypes.c_uint(), ctypes.c_char_p()
        err = self._answering(
            lambda interact: self._lib.sasl_client_start(
                self._conn, mechlist.encode(), interact, ctypes.byref(out), ctypes.byref(out_len), ctypes.byref(mech)
            )
        )
        self._check(err, "no SASL mechanism of the server's can be used")
        return (mech.value or b"").decode(), self._bytes(out, out_len)

    def step(self, challenge: bytes | None) -> tuple[bytes | None, bool]:
        out, out_len = ctypes.c_void_p(), ctypes.c_uint()
        size = len(challenge) if challenge is not None else 0
        err = self._answering(
            lambda interact: self._lib.sasl_client_step(
                self._conn, challenge, size, interact, ctypes.byref(out), ctypes.byref(out_len)
            )
        )
        self._check(err, "SASL authentication failed")
        return self._bytes(out, out_len), err == SASL_OK

    def _answering(self, call: Callable[[object], int]) -> int:
        """Run a libsasl2 call, filling in what it asks for (SASL_INTERACT) until it answers otherwise."""
        interact = ctypes.POINTER(_Interact)()
        while (err := call(ctypes.byref(interact))) == SASL_INTERACT:
            self._answer(interact)
        return err

    def finish(self) -> bool:
        """The exchange is complete: without TLS a security layer must have been negotiated (True: it wraps what
        follows the server's result of the exchange, which comes in clear)."""
        if self.over_tls:
            return False
        value = ctypes.c_void_p()
        if self._lib.sasl_getprop(self._conn, SASL_SSF, ctypes.byref(value)) != SASL_OK or not value.value:
            raise LinkError("SASL gave no security layer, and the connection is not encrypted")
        ssf = ctypes.cast(value, ctypes.POINTER(ctypes.c_uint)).contents.value
        if ssf < MIN_LAYER_SSF:
            raise LinkError(f"the SASL mechanism's security layer is too weak ({ssf} bits) for a plain connection")
        if self._lib.sasl_getprop(self._conn, SASL_MAXOUTBUF, ctypes.byref(value)) == SASL_OK and value.value:
            self._max_out = max(1024, ctypes.cast(value, ctypes.POINTER(ctypes.c_uint)).contents.value)
        self._keep.clear()
        return True

    # --- the security layer -----------------------------------------------------------------------------------

    def encode(self, data: bytes) -> bytes:
        out = bytearray()
        for start in range(0, len(data), self._max_out):
            chunk = data[start : start + self._max_out]
            buf, length = ctypes.c_void_p(), ctypes.c_uint()
            self._check(
                self._lib.sasl_encode(self._conn, chunk, len(chunk), ctypes.byref(buf), ctypes.byref(length)),
                "SASL encoding failed",
            )
            out += ctypes.string_at(buf, length.value)
        return bytes(out)

    def decode(self, data: bytes) -> bytes:
        """Whole packets decoded; libsasl2 keeps a partial one until the rest arrives."""
        buf, length = ctypes.c_void_p(), ctypes.c_uint()
        self._check(
            self._lib.sasl_decode(self._conn, data, len(data), ctypes.byref(buf), ctypes.byref(length)),
            "the server's SASL-protected data could not be decoded",
        )
        return ctypes.string_at(buf, length.value) if length.value else b""

    def close(self) -> None:
        if self._conn.value:
            self._lib.sasl_dispose(ctypes.byref(self._conn))

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # --- details ------------------------------------------------------------------------------------------

    def _answer(self, interact: ctypes._Pointer) -> None:  # type: ignore[type-arg]
        """Fill in what the mechanism asked for: user, authentication name, password."""
        index = 0
        while interact[index].id != SASL_CB_LIST_END:
            item = interact[index]
            if item.id in (SASL_CB_USER, SASL_CB_AUTHNAME):
                value = self._credentials.username
            elif item.id == SASL_CB_PASS:
                value = self._credentials.password
            else:
                value = (item.defresult or b"").decode()
            raw = ctypes.create_string_buffer(value.encode("utf-8"))
            self._keep.append(raw)
            item.result = ctypes.cast(raw, ctypes.c_void_p)
            item.len = len(value.encode("utf-8"))
            index += 1

    def _check(self, err: int, what: str) -> None:
        if err not in (SASL_OK, SASL_CONTINUE):
            detail = self._lib.sasl_errdetail(self._conn) or b""
            raise LinkError(f"{what}: {detail.decode('utf-8', 'replace')}")

    @staticmethod
    def _bytes(buf: ctypes.c_void_p, length: ctypes.c_uint) -> bytes | None:
        # SASL tells "no data" (NULL) from "empty data" (""): the wire does too.
        return None if not buf.value else ctypes.string_at(buf, length.value)
