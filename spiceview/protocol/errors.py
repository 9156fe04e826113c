"""Errors the sans-IO protocol layer raises."""


class ProtocolError(ValueError):
    """The peer sent bytes that do not follow the SPICE protocol."""


class LinkError(ProtocolError):
    """The server refused the link (or the link exchange went wrong).

    `code` is the server's SpiceLinkErr value when it sent one, else None.
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class AuthError(LinkError):
    """The server refused the login (password, or SASL user name and password): asking again may help."""

    def __init__(self, message: str, code: int | None = None, *, sasl: bool = False) -> None:
        super().__init__(message, code)
        self.sasl = sasl
