"""Story drivers shared by the end-to-end tests: a clue registered in the clues service driven,
over gRPC and Kafka, to a case filed, investigated, trial-reviewed, heard and disposed in the
cases service (SL 38-52; Rules 23-56; PC 43, PSL 43), with the builders of what each step is
given (the filing's subject facts, the meetings, the sanctions decided). The case story
(`tests/e2e/test_case_story.py`) tells it with a detention; the sanctions story
(`tests/e2e/test_sanctions_story.py`) continues it into the decisions and their execution.

Nothing here starts a service: the tests' fixtures do, and hand the running hosts in."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from cases.v1 import (
    events_pb2 as cev,
    prosecution_pb2 as ppb,
    prosecution_pb2_grpc,
    service_pb2 as cpb,
    service_pb2_grpc as cases_grpc,
)
from clues.v1 import events_pb2 as clue_ev
from common.v1 import identity_pb2, meeting_pb2, person_pb2, recording_pb2
from kernel.domain.principal import Principal
from sanctions.v1 import events_pb2 as sev, service_pb2 as spb, service_pb2_grpc as sanctions_grpc
from services.cases.adapters.translators import case_id_for
from tests.e2e.test_clue_lifecycle import (
    CLUE_TO_FILING,
    COMMITTEE,
    HEAD,
    INSPECTOR,
    Client,
    to_report,
    wait_state,
)
from tests.factories import call_metadata
from tests.integration.test_cases_timers import approve

INVESTIGATOR = Principal("commission", "investigation_1", "investigator", "u-inv")
REVIEWER = Principal("commission", "trial_review", "trial_reviewer", "u-trial")
SUPERIOR = Principal("superior_commission", "superior_leadership", "superior_head", "u-sup")
RECORDING = recording_pb2.RecordingRef(sha256="9f" * 32, duration_seconds=5400, kind="interrogation")
PURPOSE = "follow the case"  # every read states one (issue 17)
DEPUTY = Principal("commission", "deputy_leadership_2", "deputy_head", "u-deputy")  # oversees trial review
CASE_MANAGER = Principal("commission", "case_management", "case_manager", "u-cm")
# a government decision's review route: the body reviewing, the body rechecking, the months to
# apply in (G13, SL 56)
ROUTE = sev.ReviewRoute(review_body="本委", recheck_body="市纪委监委", apply_within_months=1)
# the partner agencies' systems reporting back on a transfer for prosecution (SL 54; G12)
PROC = Principal("procuratorate", "prosecution_intake", "partner_system", "u-proc")
COURT = Principal("court", "court_filing", "partner_system", "u-court")


class Cases:
    """The cases service's CaseService, called as one principal per call, each call with its own
    request id (mutations run once per request id)."""

    def __init__(self, host, channel):
        self.host, self.stub = host, cases_grpc.CaseServiceStub(channel)

    async def __call__(self, rpc: str, who: Principal, **fields):
        request = getattr(cpb, f"{rpc}Request")(**fields)
        md = call_metadata(self.host.settings, who, request_id=str(uuid.uuid4()), correlation="corr-case")
        return await getattr(self.stub, rpc)(request, metadata=md)

    async def refused(self, rpc: str, who: Principal, **fields) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await self(rpc, who, **fields)
        return err.value

    async def case(self, case_id, who: Principal | None = None):
        md = call_metadata(self.host.settings, *([who] if who else []))
        return await self.stub.GetCase(cpb.GetCaseRequest(case_id=case_id, purpose=PURPOSE), metadata=md)

    async def wait_case(self, case_id, seconds=60):
        for _ in range(seconds * 4):
            try:
                return await self.case(case_id)
            except grpc.aio.AioRpcError as e:
                assert e.code() == grpc.StatusCode.NOT_FOUND
            await asyncio.sleep(0.25)
        raise AssertionError(f"the cases service never opened {case_id}")


class Prosecution:
    """The cases service's ProsecutionService, as the procuratorate and the court call it (issue 24
    point 1), each call with its own request id; `code` is the status name of a refused call."""

    def __init__(self, host, channel):
        self.host, self.stub = host, prosecution_pb2_grpc.ProsecutionServiceStub(channel)

    async def __call__(self, rpc: str, who: Principal, **fields):
        request = getattr(ppb, f"{rpc}Request")(**fields)
        md = call_metadata(self.host.settings, who, request_id=str(uuid.uuid4()), correlation="corr-prosecution")
        return await getattr(self.stub, rpc)(request, metadata=md)

    async def code(self, rpc: str, who: Principal, **fields) -> str:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await self(rpc, who, **fields)
        return err.value.code().name


class Sanctions:
    """The sanctions service's SanctionService and ExecutionService, called as one principal per
    call, each call with its own request id (mutations run once per request id)."""

    EXECUTION = ("ReportItem", "RecordBlockage", "ListExecutionItems")

    def __init__(self, host, channel):
        self.host = host
        self.decisions = sanctions_grpc.SanctionServiceStub(channel)
        self.execution = sanctions_grpc.ExecutionServiceStub(channel)

    async def __call__(self, rpc: str, who: Principal, **fields):
        request = getattr(spb, f"{rpc}Request")(**fields)
        md = call_metadata(self.host.settings, who, request_id=str(uuid.uuid4()), correlation="corr-sanctions")
        stub = self.execution if rpc in self.EXECUTION else self.decisions
        return await getattr(stub, rpc)(request, metadata=md)

    async def refused(self, rpc: str, who: Principal, **fields) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await self(rpc, who, **fields)
        return err.value

    async def decision(self, decision_id: str, who: Principal = CASE_MANAGER):
        return await self("GetDecision", who, decision_id=decision_id, purpose=PURPOSE)

    async def wait_decisions(self, case_id: str, count: int, who: Principal = CASE_MANAGER, seconds=60):
        """The case's decisions once the service has opened `count` of them (from Kafka)."""
        for _ in range(seconds * 4):
            listed = await self("ListDecisions", who, case_id=case_id, purpose=PURPOSE)
            if len(listed.decisions) >= count:
                return list(listed.decisions)
            await asyncio.sleep(0.25)
        raise AssertionError(f"the sanctions service opened {len(listed.decisions)} of {count} decisions of {case_id}")


