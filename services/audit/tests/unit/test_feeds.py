"""Partner feeds (issue 23): each agency's view holds exactly what its allow-list and selector let
through (need to know, domain.md §1), and the entries' bytes are canonical.

The canary test plants a distinct value in EVERY field of EVERY event type of every producer
(descriptors walked recursively, repeated and nested included), then checks each agency's view
against the shipped configuration: exactly the canaries of its allowed paths, none other.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import datetime, timedelta, timezone

import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor

from cases.v1 import events_pb2 as cases
from common.v1 import envelope_pb2, person_pb2
from sanctions.v1 import events_pb2 as sanctions
from services.audit.app import feed_config
from services.audit.domain import feeds
from services.audit.domain.feeds import EventFeed, FeedConfig, entry_bytes, parse_entry, views

SHIPPED = feed_config.load_feed_config(feed_config.DEFAULT_FILE)
EVENT_TYPES = feed_config.event_types()
OWN, OTHER = "P-OWN", "P-OTHER"  # the persons an event is narrowed to, and those it is narrowed away from
STRANGER = "some_other_agency"
CANARY = re.compile(r"cnry\d{5}x")
AT = datetime(2026, 12, 7, 8, 30, 15, 123456, tzinfo=timezone.utc)


# --- canaries -------------------------------------------------------------------------------------


class Canaries:
    """Distinct values, one per scalar field set."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n

    def scalar(self, fd: FieldDescriptor):
        n = self.next()
        if fd.type == FieldDescriptor.TYPE_STRING:
            return f"cnry{n:05d}x"
        if fd.type == FieldDescriptor.TYPE_BYTES:
            return f"cnry{n:05d}x".encode()
        if fd.type == FieldDescriptor.TYPE_BOOL:
            return True
        if fd.type == FieldDescriptor.TYPE_ENUM:
            return max(v.number for v in fd.enum_type.values)  # never the unspecified 0
        if fd.cpp_type in (FieldDescriptor.CPPTYPE_FLOAT, FieldDescriptor.CPPTYPE_DOUBLE):
            return n + 0.5
        return 10000 + n

    def fill(self, msg, depth: int = 0) -> None:
        """Set every field of `msg`, at every depth; two elements in every repeated field."""
        assert depth < 8, f"{msg.DESCRIPTOR.full_name}: recursive contract"
        if msg.DESCRIPTOR.full_name == "google.protobuf.Timestamp":
            msg.seconds, msg.nanos = 1_700_000_000 + self.next() * 60, 0
            return
        for fd in msg.DESCRIPTOR.fields:
            assert not (fd.message_type and fd.message_type.GetOptions().map_entry), "no maps in events"
            value = getattr(msg, fd.name)
            if fd.message_type is not None:
                for element in (value.add(), value.add()) if fd.is_repeated else (value,):
                    self.fill(element, depth + 1)
            elif fd.is_repeated:
                value.extend([self.scalar(fd), self.scalar(fd)])
            else:
                setattr(msg, fd.name, self.scalar(fd))


def _enum(msg, name: str, value_name: str) -> None:
    setattr(msg, name, msg.DESCRIPTOR.fields_by_name[name].enum_type.values_by_name[value_name].number)


