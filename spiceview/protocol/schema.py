"""A small declarative language for SPICE message layouts.

Layouts are declared once, as data (see `messages/`), and this module parses and builds them. It mirrors the
wire semantics of spice-common's spice.proto: little-endian primitives, arrays sized by an earlier field,
32-bit pointers that are offsets from the start of the message body, and switches on an earlier field.

Switch members are flattened into the enclosing struct (every case becomes an optional attribute), which keeps
the classes flat and easy to use. The classes themselves are generated from these layouts as source
(messages/classes.py, by tools/generate_messages.py) so that their fields have real types.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from .errors import ProtocolError
from .wire import Reader, Writer

Context = dict[str, Any]
# Largest element count any array may claim; real messages stay far below this.
MAX_ARRAY_COUNT = 1 << 24


_U32 = struct.Struct("<I")


class WireStruct:
    """Base of the generated message and structure classes: equality and repr over the fields."""

    __slots__: ClassVar[tuple[str, ...]] = ()
    __spice_struct__: ClassVar[Struct]
    __spice_message__: ClassVar[MessageDef | None]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass with eq

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"


def field_names(cls: type) -> tuple[str, ...]:
    """The fields of a generated class or of a dataclass made for an undeclared layout."""
    if issubclass(cls, WireStruct):
        return cls.__slots__
    return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]


class Type:
    """A wire type: knows its minimum encoded size, how to parse and how to build itself."""

    min_size = 0

    def parse(self, r: Reader, ctx: Context) -> Any:
        raise NotImplementedError

    def build(self, w: Writer, value: Any, ctx: Context | None = None) -> None:
        raise NotImplementedError

    def default(self) -> Any:
        return None


class Prim(Type):
    """A fixed-size little-endian integer."""

    def __init__(self, code: str, name: str) -> None:
        self.code = code
        self.st = struct.Struct("<" + code)
        self.min_size = self.st.size
        self.name = name

    def parse(self, r: Reader, ctx: Context) -> int:
        return r.unpack(self.st, self.name)[0]

    def build(self, w: Writer, value: Any, ctx: Context | None = None) -> None:
        try:
            w.pack(self.st, value)
        except struct.error as exc:
            raise ProtocolError(f"{self.name}: cannot encode {value!r}: {exc}") from None

    def default(self) -> int:
        return 0

    def __repr__(self) -> str:
        return self.name


U8, U16, U32, U64 = Prim("B", "uint8"), Prim("H", "uint16"), Prim("I", "uint32"), Prim("Q", "uint64")
I8, I16, I32, I64 = Prim("b", "int8"), Prim("h", "int16"), Prim("i", "int32"), Prim("q", "int64")

REST = "<rest>"  # a size meaning "up to the end of the message"
Size = int | str | Callable[[Context], int]


def _resolve_size(size: Size, ctx: Context, r: Reader | None, what: str) -> int:
    if isinstance(size, int):
        return size
    if size == REST:
        assert r is not None
        return r.remaining()
    if isinstance(size, str):
        value = ctx.get(size)
        if not isinstance(value, int):
            raise ProtocolError(f"{what}: size field {size!r} missing")
        return value
    return size(ctx)


class Bytes(Type):
    """Raw bytes: a fixed size, the value of an earlier field, a function of earlier fields, or the rest."""

    def __init__(self, size: Size = REST, *, view: bool = False) -> None:
        self.size = size
        self.view = view  # hand out a zero-copy memoryview (pixel data) instead of bytes
        self.min_size = size if isinstance(size, int) else 0

    def parse(self, r: Reader, ctx: Context) -> bytes | memoryview:
        n = _resolve_size(self.size, ctx, r, "bytes")
        return r.take_view(n, "bytes") if self.view else r.take(n, "bytes")

    def build(self, w: Writer, value: Any, ctx: Context | None = None) -> None:
        if isinstance(self.size, int) and len(value) != self.size:
            raise ProtocolError(f"bytes: expected {self.size} bytes, got {len(value)}")
        w.write(value)

    def default(self) -> bytes:
        return b"\0" * self.size if isinstance(self.size, int) else b""


class Array(Type):
    """A sequence of elements whose count is a constant, an earlier field, or 'until the end'."""

    def __init__(self, elem: Type, count: Size = REST) -> None:
        self.elem = elem
        self.count = count
        self.min_size = elem.min_size * count if isinstance(count, int) else 0

    def parse(self, r: Reader, ctx: Context) -> list[Any]:
        if self.count == REST:
            if self.elem.min_size <= 0:
                raise ProtocolError("array: open-ended array of variable-size elements")
            n = r.remaining() // self.elem.min_size
        else:
            n = _resolve_size(self.count, ctx, None, "array")
        if n < 0 or n > MAX_ARRAY_COUNT:
            raise ProtocolError(f"array: absurd element count {n}")
        # Refuse counts the remaining bytes cannot hold before allocating anything.
        r.need(n * self.elem.min_size, f"array of {n}")
        if isinstance(self.elem, Prim):
            st = struct.Struct(f"<{n}{self.elem.code}")
            return list(r.unpack(st, "array"))
        return [self.elem.parse(r, ctx) for _ in range(n)]

    def build(self, w: Writer, value: Any, ctx: Context | None = None) -> None:
        if isinstance(self.count, int) and len(value) != self.count:
            raise ProtocolError(f"array: expected {self.count} elements, got {len(value)}")
        if isinstance(self.elem, Prim):
            w.pack(struct.Struct(f"<{len(value)}{self.elem.code}"), *value)
            return
        for item in value:
            self.elem.build(w, item, ctx)

    def default(self) -> list[Any]:
        return []


class Pointer(Type):
    """A 32-bit offset from the start of the message body to the target; 0 means none."""

    min_size = 4

    def __init__(self, target: Type | Callable[[], Type], nullable: bool = True) -> None:
        self._target = target
        self.nullable = nullable

    @property
    def target(self) -> Type:
        if not isinstance(self._target, Type):
            self._target = self._target()  # late binding lets declarations refer to later ones
        return self._target

    def parse(self, r: Reader, ctx: Context) -> Any:
        pos = r.pos
        if pos + 4 > r.end:
            r.need(4, "pointer")
        r.pos = pos + 4
        offset = _U32.unpack_from(r.buf, pos)[0]
        if offset == 0:
            if not self.nullable:
                raise ProtocolError("pointer: null where a value is required")
            return None
        return self.target.parse(r.at(offset), ctx)

    def build(self, w: Writer, value: Any, ctx: Context | None = None) -> None:
        if value is None:
            if not self.nullable:
                raise ProtocolError("pointer: null where a value is required")
            w.write(b"\0\0\0\0")
            return
        w.defer_pointer(_Bound(self.target, ctx), value)


class _Bound:
    """A pointer target together with the context of the struct that pointed to it."""

    def __init__(self, target: Type, ctx: Context | None) -> None:
        self.target = target
        self.ctx = ctx

    def build(self, w: Writer, value: Any) -> None:
        self.target.build(w, value, self.ctx)


Matcher = Callable[[int], bool]


# Matchers carry what they test (`.values`, `.flag`) so that tests can choose switch keys that reach each case.


def is_(*values: int) -> Matcher:
    """Case for an enum switch: the field equals one of the values."""
    allowed = frozenset(int(v) for v in values)  # plain ints: enum members hash and compare slower

    def match(v: int) -> bool:
        return v in allowed

    match.values = allowed  # type: ignore[attr-defined]
    return match


def has_flag(flag: int) -> Matcher:
    """Case for a flags switch: the flag bit is set."""
    flag = int(flag)  # an IntFlag operand makes `&` build a flag object on every test

    def match(v: int) -> bool:
        return bool(v & flag)

    match.flag = flag  # type: ignore[attr-defined]
    return match


def lacks_flag(flag: int) -> Matcher:
    flag = int(flag)

    def match(v: int) -> bool:
        return not v & flag

    match.flag = flag  # type: ignore[attr-defined]
    return match


def default_case(_: int) -> bool:
    return True


class Switch:
    """Chooses the first matching case on an earlier field; its member is flattened into the struct."""

    def __init__(self, on: str, *cases: tuple[Matcher, str, Type]) -> None:
        self.on = on
        self.cases = cases

    def member_names(self) -> list[str]:
        names: list[str] = []
        for _, name, _ in self.cases:
            if name not in names:
                names.append(name)
        return names

    def select(self, ctx: Context) -> tuple[str, Type] | None:
        key = ctx.get(self.on)
        if not isinstance(key, int):
            raise ProtocolError(f"switch: field {self.on!r} missing")
        for match, name, typ in self.cases:
            if match(key):
                return name, typ
        return None


FieldSpec = tuple[str, Type] | Switch


class Struct(Type):
    """A sequence of named fields and switches; parses to an instance of a generated dataclass."""

    def __init__(self, name: str, *fields: FieldSpec) -> None:
        self.name = name
        self.fields = fields
        self._steps = self._compile(fields)
        self.min_size = sum(t.min_size for f in fields if not isinstance(f, Switch) for t in [f[1]])
        self.count_fields = self._find_count_fields(fields)
        self._cls: type | None = None
        self.message: MessageDef | None = None  # set when the struct is a message's body
        only = self._steps[0] if len(self._steps) == 1 and self._steps[0][0] == "prims" else None
        self._leaf: struct.Struct | None = only[2] if only is not None else None  # all primitives: one unpack

    @property
    def cls(self) -> type:
        """The class of this layout: the generated one (messages/classes.py) for every declared layout, a
        dataclass made here for layouts declared elsewhere (tests)."""
        if self._cls is None:
            self._cls = self._find_generated_class() or self._make_class()
            self._cls.__spice_struct__ = self  # type: ignore[attr-defined]
            self._cls.__spice_message__ = self.message  # type: ignore[attr-defined]
        return self._cls

    def member_names(self) -> list[str]:
        names: list[str] = []
        for f in self.fields:
            for name in f.member_names() if isinstance(f, Switch) else [f[0]]:
                if name not in names:
                    names.append(name)
        return names

    def _find_generated_class(self) -> type | None:
        from .messages import classes

        cls = getattr(classes, self.name, None)
        if cls is None or getattr(cls, "__spice_struct__", self) is not self:
            return None  # not declared in messages/, or a layout of the same name declared elsewhere
        if tuple(cls.__slots__) != tuple(self.member_names()):
            raise RuntimeError(f"messages/classes.py is stale for {self.name}: run python -m tools.generate_messages")
        return cls

    @staticmethod
    def _compile(fields: Sequence[FieldSpec]) -> list[Any]:
        """Merge runs of primitives into one struct.Struct each: most of a message is primitives."""
        steps: list[Any] = []
        run: list[tuple[str, Prim]] = []

        def close_run() -> None:
            if run:
                st = struct.Struct("<" + "".join(p.code for _, p in run))
                steps.append(("prims", [n for n, _ in run], st))
                run.clear()

        for f in fields:
            if isinstance(f, tuple) and isinstance(f[1], Prim):
                run.append((f[0], f[1]))
                continue
            close_run()
            steps.append(("switch", f, None) if isinstance(f, Switch) else ("field", f[0], f[1]))
        close_run()
        return steps

    @staticmethod
    def _find_count_fields(fields: Sequence[FieldSpec]) -> dict[str, tuple[str, Callable[[Any], int]]]:
        """Fields that only carry the size of a later array: filled in at build time when left as None."""
        found: dict[str, tuple[str, Callable[[Any], int]]] = {}

        def visit(name: str, typ: Type) -> None:
            if isinstance(typ, Pointer) and isinstance(typ._target, Type):
                typ = typ._target
            if isinstance(typ, Bytes) and isinstance(typ.size, str) and typ.size != REST:
                found[typ.size] = (name, len)
            elif isinstance(typ, Array) and isinstance(typ.count, str) and typ.count != REST:
                found[typ.count] = (name, len)

        for f in fields:
            if isinstance(f, Switch):
                for _, name, typ in f.cases:
                    visit(name, typ)
            else:
                visit(*f)
        return found

    def _make_class(self) -> type:
        specs: list[tuple[str, Any, Any]] = []
        for f in self.fields:
            if isinstance(f, Switch):
                for name in f.member_names():
                    if all(s[0] != name for s in specs):
                        specs.append((name, Any, dataclasses.field(default=None)))
                continue
            name, typ = f
            if name in self.count_fields:
                specs.append((name, Any, dataclasses.field(default=None)))
            elif isinstance(typ, Array):
                specs.append((name, Any, dataclasses.field(default_factory=list)))
            elif isinstance(typ, Struct):
                specs.append((name, Any, dataclasses.field(default_factory=typ.cls)))
            else:
                specs.append((name, Any, dataclasses.field(default=typ.default())))
        cls = dataclasses.make_dataclass(self.name, specs, slots=True)
        cls.__module__ = "spiceview.protocol.messages"
        return cls

    def parse(self, r: Reader, ctx: Context | None = None) -> Any:
        # The hottest Python of a display channel (nine structs in a DRAW_COPY): bounds checks and unpacks
        # inline, the class looked up once.
        cls = self._cls or self.cls
        leaf = self._leaf
        if leaf is not None:  # only primitives, in the class's own order (Rect, Point...): positional arguments
            pos = r.pos
            if pos + leaf.size > r.end:
                r.need(leaf.size, self.name)
            r.pos = pos + leaf.size
            return cls(*leaf.unpack_from(r.buf, pos))
        values: Context = {}
        for kind, a, b in self._steps:
            if kind == "prims":
                pos = r.pos
                if pos + b.size > r.end:
                    r.need(b.size, self.name)
                r.pos = pos + b.size
                values.update(zip(a, b.unpack_from(r.buf, pos), strict=False))  # as many by construction
            elif kind == "field":
                values[a] = b.parse(r, values)
            else:
                chosen = a.select(values)
                if chosen is not None:
                    values[chosen[0]] = chosen[1].parse(r, values)
        return cls(**values)

    def build(self, w: Writer, value: Any, ctx: Context | None = None) -> None:
        if not isinstance(value, self.cls):
            raise ProtocolError(f"{self.name}: expected {self.cls.__name__}, got {type(value).__name__}")
        values = {name: getattr(value, name) for name in field_names(self.cls)}
        for count_name, (target, measure) in self.count_fields.items():
            if values.get(count_name) is None and values.get(target) is not None:
                values[count_name] = measure(values[target])
        for step in self._steps:
            kind = step[0]
            if kind == "prims":
                try:
                    w.pack(step[2], *(values[n] for n in step[1]))
                except struct.error as exc:
                    raise ProtocolError(f"{self.name}: {exc}") from None
            elif kind == "field":
                step[2].build(w, values[step[1]], values)
            else:
                chosen = step[1].select(values)
                if chosen is not None:
                    chosen[1].build(w, values[chosen[0]], values)

    def __call__(self, **kwargs: Any) -> Any:
        return self.cls(**kwargs)


@dataclasses.dataclass(frozen=True, slots=True)
class MessageDef:
    number: int
    name: str
    layout: Struct

    @property
    def cls(self) -> type:
        return self.layout.cls


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def parse_body(layout: Struct, body: bytes | bytearray | memoryview) -> Any:
    return layout.parse(Reader(body))


def build_body(layout: Struct, value: Any) -> bytes:
    w = Writer()
    layout.build(w, value)
    return w.getvalue()
