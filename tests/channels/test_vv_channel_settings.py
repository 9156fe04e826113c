"""A .vv file's disable-channels and tls-ciphers are honoured (they were parsed and ignored)."""

from __future__ import annotations

import ssl

import pytest

from spiceview.channels.from_params import client_from_params, endpoint_for
from spiceview.protocol.constants import ChannelType
from spiceview.session.vvfile import parse_vv
from spiceview.transport.errors import TransportError
from spiceview.transport.tls import make_context

VV = """[virt-viewer]
type=spice
host=127.0.0.1
port=5900
tls-port=5901
disable-channels=playback;cursor
tls-ciphers={ciphers}
"""


def test_disabled_channels_are_never_attached() -> None:
    session = client_from_params(parse_vv(VV.format(ciphers="HIGH")).to_params())
    session.audio_sink_factory = object  # a sound device would be there
    started = []
    session._make_channel = lambda ctype, cid: started.append(ctype)  # type: ignore[method-assign,assignment,return-value]
    session.attach_channels([(ChannelType.PLAYBACK, 0), (ChannelType.CURSOR, 0), (ChannelType.INPUTS, 0)])
    assert started == [ChannelType.INPUTS]


def test_tls_ciphers_reach_the_tls_context() -> None:
    params = parse_vv(VV.format(ciphers="ECDHE-RSA-AES256-GCM-SHA384")).to_params()
    config = endpoint_for(params, ChannelType.MAIN, True).tls
    assert config is not None and config.ciphers == "ECDHE-RSA-AES256-GCM-SHA384"
    ctx = make_context(config)
    tls12 = [c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert tls12 == ["ECDHE-RSA-AES256-GCM-SHA384"]
    assert isinstance(ctx, ssl.SSLContext)


def test_tls_ciphers_nobody_knows_are_one_clear_error() -> None:
    params = parse_vv(VV.format(ciphers="NO-SUCH-CIPHER")).to_params()
    config = endpoint_for(params, ChannelType.MAIN, True).tls
    assert config is not None
    with pytest.raises(TransportError, match="^TLS: no cipher that this system knows in tls-ciphers 'NO-SUCH-CIPHER'$"):
        make_context(config)