def _setup(msg, agency: str) -> None:
    """Make the event one that reaches `agency` under any selector, with element 0 of every narrowed
    repeated field its own and element 1 another's (the canaries of element 1 are the test's
    "foreign" ones)."""
    fields = msg.DESCRIPTOR.fields_by_name
    for fd in msg.DESCRIPTOR.fields:
        value = getattr(msg, fd.name)
        if fd.message_type is not None and "person_id" in fd.message_type.fields_by_name:
            if fd.is_repeated:
                value[0].person_id, value[1].person_id = OWN, OTHER
            else:
                value.person_id = OWN
        elif fd.is_repeated and fd.name in ("managed", "persons"):
            value[:] = [OWN, OTHER]
        if fd.message_type is not None and fd.message_type.full_name == "common.v1.PersonFacts":
            for facts in value if fd.is_repeated else (value,):
                level = "MANAGEMENT_LEVEL_CITY" if facts.person_id == OWN else "MANAGEMENT_LEVEL_NONE"
                _enum(facts.cadre, "level", level)
    if "outcomes" in fields and "kind" in fields["outcomes"].message_type.fields_by_name:
        _enum(msg.outcomes[0], "kind", "OUTCOME_KIND_TRANSFER_FOR_PROSECUTION")
        _enum(msg.outcomes[1], "kind", "OUTCOME_KIND_PARTY_SANCTION")
    if "outcome" in fields and fields["outcome"].enum_type is not None:
        if "MEASURE_OUTCOME_CUSTODY_TRANSFERRED" in fields["outcome"].enum_type.values_by_name:
            _enum(msg, "outcome", "MEASURE_OUTCOME_CUSTODY_TRANSFERRED")
    if "items" in fields and "agency" in fields["items"].message_type.fields_by_name:
        msg.items[0].agency, msg.items[1].agency = agency, STRANGER
    for name in ("agency", "to_agency"):
        if name in fields:
            setattr(msg, name, agency)
    if "sent_to" in fields:
        msg.sent_to[:] = [agency, STRANGER]


def _envelope(event_type: str) -> envelope_pb2.Envelope:
    env = envelope_pb2.Envelope(
        event_id="0f6c7a4e-0000-4000-8000-000000000001",
        stream_id="decision-0f6c7a4e-0000-4000-8000-000000000002",
        version=4,
        event_type=event_type,
        schema_version=1,
        correlation_id="cnry99001x",
        request_id="cnry99002x",
    )
    env.occurred_at.FromDatetime(AT - timedelta(hours=1))
    env.recorded_at.FromDatetime(AT - timedelta(minutes=59))
    env.principal.agency, env.principal.user = "commission", "cnry99003x"
    for kind, ident, relation in (
        ("person", OWN, "subject"),
        ("person", OTHER, "subject"),
        ("case", "case-cnry99004x", "measure-of"),
        ("case", "case-cnry99005x", "case"),
        ("clue", "clue-cnry99006x", "origin"),
        ("decision", "decision-cnry99007x", "decision"),
    ):
        env.links.add(kind=kind, id=ident, relation=relation)
    return env