@asynccontextmanager
async def story_clients(clues, cases, sanctions):
    """The clues', cases' and sanctions' clients of a story (Client, Cases, Sanctions), each over a
    channel of its own to the running hosts."""
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch1,
        grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as ch2,
        grpc.aio.insecure_channel(f"127.0.0.1:{sanctions.port}") as ch3,
    ):
        yield Client(clues, ch1), Cases(cases, ch2), Sanctions(sanctions, ch3)


async def proposal_of(clues, clue_id) -> str:
    """The case id the filing process manager derives from the clue's FilingProposed."""
    for e in await clues.store.read_stream(clue_id):
        if e.event_type == clue_ev.FilingProposed.DESCRIPTOR.full_name:
            proposed = e.event_id
    return case_id_for(proposed)


def ts(at: datetime):
    from kernel.edge.mapping import timestamp

    return timestamp(at)


def subject(
    at_issue, member=True, category=person_pb2.OFFICIAL_CATEGORY_CIVIL_SERVANT, level=person_pb2.MANAGEMENT_LEVEL_COUNTY
) -> cpb.FilingSubject:
    """P-77 as the filing report states them (issue 18): the facts with source and date."""
    src = person_pb2.FactSource(source="organisation_department", as_of=ts(datetime(2026, 1, 5, tzinfo=timezone.utc)))
    return cpb.FilingSubject(
        person_id="P-77",
        at_issue=at_issue,
        party=person_pb2.PartyMembership(member=member, source=src),
        official=person_pb2.PublicOfficial(category=category, source=src),
        cadre=person_pb2.Cadre(level=level, source=src),
    )


def topic_meeting() -> meeting_pb2.CollectiveDecision:
    """The head's topic meeting on plan and measures (SL 42; Rules 39), at the shipped quorum of 3."""
    return meeting_pb2.CollectiveDecision(
        body=meeting_pb2.MEETING_BODY_TOPIC_MEETING,
        held_at=ts(datetime.now(timezone.utc)),
        attendees=["u-head", "u-deputy-1", "u-deputy-2"],
        outcome="interviews, bank records, detention if needed",
        minutes_by="u-cm",
    )


def leadership(by: Principal) -> meeting_pb2.CollectiveDecision:
    """A leadership's collective decision on a detention (SL 47), at the shipped quorum of 3."""
    return meeting_pb2.CollectiveDecision(
        body=meeting_pb2.MEETING_BODY_LEADERSHIP,
        held_at=ts(datetime.now(timezone.utc)),
        attendees=[by.user, f"{by.user}-deputy-1", f"{by.user}-deputy-2"],
        outcome="detain P-77: risk of collusion",
        minutes_by="u-cm",
    )


