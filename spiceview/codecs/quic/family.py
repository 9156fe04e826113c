"""The two Golomb code families QUIC uses: 8 bits per component and 5 bits (RGB16).

A family has one code per parameter `l` (0 <= l < bpc). Small values get a Golomb-Rice codeword
(`value >> l` zeros, a one, then the low `l` bits); values from `rice_count[l]` up get a fixed-length
escape codeword (a run of zeros too long for Rice, then a binary suffix), which caps every codeword
at CODEWORD_LIMIT bits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .constants import CODEWORD_LIMIT


def _ceil_log2(n: int) -> int:
    return 0 if n <= 1 else (n - 1).bit_length()


@dataclass(frozen=True, slots=True)
class Family:
    bpc: int
    rice_count: tuple[int, ...]  # values below this get a Rice codeword, per code
    escape_len: tuple[int, ...]  # length of an escape codeword, per code
    escape_suffix_len: tuple[int, ...]  # bits after the escape's zero prefix, per code
    escape_zeros: tuple[int, ...]  # zero prefix of an escape codeword, per code
    code_len: tuple[tuple[int, ...], ...]  # [value][code] -> codeword length
    bucket_of: tuple[int, ...]  # context value -> model bucket

    @property
    def levels(self) -> int:
        return 1 << self.bpc

    @property
    def buckets(self) -> int:
        return max(self.bucket_of) + 1

    def codeword(self, value: int, code: int) -> tuple[int, int]:
        """(bits, length) of `value` under code `code` (used by the test encoder)."""
        if value < self.rice_count[code]:
            return (1 << code) | (value & ((1 << code) - 1)), (value >> code) + code + 1
        return value - self.rice_count[code], self.escape_len[code]


@cache
def family(bpc: int) -> Family:
    if bpc not in (5, 8):
        raise ValueError(bpc)
    levels = 1 << bpc
    rice_count, escape_len, suffix_len, zeros = [], [], [], []
    for code in range(bpc):
        # The escape prefix must fit in the length limit and cannot exceed what Rice could reach.
        prefix = min(CODEWORD_LIMIT - bpc, (1 << (bpc - code)) - 1)
        rice = prefix << code
        suffix = _ceil_log2(levels - rice)
        rice_count.append(rice)
        zeros.append(prefix)
        suffix_len.append(suffix)
        escape_len.append(prefix + suffix)
    code_len = tuple(
        tuple((v >> c) + c + 1 if v < rice_count[c] else escape_len[c] for c in range(bpc)) for v in range(levels)
    )
    # Model buckets (evolution 3) grow 1, 2, 4, 8 ... contexts wide, the last one taking the rest:
    # bucket = floor(log2(v + 1)), capped.
    bucket_of = tuple(min((v + 1).bit_length() - 1, bpc - 1) for v in range(levels))
    return Family(
        bpc=bpc,
        rice_count=tuple(rice_count),
        escape_len=tuple(escape_len),
        escape_suffix_len=tuple(suffix_len),
        escape_zeros=tuple(zeros),
        code_len=code_len,
        bucket_of=bucket_of,
    )
