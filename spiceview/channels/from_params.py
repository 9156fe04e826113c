"""Building a SpiceSession from ConnectionParams: which endpoint, plain or TLS, each channel uses."""

from __future__ import annotations

from typing import Any

from ..protocol.agent.display_settings import DisplaySettings
from ..protocol.constants import CHANNEL_NAMES, ImageCompression, VideoCodecType
from ..session.params import ConnectionParams
from ..transport.connect import Endpoint
from ..transport.tls_config import TlsConfig
from .spice_session import SpiceSession

COMPRESSION_BY_NAME = {
    "off": ImageCompression.OFF,
    "auto-glz": ImageCompression.AUTO_GLZ,
    "auto-lz": ImageCompression.AUTO_LZ,
    "quic": ImageCompression.QUIC,
    "glz": ImageCompression.GLZ,
    "lz": ImageCompression.LZ,
    "lz4": ImageCompression.LZ4,
}
VIDEO_CODEC_BY_NAME = {
    "mjpeg": VideoCodecType.MJPEG,
    "vp8": VideoCodecType.VP8,
    "vp9": VideoCodecType.VP9,
    "h264": VideoCodecType.H264,
    "h265": VideoCodecType.H265,
}


def channel_wants_tls(params: ConnectionParams, channel_type: int) -> bool:
    """TLS when the channel is listed in secure-channels (or "all"), or when there is no plain port."""
    if params.unix_path:
        return False
    name = CHANNEL_NAMES.get(channel_type)
    return params.port is None if name is None else params.uses_tls(name)


def endpoint_for(params: ConnectionParams, channel_type: int, tls: bool) -> Endpoint:
    if params.unix_path:
        return Endpoint(unix_path=params.unix_path)
    host = params.host or "localhost"
    if tls:
        if not params.tls_port:
            raise ValueError("this channel needs TLS but no TLS port is known")
        config = TlsConfig(
            ca_file=params.ca_file, ca_pem=params.ca_pem, host_subject=params.host_subject, ciphers=params.tls_ciphers
        )
        return Endpoint(host, params.tls_port, config, params.proxy)
    return Endpoint(host, params.port or 0, None, params.proxy)


def display_settings(params: ConnectionParams) -> DisplaySettings | None:
    """The .vv `disable-effects` and `color-depth` keys as the agent's DISPLAY_CONFIG."""
    effects = set(params.disable_effects)
    if not effects and not params.color_depth:
        return None
    every = "all" in effects
    return DisplaySettings(
        disable_wallpaper=every or "wallpaper" in effects,
        disable_font_smooth=every or "font-smooth" in effects,
        disable_animation=every or "animation" in effects,
        color_depth=params.color_depth,
    )


def client_from_params(params: ConnectionParams, **kwargs: Any) -> SpiceSession:
    pref = COMPRESSION_BY_NAME.get(params.preferred_compression or "")
    kwargs.setdefault("display_settings", display_settings(params))
    disabled = {number for number, name in CHANNEL_NAMES.items() if name in params.disable_channels}
    kwargs.setdefault("disabled_channels", frozenset(disabled))
    return SpiceSession(
        lambda ctype, tls: endpoint_for(params, ctype, tls),
        params.password or "",
        username=params.username or "",
        can_use_tls=bool(params.tls_port),
        can_use_plain=bool(params.port) or bool(params.unix_path),
        secure_channels=lambda ctype: channel_wants_tls(params, ctype),
        preferred_compression=kwargs.pop("preferred_compression", pref),
        preferred_video_codecs=tuple(VIDEO_CODEC_BY_NAME[name] for name in params.preferred_video_codecs),
        usb_shares=tuple(params.usb_shares),
        usbredir_enabled=params.enable_usbredir is not False,
        usb_autoshare=params.enable_usb_autoshare is not False,
        usb_auto_filter=params.usb_filter,
        usb_redirect_on_connect=params.usb_redirect_on_connect,
        **kwargs,
    )
