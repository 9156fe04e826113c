"""Capability sets as SPICE sends them: arrays of 32-bit words, bit n of the set in word n // 32."""

from collections.abc import Iterable


def caps_to_words(caps: Iterable[int]) -> list[int]:
    caps = list(caps)
    if not caps:
        return []
    words = [0] * (max(caps) // 32 + 1)
    for cap in caps:
        words[cap // 32] |= 1 << (cap % 32)
    return words


def words_to_caps(words: Iterable[int]) -> frozenset[int]:
    found = set()
    for index, word in enumerate(words):
        for bit in range(32):
            if word >> bit & 1:
                found.add(index * 32 + bit)
    return frozenset(found)
