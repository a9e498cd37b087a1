"""One case of the demo, from the clue to the disposal (Rules 23-56; SL 42-54), told through the
platform's own gRPC API as tests/stories.py tells it: the clue registered, checked and proposed
for filing; the case filed on both sides, its topic meeting held, handed over and investigated
with a measure and an interrogation recording (SL 41, 47); trial review, the hearing and the
standing committee's decision. Case 0 detains its subject and transfers him for prosecution; the
procuratorate reports custody taken (IR2025 134)."""

from __future__ import annotations

from dataclasses import dataclass

from cases.v1 import events_pb2 as cev
from clues.v1 import events_pb2 as clue_ev
from common.v1 import person_pb2, recording_pb2
from tools.demo import meetings, steps
from tools.demo.cast import (
    CASE_MANAGER,
    COMMITTEE,
    HEAD,
    INSPECTOR,
    INVESTIGATOR,
    PROCURATORATE,
    REVIEWER,
    SUPERIOR,
)
from tools.demo.plan import CaseSpec, digest
from tools.demo.session import Session

PURPOSE = steps.PURPOSE


@dataclass(frozen=True)
class Filed:
    clue_id: str
    case_id: str
    measure_id: str = ""


async def to_filing(s: Session, spec: CaseSpec, clue_id: str) -> str:
    """Rules 23-35: disposed by a preliminary check, checked and reported; the report approved
    proposes a filing, which the cases service opens from Kafka: the case id."""
    await steps.disposed(s, spec.key, clue_id, steps.PRELIM_CHECK)
    work, findings = "谈话了解、调取银行流水和招投标资料", "经初步核实，反映问题基本属实"
    await steps.checked(s, spec.key, clue_id, work, findings, clue_ev.REPORT_PROPOSAL_FILE_CASE, lower_committee=True)

    async def opened():
        listed = await s.read("CaseService.ListCases", CASE_MANAGER, person_id=spec.person.person_id, purpose=PURPOSE)
        return listed.cases[0].case_id if listed.cases else None

    return await s.wait(opened, f"the cases service opening the filing of {clue_id}")


async def filed_and_investigated(s: Session, spec: CaseSpec, case_id: str) -> str:
    """SL 42, Rules 38: filed on both sides, the topic meeting, the hand-over to investigation_1,
    the investigation announced; a measure taken and an interrogation recorded: the measure id."""
    k, src = spec.key, person_pb2.FactSource(source=meetings.SOURCE, as_of=s.at(-30))
    await s.do(
        "CaseService.PrepareFiling",
        INSPECTOR,
        f"{k}-prepare",
        case_id=case_id,
        subjects=[meetings.filing_subject(spec, src)],
    )
    for side, name in ((cev.FILING_SIDE_PARTY, "party"), (cev.FILING_SIDE_SUPERVISION, "supervision")):
        await s.do("CaseService.ApproveFiling", HEAD, f"{k}-file-{name}", case_id=case_id, side=side)
        await s.do("CaseService.ApproveFiling", COMMITTEE, f"{k}-file-{name}2", case_id=case_id, side=side)
    await s.do(
        "CaseService.RecordTopicMeeting", HEAD, f"{k}-topic", case_id=case_id, meeting=meetings.topic_meeting(s.now())
    )
    to = dict(case_id=case_id, to_office="investigation_1", reason="已立案，移交审查调查")
    await s.do("CaseService.ProposeHandOver", INSPECTOR, f"{k}-handover", **to)
    await s.do("CaseService.ApproveHandOver", HEAD, f"{k}-handover-ok", case_id=case_id)
    started = dict(case_id=case_id, announced_at=s.now(), unit_notified_at=s.now())
    await s.do("CaseService.StartInvestigation", INVESTIGATOR, f"{k}-investigate", **started)
    measure_id = await (detain(s, spec, case_id) if spec.detention else freeze(s, spec, case_id))
    recording = recording_pb2.RecordingRef(
        sha256=spec.recording_sha256,
        duration_seconds=spec.recording_seconds,
        kind="interrogation",
        archive_ref=f"AV-{k}",
    )
    activity = cev.RECORDED_ACTIVITY_INTERROGATION
    await s.do(
        "CaseService.RecordActivity",
        INVESTIGATOR,
        f"{k}-recording",
        case_id=case_id,
        activity=activity,
        recording=recording,
        measure_id=measure_id if spec.detention else "",
    )
    return measure_id


