"""usbredir's device filter rules: `class,vendor,product,version,allow` rules joined by '|' (the form oVirt's USB filter
editor writes, a .vv file's usb-filter and a VM's usb-redir filter= carry), and whether a device may be redirected.

Numbers are C-style (0x hex, leading-0 octal, decimal), -1 matches anything. A device is checked in passes: its
own class (skipped for classes 0x00 and 0xef, whose interfaces say what they are), then each interface's class
(a non-boot HID interface of a multi-interface device is skipped, as usbredir does: volume buttons on a headset);
the first rule matching in a pass decides it; a pass no rule matches refuses the device unless `default_allow`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

MAX_RULES = 1024  # a filter is a handful of rules; a peer's megabyte of them is refused
MAX_FILTER_TEXT = 64 * 1024


class FilterError(ValueError):
    """A filter string that cannot be read; the message names the rule."""


class Verdict(Enum):
    ALLOWED = "allowed"
    DENIED = "denied by a rule"
    NO_MATCH = "matched by no rule"


@dataclass(frozen=True)
class Rule:
    device_class: int = -1  # 0-255, -1: any
    vendor_id: int = -1  # 0-65535, -1: any
    product_id: int = -1
    device_version_bcd: int = -1
    allow: bool = True

    def matches(self, device_class: int, vendor_id: int, product_id: int, version_bcd: int) -> bool:
        return all(
            want in (-1, have)
            for want, have in (
                (self.device_class, device_class),
                (self.vendor_id, vendor_id),
                (self.product_id, product_id),
                (self.device_version_bcd, version_bcd),
            )
        )

    def text(self) -> str:
        def number(value: int, digits: int) -> str:
            return "-1" if value == -1 else f"0x{value:0{digits}x}"

        parts = (number(self.device_class, 2), number(self.vendor_id, 4), number(self.product_id, 4),
                 number(self.device_version_bcd, 4), "1" if self.allow else "0")  # fmt: skip
        return ",".join(parts)


# The fields of a rule and their ranges; numbers as C's strtol(text, NULL, 0) reads them (0x hex, leading-0 octal).
FIELDS = (("class", -1, 255), ("vendor", -1, 0xFFFF), ("product", -1, 0xFFFF), ("version", -1, 0xFFFF), ("allow", 0, 1))
_C_INT = re.compile(r"[+-]?(0[xX][0-9a-fA-F]{1,8}|0[0-7]{0,11}|[1-9][0-9]{0,9})")


def c_int(text: str) -> int | None:
    """An integer as strtol(text, NULL, 0) reads it, or None."""
    if not _C_INT.fullmatch(text):
        return None
    digits = text.lstrip("+-")
    base = 16 if digits[:2].lower() == "0x" else 8 if digits.startswith("0") and len(digits) > 1 else 10
    return int(text, base)


def parse(text: str, token_sep: str = ",", rule_sep: str = "|") -> list[Rule]:
    """The rules of a filter string (empty rules between separators are skipped, as strtok does); FilterError
    names the first rule that cannot be read and why."""
    if len(text) > MAX_FILTER_TEXT:
        raise FilterError(f"of {len(text)} characters (at most {MAX_FILTER_TEXT})")
    rules = []
    raws = [r for r in re.split("[" + re.escape(rule_sep) + "]", text.rstrip("\0")) if r.strip()]
    for number, raw in enumerate(raws, 1):
        parts = [p.strip() for p in re.split("[" + re.escape(token_sep) + "]", raw)]
        if len(parts) != len(FIELDS):
            raise FilterError(f"rule {number} ({raw!r}) has {len(parts)} fields")
        values = []
        for part, (name, low, high) in zip(parts, FIELDS, strict=True):
            value = c_int(part)
            if value is None or not low <= value <= high:
                raise FilterError(f"rule {number}: {name} {part!r} is not a number from {low} to {high}")
            values.append(value)
        rules.append(Rule(values[0], values[1], values[2], values[3], bool(values[4])))
        if len(rules) > MAX_RULES:
            raise FilterError(f"has more than {MAX_RULES} rules")
    return rules


def to_text(rules: list[Rule]) -> str:
    return "|".join(rule.text() for rule in rules)


def check(
    rules: list[Rule],
    *,
    device_class: int,
    vendor_id: int,
    product_id: int,
    version_bcd: int,
    interfaces: list[tuple[int, int, int]],
    default_allow: bool = False,
) -> Verdict:
    """Whether rules let this device be redirected. interfaces: (class, subclass, protocol) of each."""

    def one_pass(cls: int) -> Verdict:
        for rule in rules:
            if rule.matches(cls, vendor_id, product_id, version_bcd):
                return Verdict.ALLOWED if rule.allow else Verdict.DENIED
        return Verdict.ALLOWED if default_allow else Verdict.NO_MATCH

    if device_class not in (0x00, 0xEF):
        verdict = one_pass(device_class)
        if verdict is not Verdict.ALLOWED:
            return verdict
    for cls, subclass, protocol in interfaces:
        if len(interfaces) > 1 and (cls, subclass, protocol) == (0x03, 0, 0):
            continue
        verdict = one_pass(cls)
        if verdict is not Verdict.ALLOWED:
            return verdict
    return Verdict.ALLOWED


def vm_verdict(
    data: bytes,
    *,
    device_class: int,
    vendor_id: int,
    product_id: int,
    version_bcd: int,
    interfaces: list[tuple[int, int, int]],
) -> tuple[bool, str | None]:
    """Whether the VM's own rules (a FILTER_FILTER packet's text: QEMU's usb-redir filter=) let this device in,
    and what to tell the user: why they refuse it, or that they cannot be read (the device is then kept)."""
    try:
        rules = parse(data.decode("ascii", "replace"))
    except FilterError as exc:
        return True, f"the VM sent a USB filter that cannot be read ({exc})"
    verdict = check(rules, device_class=device_class, vendor_id=vendor_id, product_id=product_id,
                    version_bcd=version_bcd, interfaces=interfaces)  # fmt: skip
    if verdict is Verdict.ALLOWED:
        return True, None
    return False, f"the VM's USB filter refuses this device ({verdict.value})"
