"""What is stored can always be read back (issue 15): clues registered over gRPC with values at
the edges the request rules allow read back, unchanged, through every query.

Edges: received_at exactly REQUEST_EARLIEST_DATE and exactly the service clock's now plus the
allowed skew (and absent: the time of the call), below the microsecond too; summaries, names,
posts, units, informant fields and references at their longest, in CJK and emoji, text with
newlines and tabs; the most subjects a clue may name; every priority and source; supervision
notices due exactly at the planning horizon. Read back: GetClue, GetInformant, ListClues
(unfiltered and by office, colour, stage, priority), ListSupervisionNotices, GetStockTake over
periods of the longest span touching the edges, and audit's GetStreamHistory.

Two normalisations the services apply are expected: the summary and the subjects' fields lose
surrounding whitespace (the sealed informant does not), and times keep microseconds
(PostgreSQL's and Python's precision), the nanoseconds below dropped.

Hypothesis draws the examples before any service starts (`drawn`): the Kafka clients of running
services call the global `random` from their own threads, which hypothesis would take for a
strategy using it. The services then run on an event loop of their own (a thread) and the test
calls them with blocking stubs while their relays and consumers keep running. There is no
shrinking: every example registers into the same services, so a smaller example would not meet
the state the failing one met; a failure names its example instead.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import grpc
import pytest
from google.protobuf import timestamp_pb2
from hypothesis import HealthCheck, Phase, example, given, settings, strategies as st

from audit.v1 import service_pb2 as audit_pb2, service_pb2_grpc as audit_grpc
from clues.v1 import events_pb2, service_pb2 as pb, service_pb2_grpc as clues_grpc
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.edge.contract import Limits, rules_of
from kernel.eventstore.envelope import instant, parse, unpack
from services.audit.main import build as build_audit
from services.clues.main import build as build_clues
from tests.e2e.platforms import e2e_settings
from tests.factories import ALICE, call_metadata, service_settings


def rule(message, name: str):
    """The declared rule of a request field: the edges come from the contract, not from here."""
    return next(r for fd, r in rules_of(message.DESCRIPTOR) if fd.name == name)


UTC = timezone.utc
LIMITS = Limits()
EARLIEST = LIMITS.earliest
SKEW_US = int(LIMITS.clock_skew.total_seconds()) * 1_000_000
MAX_SUBJECTS = rule(pb.RegisterClueRequest, "subjects").max_items
SUMMARY = rule(pb.RegisterClueRequest, "summary").text
NAME, POST, UNIT = (rule(identity_pb2.PersonRef, f).line for f in ("name", "post", "unit"))
PERSON_ID = 64  # ID_FORMAT_PERSON
INFORMANT = (rule(pb.Informant, "name").line, rule(pb.Informant, "contact").line, rule(pb.Informant, "details").text)
REFERENCE_LENGTH = 128  # ID_FORMAT_REFERENCE
MAX_BATCH_HERE = 3  # clues per example: kept small for time (the rule allows 1000)
SOURCES = [v.number for v in events_pb2.ClueSource.DESCRIPTOR.values if v.number]
# the classes a registration may give (FAST_TRACK only an integrity-opinion request gives: domain.md §5)
PRIORITIES = [
    v.number for v in events_pb2.CluePriority.DESCRIPTOR.values if v.number != events_pb2.CLUE_PRIORITY_FAST_TRACK
]
GREEN, YELLOW, RED = events_pb2.WARNING_COLOUR_GREEN, events_pb2.WARNING_COLOUR_YELLOW, events_pb2.WARNING_COLOUR_RED
RANK = {0: 4, 1: 1, 2: 2, 3: 3, 4: 0}  # priority classes first (services.clues.app.ledger.PRIORITY_RANK)
REGISTRARS = [
    ALICE,
    Principal("commission", "complaints", "complaints_officer", "u-carol"),
    Principal("commission", "inspection_tour", "tour_officer", "u-tom"),
    Principal("commission", "resident_group_1", "resident_officer", "u-rita"),
]
INFORMANT_READER = REGISTRARS[1]  # clues.read_informant: complaints officers only
OFFICES = sorted({p.office for p in REGISTRARS})
PURPOSE = "核实举报人身份 😀\n\tverify identity"

# -- what to send ---------------------------------------------------------------------------------
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
PALETTES = {  # each starts with a visible character
    "line": ("线索甲乙丙丁", "😀🎉👨‍👩‍👧‍👦🇨🇳", "Zhang San · 张三", "é̂ñ ﬁ Ǆ ẞ"),
    "text": ("线索\n第二行\t制表 ", "😀\r\n🎉\t🇨🇳", "受贿\t\t行贿\n\n😀", "A\u2028B\u2029C \u3000"),
}
REFERENCE = ("巡视2026年第1轮", "Round 1 (2026) #A/B:c-d_e.", "督办_第12号")


def chars(kind: str):
    """Characters the rule of `kind` allows (rules.proto): no control character and no bidi
    override, but newlines, carriage returns and tabs in text; U+2028/9 only in text."""
    base = st.characters(
        codec="utf-8",
        exclude_categories=("Cs", "Cc"),
        exclude_characters=BIDI + ("\u2028\u2029" if kind == "line" else ""),
    )
    return base if kind == "line" else st.one_of(base, st.sampled_from("\n\t\r"))


def tile(motif: str, n: int) -> str:
    return (motif * (n // len(motif) + 1))[:n]


def sized(limit: int, kind: str, *, optional: bool = False):
    """Text of at most `limit` characters, often exactly `limit`: a palette of multi-byte
    characters and a drawn motif, repeated (drawing thousands of characters one by one would
    overflow hypothesis' buffer). Never blank: the palettes start with a visible character."""
    text = st.builds(
        lambda pal, motif, n: tile(pal + motif, n),
        st.sampled_from(PALETTES[kind]),
        st.text(chars(kind), max_size=6),
        st.one_of(st.just(limit), st.integers(1, limit)),
    )
    return st.one_of(st.just(""), text) if optional else text


def reference(limit: int = REFERENCE_LENGTH):
    """An ID_FORMAT_REFERENCE: letters of any script, digits, spaces inside and `.:/()#-_`."""
    return st.builds(
        lambda pal, n: tile(pal, n).strip(),
        st.sampled_from(REFERENCE),
        st.one_of(st.just(limit), st.integers(1, limit)),
    )


@dataclass(frozen=True)
class Received:
    anchor: str  # "earliest" (REQUEST_EARLIEST_DATE), "now" (the clock at sending) or "absent"
    offset_us: int = 0
    nanos: int = 0  # below the microsecond

    def timestamp(self, now_us: int) -> timestamp_pb2.Timestamp | None:
        if self.anchor == "absent":
            return None
        base = int(EARLIEST.timestamp()) * 1_000_000 if self.anchor == "earliest" else now_us
        ns = (base + self.offset_us) * 1000 + self.nanos
        return timestamp_pb2.Timestamp(seconds=ns // 10**9, nanos=ns % 10**9)


@dataclass(frozen=True)
class Notice:
    notice_id: str
    to_office: str  # "" for the clue's own office
    back_s: int  # due at now + horizon - back_s: 0 is the planning horizon exactly
    required: str


@dataclass(frozen=True)
class Spec:
    source: int
    priority: int
    subjects: tuple  # of (person_id, name, post, unit)
    summary: str
    received: Received
    informant: tuple | None = None  # (name, contact, details)
    notice: Notice | None = None


@dataclass(frozen=True)
class Example:
    registrar: int
    batch: str  # "" registers each clue with RegisterClue, else RegisterClueBatch with this reference
    clues: tuple


def person_id(k: int, length: int, fill: str) -> str:
    prefix = f"P{k}-"  # distinct for every k, whatever follows
    return (prefix + fill * PERSON_ID)[: max(length, len(prefix))]


@st.composite
def subjects(draw):
    """1-4 subjects, or the most a clue may name, cycling through up to 4 drawn persons."""
    n = draw(st.one_of(st.just(MAX_SUBJECTS), st.integers(1, 4)))
    people = draw(
        st.lists(
            st.tuples(sized(NAME, "line"), sized(POST, "line", optional=True), sized(UNIT, "line", optional=True)),
            min_size=1,
            max_size=4,
        )
    )
    lengths = draw(st.tuples(st.one_of(st.just(PERSON_ID), st.integers(1, PERSON_ID)), st.sampled_from("Aa0._:-")))
    return tuple((person_id(k, *lengths), *people[k % len(people)]) for k in range(n))


received = st.one_of(
    st.builds(
        Received,
        st.just("earliest"),
        st.one_of(st.just(0), st.integers(0, 10**12)),
        st.one_of(st.just(0), st.integers(0, 999)),
    ),
    st.builds(
        Received,
        st.just("now"),
        st.one_of(st.just(SKEW_US), st.integers(-60_000_000, SKEW_US)),
        st.one_of(st.just(0), st.integers(0, 999)),
    ),
    st.just(Received("absent")),
)
notices = st.builds(
    Notice,
    reference(),
    st.sampled_from(["", *OFFICES]),
    st.one_of(st.just(0), st.integers(0, LIMITS.horizon.days * 86_400 - 3600)),
    st.sampled_from(["DISPOSED", "CONCLUDED"]),
)
specs = st.builds(
    Spec,
    st.sampled_from(SOURCES),
    st.sampled_from(PRIORITIES),
    subjects(),
    sized(SUMMARY, "text"),
    received,
    st.one_of(
        st.none(), st.tuples(*(sized(n, kind, optional=True) for n, kind in zip(INFORMANT, ("line", "line", "text"))))
    ),
    st.one_of(st.none(), notices),
)
examples = st.builds(
    Example,
    st.integers(0, len(REGISTRARS) - 1),
    st.one_of(st.just(""), reference()),
    st.lists(specs, min_size=1, max_size=MAX_BATCH_HERE).map(tuple),
)


def longest(k: int, at: Received, **kw) -> Spec:
    """Every field at its longest, in CJK, emoji and control characters text allows."""
    people = [
        (
            tile(PALETTES["line"][j % 4], NAME),
            tile(PALETTES["line"][(j + 1) % 4], POST),
            tile(PALETTES["line"][(j + 2) % 4], UNIT),
        )
        for j in range(4)
    ]
    subjects_ = tuple((person_id(j, PERSON_ID, "x"), *people[j % 4]) for j in range(MAX_SUBJECTS))
    informant = (
        tile(PALETTES["line"][k % 4], INFORMANT[0]),
        tile(PALETTES["line"][1], INFORMANT[1]),
        tile(PALETTES["text"][k % 4], INFORMANT[2]),
    )
    return Spec(
        SOURCES[k % len(SOURCES)],
        PRIORITIES[k % len(PRIORITIES)],
        subjects_,
        tile(PALETTES["text"][k % 4], SUMMARY),
        at,
        informant,
        **kw,
    )


EDGES = Example(
    0,
    tile(REFERENCE[0], REFERENCE_LENGTH),
    (
        longest(0, Received("earliest"), notice=Notice(tile(REFERENCE[2], REFERENCE_LENGTH), "", 0, "DISPOSED")),
        longest(1, Received("now", SKEW_US, 999)),
        longest(
            2,
            Received("absent"),
            notice=Notice(tile(REFERENCE[1], REFERENCE_LENGTH).strip(), "complaints", 0, "CONCLUDED"),
        ),
    ),
)
EVERY_SOURCE = Example(
    1,
    "",
    tuple(
        Spec(
            s,
            PRIORITIES[k % len(PRIORITIES)],
            ((f"P{k}", "名", "", ""),),
            "摘要",
            Received("earliest" if k % 2 else "now", 1),
        )
        for k, s in enumerate(SOURCES)
    ),
)


# -- the services ---------------------------------------------------------------------------------
@dataclass
class Kept:
    """What a registered clue must read back as."""

    spec: Spec
    office: str
    agency: str
    received_at: timestamp_pb2.Timestamp | None  # None: the time of the call, inside `window`
    window: tuple
    batch: str
    version: int = 1
    read: pb.GetClueResponse | None = None
    notice_due: timestamp_pb2.Timestamp | None = None
    notice_window: tuple = ()
    issued_at: timestamp_pb2.Timestamp | None = None


@dataclass
class Platform:
    loop: asyncio.AbstractEventLoop
    clues: object = None  # the ServiceHosts
    audit: object = None
    stub: clues_grpc.ClueServiceStub | None = None
    audit_stub: audit_grpc.AuditServiceStub | None = None
    kept: dict = field(default_factory=dict)  # clue id -> Kept

    def run(self, coro, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def metadata(self, principal: Principal, mutating: bool = False):
        return call_metadata(self.clues.settings, principal, request_id=str(uuid.uuid4()) if mutating else None)


@pytest.fixture(scope="module")
def platform(database_url, bootstrap, tmp_path_factory):
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="edges-services", daemon=True)
    thread.start()
    p = Platform(loop)
    prefix, data = f"edges{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("edges")

    def settings(service):
        return e2e_settings(service, database_url, bootstrap, prefix, data, request_limits=LIMITS)

    try:
        p.clues = p.run(build_clues(settings("clues")).start())
        p.audit = p.run(build_audit(settings("audit")).start())
        with (
            grpc.insecure_channel(f"127.0.0.1:{p.clues.port}") as c,
            grpc.insecure_channel(f"127.0.0.1:{p.audit.port}") as a,
        ):
            p.stub, p.audit_stub = clues_grpc.ClueServiceStub(c), audit_grpc.AuditServiceStub(a)
            yield p
    finally:
        try:
            for host in (p.audit, p.clues):
                if host is not None:
                    p.run(host.stop())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


def now_us() -> int:
    d = datetime.now(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds


def due_at(back_s: int) -> timestamp_pb2.Timestamp:
    """The planning horizon from now, less `back_s` seconds."""
    return micro(Received("now", LIMITS.horizon // timedelta(microseconds=1) - back_s * 1_000_000).timestamp(now_us()))


def micro(ts: timestamp_pb2.Timestamp) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=ts.seconds, nanos=ts.nanos - ts.nanos % 1000)


def stamp(at: datetime) -> timestamp_pb2.Timestamp:
    d = at - datetime(1970, 1, 1, tzinfo=UTC)
    return timestamp_pb2.Timestamp(seconds=d.days * 86_400 + d.seconds, nanos=d.microseconds * 1000)


def inside(ts: timestamp_pb2.Timestamp, window: tuple) -> bool:
    return window[0] <= instant(ts) <= window[1]


# -- one example: register, then read everything back ---------------------------------------------
def register(p: Platform, ex: Example) -> list[str]:
    who = REGISTRARS[ex.registrar]
    sent_us = now_us()
    requests = [
        pb.RegisterClueRequest(
            source=s.source,
            priority=s.priority,
            summary=s.summary,
            received_at=s.received.timestamp(sent_us),
            subjects=[identity_pb2.PersonRef(person_id=i, name=n, post=po, unit=u) for i, n, po, u in s.subjects],
            informant=pb.Informant(name=s.informant[0], contact=s.informant[1], details=s.informant[2])
            if s.informant
            else None,
        )
        for s in ex.clues
    ]
    before = datetime.now(UTC)
    if ex.batch:
        ids = list(
            p.stub.RegisterClueBatch(
                pb.RegisterClueBatchRequest(batch_reference=ex.batch, clues=requests),
                metadata=p.metadata(who, mutating=True),
            ).clue_ids
        )
    else:
        ids = [p.stub.RegisterClue(r, metadata=p.metadata(who, mutating=True)).clue_id for r in requests]
    window = (before, datetime.now(UTC))
    assert len(set(ids)) == len(requests)
    for clue_id, s, r in zip(ids, ex.clues, requests):
        p.kept[clue_id] = Kept(
            s,
            who.office,
            who.agency,
            micro(r.received_at) if r.HasField("received_at") else None,
            window,
            ex.batch.strip(),
        )
    return ids


def read_informant_and_issue_notice(p: Platform, clue_id: str, k: Kept) -> None:
    if k.spec.informant is not None and k.office != INFORMANT_READER.office:  # not its to know (issue 17)
        with pytest.raises(grpc.RpcError) as refused:
            p.stub.GetInformant(
                pb.GetInformantRequest(clue_id=clue_id, purpose=PURPOSE), metadata=p.metadata(INFORMANT_READER)
            )
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    elif k.spec.informant is not None:
        got = p.stub.GetInformant(
            pb.GetInformantRequest(clue_id=clue_id, purpose=PURPOSE), metadata=p.metadata(INFORMANT_READER)
        ).informant
        assert (got.name, got.contact, got.details) == k.spec.informant  # sealed as sent, not even stripped
        k.version += 1  # the read is on the record
    if k.spec.notice is not None:
        n = k.spec.notice
        due = due_at(n.back_s)
        before = datetime.now(UTC)
        done = p.stub.IssueSupervisionNotice(
            pb.IssueSupervisionNoticeRequest(
                clue_id=clue_id, notice_id=n.notice_id, to_office=n.to_office, due_at=due, required=n.required
            ),
            metadata=p.metadata(ALICE, mutating=True),
        )
        k.version += 1
        assert (done.version, done.state) == (k.version, "RECEIVED")
        k.notice_due, k.notice_window = due, (before, datetime.now(UTC))


def check_clue(p: Platform, clue_id: str, k: Kept) -> None:
    got = p.stub.GetClue(pb.GetClueRequest(clue_id=clue_id, purpose=PURPOSE), metadata=p.metadata(ALICE))
    s = k.spec
    assert (got.clue_id, got.state, got.source, got.priority, got.version) == (
        clue_id,
        "RECEIVED",
        s.source,
        s.priority,
        k.version,
    )
    assert got.summary == s.summary.strip()
    assert [(x.person_id, x.name, x.post, x.unit) for x in got.subjects] == [
        tuple(v.strip() for v in subject) for subject in s.subjects
    ]
    assert (got.receiving_office.agency_id, got.receiving_office.office_id) == (k.agency, k.office)
    assert got.has_sealed_informant == (s.informant is not None)
    if k.received_at is None:
        assert inside(got.received_at, k.window)
        k.received_at = got.received_at
    assert got.received_at == k.received_at
    assert got.colour == (RED if s.received.anchor == "earliest" else GREEN)
    assert got.HasField("deadline") and instant(got.deadline) > instant(got.received_at)
    assert not (got.clue_number or got.handling_office or got.pending_kind or got.case_id or got.outcome)
    k.read = got


def check_lists(p: Platform) -> None:
    kept, md = p.kept, p.metadata(ALICE)

    def listed(**filters):
        return p.stub.ListClues(pb.ListCluesRequest(**filters, purpose=PURPOSE), metadata=md).clues

    lines = listed()
    assert sorted(x.clue_id for x in lines) == sorted(kept)
    for x in lines:
        k = kept[x.clue_id]
        assert (x.state, x.clue_number, x.handling_office, x.receiving_office, x.priority, x.colour) == (
            "RECEIVED",
            "",
            "",
            k.office,
            k.spec.priority,
            k.read.colour,
        )
        assert (x.deadline, x.received_at, x.stage_since) == (k.read.deadline, k.received_at, k.received_at)
        assert x.summary == k.spec.summary.strip()
    order = [(RANK[x.priority], instant(x.deadline), instant(x.received_at)) for x in lines]
    assert order == sorted(order)
    for office in OFFICES:
        assert {x.clue_id for x in listed(office=office)} == {c for c, k in kept.items() if k.office == office}
    for colour in (GREEN, YELLOW, RED):
        assert {x.clue_id for x in listed(colour=colour)} == {c for c, k in kept.items() if k.read.colour == colour}
    assert {x.clue_id for x in listed(stage="RECEIVED")} == set(kept)
    assert not listed(stage="CASE_FILED")
    for priority in PRIORITIES[1:]:
        assert {x.clue_id for x in listed(priority=priority)} == {
            c for c, k in kept.items() if k.spec.priority == priority
        }
    assert len(listed(limit=1)) == 1

    issued = {c: k for c, k in kept.items() if k.spec.notice}
    got = p.stub.ListSupervisionNotices(pb.ListSupervisionNoticesRequest(purpose=PURPOSE), metadata=md).notices
    assert sorted(n.clue_id for n in got) == sorted(issued)
    for n in got:
        k = issued[n.clue_id]
        assert (n.notice_id, n.to_office, n.required, n.due_at) == (
            k.spec.notice.notice_id,
            k.spec.notice.to_office or k.office,
            k.spec.notice.required,
            k.notice_due,
        )
        assert inside(n.issued_at, k.notice_window) and not n.HasField("satisfied_at") and not n.overdue
        k.issued_at = n.issued_at
    assert [instant(n.due_at) for n in got] == sorted(instant(n.due_at) for n in got)
    for office in OFFICES:
        assert sorted(
            n.clue_id
            for n in p.stub.ListSupervisionNotices(
                pb.ListSupervisionNoticesRequest(office=office, purpose=PURPOSE), metadata=md
            ).notices
        ) == sorted(n.clue_id for n in got if n.to_office == office)
    assert not p.stub.ListSupervisionNotices(
        pb.ListSupervisionNoticesRequest(overdue_only=True, purpose=PURPOSE), metadata=md
    ).notices


# -- the whole: stock-takes and the audit ledger ---------------------------------------------------
def check_stock_take(p: Platform, start: datetime, end: datetime, office: str = "") -> None:
    before = datetime.now(UTC)
    got = p.stub.GetStockTake(
        pb.GetStockTakeRequest(start=stamp(start), end=stamp(end), office=office, purpose=PURPOSE),
        metadata=p.metadata(ALICE),
    )
    assert got.start == stamp(start) and got.office == office
    assert got.end == stamp(end) if end < before else inside(got.end, (before, datetime.now(UTC)))
    lo, hi = instant(got.start), instant(got.end)
    mine = [k for k in p.kept.values() if not office or k.office == office]
    open_ = [k for k in mine if instant(k.received_at) <= hi]
    colours = {"RED": sum(k.spec.received.anchor == "earliest" for k in open_)}
    colours["GREEN"] = len(open_) - colours["RED"]
    issued = sum(1 for k in open_ if k.issued_at is not None and lo <= instant(k.issued_at) <= hi)
    assert got.received == sum(lo <= instant(k.received_at) <= hi for k in mine)
    assert dict(got.open_by_stage) == ({"RECEIVED": len(open_)} if open_ else {})
    assert dict(got.open_by_colour) == {c: n for c, n in colours.items() if n}
    assert got.overdue == colours["RED"]
    assert got.notices_issued == issued and got.notices_met == 0 and got.notices_overdue == 0
    assert not got.disposed_by_method and not got.concluded_by_status


def check_history(clue_id: str, k: Kept, history: audit_pb2.GetStreamHistoryResponse) -> None:
    assert history.stream_id == clue_id
    assert [e.envelope.version for e in history.events] == list(range(1, k.version + 1))
    for e in history.events:
        assert parse(e.envelope_bytes) == e.envelope and e.envelope.stream_id == clue_id
        assert e.HasField("ingested_at") and instant(e.ingested_at) >= k.window[0]
    first = history.events[0].envelope
    registered = unpack(first, events_pb2.ClueRegistered)
    assert first.occurred_at == registered.received_at == k.received_at
    assert (registered.summary, registered.batch_reference, registered.priority, registered.source) == (
        k.spec.summary.strip(),
        k.batch,
        k.spec.priority,
        k.spec.source,
    )
    assert list(registered.subjects) == list(k.read.subjects)


def describe(ex: Example) -> str:
    clues = [
        (
            s.source,
            s.priority,
            len(s.subjects),
            len(s.summary),
            s.received,
            s.informant is not None,
            s.notice and (len(s.notice.notice_id), s.notice.to_office, s.notice.back_s),
        )
        for s in ex.clues
    ]
    return f"registrar {REGISTRARS[ex.registrar].office}, batch {ex.batch[:20]!r}, clues {clues}"


@pytest.fixture(scope="module")
def drawn() -> list[Example]:
    """The examples, drawn before the services start (see the module docstring)."""
    out: list[Example] = []

    @settings(
        max_examples=50,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
    )
    @given(examples)
    @example(EDGES)
    @example(EVERY_SOURCE)
    def collect(ex: Example) -> None:
        out.append(ex)

    collect()
    return out


def test_values_at_the_edges_the_rules_allow_read_back_through_every_query(drawn, platform):
    p = platform
    for n, ex in enumerate(drawn):
        try:
            ids = register(p, ex)
            for clue_id in ids:
                read_informant_and_issue_notice(p, clue_id, p.kept[clue_id])
                check_clue(p, clue_id, p.kept[clue_id])
            check_lists(p)
        except Exception as e:
            e.add_note(f"in example {n} of {len(drawn)}: {describe(ex)}")
            raise

    kept = p.kept.values()
    assert {k.spec.received.anchor for k in kept} == {"earliest", "now", "absent"}
    assert any(k.spec.received.offset_us == SKEW_US for k in kept)
    assert any(k.received_at == stamp(EARLIEST) for k in kept)
    assert {k.spec.source for k in kept} == set(SOURCES) and {k.spec.priority for k in kept} == set(PRIORITIES)
    assert any(len(k.spec.subjects) == MAX_SUBJECTS for k in kept)
    assert any(len(k.spec.summary) == SUMMARY for k in kept)

    now = datetime.now(UTC)
    periods = [
        (EARLIEST, EARLIEST + LIMITS.max_span),  # from the earliest date, the longest span
        (now + timedelta(days=1) - LIMITS.max_span, now + timedelta(days=1)),
        (now + LIMITS.horizon - LIMITS.max_span, now + LIMITS.horizon),
    ]  # up to the planning horizon
    for start, end in periods:
        for office in ("", *OFFICES):
            check_stock_take(p, start, end, office)

    histories, deadline = {}, time.monotonic() + 60  # polled here: no event loop runs in this thread
    for clue_id, k in p.kept.items():
        while clue_id not in histories:
            try:
                got = p.audit_stub.GetStreamHistory(
                    audit_pb2.GetStreamHistoryRequest(stream_id=clue_id, purpose="read the edges back"),
                    metadata=p.metadata(ALICE),
                )
            except grpc.RpcError as e:
                assert e.code() == grpc.StatusCode.NOT_FOUND, e
            else:
                if len(got.events) >= k.version:
                    histories[clue_id] = got
                    break
            assert time.monotonic() < deadline, f"the audit ledger never held all events of {clue_id}"
            time.sleep(0.1)
        check_history(clue_id, k, histories[clue_id])