def sanctions_of(government: str) -> cev.PersonSanctions:
    """P-77's violations (two Party ones, P6; one government one) and the combined sanctions."""
    article = {"GOVERNMENT_MAJOR_DEMERIT": "政务处分法 art. 33"}.get(government, "政务处分法 art. 32")
    return cev.PersonSanctions(
        person_id="P-77",
        violations=[
            cev.Violation(article="纪律处分条例 art. 28", sanction=cev.SANCTION_TYPE_PARTY_SERIOUS_WARNING),
            cev.Violation(article="纪律处分条例 art. 98", sanction=cev.SANCTION_TYPE_PARTY_WARNING),
            cev.Violation(article=article, sanction=cev.SanctionType.Value(f"SANCTION_TYPE_{government}")),
        ],
        combined=[
            cev.CombinedSanction(sanction=cev.SANCTION_TYPE_PARTY_REMOVAL_FROM_POSTS),
            cev.CombinedSanction(sanction=cev.SanctionType.Value(f"SANCTION_TYPE_{government}")),
        ],
    )


def facts_of_p77(cadre: int = 0, party_post: str = "") -> person_pb2.PersonFacts:
    """What the disposal's eligibility rules read (P1, PSL 2, G6), with source and date; with
    `cadre`, the cadre management level (who approves a decision, local); with `party_post`, a
    Party post held (P3, Regs 11: 撤销党内职务 needs one)."""
    src = person_pb2.FactSource(source="organisation_department", as_of=ts(datetime(2026, 1, 5, tzinfo=timezone.utc)))
    facts = person_pb2.PersonFacts(
        person_id="P-77",
        party=person_pb2.PartyMembership(member=True, source=src),
        official=person_pb2.PublicOfficial(category=person_pb2.OFFICIAL_CATEGORY_CIVIL_SERVANT, source=src),
        service=person_pb2.Service(status=person_pb2.SERVICE_STATUS_SERVING, source=src),
    )
    if cadre:
        facts.cadre.CopyFrom(person_pb2.Cadre(level=cadre, source=src))
    if party_post:
        facts.posts.append(person_pb2.Post(title=party_post, party_post=True, source=src))
    return facts


def deliberation(attending: int) -> meeting_pb2.CollectiveDecision:
    """The standing committee's meeting (Rules 56; SL 51); the shipped quorum is 5."""
    return meeting_pb2.CollectiveDecision(
        body=meeting_pb2.MEETING_BODY_STANDING_COMMITTEE,
        held_at=ts(datetime.now(timezone.utc)),
        attendees=["u-head", "u-deputy", "u-m1", "u-m2", "u-m3", "u-m4"][:attending],
        outcome="removal from Party posts and a demerit",
        minutes_by="u-cm",
    )


def consultations() -> list[meeting_pb2.Consultation]:
    """Rules 56: the same-level Party committee approved the filing, so its organisation department
    and the person's Party committee are consulted before the standing committee deliberates."""
    earlier = ts(datetime.now(timezone.utc) - timedelta(days=2))
    return [
        meeting_pb2.Consultation(
            body=meeting_pb2.CONSULTED_BODY_ORG_DEPARTMENT, consulted_at=earlier, reference="组干函12号"
        ),
        meeting_pb2.Consultation(
            body=meeting_pb2.CONSULTED_BODY_PARTY_COMMITTEE, consulted_at=earlier, reference="县委函7号"
        ),
    ]


async def reads_of(cases, file_id: str) -> list[tuple[str, str, str]]:
    """(reader, operation, purpose) of every FileRead the cases service recorded of `file_id`."""
    from common.v1 import reads_pb2
    from kernel.eventstore.envelope import parse, unpack

    rows = await cases.pool.fetch(
        f"SELECT stream_id FROM {cases.store.schema}.events WHERE stream_id LIKE 'read-%' ORDER BY position"
    )
    out = []
    for row in rows:
        for e in await cases.store.read_stream(row["stream_id"]):
            env = parse(e.envelope)
            read = unpack(env, reads_pb2.FileRead)
            if any(f.id == file_id for f in read.files):
                out.append((env.principal.user, read.operation, read.purpose))
    return out


# What audit tells of the story `dispose_from_a_clue` drives, step by step (the event and who
# recorded it), the clue's and the case's steps as they interleave: the clue up to its filing
# proposal (Rules 23-35), the case filed on both sides (SL 42; Rules 38) and the clue following it,
# the topic meeting, the hand-over and the investigation started. Each story goes on from here.
FILED_AND_INVESTIGATED = [
    *CLUE_TO_FILING,
    ("FilingOpened", "system:cases-filing"),
    ("FilingPrepared", "u-insp"),
    ("FilingApproved", "u-head"),
    ("FilingApproved", "u-party"),
    ("FilingApproved", "u-head"),
    ("FilingApproved", "u-party"),
    ("CaseFiled", "u-party"),
    ("ClueCaseFiled", "system:clues-filings"),
    ("TopicMeetingHeld", "u-head"),
    ("CaseHandOverProposed", "u-insp"),
    ("CaseHandedOver", "u-head"),
    ("InvestigationStarted", "u-inv"),
]


