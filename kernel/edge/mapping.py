"""Domain events <-> protobuf, for every service (the domain never imports generated code).

A service's domain events and their protobuf messages share names and field names, so one pair
of functions maps them all: datetimes <-> Timestamps (None <-> unset), domain words <-> enum
values (`TALK_OR_LETTER` <-> `DISPOSAL_METHOD_TALK_OR_LETTER`), nested dataclasses <-> nested
messages (repeated as tuples, singular as one value or None), repeated scalars <-> tuples, and
calendar days <-> `YYYY-MM-DD` strings: a dataclass field typed `date`, `date | None` (None <-> "")
or `tuple[date, ...]` whose message field is a string (the sanctions' effect periods and due dates).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone

from google.protobuf import timestamp_pb2
from google.protobuf.descriptor import FieldDescriptor

from kernel.domain.errors import Validation
from kernel.domain.person import Subject
from kernel.eventstore.envelope import instant

TIMESTAMP = "google.protobuf.Timestamp"


def _enum_prefix(enum_descriptor) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum_descriptor.name).upper() + "_"


def enum_value(enum_type, word: str) -> int:
    """Domain word -> enum number; 0 (UNSPECIFIED) for an unknown word, which the domain refuses."""
    value = enum_type.DESCRIPTOR.values_by_name.get(_enum_prefix(enum_type.DESCRIPTOR) + word)
    return value.number if value else 0


def enum_word(enum, number: int) -> str:
    """Enum number -> domain word ("" for UNSPECIFIED or unknown); `enum` is the generated enum or
    its descriptor."""
    descriptor = getattr(enum, "DESCRIPTOR", enum)
    value = descriptor.values_by_number.get(number)
    return value.name.removeprefix(_enum_prefix(descriptor)) if value and number else ""


def persons_from_pb(refs) -> tuple[Subject, ...]:
    """`common.v1.PersonRef`s of a request as the domain's subjects, stripped."""
    return tuple(Subject(r.person_id.strip(), r.name.strip(), r.post.strip(), r.unit.strip()) for r in refs)


def datetime_of(ts: timestamp_pb2.Timestamp, field: str, tz=timezone.utc) -> datetime:
    """A request's Timestamp as an aware datetime; Validation naming `field` if it is out of range."""
    try:
        return ts.ToDatetime(tzinfo=tz)
    except (ValueError, OverflowError) as e:
        raise Validation(field, f"is not a valid time: {e}") from e


