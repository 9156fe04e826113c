"""Random *valid* values for any layout declared with `spiceview.protocol.schema`.

The generator reads the layout itself: count fields get the length of the array or byte string they size, fields
that a size function reads (bitmap stride and height, glyph width and height) stay small, switch keys are chosen
in turn so that every case of every switch is reached, and pointers are sometimes null when they may be.

    gen = ValueGen(random.Random(1))
    msg = gen.message(MSG_DRAW_COPY)      # an instance of the message's generated dataclass

`gen.coverage` records which switch cases were generated, so a test can check that all of them were.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from spiceview.protocol.schema import REST, Array, Bytes, MessageDef, Pointer, Prim, Struct, Switch, Type, field_names

# A switch case: (struct name, index of the switch among the struct's fields, index of the case or None for none).
CaseKey = tuple[str, int, int | None]


class _SizeProbe(dict):
    """A context that records which fields a size function reads; every field reads as 1."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> int:
        self.read.add(key)
        return 1

    def get(self, key: str, default: Any = None) -> int:  # type: ignore[override]
        self.read.add(key)
        return 1


def prim_range(prim: Prim) -> tuple[int, int]:
    bits = struct.calcsize(prim.code) * 8
    if prim.code.islower():
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


@dataclass
class _StructInfo:
    """What the generator must know about one struct's fields before filling it."""

    counts: dict[str, int] = field(default_factory=dict)  # count field -> smallest allowed value
    byte_counts: set[str] = field(default_factory=set)  # count fields that size bytes rather than elements
    size_inputs: set[str] = field(default_factory=set)  # fields read by size functions
    keys: dict[str, list[tuple[int, Switch]]] = field(default_factory=dict)  # switch key -> (index, switch)


def _sized_by(typ: Type) -> Iterator[tuple[Type, bool]]:
    """The Bytes/Array types whose size is resolved in the enclosing struct's context, and whether behind a pointer."""
    if isinstance(typ, Pointer):
        target = typ.target
        if isinstance(target, Bytes | Array):
            yield target, True
    elif isinstance(typ, Bytes | Array):
        yield typ, False


def _analyse(s: Struct) -> _StructInfo:
    info = _StructInfo()
    members: list[Type] = []
    for index, f in enumerate(s.fields):
        if isinstance(f, Switch):
            info.keys.setdefault(f.on, []).append((index, f))
            members.extend(typ for _, _, typ in f.cases)
        else:
            members.append(f[1])
    for typ in members:
        for sized, behind_pointer in _sized_by(typ):
            size = sized.size if isinstance(sized, Bytes) else sized.count
            if isinstance(size, str) and size != REST:
                # A pointer target may not be empty: an offset equal to the message length is refused by spiceview,
                # as by spice-common's demarshaller, so a zero-length target at the very end could not be parsed.
                info.counts[size] = max(info.counts.get(size, 0), 1 if behind_pointer else 0)
                if isinstance(sized, Bytes):
                    info.byte_counts.add(size)
            elif callable(size):
                probe = _SizeProbe()
                size(probe)
                info.size_inputs |= probe.read
    return info


def _first_case(sw: Switch, key: int) -> int | None:
    for index, (match, _, _) in enumerate(sw.cases):
        if match(key):
            return index
    return None


