"""`spiceview-do TARGET VERB [ARGS] [VERB ...]`: drive a VM over SPICE from a shell, vncdo-style (docs/scripting.md).

Exit status: 0 when every verb succeeded; 1 when one failed (the message names it, and nothing after it ran);
2 when the command line or a script cannot run as written (found before connecting).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .console import Console, ScriptError, connect
from .verbs import SPECS, Step, UsageError, VerbSpec, parse

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    def usage(spec: VerbSpec) -> str:
        return " ".join([spec.name, *(n for n, _ in spec.required), *(f"[{n}]" for n, _ in spec.optional)])

    verbs = "\n".join(f"  {usage(spec):<32} {spec.help}" for spec in SPECS)
    p = argparse.ArgumentParser(
        prog="spiceview-do",
        description="Drive a virtual machine over SPICE: type, click, wait for pictures, capture the screen.",
        epilog=f"verbs:\n{verbs}\n\nA word naming a file is read as more verbs; '-' reads them from stdin.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", help="spice://host:port URI or a .vv file")
    p.add_argument("verbs", nargs=argparse.REMAINDER, help="verbs and their arguments")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="bound on every wait (default 30)")
    p.add_argument("--password", help="the ticket, if the URI or .vv file has none")
    p.add_argument("--display", type=int, default=0, metavar="N", help="the display channel to look at (default 0)")
    p.add_argument("--key-gap", type=float, default=None, metavar="SECONDS", help="pause between typed characters")
    p.add_argument("-v", "--verbose", action="store_true", help="say each verb as it runs")
    return p


def run_step(console: Console, step: Step, out: list[str]) -> None:
    """Do one verb (ScriptError when it cannot be done)."""
    verb, a = step.verb, step.args
    if verb == "key":
        console.key(str(a[0]))
    elif verb == "keydown":
        console.press(str(a[0]))
    elif verb == "keyup":
        console.release(str(a[0]))
    elif verb == "type":
        console.type(str(a[0]))
    elif verb == "typefile":
        console.type(_read_text(str(a[0])))
    elif verb == "move":
        console.move(_int(a[0]), _int(a[1]))
    elif verb == "click":
        console.click(button=_int(a[0]) if a else 1)
    elif verb == "doubleclick":
        console.double_click(button=_int(a[0]) if a else 1)
    elif verb == "mousedown":
        console.mouse_down(_int(a[0]))
    elif verb == "mouseup":
        console.mouse_up(_int(a[0]))
    elif verb == "drag":
        console.drag(_int(a[0]), _int(a[1]))
    elif verb == "scroll":
        console.scroll(_int(a[0]))
    elif verb == "capture":
        console.screenshot(str(a[0]))
    elif verb == "rcapture":
        console.screenshot(str(a[0]), region=_region(a[1:5]))
    elif verb == "expect":
        console.wait_for_image(str(a[0]), threshold=_float(a[1]) if len(a) > 1 else 0)
    elif verb == "find":
        console.move_to_image(str(a[0]), threshold=_float(a[1]) if len(a) > 1 else 0)
    elif verb == "rexpect":
        threshold = _float(a[3]) if len(a) > 3 else 0
        console.wait_for_image_at(str(a[0]), _int(a[1]), _int(a[2]), threshold=threshold)
    elif verb == "stable":
        console.wait_until_stable(_float(a[0]))
    elif verb == "rstable":
        console.wait_until_stable(_float(a[0]), _region(a[1:5]))
    elif verb == "pause":
        console.pause(_float(a[0]))
    elif verb == "clipboard-set":
        console.set_clipboard(str(a[0]))
    elif verb == "pastefile":
        console.set_clipboard(_read_text(str(a[0])))
    elif verb == "clipboard-get":
        text = console.get_clipboard()
        if a:
            _write(str(a[0]), text)
        else:
            out.append(text)
    elif verb == "send-file":
        console.send_file(str(a[0]))
    elif verb == "stats":
        _write(str(a[0]), json.dumps(console.statistics(), indent=2) + "\n")
    else:  # parse() knows no other verbs
        raise ScriptError(f"verb {verb} has no action")


def _int(value: object) -> int:
    assert isinstance(value, int)  # parse() converted it
    return value


def _float(value: object) -> float:
    assert isinstance(value, int | float)
    return float(value)


def _region(values: tuple[object, ...]) -> tuple[int, int, int, int]:
    x, y, w, h = (_int(v) for v in values)
    return x, y, w, h


def _read_text(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text().replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"cannot read {path}: {exc}") from None


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text)
    except OSError as exc:
        raise ScriptError(f"cannot write {path}: {exc.strerror or exc}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="spiceview-do: %(message)s")
    try:
        steps = parse(args.verbs)
    except UsageError as exc:
        print(f"spiceview-do: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.timeout <= 0:
        print("spiceview-do: --timeout must be more than 0 seconds", file=sys.stderr)
        return EXIT_USAGE
    out: list[str] = []
    try:
        console = connect(args.target, password=args.password, timeout=args.timeout, display=args.display)
    except ScriptError as exc:
        print(f"spiceview-do: cannot connect to {args.target}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    with console:
        if args.key_gap is not None:
            console.key_gap = max(0.0, args.key_gap)
        for number, step in enumerate(steps, 1):
            if args.verbose:
                print(f"spiceview-do: {number}: {step}", file=sys.stderr)
            try:
                run_step(console, step, out)
            except ScriptError as exc:
                print(f"spiceview-do: verb {number} `{step}` failed: {exc}", file=sys.stderr)
                return EXIT_FAILED
            for text in out:
                print(text)
            out.clear()
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
