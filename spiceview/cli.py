"""The `spiceview` command: open a viewer window, or take a headless screenshot."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from pathlib import Path

from . import __version__
from .session.errors import ConfigError
from .session.params import ConnectionParams, UsbDeviceShare, UsbShare, check_usb_filter
from .session.target import load_target

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# numpy's OpenBLAS starts a worker thread per core that spins for ~0.1 s of CPU once numpy has loaded, beside the
# viewer's own start and the server's on the same cores; spiceview does no linear algebra. It must be set before
# numpy loads (this module is the command's first); a value the user set wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spiceview",
        description="A SPICE remote desktop viewer.",
        epilog="Examples: spiceview spice://host:5900   spiceview console.vv   "
        "spiceview --screenshot out.png spice://127.0.0.1:5930",
    )
    p.add_argument("target", nargs="?", help="a spice:// URI or a virt-viewer .vv file")
    p.add_argument("--version", action="version", version=f"spiceview {__version__}")
    p.add_argument("-t", "--title", help="window title (default: the server's name)")
    p.add_argument("-f", "--full-screen", action="store_true", help="open full screen")
    p.add_argument("-z", "--zoom", type=int, metavar="PERCENT", help="zoom level of the window, 10-400")
    p.add_argument("--hotkeys", metavar="SPEC", help="e.g. toggle-fullscreen=shift+f11,release-cursor=shift+f12")
    p.add_argument("-k", "--kiosk", action="store_true", help="full screen, no menus, no way out but the guest")
    p.add_argument(
        "--kiosk-quit",
        choices=["never", "on-disconnect"],
        help="kiosk: never = reconnect after a lost session (default), on-disconnect = quit",
    )
    p.add_argument("--renderer", choices=["cairo", "gl"], help="software (cairo, the default) or OpenGL")
    p.add_argument("--scaling", choices=["fit", "1:1", "resize-guest"], help="how the guest fits the window")
    p.add_argument("--monitor-mapping", metavar="MAP", help="guest:client monitor pairs for full screen, e.g. 1:2;2:1")
    p.add_argument("--guest-monitors", type=int, metavar="N", help="ask the guest agent for N monitors (1-4)")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    p.add_argument("--debug", action="store_true", help="log every channel's details")
    p.add_argument("-w", "--password", help="password (prefer the URI or a .vv file; this shows in ps)")
    p.add_argument("--spice-ca-file", metavar="FILE", help="CA certificate (PEM) to verify the server's TLS")
    p.add_argument("--spice-host-subject", metavar="SUBJECT", help="expected certificate subject, e.g. 'CN=host'")
    p.add_argument("--spice-secure-channels", metavar="LIST", help="channels that must use TLS (comma list, or all)")
    p.add_argument(
        "--spice-proxy", metavar="URL", help="HTTP proxy, http://[user:pass@]host:port (default: $SPICE_PROXY)"
    )
    p.add_argument(
        "--spice-preferred-compression",
        "--preferred-compression",
        dest="preferred_compression",
        choices=["auto-glz", "auto-lz", "quic", "glz", "lz", "lz4", "off"],
        help="ask the server for an image compression",
    )
    p.add_argument(
        "--spice-preferred-video-codecs",
        metavar="LIST",
        dest="preferred_video_codecs",
        help="video codecs to ask the server for, most wanted first (comma list of mjpeg, vp8, vp9, h264, h265)",
    )
    p.add_argument(
        "--spice-share-disk",
        metavar="FILE",
        action="append",
        default=[],
        help="share a disk image with the VM as a USB drive, read-only (repeatable; needs usb-redir in the VM)",
    )
    p.add_argument(
        "--spice-share-disk-rw",
        metavar="FILE",
        action="append",
        default=[],
        help="the same, and let the VM write to the image",
    )
    p.add_argument(
        "--spice-share-cd",
        metavar="FILE",
        action="append",
        default=[],
        help="share an ISO image with the VM as a USB CD-ROM (repeatable)",
    )
    p.add_argument(
        "--spice-disable-usbredir", action="store_true", help="no USB redirection (neither images nor devices)"
    )
    p.add_argument(
        "--spice-usbredir-auto-redirect-filter",
        metavar="FILTER",
        help="USB devices to redirect when plugged in during the session: rules class,vendor,product,version,allow "
        "joined by | (default 0x03,-1,-1,-1,0|-1,-1,-1,-1,1: everything but keyboards and mice)",
    )
    p.add_argument(
        "--spice-usbredir-redirect-on-connect",
        metavar="FILTER",
        help="USB devices already plugged in to redirect when the session starts (same rules; default none)",
    )
    p.add_argument("--spice-disable-audio", action="store_true", help="no sound either way (playback and microphone)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the connection (default 10)")
    shot = p.add_argument_group("headless screenshot")
    shot.add_argument("--screenshot", metavar="FILE.png", help="connect without a window, save display 0, exit")
    shot.add_argument("--settle-ms", type=int, default=300, help="quiet time that ends a frame (default 300)")
    shot.add_argument("--delay-ms", type=int, default=0, help="stay connected this long before capturing")
    desk = p.add_argument_group("desktop integration")
    desk.add_argument(
        "--install-desktop",
        choices=["user", "system"],
        help="add spiceview to the menu, with its icon, the .vv file type and spice:// links, then exit",
    )
    desk.add_argument("--uninstall-desktop", choices=["user", "system"], help="take those files out again, then exit")
    desk.add_argument(
        "--default-handler", action="store_true", help="with --install-desktop user: open .vv and spice:// in spiceview"
    )
    debug = p.add_argument_group("debugging")
    debug.add_argument("--record-images", metavar="DIR", help="save every compressed image received, with digests")
    debug.add_argument("--stats-json", metavar="FILE", help="write what the session received (per channel) as JSON")
    return p


def setup_logging(verbose: bool, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(levelname)s: %(message)s")


# The remote-viewer release whose .vv keys and behaviour spiceview covers: a file asking for a newer one
# (`version=`) is refused, as remote-viewer refuses a file newer than itself.
REMOTE_VIEWER_COMPAT = "11.0"


def _version_key(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.replace("-", ".").split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def check_version(params: ConnectionParams) -> None:
    if params.version and _version_key(params.version) > _version_key(REMOTE_VIEWER_COMPAT):
        where = f"; see {params.newer_version_url}" if params.newer_version_url else ""
        raise ConfigError(
            f"this connection needs remote-viewer {params.version} or newer; spiceview covers {REMOTE_VIEWER_COMPAT}"
            + where
        )


def apply_options(params: ConnectionParams, args: argparse.Namespace) -> ConnectionParams:
    from dataclasses import replace

    changes: dict[str, object] = {}
    if args.title:
        changes["title"] = args.title
    if args.full_screen:
        changes["fullscreen"] = True
    if args.hotkeys:
        from .session.params import parse_hotkeys_option

        changes["hotkeys"] = parse_hotkeys_option(args.hotkeys)
    if args.kiosk:
        changes["kiosk"] = True
    if args.kiosk_quit:
        changes["kiosk_quit"] = args.kiosk_quit
    if args.zoom is not None:
        if not 10 <= args.zoom <= 400:
            raise ConfigError(f"--zoom {args.zoom}: must be between 10 and 400")
        changes["zoom"] = args.zoom
    if args.password is not None:
        changes["password"] = args.password
    if args.spice_ca_file:
        if not os.path.isfile(args.spice_ca_file):
            raise ConfigError(f"--spice-ca-file {args.spice_ca_file}: no such file")
        changes["ca_file"] = args.spice_ca_file
    if args.spice_host_subject:
        changes["host_subject"] = args.spice_host_subject
    if args.spice_secure_channels:
        changes["secure_channels"] = [
            c.strip() for c in args.spice_secure_channels.replace(";", ",").split(",") if c.strip()
        ]
    if args.spice_proxy:
        changes["proxy"] = args.spice_proxy
    elif params.proxy is None and os.environ.get("SPICE_PROXY", "").strip():
        # As spice-gtk: the environment's proxy when neither the option nor the .vv file names one.
        changes["proxy"] = proxy_from_environment(os.environ["SPICE_PROXY"])
    if args.preferred_compression:
        changes["preferred_compression"] = args.preferred_compression
    if args.preferred_video_codecs:
        changes["preferred_video_codecs"] = [
            c.strip().lower() for c in args.preferred_video_codecs.replace(";", ",").split(",") if c.strip()
        ]
    if args.spice_disable_usbredir:
        changes["enable_usbredir"] = False
    for option, name in (("spice_usbredir_auto_redirect_filter", "usb_filter"),
                         ("spice_usbredir_redirect_on_connect", "usb_redirect_on_connect")):  # fmt: skip
        text = getattr(args, option)
        if text is not None:
            changes[name] = check_usb_filter(text, "--" + option.replace("_", "-"))
    if args.spice_disable_usbredir:
        params = replace(params, enable_usbredir=False)
    shares: list[UsbShare | UsbDeviceShare] = [UsbShare(path) for path in args.spice_share_disk]
    shares += [UsbShare(path, writable=True) for path in args.spice_share_disk_rw]
    shares += [UsbShare(path, cdrom=True) for path in args.spice_share_cd]
    if shares and params.enable_usbredir is False:
        raise ConfigError("this connection turns USB redirection off (enable-usbredir=0), so nothing can be shared")
    if shares:
        from .session.usb_share import check_disk_image

        for share in shares:
            if isinstance(share, UsbShare):
                check_disk_image(share.path, share.writable, cdrom=share.cdrom)
        changes["usb_shares"] = shares
    return replace(params, **changes) if changes else params


def proxy_from_environment(value: str) -> str:
    from .session.params import parse_proxy_url

    try:
        parse_proxy_url(value)
    except ConfigError as exc:
        raise exc.with_context(source="SPICE_PROXY") from None
    return value.strip()


def main(argv: list[str] | None = None) -> int:
    # The imports ahead make tens of thousands of objects and no garbage: the cyclic collector ran ~50 times during
    # a screenshot's (3-4 ms of its 80). Off until what the command runs is loaded (see _modules_loaded()).
    gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _modules_loaded() -> None:
    """The command's modules are in: collect again, and never scan what the imports made (it lives as long as the
    process does; a long session's full collections then walk only its own objects)."""
    gc.freeze()
    gc.enable()


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose, args.debug)
    if args.install_desktop or args.uninstall_desktop:
        from . import desktop

        scope = args.install_desktop or args.uninstall_desktop
        action = ["install" if args.install_desktop else "remove"] + (["--system"] if scope == "system" else [])
        return desktop.main(action + (["--default"] if args.default_handler else []))
    try:
        from .session.monitor_mapping import parse_mapping

        parse_mapping(args.monitor_mapping)  # a bad one is refused now, with or without a target
        if args.target is None:
            if args.screenshot:
                raise ConfigError("--screenshot needs a spice:// URI or a .vv file")
            params, vv = None, None
        else:
            params, vv = load_target(args.target)
            check_version(params)
            params = apply_options(params, args)
            params.require_endpoint()
            for warning in params.warnings:  # once each, before connecting
                print(f"spiceview: warning: {warning}", file=sys.stderr)
    except ConfigError as exc:
        print(f"spiceview: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if vv is not None and getattr(vv, "delete_after_reading", False):
        # remote-viewer deletes such files once read: they hold a one-time password.
        vv.delete_file()
    if args.screenshot:
        return run_screenshot(params, args)
    from .ui.app import run_viewer

    _modules_loaded()
    return run_viewer(params, args)


def run_screenshot(params: ConnectionParams, args: argparse.Namespace) -> int:
    from .channels.from_params import client_from_params
    from .headless.screenshot import take_screenshot

    _modules_loaded()

    # No pointer and no guest agent in a screenshot (as spicy-screenshot): less to load and to link.
    client = client_from_params(params, connect_timeout=args.timeout, with_agent=False)
    client.want_cursor_channel = False
    if args.record_images:
        from .canvas.recorder import ImageRecorder

        client.image_recorder = ImageRecorder(args.record_images)
    result = take_screenshot(client, args.screenshot, args.settle_ms, args.delay_ms, timeout_s=args.timeout + 20)
    if args.stats_json:
        import json

        Path(args.stats_json).write_text(json.dumps(client.stats(), indent=1))
    if not result.ok:
        print(f"spiceview: {result.message}", file=sys.stderr)
        return finish_now(EXIT_FAILED)
    if args.verbose:
        print(f"spiceview: {result.message} in {result.seconds:.3f} s", file=sys.stderr)
    return finish_now(EXIT_OK)


def finish_now(code: int) -> int:
    """Exit without the interpreter's teardown, which costs a CLI run about 0.3 s with Qt loaded.

    Everything worth keeping (the PNG) is written and closed by now.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
