"""Histories with known figures (issue 27; domain.md §5 "Statistics the seeds quote"; seeds 001, 002,
004): the exact envelope bytes the clues, cases and sanctions services publish — tour rounds
(`clues.v1.tour_events`), clues registered from tours and otherwise, supervision notices and the
clues' results, cases filed from clues, detentions, disposals with their outcomes and the persons'
management level, talk/letter conclusions, execution items overdue with their blockages — and the
figures each history must give, computed by construction (the counts are chosen here, never by
calling the production formulas).

    seed_001()      T = 69 of D = 100 市管 persons disposed in 2019 (69%), with county-level,
                    other-year, light-outcome and repeated-person noise; 1443 problems and 14
                    suggestion letters over two regular rounds and one special round of 2019, with a
                    2018 round (its open problems carried over) and a round whose problems are 2020's
    seed_004()      30 supervision notices in the window / 26 clues concluded after their notice
                    (5 filed) / 1 person detained, with notices outside the window, clues concluded
                    before their notice and a second detention outside F
    generated(seed) a random mix of every statistic with its expected figures (as of the end and as
                    of a moment in the past, for every office and for each office world)

Two office worlds keep need to know exact (domain.md §1): world A's clues are held by
supervision_1, its cases by investigation_1 (liaison supervision_1); world B's by supervision_2 and
investigation_2. Tours are held by inspection_tour. Streams and event ids are derived from the names
given here: building the same history twice gives the same bytes.

Reuses `tests.dossier_history` (Stream, instants, principals, `record`).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from google.protobuf import timestamp_pb2

from cases.v1 import events_pb2 as cases
from clues.v1 import events_pb2 as clues, tour_events_pb2 as tours
from common.v1 import person_pb2
from kernel.domain.access import Holding
from kernel.domain.ids import person_stream_id, timer_stream_id
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import Link
from sanctions.v1 import events_pb2 as sanctions
from tests import dossier_history as h
from tests.dossier_history import CASE_MANAGEMENT, HEAD, INTAKE, SANCTIONS, UTC, Stream, instant, ref, subject

TOUR_OFFICE = "inspection_tour"
TOUR = Principal("commission", TOUR_OFFICE, "tour_officer", "u-tour")
ORG_DEPT = Principal("organisation_department", "cadre_management", "partner_system", "system:org")
CITY, COUNTY, PROVINCIAL = (
    person_pb2.MANAGEMENT_LEVEL_CITY,
    person_pb2.MANAGEMENT_LEVEL_COUNTY,
    person_pb2.MANAGEMENT_LEVEL_PROVINCIAL,
)
PETITION, TOUR_SOURCE = clues.CLUE_SOURCE_PETITION, clues.CLUE_SOURCE_INSPECTION_TOUR
# the audit consumer reads each service's topic; tours are the clues service's, person facts the cases'
TOPICS = {**h.TOPICS, "tour": "clues.events.v1", "person": "cases.events.v1"}


@dataclass(frozen=True)
class World:
    """Who holds a world's files (need to know, domain.md §1)."""

    clue_office: str
    case_office: str
    liaison: str

    @property
    def case_files(self) -> tuple[str, str]:
        """The offices a case's figures count for: its holder and its liaison (domain.md §1)."""
        return (self.case_office, self.liaison)


A = World("supervision_1", "investigation_1", "supervision_1")
B = World("supervision_2", "investigation_2", "supervision_2")


def officer(office: str) -> Principal:
    return h.officer(office)


def sid(kind: str, *parts: object) -> str:
    """A deterministic `<kind>-<uuid>` of this module (its own name space beside issue 26's)."""
    return h.stream(kind, "statistics", *parts)


