"""The clue steps every part of the demo takes (Rules 23-35): a clue registered and its
registration approved, a disposal proposed and approved, a preliminary check planned, approved,
reported and its report approved; each proposal and approval by different people."""

from __future__ import annotations

from clues.v1 import events_pb2 as ev
from common.v1 import identity_pb2
from tools.demo.cast import CASE_MANAGER, COMMITTEE, HEAD, INSPECTOR
from tools.demo.plan import Person
from tools.demo.session import Session

PURPOSE = "演示数据加载 demo load"  # every read states why (domain.md §1)


def ref(p: Person) -> identity_pb2.PersonRef:
    return identity_pb2.PersonRef(person_id=p.person_id, name=p.name, post=p.post, unit=p.unit)


async def registered(s: Session, step: str, p: Person, office: str, source, summary: str, days_ago: float = 0) -> str:
    """Received `days_ago` (the warnings count from the receipt: domain.md §2), registered by case
    management and handed to `office` with the head's approval: the id."""
    received = dict(received_at=s.at(-days_ago)) if days_ago else {}
    reg = await s.do(
        "ClueService.RegisterClue",
        CASE_MANAGER,
        f"{step}-clue",
        source=source,
        summary=summary,
        subjects=[ref(p)],
        **received,
    )
    await s.do(
        "ClueService.ProposeRegistration", CASE_MANAGER, f"{step}-reg", clue_id=reg.clue_id, handling_office=office
    )
    await s.do("ClueService.ApproveRegistration", HEAD, f"{step}-reg-ok", clue_id=reg.clue_id)
    return reg.clue_id


async def proposed(s: Session, step: str, clue_id: str, method) -> None:
    """A disposal proposed by case management, for the head to approve (Rules ch. 3)."""
    proposal = dict(clue_id=clue_id, method=method, reason="反映问题具体，可查性强")
    await s.do("ClueService.ProposeDisposal", CASE_MANAGER, f"{step}-disp", **proposal)


async def disposed(s: Session, step: str, clue_id: str, method) -> None:
    await proposed(s, step, clue_id, method)
    await s.do("ClueService.ApproveDisposal", HEAD, f"{step}-disp-ok", clue_id=clue_id)


async def checked(
    s: Session, step: str, clue_id: str, work_plan: str, findings: str, proposal, lower_committee: bool = False
) -> None:
    """The preliminary check: its plan approved by the head (and, when the subject heads a lower
    Party committee, by the county Party committee's head), reported with `proposal`, the report
    approved (a FILE_CASE proposal then goes to the cases service over Kafka)."""
    plan = dict(clue_id=clue_id, work_plan=work_plan, team=[INSPECTOR.user, "ma.chao"])
    await s.do(
        "ClueService.SubmitPrelimCheckPlan",
        INSPECTOR,
        f"{step}-plan",
        **plan,
        subject_heads_lower_committee=lower_committee,
    )
    await s.do("ClueService.ApprovePrelimCheckPlan", HEAD, f"{step}-plan-ok", clue_id=clue_id)
    if lower_committee:
        await s.do("ClueService.ApprovePrelimCheckPlan", COMMITTEE, f"{step}-plan-ok2", clue_id=clue_id)
    report = dict(clue_id=clue_id, findings=findings, proposal=proposal)
    await s.do("ClueService.ReportPrelimCheck", INSPECTOR, f"{step}-report", **report)
    await s.do("ClueService.ApproveReport", HEAD, f"{step}-report-ok", clue_id=clue_id)


PETITION, PRELIM_CHECK = ev.CLUE_SOURCE_PETITION, ev.DISPOSAL_METHOD_PRELIM_CHECK