class ValueGen:
    """Generates random valid values; deterministic for a given `random.Random`."""

    def __init__(
        self, rng: random.Random, *, max_items: int = 3, max_bytes: int = 24, max_dim: int = 5, null_ratio: float = 0.2
    ) -> None:
        self.rng = rng
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.max_dim = max_dim
        self.null_ratio = null_ratio
        self.coverage: set[CaseKey] = set()
        self._info: dict[int, _StructInfo] = {}
        self._turns: dict[tuple[int, str], int] = {}

    # --- public -------------------------------------------------------------------------------------------------

    def message(self, defn: MessageDef) -> Any:
        return self.struct(defn.layout)

    def struct(self, s: Struct) -> Any:
        info = self._info.get(id(s))
        if info is None:
            info = self._info[id(s)] = _analyse(s)
        values: dict[str, Any] = {}
        for index, f in enumerate(s.fields):
            if isinstance(f, Switch):
                key = values[f.on]
                case = _first_case(f, key)
                self.coverage.add((s.name, index, case))
                if case is not None:
                    _, name, typ = f.cases[case]
                    values[name] = self._field(s, info, name, typ, values)
            else:
                values[f[0]] = self._field(s, info, f[0], f[1], values)
        return s.cls(**values)

    def value(self, typ: Type, ctx: dict[str, Any]) -> Any:
        if isinstance(typ, Prim):
            return self.prim(typ)
        if isinstance(typ, Struct):
            return self.struct(typ)
        if isinstance(typ, Pointer):
            if typ.nullable and self.rng.random() < self.null_ratio:
                return None
            return self.value(typ.target, ctx)
        if isinstance(typ, Bytes):
            return self.rng.randbytes(self._size(typ.size, ctx, self.max_bytes))
        if isinstance(typ, Array):
            n = self._size(typ.count, ctx, self.max_items)
            return [self.value(typ.elem, ctx) for _ in range(n)]
        raise TypeError(f"no generator for {typ!r}")

    def prim(self, prim: Prim) -> int:
        lo, hi = prim_range(prim)
        roll = self.rng.random()
        if roll < 0.1:
            return self.rng.choice((lo, hi, 0))
        if roll < 0.3:
            return self.rng.randint(max(lo, -4), min(hi, 4))
        return self.rng.randint(lo, hi)

    def all_cases(self, *structs: Struct) -> set[CaseKey]:
        """Every switch case (and 'no case', where reachable by some key) of the structs and those they contain."""
        found: set[CaseKey] = set()
        seen: set[int] = set()

        def visit(typ: Type) -> None:
            if isinstance(typ, Pointer):
                visit(typ.target)
            elif isinstance(typ, Array):
                visit(typ.elem)
            elif isinstance(typ, Struct) and id(typ) not in seen:
                seen.add(id(typ))
                for index, f in enumerate(typ.fields):
                    if isinstance(f, Switch):
                        for case, (_, _, member) in enumerate(f.cases):
                            found.add((typ.name, index, case))
                            visit(member)
                        key_prim = dict(p for p in typ.fields if not isinstance(p, Switch))[f.on]
                        if self._find_key(f, None, key_prim, tries=512) is not None:
                            found.add((typ.name, index, None))
                    else:
                        visit(f[1])

        for s in structs:
            visit(s)
        return found

    # --- internals ----------------------------------------------------------------------------------------------

    def _size(self, size: Any, ctx: dict[str, Any], limit: int) -> int:
        if isinstance(size, int):
            return size
        if size == REST:
            return self.rng.randint(0, limit)
        if isinstance(size, str):
            return ctx[size]
        return size(ctx)

    def _field(self, s: Struct, info: _StructInfo, name: str, typ: Type, ctx: dict[str, Any]) -> Any:
        if isinstance(typ, Prim):
            if name in info.keys:
                return self._key(s, name, typ, info.keys[name])
            if name in info.counts:
                lo, hi = prim_range(typ)
                limit = self.max_bytes if name in info.byte_counts else self.max_items
                return self.rng.randint(max(lo, info.counts[name]), min(hi, limit))
            if name in info.size_inputs:
                return self.rng.randint(0, self.max_dim)
        return self.value(typ, ctx)

    def _key(self, s: Struct, name: str, prim: Prim, switches: list[tuple[int, Switch]]) -> int:
        """A key reaching, in turn, each case of each switch on it, then none of them."""
        targets: list[tuple[Switch, int | None]] = [(sw, case) for _, sw in switches for case in range(len(sw.cases))]
        targets += [(sw, None) for _, sw in switches]
        turn = self._turns.get((id(s), name), 0)
        self._turns[(id(s), name)] = turn + 1
        for step in range(len(targets)):
            sw, case = targets[(turn + step) % len(targets)]
            key = self._find_key(sw, case, prim)
            if key is not None:
                return key
        return self.prim(prim)

    def _find_key(self, sw: Switch, case: int | None, prim: Prim, tries: int = 64) -> int | None:
        lo, hi = prim_range(prim)
        candidates: list[int] = []
        if case is not None:
            match = sw.cases[case][0]
            values = getattr(match, "values", None)
            flag = getattr(match, "flag", None)
            if values is not None:
                candidates += sorted(values)
            if flag is not None:
                noise = self.rng.randint(lo, hi)
                candidates += [(noise | flag) & hi, noise & ~flag & hi]
        candidates += [0] + [self.rng.randint(lo, hi) for _ in range(tries)]
        for key in candidates:
            if lo <= key <= hi and _first_case(sw, key) == case:
                return key
        return None


def without_counts(value: Any) -> Any:
    """A copy made with every count field left out (the class or build_body measures it), recursively."""
    s: Struct | None = getattr(type(value), "__spice_struct__", None)
    if s is None:
        if isinstance(value, list):
            return [without_counts(v) for v in value]
        return value
    changes: dict[str, Any] = {}
    for name in field_names(type(value)):
        changes[name] = without_counts(getattr(value, name))
    for count_name, (target, _) in s.count_fields.items():
        if changes.get(target) is not None:
            changes[count_name] = None
    return type(value)(**changes)


def all_messages() -> list[tuple[str, str, MessageDef]]:
    """Every declared message once: (channel name, 'server' or 'client', definition); base messages as 'base'."""
    from spiceview.protocol.constants import ChannelType
    from spiceview.protocol.messages.base import BASE
    from spiceview.protocol.messages.registry import SCHEMAS

    found: dict[int, tuple[str, str, MessageDef]] = {}
    channels = [("base", BASE), *((ChannelType(t).name.lower(), s) for t, s in SCHEMAS.items())]
    for channel, schema in channels:
        for direction, table in (("server", schema.server), ("client", schema.client)):
            for defn in table.values():
                found.setdefault(id(defn), (channel, direction, defn))
    return list(found.values())


def is_flat(s: Struct) -> bool:
    """No switches, pointers, arrays or variable sizes: one random value shows all there is."""
    return all(not isinstance(f, Switch) and isinstance(f[1], Prim | Bytes) for f in s.fields) and all(
        isinstance(f[1], Prim) or isinstance(f[1].size, int) for f in s.fields if not isinstance(f, Switch)
    )