@dataclass(frozen=True)
class Disposed:
    """A case disposed from a clue: the ids a story continues from."""

    clue_id: str
    case_id: str


async def file_reported(clues, client: Client, api: Cases, cid: str, subjects: list[cpb.FilingSubject]) -> str:
    """The clue `cid`'s preliminary check report approved, proposing a filing (Rules 35); the case
    prepared on `subjects` and filed on both sides by the commission head and the county Party
    committee's head (SL 42; Rules 38), the clue following over Kafka (CASE_FILED): the case id."""
    await client("ApproveReport", HEAD, clue_id=cid)
    case_id = await proposal_of(clues, cid)
    await api.wait_case(case_id)
    await api("PrepareFiling", INSPECTOR, case_id=case_id, subjects=subjects)
    for side in (cev.FILING_SIDE_PARTY, cev.FILING_SIDE_SUPERVISION):
        await api("ApproveFiling", HEAD, case_id=case_id, side=side)
        await api("ApproveFiling", COMMITTEE, case_id=case_id, side=side)
    await wait_state(client, cid, "CASE_FILED")
    return case_id


async def dispose_from_a_clue(
    clues,
    client: Client,
    api: Cases,
    sanctions: cev.PersonSanctions,
    facts: person_pb2.PersonFacts,
    outcomes=(),
    transfer=(),
    investigating=None,
) -> Disposed:
    """A clue about P-77 (a county-managed member and civil servant) registered, preliminarily
    checked and proposed for filing (Rules 23-35); the case filed on both sides by the commission
    head and the county Party committee's head (SL 42; Rules 38), the clue following over Kafka;
    the topic meeting held, the case handed over to investigation_1 and investigated (SL 42);
    trial review concluding with `sanctions` (Rules 55), P-77 heard on them (PC 43; PSL 43); the
    standing committee's decision recorded by the head after the consultations (Rules 56; SL 51)
    with the person's `facts` and `outcomes` (and the `transfer` package of a transfer for
    prosecution, SL 54): CaseDisposed on cases.events.v1. `investigating(case_id)`, if given, is
    awaited while the case is under investigation (e.g. to take a measure).

    Needs a COUNTY commission (the shipped platform.toml) and clues and cases running."""
    cid = await to_report(client)
    case_id = await file_reported(clues, client, api, cid, [subject(cev.AT_ISSUE_BOTH)])
    await api("RecordTopicMeeting", HEAD, case_id=case_id, meeting=topic_meeting())
    await api("ProposeHandOver", INSPECTOR, case_id=case_id, to_office="investigation_1", reason="filed: investigate")
    await api("ApproveHandOver", HEAD, case_id=case_id)
    now = ts(datetime.now(timezone.utc))
    await api("StartInvestigation", INVESTIGATOR, case_id=case_id, announced_at=now, unit_notified_at=now)
    if investigating is not None:
        await investigating(case_id)
    await api("SendToTrialReview", INVESTIGATOR, case_id=case_id, report="report no. 9")
    await api("ConcludeTrialReview", REVIEWER, case_id=case_id, sanctions=[sanctions])
    await api("HearSubject", REVIEWER, case_id=case_id, person_id="P-77", statement="I accept", sanctions=[sanctions])
    disposed = await api(
        "DisposeCase",
        HEAD,
        case_id=case_id,
        sanctions=[sanctions],
        person_facts=[facts],
        outcomes=list(outcomes),
        transfer=list(transfer),
        deliberation=deliberation(5),
        consultations=consultations(),
    )
    assert disposed.state == "DISPOSED"
    return Disposed(cid, case_id)