def timestamp(at: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(at)
    return ts


ONE_DAY, OPTIONAL_DAY, DAYS = "date", "date | None", "tuple[date, ...]"


@functools.cache
def date_fields(cls: type) -> Mapping[str, str]:
    """The fields of dataclass `cls` holding calendar days, by their type hints: name -> ONE_DAY,
    OPTIONAL_DAY or DAYS (a `datetime` is not a day: it maps to a Timestamp)."""
    out = {}
    try:
        hints = typing.get_type_hints(cls)
    except NameError:  # a hint naming what its module imports only for type checking: none is a day
        return out
    for name, hint in hints.items():
        args = typing.get_args(hint)
        if hint is date:
            out[name] = ONE_DAY
        elif typing.get_origin(hint) in (typing.Union, types.UnionType) and set(args) == {date, type(None)}:
            out[name] = OPTIONAL_DAY
        elif typing.get_origin(hint) is tuple and args in ((date, ...),):
            out[name] = DAYS
    return out


def day_text(day: date | None) -> str:
    """A calendar day as `YYYY-MM-DD` ("" for None)."""
    return day.isoformat() if day is not None else ""


def day_of(text: str) -> date | None:
    """`YYYY-MM-DD` as a calendar day (None for "")."""
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Codec:
    """A service's events <-> payloads, as the kernel's command runner uses them."""

    to_pb: Callable
    from_pb: Callable
    pb_of_name: Mapping[str, type]

    def message_of(self, type_name: str):
        return self.pb_of_name[type_name]()


class EventMapping:
    """The mapping of one service: `pb_module` holds a message per event class of `published`
    (same name); `nested` maps nested message full names to (message class, dataclass); `skip`
    names dataclass fields a service maps itself (its wrapper passes them to `from_pb`)."""

    def __init__(
        self,
        pb_module,
        published: tuple[type, ...],
        nested: dict[str, tuple[type, type]],
        skip: dict[type, tuple[str, ...]] | None = None,
    ):
        self.published, self.nested, self.skip = published, nested, skip or {}
        self.pb_of = {cls: getattr(pb_module, cls.__name__) for cls in published}
        self.domain_of = {pb.DESCRIPTOR.full_name: cls for cls, pb in self.pb_of.items()}
        self.pb_of_name = {pb.DESCRIPTOR.full_name: pb for pb in self.pb_of.values()}

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(self.domain_of)

    def to_pb(self, event):
        return self.message(self.pb_of[type(event)], event)

    def from_pb(self, msg, **skipped):
        return self.dataclass_of(self.domain_of[msg.DESCRIPTOR.full_name], msg, **skipped)

    def message(self, pb, value):
        """The `pb` message of a domain dataclass (an event, or a value nested in one)."""
        fields, skip = pb.DESCRIPTOR.fields_by_name, self.skip.get(type(value), ())
        days = date_fields(type(value))
        return pb(
            **{
                f.name: self._day_to(days[f.name], getattr(value, f.name))
                if f.name in days and fields[f.name].type == FieldDescriptor.TYPE_STRING
                else self._to(fields[f.name], getattr(value, f.name))
                for f in dataclasses.fields(value)
                if f.name not in skip
            }
        )

    def dataclass_of(self, cls, msg, **skipped):
        """The `cls` dataclass of a message (an event, or a value nested in one)."""
        fields, skip = msg.DESCRIPTOR.fields_by_name, self.skip.get(cls, ())
        days = date_fields(cls)
        return cls(
            **skipped,
            **{
                f.name: self._day_from(days[f.name], getattr(msg, f.name))
                if f.name in days and fields[f.name].type == FieldDescriptor.TYPE_STRING
                else self._from(fields[f.name], msg)
                for f in dataclasses.fields(cls)
                if f.name not in skip
            },
        )

    @staticmethod
    def _day_to(kind: str, value):
        return [day_text(d) for d in value] if kind == DAYS else day_text(value)

    @staticmethod
    def _day_from(kind: str, value):
        return tuple(day_of(v) for v in value) if kind == DAYS else day_of(value)

    def _to(self, fd: FieldDescriptor, value):
        if fd.enum_type is not None:
            number = fd.enum_type.values_by_name
            prefix = _enum_prefix(fd.enum_type)
            if fd.is_repeated:
                return [number[prefix + v].number for v in value]
            return number[prefix + value].number if value else 0
        if value is None:
            return None
        if isinstance(value, datetime):
            return timestamp(value)
        if fd.message_type is not None and fd.message_type.full_name in self.nested:
            pb, _ = self.nested[fd.message_type.full_name]
            return [self.message(pb, v) for v in value] if fd.is_repeated else self.message(pb, value)
        return list(value) if isinstance(value, tuple) else value

    def _from(self, fd: FieldDescriptor, msg):
        value = getattr(msg, fd.name)
        if fd.enum_type is not None:
            return (
                tuple(enum_word(fd.enum_type, v) for v in value) if fd.is_repeated else enum_word(fd.enum_type, value)
            )
        if fd.message_type is not None and not fd.is_repeated and not msg.HasField(fd.name):
            return None
        if fd.message_type is not None and fd.message_type.full_name == TIMESTAMP:
            return instant(value)
        if fd.message_type is not None and fd.message_type.full_name in self.nested:
            _, cls = self.nested[fd.message_type.full_name]
            return tuple(self.dataclass_of(cls, v) for v in value) if fd.is_repeated else self.dataclass_of(cls, value)
        return tuple(value) if fd.is_repeated else value
