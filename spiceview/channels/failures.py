"""Which failures a reconnect can fix: a server that went away may come back; a refused password or a certificate
that does not verify will be refused again until the user changes something."""

from __future__ import annotations

from ..protocol.constants import LinkErr
from ..protocol.errors import LinkError
from ..transport.errors import TlsVerifyError

# Link errors a server also gives while it restarts or a session is being replaced: worth another attempt.
PASSING_LINK_ERRORS = frozenset({LinkErr.ERROR, LinkErr.BAD_CONNECTION_ID, LinkErr.CHANNEL_NOT_AVAILABLE})


def is_permanent(error: BaseException | None) -> bool:
    if isinstance(error, TlsVerifyError):
        return True
    if isinstance(error, LinkError):
        # Without a code: the password cannot be sent, the server's key is unusable, or only SASL is offered.
        return error.code not in PASSING_LINK_ERRORS
    return False
