"""Partner feeds (issue 23): which recorded events reach which partner agency, and what of them.

Pure rules over the published contracts, read by reflection (no generated code here: a payload is
any protobuf message, the envelope a `common.v1.Envelope`), used alike at ingest and by a rebuild,
so both give the same feeds:

* The configuration (`deploy/config/partner_feeds.toml`, loaded by `app.feed_config`) names, per
  agency, the event types it receives, a selector and an ALLOW-LIST of payload field paths: a
  field added to a contract later never leaves by default (need to know, domain.md §1).
* A selector (`SELECTORS`, a closed set) says which events of a type reach the agency and may
  narrow a repeated field to the agency's own (`item_owner` keeps only its execution items;
  `transfer` only the TRANSFER_FOR_PROSECUTION outcomes).
* `views` gives each selected agency its redacted view: exactly the allowed fields, as JSON-ready
  data (proto field names, enums by name, timestamps RFC 3339; a field at its default is absent,
  as in proto3 JSON). `entry_bytes` is a feed entry's canonical bytes, the leaf of the agency's
  feed tree (`merkle.leaf_hash(entry_bytes(...))`).

Informant data (sealed, domain.md §1) and investigation plans never reach a partner: the shipped
configuration allows none of them, and `tests/unit/test_feeds.py` checks it over the shipped file.
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
ENTRY_KEYS = ("agency", "position", "leaf_index", *ENVELOPE_KEYS, "recorded_at", "view")

_WHOLE = None  # an allow-tree leaf: the whole field (a scalar, or a message with all its fields)
_TRANSFER = "OUTCOME_KIND_TRANSFER_FOR_PROSECUTION"  # cases.v1.OutcomeKind
_CUSTODY_TRANSFERRED = "MEASURE_OUTCOME_CUSTODY_TRANSFERRED"  # cases.v1.MeasureOutcome
_CUSTODY_TYPES = ("cases.v1.CustodyTransferred",)  # the procuratorate took custody (IR2025 134)
_NO_CADRE = ("MANAGEMENT_LEVEL_UNSPECIFIED", "MANAGEMENT_LEVEL_NONE")  # common.v1.ManagementLevel
_AGENCY_FIELDS = ("agency", "to_agency")  # string fields that name a catalogue agency
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
    """What one agency receives of one event type: which events (`select`), which fields."""

    event_type: str
    select: str
    fields: tuple[str, ...]
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


# --- selectors: (agency, payload) -> the payload to redact (the same, or a narrowed copy), or None


def _enum_name(msg: Message, name: str) -> str:
    fd = msg.DESCRIPTOR.fields_by_name[name]
    value = fd.enum_type.values_by_number.get(getattr(msg, name))
    return value.name if value else ""


def _copy(msg: Message) -> Message:
    out = type(msg)()
    out.CopyFrom(msg)
    return out


def _narrowed(msg: Message, name: str, keep: Callable[[Message], bool]) -> Message:
    """A copy of `msg` whose repeated message field `name` holds only the elements kept."""
    out = _copy(msg)
    kept = [e for e in getattr(msg, name) if keep(e)]
    del getattr(out, name)[:]
    getattr(out, name).extend(kept)
    return out


def select_all(agency: str, payload: Message) -> Message | None:
    """Every event of the type."""
    return payload


def select_transfer(agency: str, payload: Message) -> Message | None:
    """A transfer for prosecution (移送审查起诉) or a custody hand-over (IR2025 134): a disposal
    with a TRANSFER_FOR_PROSECUTION outcome (its `outcomes` narrowed to those), a measure ended
    with CUSTODY_TRANSFERRED, or the custody hand-over itself."""
    fields = payload.DESCRIPTOR.fields_by_name
    if payload.DESCRIPTOR.full_name in _CUSTODY_TYPES:
        return payload
    if "outcomes" in fields:
        transfer = [o for o in payload.outcomes if _enum_name(o, "kind") == _TRANSFER]
        return _narrowed(payload, "outcomes", lambda o: _enum_name(o, "kind") == _TRANSFER) if transfer else None
    if "outcome" in fields and _enum_name(payload, "outcome") == _CUSTODY_TRANSFERRED:
        return payload
    return None


def _names(msg: Message, agency: str) -> bool:
    """Whether a string field naming an agency (at any depth) is `agency`."""
    for fd, value in msg.ListFields():
        if fd.type == FieldDescriptor.TYPE_STRING and fd.name in _AGENCY_FIELDS:
            if (value == agency) if not _repeated(fd) else (agency in value):
                return True
        elif fd.type == FieldDescriptor.TYPE_MESSAGE and not _is_map(fd):
            if any(_names(m, agency) for m in (value if _repeated(fd) else (value,))):
                return True
    return False


def select_names_agency(agency: str, payload: Message) -> Message | None:
    """The payload names the agency: a field `agency` or `to_agency`, at any depth, equal to it
    (a clue forwarded to it, an item or report addressed to it)."""
    return payload if _names(payload, agency) else None


def select_item_owner(agency: str, payload: Message) -> Message | None:
    """Sanctions events carrying execution items (§4d): the event reaches the agency when one of
    its `items` is the agency's (or its own `agency` field is); `items` are narrowed to the
    agency's own, so no agency learns another's tasks."""
    fields = payload.DESCRIPTOR.fields_by_name
    own = "agency" in fields and payload.agency == agency
    if "items" in fields:
        if any(i.agency == agency for i in payload.items) or own:
            return _narrowed(payload, "items", lambda i: i.agency == agency)
        return None
    return payload if own else None


def _facts(payload: Message) -> list[Message]:
    out = []
    for fd in payload.DESCRIPTOR.fields:
        if fd.message_type is not None and fd.message_type.full_name == "common.v1.PersonFacts":
            value = getattr(payload, fd.name)
            out.extend(value if _repeated(fd) else ([value] if payload.HasField(fd.name) else []))
    return out


def _is_cadre(facts: Message) -> bool:
    return facts.HasField("cadre") and _enum_name(facts.cadre, "level") not in _NO_CADRE


def select_cadre(agency: str, payload: Message) -> Message | None:
    """About a cadre the organisation department manages (干部管理权限): the person facts the
    event records carry a cadre management level."""
    return payload if any(_is_cadre(f) for f in _facts(payload)) else None


SELECTORS: dict[str, Callable[[str, Message], Message | None]] = {
    "all": select_all,
    "transfer": select_transfer,
    "names_agency": select_names_agency,
    "item_owner": select_item_owner,
    "cadre": select_cadre,
}


# --- redaction


def _repeated(fd: FieldDescriptor) -> bool:
    return fd.is_repeated


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
        for element in value if _repeated(fd) else (value,):
            _prune(element, sub)


def redact(payload: Message, feed: EventFeed) -> dict:
    """The payload reduced to exactly the fields `feed` allows, as JSON-ready data."""
    pruned = _copy(payload)
    _prune(pruned, feed.tree)
    return json_format.MessageToDict(pruned, preserving_proto_field_name=True)


def views(config: FeedConfig, env: Message, payload: Message) -> dict[str, dict]:
    """Agency -> its redacted view of this event, for every agency whose feed selects it (none for
    a type no agency receives). `env` is the event's `common.v1.Envelope`, `payload` its unpacked
    payload."""
    out: dict[str, dict] = {}
    for agency, feed in config.by_type.get(env.event_type, ()):
        selected = SELECTORS[feed.select](agency, payload)
        if selected is not None:
            out[agency] = redact(selected, feed)
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


def path_problem(descriptor: Descriptor, path: str) -> str:
    """Why `path` is no field path of `descriptor` ("" when it is one)."""
    msg = descriptor
    parts = path.split(".")
    for i, name in enumerate(parts):
        fd = msg.fields_by_name.get(name) if msg is not None else None
        if fd is None:
            where = ".".join(parts[:i]) or msg.full_name if msg is not None else ".".join(parts[:i])
            return f"{path!r}: no field {name!r} in {where}"
        last = i == len(parts) - 1
        if not last:
            if fd.message_type is None:
                return f"{path!r}: {'.'.join(parts[: i + 1])} is no message"
            if _is_map(fd) or fd.message_type.full_name.startswith(_WELL_KNOWN):
                return f"{path!r}: {'.'.join(parts[: i + 1])} is allowed whole or not at all"
            msg = fd.message_type
    return ""


def selector_problem(descriptor: Descriptor, select: str) -> str:
    """Why selector `select` cannot apply to events of `descriptor` ("" when it can)."""
    fields = descriptor.fields_by_name
    name = descriptor.full_name
    if select not in SELECTORS:
        return f"unknown selector {select!r} ({', '.join(SELECTORS)})"
    if select == "transfer":
        outcomes = fields.get("outcomes")
        outcome = fields.get("outcome")
        if name in _CUSTODY_TYPES:
            return ""
        if (
            outcomes is not None
            and outcomes.message_type is not None
            and "kind" in outcomes.message_type.fields_by_name
        ):
            return ""
        if (
            outcome is not None
            and outcome.enum_type is not None
            and _CUSTODY_TRANSFERRED in outcome.enum_type.values_by_name
        ):
            return ""
        return f"{name} records no transfer for prosecution nor custody hand-over"
    if select == "item_owner":
        items = fields.get("items")
        agency = fields.get("agency")
        if (items is not None and items.message_type is not None and "agency" in items.message_type.fields_by_name) or (
            agency is not None and agency.type == FieldDescriptor.TYPE_STRING
        ):
            return ""
        return f"{name} carries no execution items nor an owning agency"
    if select == "names_agency":
        return "" if _can_name(descriptor, set()) else f"{name} has no field naming an agency"
    if select == "cadre":
        has = any(
            fd.message_type is not None and fd.message_type.full_name == "common.v1.PersonFacts"
            for fd in descriptor.fields
        )
        return "" if has else f"{name} records no person facts"
    return ""


def _can_name(descriptor: Descriptor, seen: set) -> bool:
    if descriptor.full_name in seen:
        return False
    seen.add(descriptor.full_name)
    for fd in descriptor.fields:
        if fd.type == FieldDescriptor.TYPE_STRING and fd.name in _AGENCY_FIELDS:
            return True
        if fd.message_type is not None and not _is_map(fd) and _can_name(fd.message_type, seen):
            return True
    return False
