"""The one request validator: the rules every request field declares in `proto/` (issue 15).

Each field carries a `common.v1.FieldRule` option (see proto/common/v1/rules.proto); this module
reads them from the descriptors once per message type and checks a decoded request before any
handler runs. A violation is `Validation` naming the field path and the rule it broke, so the
caller gets INVALID_ARGUMENT and nothing is recorded. Times are judged against the service's
clock; the windows, the largest page and the longest query span are configuration (`Limits`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from common.v1 import rules_pb2
from kernel.domain.clock import Clock
from kernel.domain.errors import RuleBroken as Validation
from kernel.domain.ids import CONTEXTS, UUID_PATTERN as _UUID
from kernel.eventstore.envelope import instant

TIMESTAMP = "google.protobuf.Timestamp"
# Protobuf's Timestamp range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
_MIN_SECONDS, _MAX_SECONDS = -62_135_596_800, 253_402_300_799

_BIDI = "\u202a-\u202e\u2066-\u2069"
_LINE_BAD = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
_TEXT_BAD = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")
_CONTEXT = "|".join(CONTEXTS)
F = rules_pb2.IdFormat
FORMATS: dict[int, tuple[re.Pattern, str]] = {
    F.ID_FORMAT_STREAM: (
        re.compile(f"(?:{_CONTEXT})-(?:timers-)?{_UUID}"),
        "a stream id, <context>-<uuid>, e.g. clue-00000000-0000-0000-0000-000000000000",
    ),
    F.ID_FORMAT_CLUE: (re.compile(f"clue-{_UUID}"), "a clue id, clue-<uuid>"),
    F.ID_FORMAT_CASE: (re.compile(f"case-{_UUID}"), "a case id, case-<uuid>"),
    F.ID_FORMAT_MEASURE: (re.compile(f"measure-{_UUID}"), "a measure id, measure-<uuid>"),
    F.ID_FORMAT_TOUR: (re.compile(f"tour-{_UUID}"), "a tour round id, tour-<uuid>"),  # issue 27
    F.ID_FORMAT_PERSON: (
        re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}"),
        "a person id: 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit",
    ),
    F.ID_FORMAT_CODE: (
        re.compile(r"[a-z][a-z0-9_]{0,63}"),
        "a catalogue code: 1-64 lowercase letters, digits or '_', starting with a letter",
    ),
    F.ID_FORMAT_SHA256: (re.compile(r"[0-9a-f]{64}"), "a SHA-256 digest: 64 lowercase hexadecimal digits"),
    F.ID_FORMAT_UUID: (re.compile(_UUID), "a UUID in lowercase canonical form"),
    F.ID_FORMAT_MONTH: (re.compile(r"[0-9]{4}-(?:0[1-9]|1[0-2])"), "a month, YYYY-MM"),
    F.ID_FORMAT_REFERENCE: (
        re.compile(r"[\w.:/()#\-〔〕（）](?:[\w .:/()#\-〔〕（）]{0,126}[\w.:/()#\-〔〕（）])?"),
        "a reference: 1-128 letters, digits, spaces or . _ : / - ( ) # 〔 〕 （ ）, no leading or trailing space",
    ),
    F.ID_FORMAT_CLUE_REF: (
        re.compile(f"clue-{_UUID}|[a-z][a-z0-9_]{{0,63}}-[0-9]{{4}}-[0-9]{{4,9}}|[\\w\\-.\\/()\\[\\]〔〕]{{1,40}}"),
        "a clue id (clue-<uuid>) or a clue number of 1-40 letters, digits or - _ . / ( ) [ ] 〔 〕",
    ),
    F.ID_FORMAT_PAGE_TOKEN: (re.compile(r"[A-Za-z0-9_=\-]{1,512}"), "a page token as the service gave it"),
}
WINDOWS = {
    rules_pb2.TIME_WINDOW_PAST: "past",
    rules_pb2.TIME_WINDOW_PLANNED: "planned",
    rules_pb2.TIME_WINDOW_QUERY: "query",
}


@dataclass(frozen=True)
class Limits:
    """Local practice, so configuration (REQUEST_* variables, `kernel.runtime.settings`)."""

    earliest: datetime = datetime(2000, 1, 1, tzinfo=timezone.utc)
    clock_skew: timedelta = timedelta(seconds=300)
    horizon: timedelta = timedelta(days=3660)
    max_span: timedelta = timedelta(days=3660)
    max_page: int = 1000


def rule_of(fd: FieldDescriptor) -> rules_pb2.FieldRule | None:
    options = fd.GetOptions()
    return options.Extensions[rules_pb2.rule] if options.HasExtension(rules_pb2.rule) else None


@cache
def rules_of(message: Descriptor) -> tuple[tuple[FieldDescriptor, rules_pb2.FieldRule], ...]:
    """The (field, rule) pairs of a message type; a field without a rule is a contract defect."""
    pairs = []
    for fd in message.fields:
        rule = rule_of(fd)
        if rule is None:
            raise LookupError(f"{fd.full_name} declares no (common.v1.rule)")
        pairs.append((fd, rule))
    return tuple(pairs)


def span_of(message: Descriptor) -> rules_pb2.Span | None:
    options = message.GetOptions()
    return options.Extensions[rules_pb2.span] if options.HasExtension(rules_pb2.span) else None


class Contract:
    """Checks decoded requests against their declared rules, times against `clock`."""

    def __init__(self, clock: Clock, limits: Limits = Limits()):
        self.clock, self.limits = clock, limits

    def check(self, request) -> None:
        """Raise `Validation` for the first rule `request` breaks."""
        self._message(request, "", self.clock.now())

    def _message(self, msg, prefix: str, now: datetime) -> None:
        for fd, rule in rules_of(msg.DESCRIPTOR):
            path = f"{prefix}{fd.name}"
            if fd.is_repeated:
                self._repeated(msg, fd, rule, path, now)
            else:
                self._single(msg, fd, rule, path, now)
        span = span_of(msg.DESCRIPTOR)
        if span is not None:
            self._span(msg, span, prefix)

    def _repeated(self, msg, fd, rule, path: str, now: datetime) -> None:
        items = getattr(msg, fd.name)
        if rule.required and not items:
            raise Validation(path, "required: give at least one")
        if len(items) > rule.max_items:
            raise Validation(path, f"at most {rule.max_items} items, got {len(items)}")
        for k, item in enumerate(items):
            self._value(item, fd, rule, f"{path}[{k}]", now)

    def _single(self, msg, fd, rule, path: str, now: datetime) -> None:
        if fd.message_type is not None:
            if not msg.HasField(fd.name):
                if rule.required:
                    raise Validation(path, "required")
                return
        self._value(getattr(msg, fd.name), fd, rule, path, now)

    def _value(self, value, fd, rule, path: str, now: datetime) -> None:
        kind = rule.WhichOneof("kind")
        if kind in ("line", "text"):
            _text(value, rule, kind, path)
        elif kind == "id":
            _id(value, rule, path)
            if value and rule.id == F.ID_FORMAT_MONTH:
                self._month(value, path, now)
        elif kind == "word":
            _word(value, rule, path)
        elif kind == "choice":
            _choice(value, fd, rule, path)
        elif kind == "number":
            if not rule.number.min <= value <= rule.number.max:
                raise Validation(path, f"must be from {rule.number.min} to {rule.number.max}, got {value}")
        elif kind == "page":
            if value > self.limits.max_page:
                raise Validation(path, f"at most {self.limits.max_page} (REQUEST_MAX_PAGE), got {value}")
        elif kind == "time":
            self._time(value, rule.time, path, now)
        elif kind == "message":
            self._message(value, f"{path}.", now)

    def _time(self, ts, window: int, path: str, now: datetime) -> None:
        at = valid_time(ts, path)
        latest = now + (self.limits.clock_skew if window == rules_pb2.TIME_WINDOW_PAST else self.limits.horizon)
        if at < self.limits.earliest:
            raise Validation(
                path,
                f"{at.isoformat()} is before the earliest date accepted, "
                f"{self.limits.earliest.date().isoformat()} (REQUEST_EARLIEST_DATE)",
            )
        if at > latest:
            what = (
                "lies in the future: a time that happened may be at most "
                f"{int(self.limits.clock_skew.total_seconds())} s ahead of the service clock"
                if window == rules_pb2.TIME_WINDOW_PAST
                else f"is more than {self.limits.horizon.days} days ahead (REQUEST_HORIZON_DAYS)"
            )
            raise Validation(path, f"{at.isoformat()} {what}")

    def _month(self, value: str, path: str, now: datetime) -> None:
        first, last = self.limits.earliest, now + self.limits.horizon
        if not f"{first:%Y-%m}" <= value <= f"{last:%Y-%m}":
            raise Validation(
                path,
                f"must be a month from {first:%Y-%m} (REQUEST_EARLIEST_DATE) to {last:%Y-%m} "
                "(REQUEST_HORIZON_DAYS ahead)",
            )

    def _span(self, msg, span: rules_pb2.Span, prefix: str) -> None:
        first = getattr(span, "from")  # a Python keyword
        if not (msg.HasField(first) and msg.HasField(span.to)):
            return
        start, end = instant(getattr(msg, first)), instant(getattr(msg, span.to))
        if end <= start:
            raise Validation(f"{prefix}{span.to}", f"must be after {prefix}{first}")
        if end - start > self.limits.max_span:
            raise Validation(
                f"{prefix}{span.to}",
                f"the period may span at most {self.limits.max_span.days} days "
                "(REQUEST_MAX_SPAN_DAYS); ask in several periods",
            )


def valid_time(ts, path: str) -> datetime:
    """A Timestamp inside protobuf's own range with valid nanos, as an aware UTC datetime."""
    if not 0 <= ts.nanos <= 999_999_999:
        raise Validation(path, f"nanos must be from 0 to 999999999, got {ts.nanos}")
    if not _MIN_SECONDS <= ts.seconds <= _MAX_SECONDS:
        raise Validation(path, f"seconds {ts.seconds} is outside the range of a timestamp")
    return instant(ts)


