"""Person histories as the services publish them (issue 26; domain.md §5, seed 004): the exact
envelope bytes the clues, cases and sanctions services would put on their topics, one builder per
situation an integrity-opinion reply must tell apart, for a given person and dates.

Each builder returns the sealed envelopes (`kernel.eventstore.envelope.seal`) of one person's
situation, every stream's events in version order with increasing times, each event carrying the
person link (kind "person", relation "subject") and the holding links its service's runner would
add (need to know, domain.md §1). Streams and event ids are derived from the builder, the person and
the dates: building the same situation twice gives the same bytes (a redelivery, not a new fact).

    clean                      nothing recorded
    open_clue                  registered, disposed by talk/letter (TALK_OR_LETTER): PENDING
    concluded_clue             the same, concluded (CLEARED, or light handling): no objection
    filing_awaiting_approval   clue at AWAITING_FILING, the case's filing prepared: PENDING
    open_case                  filed (FilingApproved, CaseFiled; the clue CASE_FILED): OBJECTION (PSL 52)
    party_sanction_in_period   case disposed, Party warning issued (P2, Regs 10: 12 months)
    government_sanction_in_period  case disposed, government demerit issued (G1, G7: PSL 7, 19-21)
    expired_sanction           government warning (G1: 6 months) lifted at its end (G9, PSL 26)
    admonishment_in_period     talk/letter concluded with 诫勉, its impact period recorded
    measure_running            an open case with an approved, executed measure (SL 44)

`history(n_events, persons)` mixes them into a large realistic ledger quickly (the benchmark);
`record(recorder, raws)` feeds envelopes to an audit `Recorder` as the consumer would.

Every clue's summary carries `INFORMANT_MARKER` (the sort of text a dossier must never copy).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, timezone

from google.protobuf import timestamp_pb2

from cases.v1 import events_pb2 as cases
from clues.v1 import events_pb2 as clues
from common.v1 import identity_pb2
from kernel.domain.access import Holding, holding_links
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import Link, NewEvent
from kernel.messaging.inbox import Source
from sanctions.v1 import events_pb2 as sanctions

NS = uuid.UUID("5d0c1e55-0026-4d05-9a1e-000000000026")
UTC = timezone.utc
INFORMANT_MARKER = "举报人王某 13900000000"  # never in a dossier (domain.md §2: informants sealed)

CLUE_OFFICE = "supervision_1"  # the handling office of the clues built here (its own liaison)
CASE_OFFICE = "investigation_1"  # the handling office of the cases built here
CASE_LIAISON = "supervision_1"  # the cases' liaison office (联系)
TOPICS = {"clue": "clues.events.v1", "case": "cases.events.v1", "measure": "cases.events.v1"}
TOPICS["decision"] = "sanctions.events.v1"

INTAKE = Principal("commission", "complaints", "intake_officer", "u-intake")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
CASE_MANAGEMENT = Principal("commission", "case_management", "system", "system:cases")
SANCTIONS = Principal("commission", "case_management", "system", "system:sanctions")


def officer(office: str) -> Principal:
    return Principal("commission", office, "case_officer", f"u-{office}")


# --- dates and ids ---------------------------------------------------------------------------


def instant(day: date, hours: float = 9) -> datetime:
    """The moment `hours` after midnight UTC on `day` (9:00 by default)."""
    return datetime.combine(day, time(0), tzinfo=UTC) + timedelta(hours=hours)


def add_months(day: date, months: int) -> date:
    """`day` plus whole months, clamped to the month's end (as the sanctions service counts)."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def stream(kind: str, *parts: object) -> str:
    """A deterministic `<kind>-<uuid>` for a situation's stream."""
    return f"{kind}-{uuid.uuid5(NS, '/'.join(map(str, (kind, *parts))))}"