def _leaves(data, path=()):
    """(path with indexes, value) of every leaf of JSON-ready data."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _leaves(value, (*path, i))
    else:
        yield path, data


def _allowed(path: tuple, fields: tuple[str, ...]) -> bool:
    names = tuple(p for p in path if isinstance(p, str))
    return any(names[: len(f.split("."))] == tuple(f.split(".")) for f in fields)


def _narrowed_fields(msg, select: str) -> set[str]:
    """The top-level repeated fields whose element 1 the selector drops (test's own statement of
    the rules: transfer and cadre narrow to the persons, item_owner to the agency's items)."""
    fields = msg.DESCRIPTOR.fields_by_name
    if select == "item_owner":
        return {"items"} if "items" in fields else set()
    if select == "cadre" or (select == "transfer" and "outcomes" in fields):
        return {
            fd.name
            for fd in msg.DESCRIPTOR.fields
            if fd.is_repeated
            and (
                (fd.message_type is not None and "person_id" in fd.message_type.fields_by_name)
                or fd.name in ("managed", "persons")
            )
        }
    return set()


def _expected(msg, env, feed: EventFeed) -> set:
    data = json_format.MessageToDict(msg, preserving_proto_field_name=True)
    dropped = _narrowed_fields(msg, feed.select)
    out = {
        (path, value)
        for path, value in _leaves(data)
        if _allowed(path, feed.fields) and not (path[0] in dropped and path[1] == 1)
    }
    by_person = feed.select == "cadre" or (feed.select == "transfer" and "outcomes" in msg.DESCRIPTOR.fields_by_name)
    links = [
        {"kind": link.kind, "id": link.id, "relation": link.relation}
        for link in env.links
        if f"{link.kind}/{link.relation}" in feed.links and not (by_person and link.id == OTHER)
    ]
    return out | set(_leaves({"links": links} if links else {}))


CONFIGURED = sorted((agency, t) for agency, types in SHIPPED.agencies.items() for t in types)


@pytest.mark.parametrize(("agency", "event_type"), CONFIGURED, ids=[f"{a}:{t}" for a, t in CONFIGURED])
def test_canary_in_every_field_only_the_allowed_paths_reach_the_agency(agency, event_type):
    """Need to know (domain.md §1; issue 23 point 5): a canary in every field; the agency's view
    holds exactly the canaries of its allowed paths (and of its own elements), no other agency's
    view holds one it is not allowed, and the entry bytes carry no other canary."""
    msg = EVENT_TYPES[event_type]._concrete_class()
    Canaries().fill(msg)
    _setup(msg, agency)
    env = _envelope(event_type)
    got = views(SHIPPED, env, msg)
    feed = SHIPPED.agencies[agency][event_type]
    assert agency in got, f"{event_type} set up to reach {agency} did not"
    assert set(_leaves(got[agency])) == _expected(msg, env, feed)
    for other, view in got.items():
        other_feed = SHIPPED.agencies[other][event_type]
        allowed = {v for _, v in _expected(msg, env, other_feed) if isinstance(v, str)}
        raw = entry_bytes(other, 1, 42, env, AT, view).decode()
        leaked = set(CANARY.findall(raw)) - {c for v in allowed for c in CANARY.findall(v)}
        assert not leaked, f"{other} sees {sorted(leaked)} of {event_type}"
        assert STRANGER not in raw or "sent_to" in other_feed.fields, f"{other} sees another agency's item"


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_canary_every_event_type_reaches_only_the_agencies_configured_for_it(event_type):
    """Every event type of every producer, canaries everywhere, set up for each partner in turn:
    an agency with no feed for the type never gets a view of it (allow-list, issue 23 point 1)."""
    for agency in ("procuratorate", "court", "organisation_department", "personnel_bureau", "archives"):
        msg = EVENT_TYPES[event_type]._concrete_class()
        Canaries().fill(msg)
        _setup(msg, agency)
        got = views(SHIPPED, _envelope(event_type), msg)
        assert set(got) <= {a for a, types in SHIPPED.agencies.items() if event_type in types}


# --- the shipped file: never informant data, investigation plans, measures not addressed -----------


def _shipped_raw() -> dict:
    return tomllib.loads(feed_config.DEFAULT_FILE.read_text(encoding="utf-8"))


def test_shipped_file_allows_no_informant_field_nor_investigation_plan_in_any_view():
    """Domain.md §1 (informants stay sealed) and SL 42 / Rules 39 (the plan is the commission's):
    read over the shipped file itself, not through the loader."""
    for agency, spec in _shipped_raw()["agencies"].items():
        for event_type, feed in spec["events"].items():
            assert "informant" not in event_type.lower(), (agency, event_type)
            assert "plan" not in event_type.lower().replace("planned", ""), (agency, event_type)
            assert event_type not in feeds.NEVER_TYPES, (agency, event_type)
            for path in feed["fields"]:
                for name in path.split("."):
                    assert "informant" not in name and name not in ("plan", "work_plan"), (agency, event_type, path)


def test_shipped_file_no_measure_event_but_the_custody_handover_to_the_procuratorate():
    """Measures not addressed to an agency never appear (issue 23 point 1; IR2025 134)."""
    for agency, spec in _shipped_raw()["agencies"].items():
        for event_type, feed in spec["events"].items():
            if "measure_id" in EVENT_TYPES[event_type].fields_by_name:
                assert (agency, feed["select"]) == ("procuratorate", "transfer"), (agency, event_type)


@pytest.mark.parametrize("event_type", sorted(feeds.NEVER_TYPES))
def test_informant_reads_and_plans_reach_no_agency_even_with_canaries(event_type):
    for agency in SHIPPED.agencies:
        msg = EVENT_TYPES[event_type]._concrete_class()
        Canaries().fill(msg)
        _setup(msg, agency)
        assert views(SHIPPED, _envelope(event_type), msg) == {}


def test_registered_clue_never_reaches_a_partner_with_its_sealed_informant_flag():
    """ClueRegistered.has_sealed_informant (domain.md §1) is refused even when configured."""
    with pytest.raises(feed_config.FeedConfigError, match="has_sealed_informant"):
        feed_config.parse_feed_config(
            {
                "schema_version": 1,
                "agencies": {
                    "court": {
                        "events": {"clues.v1.ClueRegistered": {"select": "all", "fields": ["has_sealed_informant"]}}
                    }
                },
            },
            "t.toml",
        )


# --- selectors, one row per rule ---------------------------------------------------------------------


def _cfg(agency: str, event_type: str, select: str, fields: tuple[str, ...], links=()) -> FeedConfig:
    return FeedConfig({agency: {event_type: EventFeed(event_type, select, fields, tuple(links))}})


def _env(event_type: str, *persons: str) -> envelope_pb2.Envelope:
    env = envelope_pb2.Envelope(event_id="e-1", stream_id="s-1", version=1, event_type=event_type)
    env.occurred_at.FromDatetime(AT)
    for p in persons:
        env.links.add(kind="person", id=p, relation="subject")
    return env


def _facts(person: str, level: str | None) -> person_pb2.PersonFacts:
    facts = person_pb2.PersonFacts(person_id=person)
    if level:
        _enum(facts.cadre, "level", level)
    return facts


def _disposed(*outcomes: tuple[str, str]) -> cases.CaseDisposed:
    msg = cases.CaseDisposed(case_id="case-1")
    for person, kind in outcomes:
        o = msg.outcomes.add(person_id=person, article=f"art-{person}")
        _enum(o, "kind", f"OUTCOME_KIND_{kind}")
        msg.sanctions.add(person_id=person)
        msg.facts.add(person_id=person)
    msg.transfer.add(title="移送函", sha256="a" * 64)
    return msg


DISPOSED = "cases.v1.CaseDisposed"
ISSUED = "sanctions.v1.DecisionIssued"

SELECTOR_ROWS = [
    # (rule, agency, event type, select, fields, payload, expected view or None)
    (
        "transfer: SL 54, a TRANSFER_FOR_PROSECUTION outcome reaches the procuratorate, narrowed to it",
        "procuratorate",
        DISPOSED,
        "transfer",
        ("case_id", "outcomes.person_id", "outcomes.kind", "outcomes.article", "sanctions", "facts", "transfer"),
        _disposed(("P-1", "TRANSFER_FOR_PROSECUTION"), ("P-2", "PARTY_SANCTION"), ("P-1", "PARTY_SANCTION")),
        {
            "case_id": "case-1",
            "outcomes": [{"person_id": "P-1", "kind": "OUTCOME_KIND_TRANSFER_FOR_PROSECUTION", "article": "art-P-1"}],
            "sanctions": [{"person_id": "P-1"}, {"person_id": "P-1"}],
            "facts": [{"person_id": "P-1"}, {"person_id": "P-1"}],
            "transfer": [{"title": "移送函", "sha256": "a" * 64}],
        },
    ),
    (
        "transfer: SL 54, a disposal without a transfer reaches no procuratorate",
        "procuratorate",
        DISPOSED,
        "transfer",
        ("case_id",),
        _disposed(("P-1", "PARTY_SANCTION")),
        None,
    ),
    (
        "transfer: IR2025 134, a measure ended by the custody hand-over",
        "procuratorate",
        "cases.v1.MeasureEnded",
        "transfer",
        ("measure_id", "outcome"),
        cases.MeasureEnded(measure_id="m-1", outcome=cases.MEASURE_OUTCOME_CUSTODY_TRANSFERRED, reason="r"),
        {"measure_id": "m-1", "outcome": "MEASURE_OUTCOME_CUSTODY_TRANSFERRED"},
    ),
    (
        "transfer: a measure released reaches no partner (measures not addressed to it)",
        "procuratorate",
        "cases.v1.MeasureEnded",
        "transfer",
        ("measure_id", "outcome"),
        cases.MeasureEnded(measure_id="m-1", outcome=cases.MEASURE_OUTCOME_RELEASED),
        None,
    ),
    (
        "transfer: IR2025 134, the custody hand-over itself, its offsets (SL 50 ¶4)",
        "procuratorate",
        "cases.v1.CustodyTransferred",
        "transfer",
        ("measure_id", "document", "detention_days"),
        cases.CustodyTransferred(
            measure_id="m-1", document=cases.DocumentRef(title="t", sha256="b" * 64), detention_days=30, recorded_by="u"
        ),
        {"measure_id": "m-1", "document": {"title": "t", "sha256": "b" * 64}, "detention_days": 30},
    ),
    (
        "names_agency: IR2021 171, a clue forwarded to the court reaches it",
        "court",
        "clues.v1.ClueForwarded",
        "names_agency",
        ("clue_id", "to_agency"),
        None,  # built below (clues module)
        {"clue_id": "clue-1", "to_agency": "court"},
    ),
    (
        "names_agency: a clue forwarded to another body does not reach the court",
        "court",
        "clues.v1.ClueForwarded",
        "names_agency",
        ("clue_id", "to_agency"),
        None,
        None,
    ),
    (
        "names_agency: seed 000, a visit's result sent to HR reaches it (sent_to)",
        "personnel_bureau",
        "sanctions.v1.FollowUpVisitRecorded",
        "names_agency",
        ("decision_id", "grade"),
        sanctions.FollowUpVisitRecorded(
            decision_id="d-1", grade="GOOD", sent_to=["organisation_department", "personnel_bureau"]
        ),
        {"decision_id": "d-1", "grade": "GOOD"},
    ),
    (
        "item_owner: §4d, the decision reaches archives with its own items only",
        "archives",
        ISSUED,
        "item_owner",
        ("decision_id", "items"),
        sanctions.DecisionIssued(
            decision_id="d-1",
            items=[
                sanctions.ExecutionItem(kind="PERSONNEL_FILE", agency="archives", item_id="PERSONNEL_FILE"),
                sanctions.ExecutionItem(kind="POST_PAY_CHANGE", agency="personnel_bureau", item_id="POST_PAY_CHANGE"),
                sanctions.ExecutionItem(kind="APPRAISAL", agency="archives", item_id="APPRAISAL:2"),
            ],
        ),
        {
            "decision_id": "d-1",
            "items": [
                {"kind": "PERSONNEL_FILE", "agency": "archives", "item_id": "PERSONNEL_FILE"},
                {"kind": "APPRAISAL", "agency": "archives", "item_id": "APPRAISAL:2"},
            ],
        },
    ),
    (
        "item_owner: §4d, a decision with no item of finance does not reach it",
        "finance_bureau",
        ISSUED,
        "item_owner",
        ("decision_id", "items"),
        sanctions.DecisionIssued(
            decision_id="d-1", items=[sanctions.ExecutionItem(kind="PERSONNEL_FILE", agency="archives")]
        ),
        None,
    ),
    (
        "item_owner: §4d, an overdue item reaches its owner (the event's agency)",
        "archives",
        "sanctions.v1.ExecutionItemOverdue",
        "item_owner",
        ("item_id", "agency"),
        sanctions.ExecutionItemOverdue(item_id="PERSONNEL_FILE", agency="archives", office="personnel_files"),
        {"item_id": "PERSONNEL_FILE", "agency": "archives"},
    ),
    (
        "item_owner: §4d, another agency's overdue item does not reach it",
        "archives",
        "sanctions.v1.ExecutionItemOverdue",
        "item_owner",
        ("item_id", "agency"),
        sanctions.ExecutionItemOverdue(item_id="POST_PAY_CHANGE", agency="personnel_bureau"),
        None,
    ),
    (
        "cadre: 干部管理权限, a filing on a city cadre reaches the org dept, narrowed to the cadre",
        "organisation_department",
        "cases.v1.FilingPrepared",
        "cadre",
        ("case_id", "person_facts.person_id", "at_issue", "managed"),
        cases.FilingPrepared(
            case_id="case-1",
            person_facts=[
                _facts("P-1", "MANAGEMENT_LEVEL_CITY"),
                _facts("P-2", "MANAGEMENT_LEVEL_NONE"),
                _facts("P-3", None),
            ],
            at_issue=[cases.SubjectAtIssue(person_id="P-1"), cases.SubjectAtIssue(person_id="P-2")],
            managed=["P-1", "P-2"],
        ),
        {
            "case_id": "case-1",
            "person_facts": [{"person_id": "P-1"}],
            "at_issue": [{"person_id": "P-1"}],
            "managed": ["P-1"],
        },
    ),
    (
        "cadre: a filing on no cadre does not reach the org dept",
        "organisation_department",
        "cases.v1.FilingPrepared",
        "cadre",
        ("case_id",),
        cases.FilingPrepared(
            case_id="case-1", person_facts=[_facts("P-2", "MANAGEMENT_LEVEL_NONE"), _facts("P-3", None)]
        ),
        None,
    ),
    (
        "cadre: G2, P6, a decision opened for a county cadre (single facts)",
        "organisation_department",
        "sanctions.v1.DecisionOpened",
        "cadre",
        ("decision_id", "person_id"),
        sanctions.DecisionOpened(decision_id="d-1", person_id="P-1", facts=_facts("P-1", "MANAGEMENT_LEVEL_COUNTY")),
        {"decision_id": "d-1", "person_id": "P-1"},
    ),
    (
        "all: every event of the type, to the allowed fields",
        "archives",
        "sanctions.v1.EffectPeriodEnded",
        "all",
        ("decision_id",),
        sanctions.EffectPeriodEnded(decision_id="d-1", on="2027-01-01"),
        {"decision_id": "d-1"},
    ),
]


def _clue_forwarded(to: str):
    from clues.v1 import events_pb2 as clues

    return clues.ClueForwarded(clue_id="clue-1", to_agency=to, reason="jurisdiction", forwarded_by="u")


@pytest.mark.parametrize("row", SELECTOR_ROWS, ids=[r[0] for r in SELECTOR_ROWS])
def test_selector(row):
    rule, agency, event_type, select, fields, payload, expected = row
    if payload is None:
        payload = _clue_forwarded("court" if expected is not None else "public_security_bureau")
    got = views(_cfg(agency, event_type, select, fields), _env(event_type), payload)
    assert got == ({agency: expected} if expected is not None else {})


def test_person_links_follow_the_persons_the_selector_kept():
    """Transfer (SL 54): the envelope links every subject of the case; only the transferred person's
    link reaches the procuratorate."""
    cfg = _cfg("procuratorate", DISPOSED, "transfer", ("case_id",), links=("person/subject",))
    payload = _disposed(("P-1", "TRANSFER_FOR_PROSECUTION"), ("P-2", "NO_SANCTION"))
    got = views(cfg, _env(DISPOSED, "P-1", "P-2"), payload)
    assert got == {
        "procuratorate": {"case_id": "case-1", "links": [{"kind": "person", "id": "P-1", "relation": "subject"}]}
    }


def test_links_not_allowed_are_left_out_and_no_key_without_any():
    cfg = _cfg("archives", ISSUED, "item_owner", ("decision_id",), links=("case/case",))
    payload = sanctions.DecisionIssued(decision_id="d-1", items=[sanctions.ExecutionItem(agency="archives")])
    assert views(cfg, _env(ISSUED, "P-1"), payload) == {"archives": {"decision_id": "d-1"}}


def test_views_do_not_change_the_payload():
    payload = _disposed(("P-1", "TRANSFER_FOR_PROSECUTION"), ("P-2", "PARTY_SANCTION"))
    before = payload.SerializeToString(deterministic=True)
    views(SHIPPED, _env(DISPOSED), payload)
    assert payload.SerializeToString(deterministic=True) == before


def test_a_field_unknown_to_this_build_never_leaves():
    """Allow-list: bytes of a field the contract gains later (unknown here) are dropped."""
    payload = sanctions.EffectPeriodEnded(decision_id="d-1")
    raw = payload.SerializeToString() + b"\xfa\x3e\x0acnry00001x"  # field 999, length-delimited
    parsed = sanctions.EffectPeriodEnded.FromString(raw)
    cfg = _cfg("archives", "sanctions.v1.EffectPeriodEnded", "all", ("decision_id",))
    got = views(cfg, _env("sanctions.v1.EffectPeriodEnded"), parsed)
    assert "cnry" not in json.dumps(got)


def test_a_type_no_agency_receives_has_no_views():
    assert views(SHIPPED, _env("cases.v1.QualityReviewed"), cases.QualityReviewed(case_id="c")) == {}


# --- entry bytes ------------------------------------------------------------------------------------------


def test_entry_bytes_are_canonical_json_with_the_envelope_identity():
    env = _env(ISSUED)
    view = {"decision_id": "d-1", "items": [{"kind": "PERSONNEL_FILE", "agency": "archives"}], "note": "人事档案"}
    raw = entry_bytes("archives", 7, 42, env, AT, view)
    assert (
        raw
        == (
            '{"agency":"archives","event_id":"e-1","event_type":"sanctions.v1.DecisionIssued","leaf_index":42,'
            '"occurred_at":"2026-12-07T08:30:15.123456Z","position":7,"recorded_at":"2026-12-07T08:30:15.123456Z",'
            '"stream_id":"s-1","version":1,"view":{"decision_id":"d-1","items":[{"agency":"archives","kind":"PERSONNEL_FILE"}],'
            '"note":"人事档案"}}'
        ).encode()
    )
    assert parse_entry(raw)["view"] == view
    assert set(parse_entry(raw)) == set(feeds.ENTRY_KEYS)


def test_entry_bytes_recorded_at_in_another_zone_is_the_same_instant():
    env = _env(ISSUED)
    east8 = AT.astimezone(timezone(timedelta(hours=8)))
    assert entry_bytes("archives", 1, 2, env, east8, {}) == entry_bytes("archives", 1, 2, env, AT, {})


def test_entry_bytes_refuse_a_naive_time():
    with pytest.raises(ValueError, match="time zone"):
        entry_bytes("archives", 1, 2, _env(ISSUED), AT.replace(tzinfo=None), {})


@pytest.mark.parametrize(
    "tamper",
    [
        lambda raw: raw.replace(b'"leaf_index":42', b'"leaf_index":43'),  # still canonical, different leaf
        lambda raw: raw.replace(b",", b", "),  # not canonical
        lambda raw: raw[:-1],  # not JSON
        lambda raw: raw.replace(b'"agency":"archives",', b""),  # a key missing
    ],
)
def test_parse_entry_refuses_what_is_no_canonical_entry_and_a_changed_one_hashes_differently(tamper):
    from services.audit.domain.merkle import leaf_hash

    raw = entry_bytes("archives", 7, 42, _env(ISSUED), AT, {"decision_id": "d-1"})
    changed = tamper(raw)
    assert leaf_hash(changed) != leaf_hash(raw)
    if b'"leaf_index":43' not in changed:
        with pytest.raises(ValueError, match="not a feed entry"):
            parse_entry(changed)