def _text(value: str, rule, kind: str, path: str) -> None:
    limit = getattr(rule, kind)
    if rule.required and not value.strip():
        raise Validation(path, "required: must not be blank")
    if len(value) > limit:
        raise Validation(path, f"at most {limit} characters, got {len(value)}")
    bad = (_LINE_BAD if kind == "line" else _TEXT_BAD).search(value)
    if bad:
        allowed = "one line of text" if kind == "line" else "text with newlines and tabs"
        raise Validation(
            path, f"must be {allowed}: control character U+{ord(bad.group()):04X} at position {bad.start()}"
        )


def _id(value: str, rule, path: str) -> None:
    if not value:
        if rule.required:
            raise Validation(path, "required")
        return
    pattern, description = FORMATS[rule.id]
    if not pattern.fullmatch(value):
        raise Validation(path, f"must be {description}")


def _word(value: str, rule, path: str) -> None:
    if not value:
        if rule.required:
            raise Validation(path, f"required: one of {', '.join(rule.word.of)}")
        return
    if value not in rule.word.of:
        raise Validation(path, f"must be one of {', '.join(rule.word.of)}")


def _choice(value: int, fd, rule, path: str) -> None:
    known = fd.enum_type.values_by_number.get(value)
    if known is None:
        names = ", ".join(v.name for v in fd.enum_type.values if v.number)
        raise Validation(path, f"unknown value {value}; one of {names}")
    if rule.required and value == 0:
        names = ", ".join(v.name for v in fd.enum_type.values if v.number)
        raise Validation(path, f"required: one of {names}")