def _ts(at: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(at)
    return ts


def _iso(day: date) -> str:
    return day.isoformat()


class Stream:
    """One stream's events in version order, each later than the one before; sealed at once."""

    def __init__(self, stream_id: str, holding: Holding, links: Iterable[Link] = ()):
        self.id, self.holding, self.links = stream_id, holding, tuple(links)
        self.version, self.last = 0, None
        self.raws: list[bytes] = []

    def add(self, payload, at: datetime, by: Principal, links: Iterable[Link] = (), recorded: datetime | None = None):
        if self.last is not None and at <= self.last:
            at = self.last + timedelta(minutes=1)
        self.last, self.version = at, self.version + 1
        held = tuple(Link(*link) for link in holding_links(self.holding))
        event = NewEvent(
            str(uuid.uuid5(NS, f"{self.id}/{self.version}")),
            payload,
            at,
            by,
            correlation_id=self.id,
            links=self.links + tuple(links) + held,
        )
        self.raws.append(env_mod.seal(env_mod.build(event, self.id, self.version, recorded or at)))
        return self


def subject(person: str) -> Link:
    return Link("person", person, "subject")


def ref(person: str) -> identity_pb2.PersonRef:
    return identity_pb2.PersonRef(person_id=person, name=f"干部{person}", post="副局长", unit="市住建局")


# --- clues -----------------------------------------------------------------------------------


def _clue(person: str, on: date, salt: str, method: int) -> Stream:
    """Registered (received, proposed, approved) and disposed by `method`, from `on`."""
    cid = stream("clue", person, on, salt)
    s = Stream(cid, Holding("complaints", "complaints"), [subject(person)])  # received: intake holds it
    s.add(
        clues.ClueRegistered(
            clue_id=cid,
            source=clues.CLUE_SOURCE_PETITION,
            subjects=[ref(person)],
            summary=f"反映{person}收受礼金；{INFORMANT_MARKER}",
            received_at=_ts(instant(on)),
            has_sealed_informant=True,
        ),
        instant(on),
        INTAKE,
    )
    s.holding = Holding(CLUE_OFFICE, CLUE_OFFICE)
    s.add(
        clues.RegistrationProposed(
            clue_id=cid, clue_number=f"X{on:%Y%m%d}", handling_office=CLUE_OFFICE, proposed_by="u-intake"
        ),
        instant(on, 10),
        INTAKE,
    )
    s.add(clues.RegistrationApproved(clue_id=cid, approved_by="u-head"), instant(on + timedelta(days=1)), HEAD)
    s.add(
        clues.DisposalProposed(clue_id=cid, method=method, reason="核查", proposed_by=f"u-{CLUE_OFFICE}"),
        instant(on + timedelta(days=2)),
        officer(CLUE_OFFICE),
    )
    s.add(
        clues.DisposalApproved(clue_id=cid, method=method, approved_by="u-head"), instant(on + timedelta(days=3)), HEAD
    )
    return s


def clean(person: str, on: date | None = None) -> list[bytes]:
    """Nothing recorded about the person: NO_OBJECTION (domain.md §5, last row)."""
    return []


def open_clue(person: str, on: date, *, salt: str = "") -> list[bytes]:
    """A clue registered on `on`, disposed by talk/letter on `on`+3: TALK_OR_LETTER, open (§5: PENDING)."""
    return _clue(person, on, f"open{salt}", clues.DISPOSAL_METHOD_TALK_OR_LETTER).raws


def concluded_clue(
    person: str, on: date, *, light_handling: int = clues.LIGHT_HANDLING_UNSPECIFIED, salt: str = ""
) -> list[bytes]:
    """The talk/letter clue concluded on `on`+20: CLEARED (or LIGHT_HANDLING in the given form): CLOSED."""
    s = _clue(person, on, f"concluded{salt}{light_handling}", clues.DISPOSAL_METHOD_TALK_OR_LETTER)
    conclude_talk(s, on, officer(CLUE_OFFICE), light_handling, "本人说明情况")
    return s.raws


def conclude_talk(clue: Stream, on: date, by: Principal, light_handling: int, summary: str) -> None:
    """The talk/letter reported on `on`+18 by `by` and its conclusion approved by the head on
    `on`+20: CLEARED, or LIGHT_HANDLING in the given form (CLOSED either way)."""
    outcome = clues.TALK_OUTCOME_LIGHT_HANDLING if light_handling else clues.TALK_OUTCOME_CLEARED
    clue.add(
        clues.TalkOrLetterReported(
            clue_id=clue.id, outcome=outcome, summary=summary, reported_by=by.user, light_handling=light_handling
        ),
        instant(on + timedelta(days=18)),
        by,
    )
    clue.add(
        clues.TalkOrLetterConcluded(
            clue_id=clue.id,
            outcome=outcome,
            summary=summary,
            concluded_by=by.user,
            approved_by="u-head",
            light_handling=light_handling,
        ),
        instant(on + timedelta(days=20)),
        HEAD,
    )


def _to_filing(person: str, on: date, salt: str) -> tuple[Stream, Stream]:
    """Clue to AWAITING_FILING (preliminary check, report approved FILE_CASE, FilingProposed on
    `on`+40) and the case's filing opened and prepared on `on`+41."""
    s = _clue(person, on, salt, clues.DISPOSAL_METHOD_PRELIM_CHECK)
    by = officer(CLUE_OFFICE)
    s.add(
        clues.PrelimCheckReported(
            clue_id=s.id, findings="初核属实", proposal=clues.REPORT_PROPOSAL_FILE_CASE, reported_by=by.user
        ),
        instant(on + timedelta(days=35)),
        by,
    )
    s.add(
        clues.ReportApproved(clue_id=s.id, proposal=clues.REPORT_PROPOSAL_FILE_CASE, approved_by="u-head"),
        instant(on + timedelta(days=38)),
        HEAD,
    )
    s.add(
        clues.FilingProposed(
            clue_id=s.id,
            findings="初核属实",
            handling_office=CASE_OFFICE,
            clue_number=f"X{on:%Y%m%d}",
            proposed_by=by.user,
        ),
        instant(on + timedelta(days=40)),
        by,
    )
    case_id = stream("case", person, on, salt)
    c = Stream(
        case_id,
        Holding(CASE_OFFICE, CASE_LIAISON),
        [Link("case", case_id, "case"), Link("clue", s.id, "origin"), subject(person)],
    )
    c.add(
        cases.FilingOpened(
            case_id=case_id,
            clue_id=s.id,
            clue_number=f"X{on:%Y%m%d}",
            subjects=[ref(person)],
            findings="初核属实",
            handling_office=CASE_OFFICE,
            proposed_by=by.user,
            liaison_office=CASE_LIAISON,
            by_person=True,
        ),
        instant(on + timedelta(days=40), 11),
        CASE_MANAGEMENT,
    )
    c.add(
        cases.FilingPrepared(
            case_id=case_id,
            at_issue=[cases.SubjectAtIssue(person_id=person, at_issue=cases.AT_ISSUE_BOTH)],
            sides=[cases.FILING_SIDE_PARTY, cases.FILING_SIDE_SUPERVISION],
            commission_level=cases.COMMISSION_LEVEL_CITY,
            prepared_by=officer(CASE_OFFICE).user,
        ),
        instant(on + timedelta(days=41)),
        officer(CASE_OFFICE),
    )
    return s, c


def filing_awaiting_approval(person: str, on: date, *, salt: str = "") -> list[bytes]:
    """A clue at AWAITING_FILING and its case's filing prepared, unapproved (§5: PENDING)."""
    s, c = _to_filing(person, on, f"filing{salt}")
    return _merge(s.raws, c.raws)


def _filed(person: str, on: date, salt: str) -> tuple[Stream, Stream]:
    """Filed on `on`+45: both sides approved, CaseFiled, the clue CASE_FILED."""
    s, c = _to_filing(person, on, salt)
    filed = instant(on + timedelta(days=45))
    for side in (cases.FILING_SIDE_PARTY, cases.FILING_SIDE_SUPERVISION):
        c.add(
            cases.FilingApproved(case_id=c.id, side=side, approver_role="commission_head", approved_by="u-head"),
            filed - timedelta(hours=1),
            HEAD,
        )
    c.add(
        cases.CaseFiled(
            case_id=c.id, clue_id=s.id, filed_at=_ts(filed), subjects=[ref(person)], handling_office=CASE_OFFICE
        ),
        filed,
        CASE_MANAGEMENT,
    )
    s.add(
        clues.ClueCaseFiled(clue_id=s.id, case_id=c.id, filed_at=_ts(filed)),
        filed + timedelta(minutes=5),
        CASE_MANAGEMENT,
        [Link("case", c.id, "filed-as")],
    )
    return s, c


def open_case(person: str, on: date, *, salt: str = "") -> list[bytes]:
    """A case filed on `on`+45 from a clue registered on `on`, not disposed (§5: OBJECTION, PSL 52)."""
    s, c = _filed(person, on, f"case{salt}")
    return _merge(s.raws, c.raws)


def measure_running(person: str, on: date, *, salt: str = "") -> list[bytes]:
    """An open case (as `open_case`) with an ordered waiting (责令候查, SL 44) approved on `on`+50
    for 12 months and executed the next day."""
    s, c = _filed(person, on, f"measure{salt}")
    mid = stream("measure", person, on, salt)
    m = Stream(mid, Holding(CASE_OFFICE, CASE_LIAISON), [Link("case", c.id, "measure-of"), subject(person)])
    starts = instant(on + timedelta(days=50))
    m.add(
        cases.MeasureRequested(
            measure_id=mid,
            case_id=c.id,
            kind=cases.MEASURE_KIND_ORDERED_WAITING,
            person_id=person,
            office=CASE_OFFICE,
            reason="防止串供",
            requested_by=officer(CASE_OFFICE).user,
            liaison_office=CASE_LIAISON,
        ),
        starts - timedelta(days=1),
        officer(CASE_OFFICE),
    )
    m.add(
        cases.MeasureApproved(
            measure_id=mid,
            approver_role="commission_head",
            approved_by="u-head",
            starts_at=_ts(starts),
            ends_at=_ts(instant(add_months(starts.date(), 12))),
        ),
        starts,
        HEAD,
    )
    m.add(
        cases.MeasureExecuted(measure_id=mid, executed_at=_ts(starts + timedelta(days=1)), recorded_by="u-x"),
        starts + timedelta(days=1),
        officer(CASE_OFFICE),
    )
    return _merge(s.raws, c.raws, m.raws)


# --- sanctions and impacts -------------------------------------------------------------------


def _sanctioned(person: str, start: date, salt: str, kind: int, sanction: int, months: int, locks) -> list[Stream]:
    """A case (clue 120 days before `start`) disposed on `start` with one sanction, and its decision
    opened and issued on `start` (the period's first day) for `months` with `locks` (kind, rule)."""
    s, c = _filed(person, start - timedelta(days=120), salt)
    decided = instant(start)
    outcome = cases.Outcome(kind=kind, person_id=person, sanction=sanction, article="纪律处分条例 art. 98")
    c.add(
        cases.CaseDisposed(case_id=c.id, outcomes=[outcome], decided_by="u-head", decided_at=_ts(decided)),
        decided,
        HEAD,
    )
    party = kind == cases.OUTCOME_KIND_PARTY_SANCTION
    family = sanctions.SANCTION_FAMILY_PARTY_SANCTION if party else sanctions.SANCTION_FAMILY_GOVERNMENT_SANCTION
    did = stream("decision", person, start, salt)
    d = Stream(
        did,
        Holding(CASE_OFFICE, CASE_LIAISON),
        [Link("decision", did, "decision"), Link("case", c.id, "case"), Link("clue", s.id, "origin"), subject(person)],
    )
    d.add(
        sanctions.DecisionOpened(
            decision_id=did,
            case_id=c.id,
            clue_id=s.id,
            person_id=person,
            family=family,
            combined=cases.CombinedSanction(sanction=sanction, rule="SINGLE"),
            disposed_at=_ts(decided),
            holder=CASE_OFFICE,
            liaison=CASE_LIAISON,
        ),
        decided + timedelta(minutes=2),
        SANCTIONS,
    )
    end = add_months(start, months) if months else None
    d.add(
        sanctions.DecisionIssued(
            decision_id=did,
            document_number=f"市纪〔{start.year}〕{uuid.UUID(did[9:]).int % 900 + 100}号",
            issued_by="u-head",
            sanction=sanction,
            start=_iso(start),
            end=_iso(end) if end else "",
            period_months=months,
            locks=[sanctions.Lock(kind=k, until=_iso(end) if end else "", rule=r) for k, r in locks],
        ),
        decided + timedelta(hours=3),
        HEAD,
    )
    return [s, c, d]


def _sanction_raws(streams: list[Stream]) -> list[bytes]:
    return _merge(*(s.raws for s in streams))


def party_sanction_in_period(person: str, start: date, *, months: int = 12, salt: str = "") -> list[bytes]:
    """A Party warning (警告) issued on `start`, in effect `months` (P2, Regs 10: 12), barring Party
    promotion and a higher non-Party post until its end (§5: OBJECTION to promotion)."""
    locks = [("NO_PARTY_PROMOTION", "P2 (Regs 10)"), ("NO_HIGHER_NON_PARTY_POST", "P2 (Regs 10)")]
    streams = _sanctioned(
        person,
        start,
        f"party{salt}",
        cases.OUTCOME_KIND_PARTY_SANCTION,
        cases.SANCTION_TYPE_PARTY_WARNING,
        months,
        locks,
    )
    return _sanction_raws(streams)


def government_sanction_in_period(person: str, start: date, *, months: int = 12, salt: str = "") -> list[bytes]:
    """A government demerit (记过) issued on `start`, `months` long (G1, PSL 7-8: 12), with its promotion
    and pay-step locks (G7, PSL 19-21) (§5: OBJECTION to promotion)."""
    locks = [("PROMOTION_LOCK", "G7 (PSL 19-21)"), ("PAY_STEP_LOCK", "G7 (PSL 19-21)")]
    streams = _sanctioned(
        person,
        start,
        f"government{salt}",
        cases.OUTCOME_KIND_GOVERNMENT_SANCTION,
        cases.SANCTION_TYPE_GOVERNMENT_DEMERIT,
        months,
        locks,
    )
    return _sanction_raws(streams)


def expired_sanction(person: str, start: date, *, months: int = 6, salt: str = "") -> list[bytes]:
    """A government warning (警告) issued on `start` for `months` (G1, PSL 7: 6) and lifted at its end
    (SanctionLifted, G9 PSL 26): past its period, nothing objects (§5)."""
    locks = [("PROMOTION_LOCK", "G7 (PSL 19-21)")]
    streams = _sanctioned(
        person,
        start,
        f"expired{salt}",
        cases.OUTCOME_KIND_GOVERNMENT_SANCTION,
        cases.SANCTION_TYPE_GOVERNMENT_WARNING,
        months,
        locks,
    )
    end = add_months(start, months)
    d = streams[-1]
    d.add(
        sanctions.SanctionLifted(decision_id=d.id, on=_iso(end), locks_ended=["PROMOTION_LOCK"]),
        instant(end, 1),
        SANCTIONS,
    )
    return _sanction_raws(streams)


def admonishment_in_period(person: str, on: date, *, months: int = 6, salt: str = "") -> list[bytes]:
    """A talk/letter clue concluded on `on`+20 with light handling 诫勉 (LIGHT_HANDLING_ADMONISHMENT),
    and its impact period recorded from that day for `months` (sanctions.toml [impacts], local,
    unverified) (§5: OBJECTION or comment per configuration)."""
    raws = concluded_clue(person, on, light_handling=clues.LIGHT_HANDLING_ADMONISHMENT, salt=f"admonished{salt}")
    clue_id = env_mod.parse(raws[0]).stream_id
    start = on + timedelta(days=20)
    did = stream("decision", person, on, f"impact{salt}")
    d = Stream(
        did,
        Holding(CLUE_OFFICE, CLUE_OFFICE),
        [Link("decision", did, "decision"), Link("clue", clue_id, "origin"), subject(person)],
    )
    d.add(
        sanctions.ImpactRecorded(
            decision_id=did,
            kind=sanctions.IMPACT_KIND_ADMONISHMENT,
            person_id=person,
            clue_id=clue_id,
            start=_iso(start),
            end=_iso(add_months(start, months)),
            article="LIGHT_HANDLING_ADMONISHMENT",
            detail="谈话函询了结：诫勉",
            source_event_id=env_mod.parse(raws[-1]).event_id,
            holder=CLUE_OFFICE,
            liaison=CLUE_OFFICE,
        ),
        instant(start, 12),
        SANCTIONS,
    )
    return _merge(raws, d.raws)


SITUATIONS: dict[str, Callable[..., list[bytes]]] = {
    "clean": clean,
    "open_clue": open_clue,
    "concluded_clue": concluded_clue,
    "filing_awaiting_approval": filing_awaiting_approval,
    "open_case": open_case,
    "measure_running": measure_running,
    "party_sanction_in_period": party_sanction_in_period,
    "government_sanction_in_period": government_sanction_in_period,
    "expired_sanction": expired_sanction,
    "admonishment_in_period": admonishment_in_period,
}


# --- many -------------------------------------------------------------------------------------


def _merge(*parts: list[bytes]) -> list[bytes]:
    """Events of several streams in recording order (each stream's own order kept)."""
    raws = [r for part in parts for r in part]
    keyed = [(env_mod.parse(r).recorded_at.ToDatetime(), i, r) for i, r in enumerate(raws)]
    return [r for _, _, r in sorted(keyed, key=lambda k: (k[0], k[1]))]


# how often each situation appears in a realistic history (most people: concluded clues, or nothing)
WEIGHTS = {
    "concluded_clue": 40,
    "open_clue": 15,
    "filing_awaiting_approval": 5,
    "open_case": 8,
    "measure_running": 4,
    "party_sanction_in_period": 8,
    "government_sanction_in_period": 8,
    "expired_sanction": 6,
    "admonishment_in_period": 6,
}


def history(
    n_events: int,
    persons: list[str],
    *,
    since: date = date(2021, 1, 4),
    until: date = date(2026, 10, 1),
    seed: int = 26,
) -> list[bytes]:
    """About `n_events` envelopes (exactly `n_events`, the last situation cut short) of mixed
    situations about `persons` (each person may have several), dated between `since` and `until`,
    in recording order: a realistic ledger for the 200-candidate benchmark."""
    rng = random.Random(seed)
    names, weights = list(WEIGHTS), list(WEIGHTS.values())
    span = (until - since).days
    chunks: list[list[bytes]] = []
    total, k = 0, 0
    while total < n_events:
        person = persons[rng.randrange(len(persons))]
        on = since + timedelta(days=rng.randrange(span))
        raws = SITUATIONS[rng.choices(names, weights)[0]](person, on, salt=f"h{k}")
        chunks.append(raws)
        total += len(raws)
        k += 1
    # one global recording order: stable by time, each stream's versions already increasing in time
    keyed = []
    for i, raws in enumerate(chunks):
        for j, r in enumerate(raws):
            keyed.append((env_mod.parse(r).recorded_at.ToNanoseconds(), i, j, r))
    keyed.sort(key=lambda t: t[:3])
    # recording order is version order within each stream: any prefix leaves each stream a prefix
    return [t[3] for t in keyed[:n_events]]


async def record(recorder, raws: list[bytes], *, batch: int = 500) -> int:
    """Feed `raws` to an audit `Recorder` in batches, each from its service's topic with increasing
    offsets, as the consumer would; returns how many became leaves."""
    offsets: dict[str, int] = {}
    made = 0
    for k in range(0, len(raws), batch):
        deliveries = []
        for raw in raws[k : k + batch]:
            kind = env_mod.parse(raw).stream_id.split("-", 1)[0]
            topic = TOPICS.get(kind, f"{kind}.events.v1")
            offsets[topic] = offsets.get(topic, -1) + 1
            deliveries.append((raw, Source(topic, 0, offsets[topic])))
        made += await recorder.record_batch(deliveries)
    return made
