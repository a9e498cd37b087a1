"""Partner feeds (issue 23): which recorded events reach which partner agency, and what of them.

Pure rules over the published contracts, read by reflection (no generated code here: a payload is
any protobuf message, the envelope a `common.v1.Envelope`), used alike at ingest and by a rebuild,
so both give the same feeds:

* The configuration (`deploy/config/partner_feeds.toml`, loaded by `app.feed_config`) names, per
  agency, the event types it receives, a selector and an ALLOW-LIST of payload field paths: a
  field added to a contract later never leaves by default (need to know, domain.md §1).
* A selector (`SELECTORS`, a closed set) says which events of a type reach the agency and narrows
  what is another's: `item_owner` keeps only the agency's execution items (§4d); `transfer` only
  the TRANSFER_FOR_PROSECUTION outcomes and the persons transferred (SL 54); `cadre` only the
  cadres (their facts, outcomes, sanctions, what is at issue); `official` only the public officials
  (SL 15; the persons HR keeps, issue 24). Person links of the envelope follow
  the persons kept.
* `views` gives each selected agency its redacted view: exactly the allowed fields, as JSON-ready
  data (proto field names, enums by name, timestamps RFC 3339, 64-bit integers as strings; a field
  at its default is absent, as in proto3 JSON; fields unknown to this build are dropped), and the
  allowed envelope links under "links". `entry_bytes` is a feed entry's canonical bytes, the leaf of
  the agency's feed tree (`merkle.leaf_hash(entry_bytes(...))`); `parse_entry` reads them back.

Informant data (sealed, domain.md §1), investigation plans (SL 42, Rules 39), reads on the record
and measures (but the custody hand-over, IR2025 134) never reach a partner: `NEVER_TYPES`,
`NEVER_FIELDS` and `measure_problem` make the loader refuse any file that would let them out, and
`tests/unit/test_feeds.py` checks the shipped file itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from google.protobuf import json_format, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

# Fields an entry carries from the envelope, never configured (design of issue 23).
ENVELOPE_KEYS = ("event_id", "event_type", "stream_id", "version", "occurred_at")
LINKS_KEY = "links"  # the view's key for the envelope links allowed (no event payload has such a field)
ENTRY_KEYS = ("agency", "position", "leaf_index", *ENVELOPE_KEYS, "recorded_at", "view")

_WHOLE = None  # an allow-tree leaf: the whole field (a scalar, or a message with all its fields)
_TRANSFER = "OUTCOME_KIND_TRANSFER_FOR_PROSECUTION"  # cases.v1.OutcomeKind
_CUSTODY_TRANSFERRED = "MEASURE_OUTCOME_CUSTODY_TRANSFERRED"  # cases.v1.MeasureOutcome
_CUSTODY_TYPES = ("cases.v1.CustodyTransferred",)  # the procuratorate took custody (IR2025 134)
_NO_CADRE = ("MANAGEMENT_LEVEL_UNSPECIFIED", "MANAGEMENT_LEVEL_NONE")  # common.v1.ManagementLevel
_AGENCY_FIELDS = ("agency", "to_agency", "sent_to")  # string fields naming catalogue agencies
_PERSON_LISTS = ("managed", "persons")  # repeated strings of person ids (FilingPrepared.managed)
_FACTS = "common.v1.PersonFacts"
_WELL_KNOWN = ("google.protobuf.",)  # Timestamp, Duration, ...: whole or nothing


def _tree(fields: Iterable[str]) -> dict:
    """The allow-list as a tree: name -> subtree, or _WHOLE for a field allowed whole."""
    tree: dict = {}
    for path in fields:
        node = tree
        *parents, last = path.split(".")
        for name in parents:
            child = node.get(name, {})
            if child is _WHOLE:
                break
            node[name] = child
            node = child
        else:
            node[last] = _WHOLE
    return tree


@dataclass(frozen=True)
class EventFeed:
    """What one agency receives of one event type: which events (`select`), which payload fields
    (`fields`, dotted paths), and which of the envelope's links (`links`, "<kind>/<relation>",
    e.g. "person/subject": whom a decision's items are about), under the view's key "links"."""

    event_type: str
    select: str
    fields: tuple[str, ...]
    links: tuple[str, ...] = ()
    tree: dict = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.select not in SELECTORS:
            raise ValueError(f"unknown selector {self.select!r} ({', '.join(SELECTORS)})")
        object.__setattr__(self, "tree", _tree(self.fields))


@dataclass(frozen=True)
class FeedConfig:
    """Per agency (catalogue code), per event type (full protobuf name), what it receives."""

    agencies: Mapping[str, Mapping[str, EventFeed]]
    by_type: dict = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        by_type: dict[str, list[tuple[str, EventFeed]]] = {}
        for agency in sorted(self.agencies):
            for event_type, feed in self.agencies[agency].items():
                by_type.setdefault(event_type, []).append((agency, feed))
        object.__setattr__(self, "by_type", {t: tuple(v) for t, v in by_type.items()})

    def event_types(self) -> frozenset[str]:
        return frozenset(self.by_type)


# --- selectors: (agency, payload) -> a Selection (the payload to redact, the same or a narrowed
# copy, and the persons it was narrowed to), or None when the event does not reach the agency


@dataclass(frozen=True)
class Selection:
    """What of an event reaches an agency before redaction: the payload (narrowed where the
    selector narrows), and the persons it was narrowed to (None: not narrowed by person; the
    envelope's person links are then narrowed alike)."""

    payload: Message
    persons: frozenset[str] | None = None


def _enum_name(msg: Message, name: str) -> str:
    fd = msg.DESCRIPTOR.fields_by_name[name]
    value = fd.enum_type.values_by_number.get(getattr(msg, name))
    return value.name if value else ""


def _copy(msg: Message) -> Message:
    out = type(msg)()
    out.CopyFrom(msg)
    return out


def _narrow(msg: Message, name: str, keep: Callable) -> None:
    """Keep only the elements of repeated field `name` of `msg` (in place) that `keep` accepts."""
    kept = [e for e in getattr(msg, name) if keep(e)]
    if len(kept) == len(getattr(msg, name)):
        return
    if msg.DESCRIPTOR.fields_by_name[name].message_type is not None:
        kept = [_copy(e) for e in kept]
    del getattr(msg, name)[:]
    getattr(msg, name).extend(kept)


def _only_persons(msg: Message, persons: frozenset[str]) -> None:
    """Narrow every per-person repeated field of `msg` (in place) to `persons`: repeated messages
    with a `person_id` (outcomes, sanctions, facts, what is at issue), and the lists of person ids
    (`_PERSON_LISTS`)."""
    for fd in msg.DESCRIPTOR.fields:
        if not fd.is_repeated or _is_map(fd):
            continue
        if fd.message_type is not None and "person_id" in fd.message_type.fields_by_name:
            _narrow(msg, fd.name, lambda e: e.person_id in persons)
        elif fd.type == FieldDescriptor.TYPE_STRING and fd.name in _PERSON_LISTS:
            _narrow(msg, fd.name, lambda p: p in persons)


def _persons_narrowed(payload: Message, persons: Iterable[str]) -> Selection:
    persons = frozenset(persons)
    out = _copy(payload)
    _only_persons(out, persons)
    return Selection(out, persons)


def select_all(agency: str, payload: Message) -> Selection | None:
    """Every event of the type, whole (as far as its fields are allowed)."""
    return Selection(payload)


def select_transfer(agency: str, payload: Message) -> Selection | None:
    """A transfer for prosecution (移送审查起诉) or a custody hand-over (IR2025 134): a disposal
    with a TRANSFER_FOR_PROSECUTION outcome, narrowed to those outcomes and to the persons
    transferred (their other outcomes, sanctions and facts stay out); a measure ended with
    CUSTODY_TRANSFERRED; the custody hand-over itself (CustodyTransferred)."""
    fields = payload.DESCRIPTOR.fields_by_name
    if payload.DESCRIPTOR.full_name in _CUSTODY_TYPES:
        return Selection(payload)
    if "outcomes" in fields:
        transfers = [o for o in payload.outcomes if _enum_name(o, "kind") == _TRANSFER]
        if not transfers:
            return None
        selection = _persons_narrowed(payload, (o.person_id for o in transfers))
        _narrow(selection.payload, "outcomes", lambda o: _enum_name(o, "kind") == _TRANSFER)
        return selection
    if "outcome" in fields and _enum_name(payload, "outcome") == _CUSTODY_TRANSFERRED:
        return Selection(payload)
    return None


def _names(msg: Message, agency: str) -> bool:
    """Whether a string field naming agencies (`_AGENCY_FIELDS`, at any depth) names `agency`."""
    for fd, value in msg.ListFields():
        if fd.type == FieldDescriptor.TYPE_STRING and fd.name in _AGENCY_FIELDS:
            if agency in (value if fd.is_repeated else (value,)):
                return True
        elif fd.type == FieldDescriptor.TYPE_MESSAGE and not _is_map(fd):
            if any(_names(m, agency) for m in (value if fd.is_repeated else (value,))):
                return True
    return False


def select_names_agency(agency: str, payload: Message) -> Selection | None:
    """The payload names the agency: a field `agency`, `to_agency` or `sent_to`, at any depth,
    is or holds its code (a clue forwarded to it, a visit's result sent to it)."""
    return Selection(payload) if _names(payload, agency) else None


def select_item_owner(agency: str, payload: Message) -> Selection | None:
    """Sanctions events about execution items (§4d): the event reaches the agency when one of its
    `items` is the agency's, or its own `agency` field is; `items` are narrowed to the agency's
    own, so that no agency learns another's tasks."""
    fields = payload.DESCRIPTOR.fields_by_name
    own = "agency" in fields and payload.agency == agency
    if "items" in fields:
        if not (own or any(i.agency == agency for i in payload.items)):
            return None
        out = _copy(payload)
        _narrow(out, "items", lambda i: i.agency == agency)
        return Selection(out)
    return Selection(payload) if own else None


def _facts(payload: Message) -> list[Message]:
    """The person facts (`common.v1.PersonFacts`) the payload records, single or repeated."""
    out = []
    for fd in payload.DESCRIPTOR.fields:
        if fd.message_type is not None and fd.message_type.full_name == _FACTS:
            if fd.is_repeated:
                out.extend(getattr(payload, fd.name))
            elif payload.HasField(fd.name):
                out.append(getattr(payload, fd.name))
    return out


def _is_cadre(facts: Message) -> bool:
    return facts.HasField("cadre") and _enum_name(facts.cadre, "level") not in _NO_CADRE


def select_cadre(agency: str, payload: Message) -> Selection | None:
    """About a cadre a Party committee's organisation department manages (干部管理权限, domain.md
    §1): the person facts the event records carry a cadre management level. An event about
    several persons is narrowed to the cadres (the others' facts, outcomes and sanctions stay out)."""
    cadres = [f.person_id for f in _facts(payload) if _is_cadre(f)]
    return _persons_narrowed(payload, cadres) if cadres else None


_NO_OFFICIAL = ("OFFICIAL_CATEGORY_UNSPECIFIED", "OFFICIAL_CATEGORY_NONE")  # common.v1.OfficialCategory


def _is_official(facts: Message) -> bool:
    return facts.HasField("official") and _enum_name(facts.official, "category") not in _NO_OFFICIAL


def select_official(agency: str, payload: Message) -> Selection | None:
    """About a public official (SL 15, via PSL 2) whose personnel matters HR keeps (domain.md §1,
    issue 24): the person facts the event records carry a public-official category other than
    none. An event about several persons is narrowed to the officials."""
    officials = [f.person_id for f in _facts(payload) if _is_official(f)]
    return _persons_narrowed(payload, officials) if officials else None


SELECTORS: dict[str, Callable[[str, Message], Selection | None]] = {
    "all": select_all,
    "transfer": select_transfer,
    "names_agency": select_names_agency,
    "item_owner": select_item_owner,
    "cadre": select_cadre,
    "official": select_official,  # issue 24: HR's public officials
}


# --- redaction


def _is_map(fd: FieldDescriptor) -> bool:
    return fd.message_type is not None and fd.message_type.GetOptions().map_entry


def _prune(msg: Message, tree: dict) -> None:
    """Clear every field of `msg` the allow-tree does not name (in place, at every depth)."""
    msg.DiscardUnknownFields()
    for fd, value in msg.ListFields():
        if fd.name not in tree:
            msg.ClearField(fd.name)
            continue
        sub = tree[fd.name]
        if sub is _WHOLE:
            continue
        for element in value if fd.is_repeated else (value,):
            _prune(element, sub)


def redact(payload: Message, feed: EventFeed) -> dict:
    """The payload reduced to exactly the fields `feed` allows, as JSON-ready data."""
    pruned = _copy(payload)
    _prune(pruned, feed.tree)
    return json_format.MessageToDict(pruned, preserving_proto_field_name=True)


def _links(env: Message, feed: EventFeed, persons: frozenset[str] | None) -> list[dict]:
    """The envelope's links `feed` allows; person links only to the persons selected."""
    return [
        {"kind": link.kind, "id": link.id, "relation": link.relation}
        for link in env.links
        if f"{link.kind}/{link.relation}" in feed.links
        and (link.kind != "person" or persons is None or link.id in persons)
    ]


def view(agency: str, feed: EventFeed, env: Message, payload: Message) -> dict | None:
    """The agency's redacted view of one event under `feed`, or None when the event does not reach
    it: the allowed payload fields, and the allowed links under "links" (absent when none)."""
    selected = SELECTORS[feed.select](agency, payload)
    if selected is None:
        return None
    out = redact(selected.payload, feed)
    links = _links(env, feed, selected.persons) if feed.links else []
    if links:
        out[LINKS_KEY] = links
    return out


def views(config: FeedConfig, env: Message, payload: Message) -> dict[str, dict]:
    """Agency -> its redacted view of this event, for every agency whose feed selects it (none for
    a type no agency receives). `env` is the event's `common.v1.Envelope`, `payload` its unpacked
    payload (of `env.event_type`)."""
    out: dict[str, dict] = {}
    for agency, feed in config.by_type.get(env.event_type, ()):
        seen = view(agency, feed, env, payload)
        if seen is not None:
            out[agency] = seen
    return out


def _rfc3339(at: datetime | timestamp_pb2.Timestamp) -> str:
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("recorded_at must carry a time zone")
        ts = timestamp_pb2.Timestamp()
        ts.FromDatetime(at)
        at = ts
    return at.ToJsonString()


def entry(agency: str, position: int, leaf_index: int, env: Message, recorded_at: datetime, view: Mapping) -> dict:
    """A feed entry as data: the agency, its position in the agency's feed, the source leaf's index
    in the ledger, the envelope's identity and domain time, when the feed recorded it, the view."""
    return {
        "agency": agency,
        "position": position,
        "leaf_index": leaf_index,
        "event_id": env.event_id,
        "event_type": env.event_type,
        "stream_id": env.stream_id,
        "version": env.version,
        "occurred_at": _rfc3339(env.occurred_at),
        "recorded_at": _rfc3339(recorded_at),
        "view": view,
    }


def canonical(doc: Mapping) -> bytes:
    """Canonical JSON: UTF-8, keys sorted, no spaces (separators "," and ":")."""
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def entry_bytes(
    agency: str, position: int, leaf_index: int, env: Message, recorded_at: datetime, view: Mapping
) -> bytes:
    """The entry's canonical bytes: what the feed stores, serves and publishes, and what its tree's
    leaf hashes (`merkle.leaf_hash(entry_bytes(...))`)."""
    return canonical(entry(agency, position, leaf_index, env, recorded_at, view))


def parse_entry(raw: bytes) -> dict:
    """An entry's data from its bytes; ValueError when they are not a canonical entry."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"not a feed entry: {e}") from e
    if not isinstance(doc, dict) or sorted(doc) != sorted(ENTRY_KEYS):
        raise ValueError(f"not a feed entry: keys must be {', '.join(sorted(ENTRY_KEYS))}")
    if canonical(doc) != raw:
        raise ValueError("not a feed entry: not in canonical form")
    return doc


# --- checking a configuration against the contracts' descriptors (used by the loader)

# Never in any feed, whatever the configuration says (domain.md §1: informants stay sealed; the
# investigation plan is the commission's own, SL 42, Rules 39): these event types, and any field
# of these names at any depth.
NEVER_TYPES = {
    "clues.v1.InformantIdentityRead": "a read of a sealed informant identity (informants stay sealed, domain.md §1)",
    "clues.v1.PrelimCheckPlanSubmitted": "a preliminary check's work plan and team (investigation plan)",
    "clues.v1.PrelimCheckPlanApproved": "the approval of a preliminary check's plan (investigation plan)",
    "cases.v1.TopicMeetingHeld": "the topic meeting on the plan and measures (investigation plan, SL 42, Rules 39)",
    "common.v1.FileRead": "a read on the record (the commission's self-supervision, §6)",
}
NEVER_FIELDS = {
    "has_sealed_informant": "whether an informant's identity is sealed (informants stay sealed, domain.md §1)",
    "informant": "informant data (informants stay sealed, domain.md §1)",
    "work_plan": "a preliminary check's work plan (investigation plan)",
    "plan": "the plan and measures of a filing (investigation plan, SL 42)",
}


def never_problem(descriptor: Descriptor) -> str:
    """Why events of `descriptor` may never reach a partner ("" when they may)."""
    why = NEVER_TYPES.get(descriptor.full_name)
    return f"{descriptor.full_name} never leaves the commission: {why}" if why else ""


def _never_inside(descriptor: Descriptor, seen: frozenset = frozenset()) -> str:
    """The dotted path of a never-field inside `descriptor` (at any depth), or ""."""
    if descriptor.full_name in seen:
        return ""
    for fd in descriptor.fields:
        if fd.name in NEVER_FIELDS:
            return fd.name
        if fd.message_type is not None:
            inner = _never_inside(fd.message_type, seen | {descriptor.full_name})
            if inner:
                return f"{fd.name}.{inner}"
    return ""


def path_problem(descriptor: Descriptor, path: str) -> str:
    """Why `path` may not be allowed on events of `descriptor` ("" when it may): it names no field,
    enters a field that is no message (or a map or a well-known type, allowed whole or not at all),
    or reaches a field that never leaves (`NEVER_FIELDS`)."""
    msg = descriptor
    parts = path.split(".")
    for i, name in enumerate(parts):
        here = ".".join(parts[: i + 1])
        fd = msg.fields_by_name.get(name)
        if fd is None:
            return f"{path!r}: no field {name!r} in {msg.full_name}"
        if name in NEVER_FIELDS:
            return f"{path!r}: {here} never leaves the commission: {NEVER_FIELDS[name]}"
        if i < len(parts) - 1:
            if fd.message_type is None:
                return f"{path!r}: {here} is no message"
            if _is_map(fd) or fd.message_type.full_name.startswith(_WELL_KNOWN):
                return f"{path!r}: {here} is allowed whole or not at all"
            msg = fd.message_type
        elif fd.message_type is not None:
            inner = _never_inside(fd.message_type)
            if inner:
                return f"{path!r}: {here}.{inner} never leaves the commission: {NEVER_FIELDS[inner.rsplit('.', 1)[-1]]}"
    return ""


def measure_problem(descriptor: Descriptor, select: str) -> str:
    """Why `select` may not apply to `descriptor` as a measure event ("" when it may): a measure
    (调查措施) reaches a partner only as the custody hand-over addressed to the procuratorate
    (IR2025 134), i.e. with select = "transfer"."""
    if "measure_id" in descriptor.fields_by_name and select != "transfer":
        return (
            f"{descriptor.full_name} is a measure's event: measures reach no partner but the custody "
            'hand-over addressed to the procuratorate (select = "transfer")'
        )
    return ""


def selector_problem(descriptor: Descriptor, select: str) -> str:
    """Why selector `select` cannot apply to events of `descriptor` ("" when it can)."""
    fields = descriptor.fields_by_name
    name = descriptor.full_name
    if select not in SELECTORS:
        return f"unknown selector {select!r} ({', '.join(SELECTORS)})"
    if select == "transfer":
        outcomes, outcome = fields.get("outcomes"), fields.get("outcome")
        if (
            name in _CUSTODY_TYPES
            or (
                outcomes is not None
                and outcomes.message_type is not None
                and "kind" in outcomes.message_type.fields_by_name
            )
            or (
                outcome is not None
                and outcome.enum_type is not None
                and _CUSTODY_TRANSFERRED in outcome.enum_type.values_by_name
            )
        ):
            return ""
        return f"{name} records no transfer for prosecution nor custody hand-over"
    if select == "item_owner":
        items, agency = fields.get("items"), fields.get("agency")
        if (items is not None and items.message_type is not None and "agency" in items.message_type.fields_by_name) or (
            agency is not None and agency.type == FieldDescriptor.TYPE_STRING
        ):
            return ""
        return f"{name} carries no execution items nor an owning agency"
    if select == "names_agency":
        return (
            ""
            if _can_name(descriptor, frozenset())
            else f"{name} has no field naming an agency ({', '.join(_AGENCY_FIELDS)})"
        )
    if select == "cadre":
        if any(fd.message_type is not None and fd.message_type.full_name == _FACTS for fd in descriptor.fields):
            return ""
        return f"{name} records no person facts ({_FACTS}), so no cadre management level"
    if select == "official":
        if any(fd.message_type is not None and fd.message_type.full_name == _FACTS for fd in descriptor.fields):
            return ""
        return f"{name} records no person facts ({_FACTS}), so no public-official category"
    return ""


def _can_name(descriptor: Descriptor, seen: frozenset) -> bool:
    if descriptor.full_name in seen:
        return False
    for fd in descriptor.fields:
        if fd.type == FieldDescriptor.TYPE_STRING and fd.name in _AGENCY_FIELDS:
            return True
        if (
            fd.message_type is not None
            and not _is_map(fd)
            and _can_name(fd.message_type, seen | {descriptor.full_name})
        ):
            return True
    return False
