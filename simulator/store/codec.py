"""Records as compact bytes (msgpack), for a store shared between processes.

One generic codec, driven by the records' type hints: a frozen dataclass becomes a
msgpack array of its fields in declaration order (no field names), and each field is
turned into plain msgpack values and back by a converter compiled once per type from
its hint. What the hints cover:

    str int float bool bytes None, Decimal (its string), datetime (UTC microseconds),
    date (ordinal), Enum / StrEnum (its value), tuple[X, ...], tuple[X, Y], list[X],
    dict[K, V] / Mapping[K, V], X | None, nested dataclasses, and Any.

An `Any` field (a webhook payload, an idempotent result) is encoded with its type:
plain JSON-like values stay as they are, anything else becomes a msgpack extension
naming the type, so a Product inside a Delivery comes back a Product.

Records decoded from the same bytes are the same record: the codec keeps the last
MEMO_SIZE it decoded or encoded, by kind and bytes, and hands the kept one out again
(records are immutable, and the in-memory store shares its records the same way). A
worker reads back mostly what it wrote or read moments ago (a basket, a session, a
checkout), and a decode costs a basket 17 µs where finding its bytes costs one.

A record written by an older version with fewer trailing fields decodes with those
fields' defaults, so adding a field at the end of a record with a default keeps a
shared store readable across an upgrade.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any

import msgpack

Convert = Callable[[Any], Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_IDENTITY_TYPES = (str, int, float, bool, bytes, type(None))
#: Records kept by their bytes (see the module's notes): under 20 MB even were each a full basket.
MEMO_SIZE = 4096

# msgpack extension codes of values under an `Any` hint
_EXT_RECORD, _EXT_DECIMAL, _EXT_DATETIME, _EXT_DATE, _EXT_ENUM, _EXT_TUPLE = range(1, 7)


class CodecError(TypeError):
    """A type the codec cannot handle (a programming error, found when the type is registered)."""


def _identity(value: Any) -> Any:
    return value


def _encode_datetime(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise CodecError(f"naive datetime {moment!r}: records hold UTC datetimes")
    return (moment - _EPOCH) // _MICROSECOND


def _decode_datetime(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


class Codec:
    """Encodes and decodes the records of registered kinds (kind → record type)."""

    def __init__(self, kinds: Mapping[str, type]) -> None:
        self._types: dict[str, type] = {}  # type tag → dataclass (for `Any` values)
        self._encoders: dict[type, Convert] = {}
        self._decoders: dict[type, Convert] = {}
        self._kinds = dict(kinds)
        self._memo: dict[tuple[str, bytes], Any] = {}  # (kind, bytes) → record, oldest first
        for record_type in self._kinds.values():
            self._dataclass(record_type)

    @property
    def kinds(self) -> Mapping[str, type]:
        return self._kinds

    # -- records -------------------------------------------------------------------------
    def encode(self, kind: str, record: Any, *, keep: bool = True) -> bytes:
        """`keep`: kept for a decode of the same bytes (not for bulk writes: a seeding)."""
        expected = self._kinds.get(kind)
        if expected is None:
            raise CodecError(f"kind {kind!r} is not registered with the codec")
        if type(record) is not expected:
            raise CodecError(f"a {kind} record must be a {expected.__name__}, not {type(record).__name__}")
        raw = msgpack.packb(self._encoders[expected](record), use_bin_type=True)
        if keep:
            self._keep((kind, raw), record)
        return raw

    def decode(self, kind: str, raw: bytes, *, keep: bool = True) -> Any:
        """`keep`: look the bytes up and keep what they decode to (not for bulk reads: a
        worker's copy of a whole kind)."""
        key = (kind, raw)
        record = self._memo.get(key) if keep else None
        if record is None:
            record = self._decoders[self._kinds[kind]](msgpack.unpackb(raw, raw=False, strict_map_key=False, ext_hook=self._ext_hook))
            if keep:
                self._keep(key, record)
        return record

    def decode_many(self, kind: str, raws: Iterable[bytes | None], *, keep: bool = True) -> list[Any]:
        """Decoded records, None where a raw value is None (a key that was missing)."""
        return [None if raw is None else self.decode(kind, raw, keep=keep) for raw in raws]

    def _keep(self, key: tuple[str, bytes], record: Any) -> None:
        memo = self._memo
        memo[key] = record
        if len(memo) > MEMO_SIZE:
            try:
                memo.pop(next(iter(memo)), None)
            except (RuntimeError, StopIteration):  # another thread changed it meanwhile: trimmed next time
                pass

    # -- compiling converters from hints ---------------------------------------------------
    def _dataclass(self, cls: type) -> tuple[Convert, Convert]:
        if cls in self._encoders:
            return self._encoders[cls], self._decoders[cls]
        if not dataclasses.is_dataclass(cls):
            raise CodecError(f"{cls!r} is not a dataclass")
        tag = f"{cls.__module__}.{cls.__qualname__}"
        self._types[tag] = cls
        # Placeholders first: a record type that refers to itself compiles without recursing forever.
        self._encoders[cls] = lambda value: self._encoders[cls](value)
        self._decoders[cls] = lambda value: self._decoders[cls](value)
        hints = typing.get_type_hints(cls)
        fields = [f for f in dataclasses.fields(cls) if f.init]
        converters = [self._converters(hints[f.name], f"{cls.__name__}.{f.name}") for f in fields]
        names = [f.name for f in fields]
        encoders = [encode for encode, _ in converters]
        decoders = [decode for _, decode in converters]
        defaults = [_default(f) for f in fields]
        fields_of = _fields_getter(names)
        # Only the fields whose value changes form are converted (most are kept as they are).
        encoding = [(index, convert) for index, convert in enumerate(encoders) if convert is not _identity]
        decoding = [(index, convert) for index, convert in enumerate(decoders) if convert is not _identity]
        count = len(fields)

        def encode(record: Any) -> list:
            values = fields_of(record)
            for index, convert in encoding:
                values[index] = convert(values[index])
            return values

        def decode(values: list) -> Any:  # a list msgpack made for this call: converted in place
            if len(values) < count:
                values = _with_defaults(values, defaults, count)
            for index, convert in decoding:
                values[index] = convert(values[index])
            return cls(*values)

        self._encoders[cls], self._decoders[cls] = encode, decode
        return encode, decode

    def _converters(self, hint: Any, where: str) -> tuple[Convert, Convert]:
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if hint is Any:
            return self._encode_any, _identity  # the ext hook decodes while unpacking
        if hint in _IDENTITY_TYPES:
            return _identity, (_to_float if hint is float else _identity)
        if hint is Decimal:
            return str, Decimal
        if hint is datetime:
            return _encode_datetime, _decode_datetime
        if hint is date:
            return date.toordinal, date.fromordinal
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return _enum_value, hint
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return self._dataclass(hint)
        if origin in (typing.Union, types.UnionType):
            inner = [arg for arg in args if arg is not type(None)]
            if len(inner) != 1 or len(args) != 2:
                raise CodecError(f"{where}: only `X | None` unions are supported, not {hint!r}")
            encode, decode = self._converters(inner[0], where)
            if encode is _identity and decode is _identity:
                return _identity, _identity
            return (lambda v: None if v is None else encode(v)), (lambda v: None if v is None else decode(v))
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                encode, decode = self._converters(args[0], where)
                if encode is _identity and decode is _identity:
                    return list, tuple
                return (lambda v: [encode(x) for x in v]), (lambda v: tuple([decode(x) for x in v]))
            pairs = [self._converters(arg, where) for arg in args]
            encoders = [e for e, _ in pairs]
            decoders = [d for _, d in pairs]
            return (lambda v: [e(x) for e, x in zip(encoders, v)]), (lambda v: tuple([d(x) for d, x in zip(decoders, v)]))
        if origin in (list, typing.List):  # noqa: UP006
            encode, decode = self._converters(args[0], where)
            return (lambda v: [encode(x) for x in v]), (lambda v: [decode(x) for x in v])
        if origin in (dict, Mapping, typing.Mapping):
            key_encode, key_decode = self._converters(args[0], where)
            value_encode, value_decode = self._converters(args[1], where)
            if all(c is _identity for c in (key_encode, key_decode, value_encode, value_decode)):
                return dict, dict
            return (
                lambda v: {key_encode(k): value_encode(x) for k, x in v.items()},
                lambda v: {key_decode(k): value_decode(x) for k, x in v.items()},
            )
        raise CodecError(f"{where}: the codec has no rule for {hint!r}")

    # -- values under `Any`: tagged ----------------------------------------------------------
    def _encode_any(self, value: Any) -> Any:
        if value is None or type(value) in (str, int, float, bool, bytes):
            return value
        if isinstance(value, enum.Enum):
            cls = type(value)
            self._types.setdefault(f"{cls.__module__}.{cls.__qualname__}", cls)
            return msgpack.ExtType(_EXT_ENUM, _pack([f"{cls.__module__}.{cls.__qualname__}", value.value]))
        if isinstance(value, Decimal):
            return msgpack.ExtType(_EXT_DECIMAL, str(value).encode())
        if isinstance(value, datetime):
            return msgpack.ExtType(_EXT_DATETIME, _pack(_encode_datetime(value)))
        if isinstance(value, date):
            return msgpack.ExtType(_EXT_DATE, _pack(value.toordinal()))
        if isinstance(value, tuple):
            return msgpack.ExtType(_EXT_TUPLE, _pack([self._encode_any(item) for item in value]))
        if isinstance(value, list):
            return [self._encode_any(item) for item in value]
        if isinstance(value, Mapping):
            return {self._encode_any(key): self._encode_any(item) for key, item in value.items()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            encode, _ = self._dataclass(type(value))
            cls = type(value)
            return msgpack.ExtType(_EXT_RECORD, _pack([f"{cls.__module__}.{cls.__qualname__}", encode(value)]))
        raise CodecError(f"cannot encode a {type(value).__name__} held in an `Any` field")

    def _ext_hook(self, code: int, data: bytes) -> Any:
        if code == _EXT_DECIMAL:
            return Decimal(data.decode())
        payload = msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=self._ext_hook)
        if code == _EXT_RECORD:
            tag, values = payload
            return self._decoders[self._type(tag)](values)
        if code == _EXT_DATETIME:
            return _decode_datetime(payload)
        if code == _EXT_DATE:
            return date.fromordinal(payload)
        if code == _EXT_ENUM:
            tag, value = payload
            return self._type(tag)(value)
        if code == _EXT_TUPLE:
            return tuple(payload)
        return msgpack.ExtType(code, data)

    def _type(self, tag: str) -> type:
        found = self._types.get(tag)
        if found is None:
            raise CodecError(f"unknown record type {tag!r} in stored data")
        return found


def _pack(value: Any) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def _to_float(value: Any) -> Any:
    return float(value) if type(value) is int else value


def _enum_value(member: enum.Enum) -> Any:
    return member.value


def _default(field: dataclasses.Field) -> Callable[[], Any]:
    """How to fill a field missing from stored data: its default, its factory, or a refusal."""
    if field.default is not dataclasses.MISSING:
        value = field.default
        return lambda: value
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory

    def refuse() -> Any:
        raise CodecError(f"stored data lacks the field {field.name!r}, which has no default")

    return refuse


def _fields_getter(names: list[str]) -> Callable[[Any], list]:
    """A record's field values, in order, as a new list."""
    if not names:
        return lambda record: []
    if len(names) == 1:
        get_one = attrgetter(names[0])
        return lambda record: [get_one(record)]
    get_all = attrgetter(*names)
    return lambda record: list(get_all(record))


def _with_defaults(values: list, defaults: list, count: int) -> list:
    """Trailing fields an older writer did not know: their defaults."""
    return list(values) + [make() for make in defaults[len(values) : count]]