async def detain(s: Session, spec: CaseSpec, case_id: str) -> str:
    """SL 47 at county level: the leadership's collective decision, then the upper level's; the
    unit and family told within 24 hours (SL 50)."""
    k, kind = spec.key, cev.MEASURE_KIND_DETENTION
    made = await s.do(
        "CaseService.RequestMeasure",
        INVESTIGATOR,
        f"{k}-detain",
        case_id=case_id,
        kind=kind,
        person_id=spec.person.person_id,
        reason="有串供、转移赃款风险",
    )
    mid = made.measure_id
    for who, step in ((HEAD, "detain-ok"), (SUPERIOR, "detain-ok2")):
        decision = meetings.leadership(who, s.now(), f"对{spec.person.name}采取留置措施")
        await s.do("CaseService.ApproveMeasure", who, f"{k}-{step}", measure_id=mid, meeting=decision)
    await s.do(
        "CaseService.GiveDetentionNotice",
        INVESTIGATOR,
        f"{k}-detain-notice",
        measure_id=mid,
        unit_notified_at=s.now(),
        family_notified_at=s.now(),
    )
    return mid


async def freeze(s: Session, spec: CaseSpec, case_id: str) -> str:
    """SL 28: the subject's deposits frozen for 6 months, approved by the head."""
    k, kind = spec.key, cev.MEASURE_KIND_FREEZING
    made = await s.do(
        "CaseService.RequestMeasure",
        INVESTIGATOR,
        f"{k}-freeze",
        case_id=case_id,
        kind=kind,
        person_id=spec.person.person_id,
        reason="冻结涉案存款",
    )
    await s.do("CaseService.ApproveMeasure", HEAD, f"{k}-freeze-ok", measure_id=made.measure_id)
    return made.measure_id


async def unfreeze(s: Session, spec: CaseSpec, measure_id: str) -> None:
    """A case closes with no measure running: the deposits released once the gains are traced."""
    ended = dict(measure_id=measure_id, outcome=cev.MEASURE_OUTCOME_RELEASED, reason="涉案款项已查清，解除冻结")
    await s.do("CaseService.EndMeasure", INVESTIGATOR, f"{spec.key}-unfreeze", **ended)


async def tried_and_disposed(s: Session, spec: CaseSpec, case_id: str, measure_id: str) -> None:
    """Rules 55-56, SL 51, 54: trial review, the hearing (PC 43; PSL 43), the standing committee's
    decision after the consultations; case 0 transferred for prosecution, custody taken."""
    k, told = spec.key, meetings.sanctions(spec)
    if not spec.detention:
        await unfreeze(s, spec, measure_id)
    await s.do(
        "CaseService.SendToTrialReview",
        INVESTIGATOR,
        f"{k}-to-review",
        case_id=case_id,
        report=f"审查调查报告（{spec.person.name}）",
    )
    await s.do("CaseService.ConcludeTrialReview", REVIEWER, f"{k}-reviewed", case_id=case_id, sanctions=[told])
    heard = dict(case_id=case_id, person_id=spec.person.person_id, statement="对处分意见无异议", sanctions=[told])
    await s.do("CaseService.HearSubject", REVIEWER, f"{k}-heard", **heard)
    src = person_pb2.FactSource(source=meetings.SOURCE, as_of=s.at(-30))
    outcomes, transfer = [], []
    if spec.detention:
        outcomes = [
            cev.Outcome(
                kind=cev.OUTCOME_KIND_TRANSFER_FOR_PROSECUTION,
                person_id=spec.person.person_id,
                article="刑法 art. 385",
                detail="受贿",
            )
        ]
        transfer = [cev.TransferDocument(title="移送审查起诉意见书", sha256=digest(s.tag, k, "transfer"))]
    decision = dict(
        case_id=case_id, sanctions=[told], person_facts=[meetings.person_facts(spec, src)], outcomes=outcomes,
        transfer=transfer, deliberation=meetings.standing_committee(s.now()), consultations=meetings.consultations(s.now(-2)),
    )  # fmt: skip
    await s.do("CaseService.DisposeCase", HEAD, f"{k}-dispose", **decision)
    if spec.detention:
        custody = dict(
            measure_id=measure_id,
            document=cev.DocumentRef(title="检察院拘留决定书", sha256=digest(s.tag, k, "custody")),
            taken_at=s.now(),
        )
        await s.do("ProsecutionService.ReportCustodyTaken", PROCURATORATE, f"{k}-custody", **custody)


async def register(s: Session, spec: CaseSpec) -> str:
    """A petition about the case's subject, registered to supervision_1: the clue id."""
    p = spec.person
    summary = f"反映{p.unit}{p.post}{p.name}{spec.allegation}"
    return await steps.registered(s, spec.key, p, "supervision_1", steps.PETITION, summary, spec.received_days_ago)


async def to_disposal(s: Session, spec: CaseSpec, clue_id: str) -> Filed:
    case_id = await to_filing(s, spec, clue_id)
    measure_id = await filed_and_investigated(s, spec, case_id)
    await tried_and_disposed(s, spec, case_id, measure_id)
    return Filed(clue_id, case_id, measure_id)