async def dispose_transferring_p77(
    clues, client: Client, api: Cases, cases, package_sha256: str
) -> tuple[Disposed, str]:
    """`dispose_from_a_clue` with a government demerit, P-77 detained while investigated (SL 47:
    the leadership's decision, the upper level's approval, recorded in `cases`' handlers) and
    transferred for prosecution with the package whose hash is `package_sha256` (SL 54): the
    disposal and the detention's measure id (it runs on past the disposal, IR2025 134)."""
    detention = []

    async def detain(case_id: str) -> None:
        made = await api(
            "RequestMeasure",
            INVESTIGATOR,
            case_id=case_id,
            kind=cev.MEASURE_KIND_DETENTION,
            person_id="P-77",
            reason="flight risk",
        )
        await approve(cases.parts.handlers, made.measure_id, "DETENTION", datetime.now(timezone.utc))
        detention.append(made.measure_id)

    transfer = cev.Outcome(
        kind=cev.OUTCOME_KIND_TRANSFER_FOR_PROSECUTION, person_id="P-77", article="刑法 art. 385", detail="受贿"
    )
    story = await dispose_from_a_clue(
        clues,
        client,
        api,
        sanctions_of("GOVERNMENT_DEMERIT"),
        facts_of_p77(),
        outcomes=[transfer],
        transfer=[cev.TransferDocument(title="移送审查起诉意见书", sha256=package_sha256)],
        investigating=detain,
    )
    (mid,) = detention
    return story, mid


# --- several people, a case filed and left open (issue 22: the sanctions' time) ----------------


def subject_of(person_id: str, at_issue=cev.AT_ISSUE_BOTH) -> cpb.FilingSubject:
    """`subject(at_issue)`'s facts, stated for `person_id` (a county-managed member and civil
    servant)."""
    stated = subject(at_issue)
    stated.person_id = person_id
    return stated


def facts_of(person_id: str) -> person_pb2.PersonFacts:
    """`facts_of_p77()`'s facts, for `person_id`: a serving civil servant and Party member holding no
    Party post, no cadre fact (so no committee approval is needed: sanctions.toml [issue])."""
    facts = facts_of_p77()
    facts.person_id = person_id
    return facts


def government_sanction(person_id: str, sanction: str, article: str = "政务处分法 art. 32") -> cev.PersonSanctions:
    """One government violation and its sanction (G2: a single one combines to itself), e.g.
    `government_sanction("P-88", "GOVERNMENT_DEMERIT")` for a 记过."""
    decided = cev.SanctionType.Value(f"SANCTION_TYPE_{sanction}")
    return cev.PersonSanctions(
        person_id=person_id,
        violations=[cev.Violation(article=article, sanction=decided)],
        combined=[cev.CombinedSanction(sanction=decided)],
    )


async def file_from_a_clue(clues, client: Client, api: Cases, people: tuple[str, ...]) -> Disposed:
    """A clue about `people` registered, checked and proposed for filing (Rules 23-35); the case
    filed on both sides by the commission head and the county Party committee's head (SL 42; Rules
    38), the clue following over Kafka: CaseFiled on cases.events.v1, the case left open (its
    `Disposed` ids name a case not disposed yet)."""
    refs = [identity_pb2.PersonRef(person_id=p, name=f"Cadre {p}", post="section chief") for p in people]
    registered = await client(
        "RegisterClue", source=clue_ev.CLUE_SOURCE_PETITION, summary="kickbacks on contracts", subjects=refs
    )
    cid = await to_report(client, registered=registered)
    return Disposed(cid, await file_reported(clues, client, api, cid, [subject_of(p) for p in people]))


async def investigate_and_dispose(
    api: Cases, case_id: str, sanctions: list[cev.PersonSanctions], facts: list[person_pb2.PersonFacts]
) -> None:
    """A filed case's topic meeting held, handed over to investigation_1 and investigated (SL 42),
    trial review concluding with `sanctions` (Rules 55), each person heard on them (PC 43; PSL 43),
    and the standing committee's decision recorded with the persons' `facts` after the
    consultations (Rules 56; SL 51): CaseDisposed on cases.events.v1."""
    await api("RecordTopicMeeting", HEAD, case_id=case_id, meeting=topic_meeting())
    await api("ProposeHandOver", INSPECTOR, case_id=case_id, to_office="investigation_1", reason="filed: investigate")
    await api("ApproveHandOver", HEAD, case_id=case_id)
    now = ts(datetime.now(timezone.utc))
    await api("StartInvestigation", INVESTIGATOR, case_id=case_id, announced_at=now, unit_notified_at=now)
    await api("SendToTrialReview", INVESTIGATOR, case_id=case_id, report="report no. 11")
    await api("ConcludeTrialReview", REVIEWER, case_id=case_id, sanctions=sanctions)
    for person in sanctions:
        await api(
            "HearSubject",
            REVIEWER,
            case_id=case_id,
            person_id=person.person_id,
            statement="I accept",
            sanctions=sanctions,
        )
    disposed = await api(
        "DisposeCase",
        HEAD,
        case_id=case_id,
        sanctions=sanctions,
        person_facts=facts,
        deliberation=deliberation(5),
        consultations=consultations(),
    )
    assert disposed.state == "DISPOSED"
