"""The reconnect plan (session/reconnect.py) driven with a fake clock, and which failures count as permanent."""

from __future__ import annotations

import ssl

from spiceview.channels.failures import is_permanent
from spiceview.protocol.constants import LinkErr
from spiceview.protocol.errors import LinkError
from spiceview.session.reconnect import BACKOFF_S, Phase, ReconnectPlan
from spiceview.transport.errors import TlsVerifyError, TransportError


def test_backoff_grows_and_starts_again_after_a_session_came_up() -> None:
    plan = ReconnectPlan()
    plan.connected()
    delays = []
    now = 100.0
    for _ in range(len(BACKOFF_S) + 2):
        assert plan.lost("the server closed the connection", permanent=False, now=now) is Phase.WAITING
        assert plan.deadline is not None
        delays.append(plan.deadline - now)
        assert not plan.due(plan.deadline - 0.01) and plan.due(plan.deadline)
        plan.attempting()
        now += 50
    assert delays == [*BACKOFF_S, BACKOFF_S[-1], BACKOFF_S[-1]]
    plan.connected()
    plan.lost("again", permanent=False, now=now)
    assert plan.deadline == now + BACKOFF_S[0]


def test_countdown_text_says_what_happened_and_when() -> None:
    plan = ReconnectPlan(schedule=(4.0,))
    plan.connected()
    assert plan.describe(0.0) == ""
    plan.lost("the server closed the connection", permanent=False, now=10.0)
    assert plan.describe(10.0) == "Connection lost: the server closed the connection. Reconnecting in 4 s..."
    assert plan.describe(12.5) == "Connection lost: the server closed the connection. Reconnecting in 2 s..."
    assert plan.seconds_left(14.0) == 0
    plan.attempting()
    assert plan.describe(14.0) == "Connection lost: the server closed the connection. Reconnecting..."


def test_permanent_failures_stop_with_what_to_fix_until_the_user_asks() -> None:
    plan = ReconnectPlan()
    plan.connected()
    reason = "permission denied: wrong password or ticket expired"
    assert plan.lost(reason, permanent=True, now=5.0) is Phase.STOPPED
    assert not plan.due(1e9)
    assert plan.describe(5.0).startswith(reason + ". Check the password")
    plan.retry_now(6.0)  # the user fixed it and pressed Try again
    assert plan.due(6.0)


def test_no_retry_wanted_stops() -> None:
    plan = ReconnectPlan()
    assert plan.lost("connection refused", permanent=False, now=0.0, retry=False) is Phase.STOPPED
    assert not plan.ever_connected and not plan.due(100.0)


def test_which_failures_are_permanent() -> None:
    assert is_permanent(LinkError("denied", LinkErr.PERMISSION_DENIED))
    assert is_permanent(LinkError("the server accepts only SASL authentication"))
    assert is_permanent(TlsVerifyError("TLS: the server certificate could not be verified"))
    assert not is_permanent(LinkError("refused", LinkErr.ERROR))
    assert not is_permanent(LinkError("gone", LinkErr.BAD_CONNECTION_ID))
    assert not is_permanent(TransportError("the server closed the connection"))
    assert not is_permanent(ssl.SSLError("handshake"))
    assert not is_permanent(None)