def _ts(at: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(at)
    return ts


def _facts(person: str, level: int, on: date) -> person_pb2.PersonFacts:
    source = person_pb2.FactSource(source="organisation_department", as_of=_ts(instant(on, 8)))
    return person_pb2.PersonFacts(person_id=person, cadre=person_pb2.Cadre(level=level, source=source))


# --- the history being built ------------------------------------------------------------------


class Deferred:
    """A stream whose events are given out of time order (a round's problems and transfers, a
    decision's items): kept, and added in time order when the history is sealed."""

    def __init__(self, s: Stream):
        self.stream, self.id, self.holding = s, s.id, s.holding
        self.pending: list[tuple[datetime, int, object, Principal]] = []

    def add(self, payload, at: datetime, by: Principal) -> None:
        self.pending.append((at, len(self.pending), payload, by))

    def flush(self) -> None:
        for at, _, payload, by in sorted(self.pending, key=lambda p: p[:2]):
            self.stream.add(payload, at, by)
        self.pending = []


class History:
    """Streams of one history; `raws()` in recording order (each stream's own order kept)."""

    def __init__(self) -> None:
        self.streams: list[Stream] = []
        self.deferred: list[Deferred] = []

    def add(self, s: Stream) -> Stream:
        self.streams.append(s)
        return s

    def defer(self, s: Stream) -> Deferred:
        self.deferred.append(Deferred(self.add(s)))
        return self.deferred[-1]

    def raws(self) -> list[bytes]:
        for d in self.deferred:
            d.flush()
        keyed = []
        for i, s in enumerate(self.streams):
            for j, raw in enumerate(s.raws):
                keyed.append((env_mod.parse(raw).recorded_at.ToNanoseconds(), i, j, raw))
        keyed.sort(key=lambda k: k[:3])
        return [k[3] for k in keyed]

    # person facts (issue 24) ----------------------------------------------------------------

    def person_facts(self, person: str, level: int, on: date) -> Stream:
        """The organisation department reports the person's cadre level as of `on` (domain.md §1)."""
        pid = person_stream_id(person)
        s = next((x for x in self.streams if x.id == pid), None) or self.add(
            Stream(pid, Holding("case_management"), [subject(person)])
        )
        facts = _facts(person, level, on)
        s.add(
            cases.PersonFactsReported(
                person_id=person,
                agency="organisation_department",
                reported=facts,
                facts=facts,
                document=cases.DocumentRef(title="干部任免通知", sha256="ab" * 32),
                reported_by=ORG_DEPT.user,
                reported_at=_ts(instant(on, 8)),
            ),
            instant(on, 8),
            ORG_DEPT,
        )
        return s

    # clues -------------------------------------------------------------------------------------

    def clue(
        self,
        name: str,
        persons: list[str],
        on: date,
        *,
        world: World = A,
        source: int = PETITION,
        round_id: str = "",
        batch: str = "",
    ) -> Stream:
        """A clue registered on `on` (received, proposed, approved the next day) in `world`."""
        cid = sid("clue", name)
        s = self.add(Stream(cid, Holding("complaints", "complaints"), [subject(p) for p in persons]))
        by = TOUR if round_id else INTAKE
        s.add(
            clues.ClueRegistered(
                clue_id=cid,
                source=source,
                subjects=[ref(p) for p in persons],
                summary="反映问题",
                received_at=_ts(instant(on)),
                batch_reference=batch,
                tour_round_id=round_id,
            ),
            instant(on),
            by,
        )
        s.holding = Holding(world.clue_office, world.clue_office)
        s.add(
            clues.RegistrationProposed(
                clue_id=cid, clue_number=f"X{name}", handling_office=world.clue_office, proposed_by=by.user
            ),
            instant(on, 10),
            by,
        )
        s.add(clues.RegistrationApproved(clue_id=cid, approved_by="u-head"), instant(on + timedelta(days=1)), HEAD)
        return s

    def notice(self, clue: Stream, notice_id: str, on: date) -> str:
        """Case management's supervision notice (督办通知书, seed 004) on `on`; its event id."""
        clue.add(
            clues.SupervisionNoticeIssued(
                clue_id=clue.id,
                notice_id=notice_id,
                to_office=clue.holding.holder,
                due_at=_ts(instant(on + timedelta(days=45))),
                required="CONCLUDED",
                issued_by="u-case-management",
            ),
            instant(on, 11),
            Principal("commission", "case_management", "case_manager", "u-case-management"),
        )
        return env_mod.parse(clue.raws[-1]).event_id

    def _dispose_clue(self, clue: Stream, method: int, on: date) -> None:
        by = officer(clue.holding.holder)
        clue.add(
            clues.DisposalProposed(clue_id=clue.id, method=method, reason="处置", proposed_by=by.user), instant(on), by
        )
        clue.add(clues.DisposalApproved(clue_id=clue.id, method=method, approved_by="u-head"), instant(on, 15), HEAD)

    def close(self, clue: Stream, on: date) -> None:
        """Disposed by closing (予以了结) on `on`: CLOSED."""
        self._dispose_clue(clue, clues.DISPOSAL_METHOD_CLOSED, on)

    def forward(self, clue: Stream, on: date) -> None:
        """Forwarded to another body (IR2021 169): FORWARDED."""
        clue.add(
            clues.ClueForwarded(
                clue_id=clue.id,
                to_agency="procuratorate",
                reason="管辖",
                forwarded_by=officer(clue.holding.holder).user,
            ),
            instant(on, 14),
            officer(clue.holding.holder),
        )

    def talk(self, clue: Stream, on: date, light_handling: int = clues.LIGHT_HANDLING_UNSPECIFIED) -> None:
        """Talk/letter inquiry approved on `on`, concluded on `on`+20: CLEARED, or LIGHT_HANDLING in
        the given form (the first of the four forms): CLOSED."""
        self._dispose_clue(clue, clues.DISPOSAL_METHOD_TALK_OR_LETTER, on)
        h.conclude_talk(clue, on, officer(clue.holding.holder), light_handling, "说明")

    def file_case(self, clue: Stream, persons: list[str], on: date, *, world: World = A) -> Stream:
        """Preliminary check from `on`-30, report FILE_CASE, filing proposed; the case filed on `on`
        (both sides approved, CaseFiled) and the clue CASE_FILED."""
        by = officer(clue.holding.holder)
        self._dispose_clue(clue, clues.DISPOSAL_METHOD_PRELIM_CHECK, on - timedelta(days=30))
        clue.add(
            clues.PrelimCheckReported(
                clue_id=clue.id, findings="属实", proposal=clues.REPORT_PROPOSAL_FILE_CASE, reported_by=by.user
            ),
            instant(on - timedelta(days=10)),
            by,
        )
        clue.add(
            clues.ReportApproved(clue_id=clue.id, proposal=clues.REPORT_PROPOSAL_FILE_CASE, approved_by="u-head"),
            instant(on - timedelta(days=8)),
            HEAD,
        )
        clue.add(
            clues.FilingProposed(
                clue_id=clue.id,
                subjects=[ref(p) for p in persons],
                findings="属实",
                handling_office=world.case_office,
                proposed_by=by.user,
            ),
            instant(on - timedelta(days=7)),
            by,
        )
        case_id = sid("case", clue.id)
        c = self.add(
            Stream(
                case_id,
                Holding(world.case_office, world.liaison),
                [Link("case", case_id, "case"), Link("clue", clue.id, "origin"), *(subject(p) for p in persons)],
            )
        )
        c.add(
            cases.FilingOpened(
                case_id=case_id,
                clue_id=clue.id,
                subjects=[ref(p) for p in persons],
                findings="属实",
                handling_office=world.case_office,
                proposed_by=by.user,
                liaison_office=world.liaison,
                by_person=True,
            ),
            instant(on - timedelta(days=7), 11),
            CASE_MANAGEMENT,
        )
        c.add(
            cases.FilingPrepared(
                case_id=case_id,
                at_issue=[cases.SubjectAtIssue(person_id=p, at_issue=cases.AT_ISSUE_BOTH) for p in persons],
                sides=[cases.FILING_SIDE_PARTY, cases.FILING_SIDE_SUPERVISION],
                commission_level=cases.COMMISSION_LEVEL_CITY,
                prepared_by=officer(world.case_office).user,
            ),
            instant(on - timedelta(days=5)),
            officer(world.case_office),
        )
        filed = instant(on)
        for side in (cases.FILING_SIDE_PARTY, cases.FILING_SIDE_SUPERVISION):
            c.add(
                cases.FilingApproved(case_id=case_id, side=side, approver_role="commission_head", approved_by="u-head"),
                filed - timedelta(hours=1),
                HEAD,
            )
        c.add(
            cases.CaseFiled(
                case_id=case_id,
                clue_id=clue.id,
                filed_at=_ts(filed),
                subjects=[ref(p) for p in persons],
                handling_office=world.case_office,
            ),
            filed,
            CASE_MANAGEMENT,
        )
        clue.add(
            clues.ClueCaseFiled(clue_id=clue.id, case_id=case_id, filed_at=_ts(filed)),
            filed + timedelta(minutes=5),
            CASE_MANAGEMENT,
            [Link("case", case_id, "filed-as")],
        )
        return c

    # cases -------------------------------------------------------------------------------------

    def dispose(
        self,
        case: Stream,
        on: date,
        outcomes: list[tuple[str, int, int]],
        levels: dict[str, int] | None = None,
        *,
        recorded_on: date | None = None,
    ) -> str:
        """CaseDisposed decided on `on` (noon): `outcomes` (person, OutcomeKind, SanctionType), the
        persons' management levels at the decision as the disposal states them (`levels`; a person
        left out has no stated facts); entered on `recorded_on` (noon) when later than the decision
        (its `decided_at` stays the decision's). Its event id."""
        decided = instant(on, 12)
        case.add(
            cases.CaseDisposed(
                case_id=case.id,
                outcomes=[
                    cases.Outcome(kind=k, person_id=p, sanction=s, article="纪律处分条例") for p, k, s in outcomes
                ],
                decided_by="u-head",
                decided_at=_ts(decided),
                facts=[_facts(p, level, on) for p, level in (levels or {}).items()],
            ),
            instant(recorded_on, 12) if recorded_on else decided,
            HEAD,
        )
        return env_mod.parse(case.raws[-1]).event_id

    def measure_on_clue(self, clue: Stream, name: str, person: str, kind: int, on: date) -> Stream:
        """A measure requested on a clue under preliminary check (SL 41; case_id empty until the case
        filed from the clue takes it) the day before `on`, approved on `on`."""
        mid = sid("measure", name)
        m = self.add(Stream(mid, clue.holding, [Link("clue", clue.id, "measure-of"), subject(person)]))
        m.add(
            cases.MeasureRequested(
                measure_id=mid,
                kind=kind,
                person_id=person,
                office=clue.holding.holder,
                reason="防止串供",
                requested_by=officer(clue.holding.holder).user,
                liaison_office=clue.holding.liaison,
                clue_id=clue.id,
            ),
            instant(on - timedelta(days=1)),
            officer(clue.holding.holder),
        )
        m.add(
            cases.MeasureApproved(
                measure_id=mid,
                approver_role="commission_head",
                approved_by="u-head",
                starts_at=_ts(instant(on, 13)),
                ends_at=_ts(instant(on, 13) + timedelta(days=90)),
            ),
            instant(on, 13),
            HEAD,
        )
        return m

    def attach(self, measure: Stream, case: Stream, clue: Stream) -> None:
        """The case filed from the clue takes the measure (MeasureAttachedToCase)."""
        measure.add(
            cases.MeasureAttachedToCase(measure_id=measure.id, case_id=case.id, clue_id=clue.id),
            datetime.fromtimestamp(env_mod.parse(case.raws[-1]).recorded_at.seconds, tz=UTC) + timedelta(minutes=10),
            CASE_MANAGEMENT,
        )

    def measure(self, case: Stream, name: str, person: str, kind: int, on: date, *, approved: bool = True) -> Stream:
        """A measure on `person` in `case` requested the day before `on` and approved on `on` (or
        refused, SL 43)."""
        mid = sid("measure", name)
        m = self.add(Stream(mid, case.holding, [Link("case", case.id, "measure-of"), subject(person)]))
        m.add(
            cases.MeasureRequested(
                measure_id=mid,
                case_id=case.id,
                kind=kind,
                person_id=person,
                office=case.holding.holder,
                reason="防止串供",
                requested_by=officer(case.holding.holder).user,
                liaison_office=case.holding.liaison,
            ),
            instant(on - timedelta(days=1)),
            officer(case.holding.holder),
        )
        starts = instant(on, 13)
        if approved:
            m.add(
                cases.MeasureApproved(
                    measure_id=mid,
                    approver_role="commission_head",
                    approved_by="u-head",
                    starts_at=_ts(starts),
                    ends_at=_ts(starts + timedelta(days=90)),
                ),
                starts,
                HEAD,
            )
        else:
            m.add(cases.MeasureRefused(measure_id=mid, refused_by="u-head", reason="不必要"), starts, HEAD)
        return m

    # sanctions' execution items (§4d) ----------------------------------------------------------

    def decision(self, case: Stream, clue_id: str, person: str, on: date, items: list[tuple[str, date]]) -> Decision:
        """The Party-warning decision of `person` opened and issued on `on`, its execution items
        (`item id`, due date) owned by archives' personnel_files office."""
        did = sid("decision", case.id, person)
        links = [Link("decision", did, "decision"), Link("case", case.id, "case"), Link("clue", clue_id, "origin")]
        d = self.defer(Stream(did, case.holding, [*links, subject(person)]))
        t = self.defer(Stream(timer_stream_id(did), case.holding, [*links, subject(person)]))
        decided = instant(on, 12)
        d.add(
            sanctions.DecisionOpened(
                decision_id=did,
                case_id=case.id,
                clue_id=clue_id,
                person_id=person,
                family=sanctions.SANCTION_FAMILY_PARTY_SANCTION,
                combined=cases.CombinedSanction(sanction=cases.SANCTION_TYPE_PARTY_WARNING, rule="SINGLE"),
                disposed_at=_ts(decided),
                holder=case.holding.holder,
                liaison=case.holding.liaison,
            ),
            decided + timedelta(minutes=2),
            SANCTIONS,
        )
        d.add(
            sanctions.DecisionIssued(
                decision_id=did,
                document_number=f"市纪〔{on.year}〕{len(self.streams)}号",
                issued_by="u-head",
                sanction=cases.SANCTION_TYPE_PARTY_WARNING,
                start=on.isoformat(),
                end=h.add_months(on, 12).isoformat(),
                period_months=12,
                items=[
                    sanctions.ExecutionItem(
                        kind=item.split(":")[0],
                        owner="ARCHIVES",
                        due=due.isoformat(),
                        latest_due=due.isoformat(),
                        rule="G13",
                        item_id=item,
                        agency="archives",
                        office="personnel_files",
                    )
                    for item, due in items
                ],
            ),
            decided + timedelta(hours=3),
            HEAD,
        )
        return Decision(d, t, dict(items))


@dataclass
class Decision:
    """A decision's stream, its timer stream and its items' due dates."""

    stream: Deferred
    timers: Deferred
    due: dict[str, date] = field(default_factory=dict)

    def overdue(self, item: str, stage: str = "DUE", due: date | None = None) -> None:
        """§4d: the item's due date passed without its receipt (raised the day after, once per
        stage: DUE, then LATEST_DUE when a later latest date passes too)."""
        due = due or self.due[item]
        on = due + timedelta(days=1)
        self.timers.add(
            sanctions.ExecutionItemOverdue(
                decision_id=self.stream.id,
                item_id=item,
                kind=item.split(":")[0],
                owner="ARCHIVES",
                agency="archives",
                office="personnel_files",
                due=due.isoformat(),
                stage=stage,
            ),
            instant(on, 1),
            Principal.system("sanctions-timers"),
        )

    def delivered(self, item: str, on: date) -> None:
        """Case management records the decision delivered (G13, PSL 46): completes DELIVER_PERSON."""
        self.stream.add(
            sanctions.DecisionDelivered(
                decision_id=self.stream.id,
                recipient=sanctions.RECIPIENT_PERSON,
                means=sanctions.DELIVERY_MEANS_IN_PERSON,
                delivered_at=_ts(instant(on, 10)),
                receipt_sha256="ef" * 32,
                recorded_by="u-case-management",
                item_id=item,
            ),
            instant(on, 10),
            Principal("commission", "case_management", "case_manager", "u-case-management"),
        )

    def blockage(self, item: str, cause: int, on: date) -> None:
        """The owning office records why the item is stuck (seed 000); a later one replaces it."""
        by = Principal("archives", "personnel_files", "partner_officer", "u-files")
        self.stream.add(
            sanctions.ExecutionBlockageRecorded(
                decision_id=self.stream.id,
                item_id=item,
                cause=cause,
                note="协调中",
                recorded_by=by.user,
                office=by.office,
            ),
            instant(on, 10),
            by,
        )

    def done(self, item: str, on: date) -> None:
        """The owning agency reports the item done (its receipt)."""
        by = Principal("archives", "personnel_files", "partner_officer", "u-files")
        self.stream.add(
            sanctions.ExecutionItemReported(
                decision_id=self.stream.id,
                item_id=item,
                kind=item.split(":")[0],
                agency="archives",
                office="personnel_files",
                reported_by=by.user,
                done_at=_ts(instant(on, 10)),
                receipt_sha256="cd" * 32,
            ),
            instant(on, 10),
            by,
        )


# --- tour rounds --------------------------------------------------------------------------------


class Round:
    """A tour round's stream `tour-<uuid>` (巡视, seed 001) and its problem ledger."""

    def __init__(
        self,
        history: History,
        name: str,
        reference: str,
        kind: int,
        units: list[str],
        starts_on: date,
        ends_on: date,
        carried_over: list[str] = (),
    ):
        self.id = sid("tour", name)
        self.reference, self.n, self.history, self.starts_on = reference, 0, history, starts_on
        self.stream = history.defer(
            Stream(self.id, Holding(TOUR_OFFICE, TOUR_OFFICE), [Link("tour", self.id, "round")])
        )
        self.stream.add(
            tours.TourRoundOpened(
                round_id=self.id,
                reference=reference,
                kind=kind,
                units=[tours.InspectedUnit(code=u, name=u) for u in units],
                starts_on=starts_on.isoformat(),
                ends_on=ends_on.isoformat(),
                office=TOUR_OFFICE,
                opened_by=TOUR.user,
                carried_over=list(carried_over),
            ),
            instant(starts_on, 8),
            TOUR,
        )
        self.units = units

    def problems(self, count: int, on: date) -> list[str]:
        """`count` problems recorded on `on` (one event each, in a batch), across the round's units."""
        ids = []
        for k in range(count):
            self.n += 1
            pid = f"{self.id}#{self.n}"
            self.stream.add(
                tours.TourProblemRecorded(
                    round_id=self.id,
                    problem_id=pid,
                    unit=self.units[k % len(self.units)],
                    category="政治建设",
                    description=f"问题{self.n}",
                    recorded_by=TOUR.user,
                ),
                instant(on, 9),
                TOUR,
            )
            ids.append(pid)
        return ids

    def work_through(self, problem: str, on: date, *, until: str = "CLOSED") -> None:
        """Transferred on `on`, rectified 30 days later, closed (销账) 10 days after: stops at `until`."""
        unit = self.units[0]
        self.stream.add(
            tours.TourProblemTransferred(
                round_id=self.id,
                problem_id=problem,
                responsible_unit=unit,
                due_at=_ts(instant(on + timedelta(days=60))),
                transferred_by=TOUR.user,
            ),
            instant(on, 9),
            TOUR,
        )
        if until == "TRANSFERRED":
            return
        self.stream.add(
            tours.TourProblemRectified(
                round_id=self.id, problem_id=problem, rectification="已整改", reported_by="u-unit"
            ),
            instant(on + timedelta(days=30), 9),
            TOUR,
        )
        if until == "RECTIFIED":
            return
        self.stream.add(
            tours.TourProblemClosed(round_id=self.id, problem_id=problem, closed_by="u-tour-head"),
            instant(on + timedelta(days=40), 9),
            Principal("commission", TOUR_OFFICE, "office_head", "u-tour-head"),
        )

    def letters(self, count: int, on: date) -> None:
        """`count` suggestion letters (巡视建议书) issued on `on`."""
        for k in range(count):
            self.stream.add(
                tours.TourSuggestionLetterIssued(
                    round_id=self.id,
                    letter_id=f"{self.reference} 建议书{k + 1}",
                    addressed_to="市委有关部门",
                    problem_ids=[f"{self.id}#{k + 1}"],
                    issued_by=TOUR.user,
                ),
                instant(on, 16),
                TOUR,
            )

    def transfer_clues(self, batch: str, persons: list[str], on: date, *, world: World = A) -> list[Stream]:
        """A batch of clues (巡视移交), one per person, registered with source INSPECTION_TOUR and
        linked to the round, and TourCluesTransferred on the round."""
        made = [
            self.history.clue(
                f"{self.id}/{batch}/{p}", [p], on, world=world, source=TOUR_SOURCE, round_id=self.id, batch=batch
            )
            for p in persons
        ]
        self.stream.add(
            tours.TourCluesTransferred(
                round_id=self.id,
                batch_reference=batch,
                clue_ids=[c.id for c in made],
                person_ids=list(dict.fromkeys(persons)),
                transferred_by=TOUR.user,
            ),
            instant(on, 12),
            TOUR,
        )
        return made


# --- expected figures --------------------------------------------------------------------------


@dataclass
class Expected:
    """What a history must give, by construction: per statistic, per office (None: every office;
    the office holding the counted file: a disposal's case, a notice's or talk's clue, a round, an
    overdue item's decision), the figures' counts by key, and for the figures of distinct things
    (persons, clues) which ones (the drill-down)."""

    counts: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    persons: dict = field(default_factory=lambda: defaultdict(set))

    def count(self, statistic: str, key: str, offices: str | tuple[str, ...], n: int = 1) -> None:
        for o in {None, *((offices,) if isinstance(offices, str) else offices)}:
            self.counts[(statistic, o)][key] += n

    def person(self, statistic: str, key: str, offices: str | tuple[str, ...], person: str) -> None:
        for o in {None, *((offices,) if isinstance(offices, str) else offices)}:
            if person not in self.persons[(statistic, key, o)]:
                self.persons[(statistic, key, o)].add(person)
                self.counts[(statistic, o)][key] += 1

    def figures(self, statistic: str, office: str | None = None) -> dict[str, int]:
        """The non-zero counts by key."""
        return {k: v for k, v in self.counts[(statistic, office)].items() if v}


# --- seed 001: tour contribution 69% (市管, 2019) and 1443 problems, 14 letters --------------------

Y2019 = (instant(date(2019, 1, 1), 0), instant(date(2020, 1, 1), 0))
SANCTION_OUTCOMES = [
    (cases.OUTCOME_KIND_PARTY_SANCTION, cases.SANCTION_TYPE_PARTY_SERIOUS_WARNING),
    (cases.OUTCOME_KIND_GOVERNMENT_SANCTION, cases.SANCTION_TYPE_GOVERNMENT_DEMERIT),
    (cases.OUTCOME_KIND_ORGANISATIONAL_HANDLING, cases.SANCTION_TYPE_UNSPECIFIED),
    (cases.OUTCOME_KIND_PARTY_SANCTION, cases.SANCTION_TYPE_PARTY_EXPULSION),
]
LIGHT_OUTCOMES = [
    (cases.OUTCOME_KIND_LIGHT_HANDLING, cases.SANCTION_TYPE_UNSPECIFIED),
    (cases.OUTCOME_KIND_ADMONISHMENT, cases.SANCTION_TYPE_UNSPECIFIED),
    (cases.OUTCOME_KIND_NO_SANCTION, cases.SANCTION_TYPE_UNSPECIFIED),
]


def _disposed_person(
    hist: History,
    person: str,
    decided: date,
    *,
    from_tour: Round | list[Round] | None,
    level: int,
    outcome: tuple[int, int],
    world: World = A,
    salt: str = "",
    report_facts: bool = True,
    state_facts: bool = True,
) -> tuple[Stream, Stream]:
    """A person's clue (from `from_tour`'s transfer, else a petition) registered 150 days before
    `decided`, the case filed 100 days before, disposed on `decided` with `outcome`, at `level` (the
    facts reported by the organisation department before the clue, and stated on the disposal)."""
    registered = decided - timedelta(days=150)
    if report_facts:
        hist.person_facts(person, level, registered - timedelta(days=5))
    if isinstance(from_tour, list):
        from_tour = round_for(from_tour, registered)
    if from_tour is not None:
        (clue,) = from_tour.transfer_clues(f"移交{salt}{person}", [person], registered, world=world)
    else:
        clue = hist.clue(f"{person}/{salt}{decided}", [person], registered, world=world)
    case = hist.file_case(clue, [person], decided - timedelta(days=100), world=world)
    hist.dispose(case, decided, [(person, *outcome)], {person: level} if state_facts else None)
    return clue, case


def seed_001() -> tuple[list[bytes], dict]:
    """Seed 001 (清风北京, 盘点2019⑦): "2019年市纪委市监委给予党纪政务处分和组织处理的市管干部中，
    巡视线索贡献率达69%" and "共发现问题1443个，向市委市政府有关部门发出巡视建议书14份" over two
    regular rounds and one special round. Returns (raws, figures): figures["TOUR_CONTRIBUTION"] and
    figures["TOUR_PROBLEMS"] for 2019 at CITY level; figures["rounds"] the rounds' ids by name."""
    hist = History()
    old = Round(
        hist,
        "2018-4",
        "2018 第四轮",
        tours.TOUR_KIND_REGULAR,
        ["chaoyang", "haidian"],
        date(2018, 3, 1),
        date(2018, 5, 31),
    )
    old_problems = old.problems(300, date(2018, 4, 10))
    old.letters(3, date(2018, 6, 1))
    for p in old_problems[:200]:
        old.work_through(p, date(2018, 7, 1))  # 100 left open (未结账)
    r5 = Round(
        hist,
        "2019-5",
        "2019 第五轮",
        tours.TOUR_KIND_REGULAR,
        ["chaoyang", "fengtai", "zhujianwei"],
        date(2019, 3, 4),
        date(2019, 5, 31),
        carried_over=old_problems[200:],
    )
    r6 = Round(
        hist,
        "2019-6",
        "2019 第六轮",
        tours.TOUR_KIND_REGULAR,
        ["haidian", "jinyu"],
        date(2019, 6, 10),
        date(2019, 8, 30),
    )
    sp = Round(
        hist,
        "2019-sp",
        "2019 规划自然资源领域专项巡视",
        tours.TOUR_KIND_SPECIAL,
        ["guiziwei"],
        date(2019, 9, 9),
        date(2019, 11, 15),
    )
    r8 = Round(
        hist, "2019-8", "2019 第八轮", tours.TOUR_KIND_REGULAR, ["university_1"], date(2019, 12, 9), date(2020, 3, 1)
    )
    for rnd, batches, letters in ((r5, (300, 220), 5), (r6, (250, 228), 4), (sp, (445,), 5)):
        for k, n in enumerate(batches):
            ids = rnd.problems(n, rnd_date(rnd, 20 + 15 * k))
            for j, p in enumerate(ids[:40]):
                rnd.work_through(p, rnd_date(rnd, 60), until=("CLOSED", "RECTIFIED", "TRANSFERRED")[j % 3])
        rnd.letters(letters, rnd_date(rnd, 70))
    r8.problems(120, date(2020, 1, 6))  # found in 2020: not 2019's
    r8.letters(2, date(2020, 2, 20))
    problems = {r5.id: 520, r6.id: 478, sp.id: 445}
    letters = {r5.id: 5, r6.id: 4, sp.id: 5}
    assert sum(problems.values()) == 1443 and sum(letters.values()) == 14

    # D: 100 市管 persons disposed in 2019 (sanction or organisational handling), 69 from tour clues
    rounds = [old, r5, r6, sp]  # a clue comes from the latest round opened before it
    for k in range(100):
        person = f"P-001-{k:03d}"
        decided = date(2019, 2, 1) + timedelta(days=3 * k)
        tour = rounds if k < 69 else None
        _disposed_person(
            hist, person, decided, from_tour=tour, level=CITY, outcome=SANCTION_OUTCOMES[k % 4], world=(A, B)[k % 2]
        )
        if k in (3, 50, 80):  # disposed twice in 2019 (a petition case): counts once
            _disposed_person(
                hist,
                person,
                decided + timedelta(days=20),
                from_tour=None,
                level=CITY,
                outcome=SANCTION_OUTCOMES[0],
                world=(A, B)[k % 2],
                salt="again",
                report_facts=False,
            )
        if k in (10, 90):  # promoted after the decision: counted at the decision's level
            hist.person_facts(person, PROVINCIAL, decided + timedelta(days=40))
    # noise: county-level (县管) persons, 20 from tours
    for k in range(30):
        _disposed_person(
            hist,
            f"P-001-county-{k:02d}",
            date(2019, 3, 1) + timedelta(days=5 * k),
            from_tour=rounds if k < 20 else None,
            level=COUNTY,
            outcome=SANCTION_OUTCOMES[k % 4],
        )
    # noise: 市管 persons disposed in 2018 and 2020, from tours
    for k in range(10):
        _disposed_person(
            hist,
            f"P-001-2018-{k:02d}",
            date(2018, 8, 1) + timedelta(days=10 * k),
            from_tour=old,
            level=CITY,
            outcome=SANCTION_OUTCOMES[k % 4],
        )
        _disposed_person(
            hist,
            f"P-001-2020-{k:02d}",
            date(2020, 5, 15) + timedelta(days=10 * k),
            from_tour=r8,
            level=CITY,
            outcome=SANCTION_OUTCOMES[k % 4],
        )
    # noise: 市管 persons of tour clues in 2019 with light outcomes only (not D)
    for k in range(8):
        _disposed_person(
            hist,
            f"P-001-light-{k:02d}",
            date(2019, 4, 1) + timedelta(days=7 * k),
            from_tour=rounds,
            level=CITY,
            outcome=LIGHT_OUTCOMES[k % 3],
        )
    # noise: county-level at the decision, promoted to 市管 after it (from a tour)
    for k in range(3):
        person = f"P-001-promoted-{k}"
        _disposed_person(
            hist,
            person,
            date(2019, 8, 1) + timedelta(days=k),
            from_tour=rounds,
            level=COUNTY,
            outcome=SANCTION_OUTCOMES[0],
        )
        hist.person_facts(person, CITY, date(2019, 10, 1))
    figures = {
        "TOUR_CONTRIBUTION": {"D": 100, "T": 69, "rate": 0.69},
        "TOUR_PROBLEMS": {
            **{f"problems:{r}": n for r, n in problems.items()},
            **{f"letters:{r}": n for r, n in letters.items()},
            "problems": 1443,
            "letters": 14,
        },
        "rounds": {"r5": r5.id, "r6": r6.id, "special": sp.id, "r8": r8.id, "2018": old.id},
        "D_persons": {f"P-001-{k:03d}" for k in range(100)},
        "T_persons": {f"P-001-{k:03d}" for k in range(69)},
    }
    return hist.raws(), figures


def rnd_date(rnd: Round, days: int) -> date:
    """`days` after the round's opening."""
    return rnd.starts_on + timedelta(days=days)


def round_for(rounds: list[Round], on: date) -> Round:
    """The latest of `rounds` opened before `on` (a round transfers clues after it opens)."""
    return max((r for r in rounds if r.starts_on < on), key=lambda r: r.starts_on)


# --- seed 004: 30 notices / 26 concluded / 5 filed / 1 detained ----------------------------------

W004 = (instant(date(2021, 4, 1), 0), instant(date(2022, 3, 1), 0))


def seed_004() -> tuple[list[bytes], dict]:
    """Seed 004 (宁波): "已下发督办通知书30份，先后督促办结重要问题线索26件，其中立案5件，对1人实施留置"
    in the window 2021-04-01..2022-03-01. 30 notices on 29 clues (one clue noticed twice): 26
    concluded after their notice (5 filed, 17 closed, 4 forwarded), 2 concluded before their notice,
    1 still open. Of the 5 filed cases, one person detained (twice: counts once); a detention
    refused on another; an ordered waiting on a third. Noise: notices before and after the window
    (their clues concluded and filed in it, one with a detention), a detention on an unrelated case.
    Returns (raws, figures) with figures["NOTICE_RESULTS"] and the drill-down sets."""
    hist = History()
    notices, clues_c, clues_f, detained = [], [], [], set()
    day = date(2021, 5, 6)
    for k in range(29):
        world = (A, B)[k % 2]
        clue = hist.clue(f"004-{k:02d}", [f"P-004-{k:02d}"], day - timedelta(days=60), world=world)
        on = day + timedelta(days=7 * k)  # 2021-05-06 .. 2021-11-25
        if k in (27, 28):  # concluded before the notice: not C
            hist.close(clue, on - timedelta(days=10))
        notices.append(hist.notice(clue, f"督办〔2021〕{k + 1}号", on))
        if k == 0:
            notices.append(hist.notice(clue, "督办〔2021〕30号", on + timedelta(days=20)))
        after = on + timedelta(days=30)
        if k < 5:
            case = hist.file_case(clue, [clue_person(k)], after, world=world)
            clues_f.append(clue.id)
            if k == 0:
                hist.measure(
                    case, "004-detention-0", clue_person(0), cases.MEASURE_KIND_DETENTION, after + timedelta(days=5)
                )
                hist.measure(
                    case, "004-detention-0b", clue_person(0), cases.MEASURE_KIND_DETENTION, after + timedelta(days=60)
                )
                detained.add(clue_person(0))
            if k == 1:
                hist.measure(
                    case,
                    "004-refused-1",
                    clue_person(1),
                    cases.MEASURE_KIND_DETENTION,
                    after + timedelta(days=5),
                    approved=False,
                )
            if k == 2:
                hist.measure(
                    case, "004-waiting-2", clue_person(2), cases.MEASURE_KIND_ORDERED_WAITING, after + timedelta(days=5)
                )
        elif k < 22:
            (hist.close if k % 2 else hist.talk)(clue, after)
        elif k < 26:
            hist.forward(clue, after)
        elif k == 26:
            hist._dispose_clue(clue, clues.DISPOSAL_METHOD_TALK_OR_LETTER, after)  # under way: not C
        if k < 26:
            clues_c.append(clue.id)
    assert (len(notices), len(clues_c), len(clues_f)) == (30, 26, 5)
    # noise: notices before the window (one clue filed, its person detained) and after it
    for k in range(4):
        clue = hist.clue(f"004-before-{k}", [f"P-004-before-{k}"], date(2021, 1, 4), world=A)
        hist.notice(clue, f"督办〔2021〕前{k}号", date(2021, 3, 1) + timedelta(days=k))
        if k < 2:
            case = hist.file_case(clue, [f"P-004-before-{k}"], date(2021, 5, 20), world=A)
            if k == 0:
                hist.measure(
                    case, "004-before-detention", f"P-004-before-{k}", cases.MEASURE_KIND_DETENTION, date(2021, 6, 1)
                )
        else:
            hist.close(clue, date(2021, 6, 1))
    late = hist.clue("004-after", ["P-004-after"], date(2022, 1, 10), world=B)
    hist.notice(late, "督办〔2022〕1号", date(2022, 3, 15))
    hist.close(late, date(2022, 3, 20))
    # noise: a detention on a case filed from a clue no notice named
    other = hist.clue("004-other", ["P-004-other"], date(2021, 4, 10), world=A)
    case = hist.file_case(other, ["P-004-other"], date(2021, 7, 1), world=A)
    hist.measure(case, "004-other-detention", "P-004-other", cases.MEASURE_KIND_DETENTION, date(2021, 7, 10))
    figures = {
        "NOTICE_RESULTS": {"N": 30, "C": 26, "F": 5, "X": 1},
        "notice_events": set(notices),
        "C_clues": set(clues_c),
        "F_clues": set(clues_f),
        "X_persons": detained,
    }
    return hist.raws(), figures


def clue_person(k: int) -> str:
    return f"P-004-{k:02d}"


# --- generated: every statistic at random, expected by construction ----------------------------

FOUR_FORMS_CASE = {  # domain.md §5: the forms the text names for case disposals' outcomes
    "form1": [
        (cases.OUTCOME_KIND_LIGHT_HANDLING, cases.SANCTION_TYPE_UNSPECIFIED),
        (cases.OUTCOME_KIND_ADMONISHMENT, 0),
    ],
    "form2": [
        (cases.OUTCOME_KIND_PARTY_SANCTION, cases.SANCTION_TYPE_PARTY_WARNING),
        (cases.OUTCOME_KIND_PARTY_SANCTION, cases.SANCTION_TYPE_PARTY_SERIOUS_WARNING),
        (cases.OUTCOME_KIND_ORGANISATIONAL_HANDLING, 0),
    ],
    "form3": [
        (cases.OUTCOME_KIND_PARTY_SANCTION, cases.SANCTION_TYPE_PARTY_REMOVAL_FROM_POSTS),
        (cases.OUTCOME_KIND_PARTY_SANCTION, cases.SANCTION_TYPE_PARTY_PROBATION),
        (cases.OUTCOME_KIND_PARTY_SANCTION, cases.SANCTION_TYPE_PARTY_EXPULSION),
    ],
    "form4": [(cases.OUTCOME_KIND_TRANSFER_FOR_PROSECUTION, 0)],
}
FORM1_TALKS = [  # domain.md §5 form 1: 谈话提醒, 批评教育, 责令检查, 诫勉 (talk/letter conclusions)
    clues.LIGHT_HANDLING_TALK_REMINDER,
    clues.LIGHT_HANDLING_CRITICISM_AND_EDUCATION,
    clues.LIGHT_HANDLING_ORDERED_SELF_EXAMINATION,
    clues.LIGHT_HANDLING_ADMONISHMENT,
]
CAUSES = {
    "RULES_MISSING": sanctions.BLOCKAGE_CAUSE_RULES_MISSING,
    "INTER_DEPARTMENT": sanctions.BLOCKAGE_CAUSE_INTER_DEPARTMENT,
    "PERSON_UNCOOPERATIVE": sanctions.BLOCKAGE_CAUSE_PERSON_UNCOOPERATIVE,
    "MOBILE_PARTY_MEMBER": sanctions.BLOCKAGE_CAUSE_MOBILE_PARTY_MEMBER,
}
GEN_YEAR = 2025
GEN_PERIOD = (instant(date(GEN_YEAR, 1, 1), 0), instant(date(GEN_YEAR + 1, 1, 1), 0))
GEN_PAST = instant(date(GEN_YEAR, 7, 1), 0)  # the moment in the past: figures as they stood


@dataclass
class Generated:
    raws: list[bytes]
    period: tuple[datetime, datetime]
    past: datetime
    now: Expected  # as of the end of the history
    then: Expected  # as of `past`
    rounds: dict[str, str]


def generated(seed: int) -> Generated:
    """A random history of `GEN_YEAR` in both office worlds with every statistic's figures known:
    each fact is dated, and counted in `now` and (when it happened before `GEN_PAST`) in `then`.
    TOUR_CONTRIBUTION at CITY level; noise of other years, other levels, light outcomes."""
    rng = random.Random(seed)
    hist = History()
    now, then = Expected(), Expected()

    def day_in_year() -> date:
        return date(GEN_YEAR, 2, 1) + timedelta(days=rng.randrange(300))

    def both(when: date, fn) -> None:
        fn(now)
        if instant(when, 23) < GEN_PAST:
            fn(then)

    # tour rounds: problems and letters in the year (by world None: the tour office holds them all)
    rounds = {}
    for r in range(rng.randint(2, 4)):
        start = date(GEN_YEAR, 1, 10) + timedelta(days=80 * r)
        rnd = Round(
            hist,
            f"gen{seed}-{r}",
            f"{GEN_YEAR} 第{r + 1}轮",
            tours.TOUR_KIND_REGULAR,
            [f"unit{r}a", f"unit{r}b"],
            start,
            start + timedelta(days=60),
        )
        rounds[f"r{r}"] = rnd.id
        for b in range(rng.randint(1, 3)):
            on = start + timedelta(days=10 + 25 * b)
            n = rng.randint(1, 30)
            ids = rnd.problems(n, on)
            both(
                on,
                lambda e, n=n, rid=rnd.id: (
                    e.count("TOUR_PROBLEMS", f"problems:{rid}", TOUR_OFFICE, n),
                    e.count("TOUR_PROBLEMS", "problems", TOUR_OFFICE, n),
                ),
            )
            for p in ids[: rng.randint(0, n)]:
                rnd.work_through(p, on + timedelta(days=5), until=rng.choice(("TRANSFERRED", "RECTIFIED", "CLOSED")))
        letters = rng.randint(0, 3)
        lon = start + timedelta(days=70)
        rnd.letters(letters, lon)
        both(
            lon,
            lambda e, n=letters, rid=rnd.id: (
                e.count("TOUR_PROBLEMS", f"letters:{rid}", TOUR_OFFICE, n),
                e.count("TOUR_PROBLEMS", "letters", TOUR_OFFICE, n),
            ),
        )
    a_round = Round(
        hist,
        f"gen{seed}-prev",
        f"{GEN_YEAR - 1} 第九轮",
        tours.TOUR_KIND_REGULAR,
        ["unit0a"],
        date(GEN_YEAR - 1, 9, 1),
        date(GEN_YEAR - 1, 11, 1),
    )
    a_round.problems(rng.randint(1, 9), date(GEN_YEAR - 1, 9, 20))  # last year's: not counted
    rounds["prev"] = a_round.id
    tour_rounds = [
        Round(
            hist,
            f"gen{seed}-clues",
            f"{GEN_YEAR} 移交",
            tours.TOUR_KIND_SPECIAL,
            ["unitx"],
            date(GEN_YEAR - 2, 6, 1),
            date(GEN_YEAR - 2, 7, 1),
        )
    ]

    # TOUR_CONTRIBUTION and FOUR_FORMS from disposals
    for k in range(rng.randint(25, 45)):
        person, world = f"P-g{seed}-d{k:02d}", rng.choice((A, B))
        decided = (
            day_in_year() if rng.random() < 0.85 else date(GEN_YEAR - 1, 6, 1) + timedelta(days=rng.randrange(100))
        )
        level = rng.choice((CITY, CITY, COUNTY))
        from_tour = rng.random() < 0.5
        form = rng.choice(list(FOUR_FORMS_CASE) + ["none"])
        outcome = rng.choice(FOUR_FORMS_CASE[form]) if form != "none" else (cases.OUTCOME_KIND_NO_SANCTION, 0)
        _disposed_person(
            hist,
            person,
            decided,
            from_tour=tour_rounds[0] if from_tour else None,
            level=level,
            outcome=outcome,
            world=world,
            salt=f"g{seed}",
        )
        if decided.year != GEN_YEAR:
            continue
        counted = outcome[0] in (
            cases.OUTCOME_KIND_PARTY_SANCTION,
            cases.OUTCOME_KIND_GOVERNMENT_SANCTION,
            cases.OUTCOME_KIND_ORGANISATIONAL_HANDLING,
        )
        if counted and level == CITY:
            both(decided, lambda e, p=person, w=world.case_files: e.person("TOUR_CONTRIBUTION", "D", w, p))
            if from_tour:
                both(decided, lambda e, p=person, w=world.case_files: e.person("TOUR_CONTRIBUTION", "T", w, p))
        if form != "none":
            both(
                decided,
                lambda e, f=form, w=world.case_files: (e.count("FOUR_FORMS", f, w), e.count("FOUR_FORMS", "total", w)),
            )
    # FOUR_FORMS from talk/letter conclusions (form 1; CLEARED is no form)
    for k in range(rng.randint(5, 15)):
        world = rng.choice((A, B))
        registered = day_in_year() - timedelta(days=40)
        clue = hist.clue(f"g{seed}-talk-{k}", [f"P-g{seed}-t{k:02d}"], registered, world=world)
        form = rng.choice(FORM1_TALKS + [clues.LIGHT_HANDLING_UNSPECIFIED])
        hist.talk(clue, registered + timedelta(days=10), form)
        concluded = registered + timedelta(days=30)
        if form and concluded.year == GEN_YEAR:
            both(
                concluded,
                lambda e, w=world.clue_office: (e.count("FOUR_FORMS", "form1", w), e.count("FOUR_FORMS", "total", w)),
            )

    # NOTICE_RESULTS
    for k in range(rng.randint(10, 25)):
        world = rng.choice((A, B))
        person = f"P-g{seed}-n{k:02d}"
        clue = hist.clue(f"g{seed}-notice-{k}", [person], date(GEN_YEAR - 1, 12, 1), world=world)
        on = day_in_year() - timedelta(days=30)
        hist.notice(clue, f"督办{k}", on)
        both(on, lambda e, w=world.clue_office: e.count("NOTICE_RESULTS", "N", w))
        fate = rng.choice(("open", "closed", "talk", "forwarded", "filed", "filed_detained"))
        done = on + timedelta(days=rng.randint(10, 50))
        if fate == "open":
            continue
        if fate.startswith("filed"):
            case = hist.file_case(clue, [person], done, world=world)
            both(
                done,
                lambda e, w=world.clue_office, c=clue.id: (
                    e.person("NOTICE_RESULTS", "C", w, c),
                    e.person("NOTICE_RESULTS", "F", w, c),
                ),
            )
            if fate == "filed_detained":
                hist.measure(case, f"g{seed}-det-{k}", person, cases.MEASURE_KIND_DETENTION, done + timedelta(days=3))
                both(
                    done + timedelta(days=3),
                    lambda e, w=world.clue_office, p=person: e.person("NOTICE_RESULTS", "X", w, p),
                )
            continue
        {"closed": hist.close, "talk": hist.talk, "forwarded": hist.forward}[fate](clue, done)
        reached = done + timedelta(days=20) if fate == "talk" else done
        both(reached, lambda e, w=world.clue_office, c=clue.id: e.person("NOTICE_RESULTS", "C", w, c))

    # OVERDUE_EXECUTION: items due in the year, overdue, some done, some blocked (latest cause counts)
    for k in range(rng.randint(6, 14)):
        world = rng.choice((A, B))
        person = f"P-g{seed}-x{k:02d}"
        decided = date(GEN_YEAR, 1, 5) + timedelta(days=rng.randrange(200))
        clue, case = _disposed_person(
            hist,
            person,
            decided,
            from_tour=None,
            level=COUNTY,
            outcome=(cases.OUTCOME_KIND_PARTY_SANCTION, cases.SANCTION_TYPE_PARTY_WARNING),
            world=world,
            salt=f"gx{seed}",
        )
        d = hist.decision(
            case,
            clue.id,
            person,
            decided,
            [("PERSONNEL_FILE", decided + timedelta(days=30)), ("ANNOUNCE", decided + timedelta(days=15))],
        )
        # FOUR_FORMS: a Party warning (form 2); county level: not TOUR_CONTRIBUTION's CITY
        both(
            decided,
            lambda e, w=world.case_files: (e.count("FOUR_FORMS", "form2", w), e.count("FOUR_FORMS", "total", w)),
        )
        for item in ("PERSONNEL_FILE", "ANNOUNCE"):
            fate = rng.choice(("on_time", "overdue", "blocked", "reblocked", "overdue_done"))
            due = d.due[item]
            if fate == "on_time":
                d.done(item, due - timedelta(days=2))
                continue
            d.overdue(item)
            overdue_at, done_at, blockages = instant(due + timedelta(days=1), 1), None, []
            if fate in ("blocked", "reblocked"):
                for cause, days in zip(rng.sample(list(CAUSES), 2), (3, 50) if fate == "reblocked" else (3,)):
                    d.blockage(item, CAUSES[cause], due + timedelta(days=days))
                    blockages.append((instant(due + timedelta(days=days), 10), cause))
            if fate == "overdue_done":
                d.done(item, due + timedelta(days=20))
                done_at = instant(due + timedelta(days=20), 10)
            for e, m in ((now, None), (then, GEN_PAST)):  # as of the end, and as of the past moment
                if (m is not None and overdue_at > m) or (done_at is not None and (m is None or done_at <= m)):
                    continue
                cause = ([c for at, c in blockages if m is None or at <= m] or ["NONE"])[-1]
                e.count("OVERDUE_EXECUTION", f"overdue:{cause}", world.case_files)
                e.count("OVERDUE_EXECUTION", "overdue", world.case_files)
    return Generated(hist.raws(), GEN_PERIOD, GEN_PAST, now, then, rounds)


# --- probes: one rule each, in 2023 (no other history has events that count in it) ---------------

PROBE_YEAR = (instant(date(2023, 1, 1), 0), instant(date(2024, 1, 1), 0))


def probes() -> tuple[list[bytes], dict]:
    """One situation per rule of domain.md §5 the seeds do not isolate, all in 2023, world A:

    TOUR_CONTRIBUTION (CITY): the level at the decision is the disposal's stated facts, else the
    latest reported before it (domain.md §1: rules read facts as of the decision) —
      reported   no stated facts, reported CITY before the decision, tour clue   → D, T
      late       no stated facts, COUNTY before, CITY only after the decision    → not D
      stated     stated COUNTY on the disposal though reported CITY before       → not D
      m1, m2     one tour case, two subjects: m1 CITY, m2 COUNTY                 → m1 in D, T
      two        a Party and a government sanction in one disposal (petition)    → D once
      entered    decided 2023-06-01, entered on the 20th (petition)             → D, from the 20th
                 (as of: what was recorded by then; period: the decision date)
    NOTICE_RESULTS: a detention requested on the clue under preliminary check, approved, then
      attached to the case filed from it → X (N = C = F = X = 1).
    OVERDUE_EXECUTION: an item overdue at DUE and again at LATEST_DUE counts once (NONE); a
      DELIVER_PERSON item overdue then delivered (DecisionDelivered) is done; an item blocked
      twice counts under its latest cause (PERSON_UNCOOPERATIVE).
    FOUR_FORMS: a talk/letter conclusion (谈话提醒) naming two subjects is two person-outcomes in
      form 1 (each person once)."""
    hist = History()
    tour = Round(hist, "probe", "2022 第三轮", tours.TOUR_KIND_REGULAR, ["unit_p"], date(2022, 3, 1), date(2022, 5, 1))
    decided = date(2023, 6, 1)
    warning = (cases.OUTCOME_KIND_PARTY_SANCTION, cases.SANCTION_TYPE_PARTY_WARNING)

    def person_case(name: str, persons: list[str], from_tour: bool) -> Stream:
        on = date(2022, 9, 1)
        if from_tour:
            (clue,) = tour.transfer_clues(f"probe-{name}", [persons[0]], on)
            if len(persons) > 1:
                clue.links = tuple(dict.fromkeys([*clue.links, *(subject(p) for p in persons)]))
        else:
            clue = hist.clue(f"probe-{name}", persons, on)
        return hist.file_case(clue, persons, date(2023, 1, 16))

    hist.person_facts("P-probe-reported", CITY, date(2022, 8, 1))
    hist.dispose(person_case("reported", ["P-probe-reported"], True), decided, [("P-probe-reported", *warning)])
    hist.person_facts("P-probe-late", COUNTY, date(2022, 8, 1))
    hist.dispose(person_case("late", ["P-probe-late"], True), decided, [("P-probe-late", *warning)])
    hist.person_facts("P-probe-late", CITY, date(2023, 8, 1))
    hist.person_facts("P-probe-stated", CITY, date(2022, 8, 1))
    hist.dispose(
        person_case("stated", ["P-probe-stated"], True),
        decided,
        [("P-probe-stated", *warning)],
        {"P-probe-stated": COUNTY},
    )
    hist.dispose(
        person_case("m", ["P-probe-m1", "P-probe-m2"], True),
        decided,
        [("P-probe-m1", *warning), ("P-probe-m2", *warning)],
        {"P-probe-m1": CITY, "P-probe-m2": COUNTY},
    )
    hist.dispose(
        person_case("two", ["P-probe-two"], False),
        decided,
        [
            ("P-probe-two", *warning),
            ("P-probe-two", cases.OUTCOME_KIND_GOVERNMENT_SANCTION, cases.SANCTION_TYPE_GOVERNMENT_DEMERIT),
        ],
        {"P-probe-two": CITY},
    )
    hist.dispose(
        person_case("entered", ["P-probe-entered"], False),
        decided,
        [("P-probe-entered", *warning)],
        {"P-probe-entered": CITY},
        recorded_on=date(2023, 6, 20),
    )
    # a detention before filing, attached to the case filed from the noticed clue
    clue = hist.clue("probe-notice", ["P-probe-detained"], date(2023, 1, 9))
    notice = hist.notice(clue, "督办〔2023〕1号", date(2023, 2, 1))
    detention = hist.measure_on_clue(
        clue, "probe-before-filing", "P-probe-detained", cases.MEASURE_KIND_DETENTION, date(2023, 3, 20)
    )
    case = hist.file_case(clue, ["P-probe-detained"], date(2023, 4, 20))
    hist.attach(detention, case, clue)
    # execution items
    x_clue = hist.clue("probe-exec", ["P-probe-exec"], date(2022, 10, 10))
    x_case = hist.file_case(x_clue, ["P-probe-exec"], date(2023, 1, 10))
    hist.dispose(x_case, date(2023, 3, 1), [("P-probe-exec", *warning)], {"P-probe-exec": COUNTY})
    d = hist.decision(
        x_case,
        x_clue.id,
        "P-probe-exec",
        date(2023, 3, 1),
        [("PERSONNEL_FILE", date(2023, 4, 1)), ("DELIVER_PERSON", date(2023, 3, 10)), ("ANNOUNCE", date(2023, 3, 20))],
    )
    d.overdue("PERSONNEL_FILE")
    d.overdue("PERSONNEL_FILE", "LATEST_DUE", date(2023, 5, 1))
    d.overdue("DELIVER_PERSON")
    d.delivered("DELIVER_PERSON", date(2023, 3, 25))
    d.overdue("ANNOUNCE")
    d.blockage("ANNOUNCE", sanctions.BLOCKAGE_CAUSE_RULES_MISSING, date(2023, 3, 25))
    d.blockage("ANNOUNCE", sanctions.BLOCKAGE_CAUSE_PERSON_UNCOOPERATIVE, date(2023, 4, 25))
    # a talk/letter conclusion on two subjects
    talk = hist.clue("probe-talk", ["P-probe-t1", "P-probe-t2"], date(2023, 5, 8))
    hist.talk(talk, date(2023, 5, 15), clues.LIGHT_HANDLING_TALK_REMINDER)
    figures = {
        "TOUR_CONTRIBUTION": {"D": 4, "T": 2},
        "D_persons": {"P-probe-reported", "P-probe-m1", "P-probe-two", "P-probe-entered"},
        "entered": (instant(date(2023, 6, 10), 0), "P-probe-entered"),  # as of then: not yet in D
        "T_persons": {"P-probe-reported", "P-probe-m1"},
        "NOTICE_RESULTS": {"N": 1, "C": 1, "F": 1, "X": 1},
        "notice": notice,
        "X_persons": {"P-probe-detained"},
        "OVERDUE_EXECUTION": {"overdue:NONE": 1, "overdue:PERSON_UNCOOPERATIVE": 1, "overdue": 2},
        "form1": 2,
        # form 2: eight persons' Party warnings, P-probe-two's two sanctions (form 2 both, per
        # deploy/config/statistics.toml) once per decision or person, twice when each counts
        "form2": {"each": 9, "heaviest_per_decision": 8, "heaviest_per_person": 8},
    }
    return hist.raws(), figures


async def record(recorder, raws: list[bytes], *, batch: int = 500) -> int:
    """`tests.dossier_history.record` with tours on the clues' topic and person facts on the cases'."""
    saved = dict(h.TOPICS)
    h.TOPICS.update(TOPICS)
    try:
        return await h.record(recorder, raws, batch=batch)
    finally:
        h.TOPICS.clear()
        h.TOPICS.update(saved)
