"""Follow-up visits and appeals over gRPC against the real PostgreSQL (issue 22 points 3, 4;
domain.md §4c, §4d): a visit with one visitor refused and with two recorded and sent on to the
organisation department and HR (seed 000; [visits], local and unverified), its FOLLOW_UP_VISIT
item done; a Party appeal whose team includes an original investigator refused (A1, Rules 59: the
case directory's participants read in the command's transaction); a 复审 raising the sanction
refused (A4, SL 56; PSL 55); a revoked 撤职 creating its compensating items and closing the open
ones (A5, PSL 57-60); bad input refused naming the field or the state, leaving nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import grpc
import pytest

from cases.v1 import events_pb2 as cev
from kernel.domain import sanctions as s
from kernel.domain.errors import NotFound
from kernel.domain.principal import Principal
from sanctions.v1 import events_pb2 as sev, service_pb2 as pb
from tests.factories import ALICE, ts
from tests.integration.test_sanctions_grpc import (
    CST,
    DECIDED,
    HEAD,
    Edge,
    draft,
    handlers_of,
    issue,
    open_decision,
    sanctions_host,
    sha,
)

ST = cev.SanctionType
BRANCH = Principal("party_organisation", "party_branch", "partner_officer", "u-branch")
ORG_DEPT = Principal("organisation_department", "cadre_management", "partner_officer", "u-org")
HR = Principal("personnel_bureau", "personnel_records", "partner_officer", "u-hr")
VISITORS = [
    sev.Visitor(name="李某", capacity="所在单位党委副书记"),
    sev.Visitor(name="王某", capacity="派驻纪检组干部"),
]


host = sanctions_host("sr", "sanctions-reviews")


@pytest.fixture(scope="module")
async def edge(host):
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{host.port}")
    edge = Edge(host, channel)
    await edge.set_clock(DECIDED + timedelta(days=1))
    yield edge
    await channel.close()


async def recorded(edge: Edge, decision_id: str) -> int:
    """The decision's own events and the requests remembered (its timer stream aside: timers the
    moved clock made due fire on their own, e.g. an item overdue, §4d)."""
    schema = edge.host.settings.schema
    async with edge.host.pool.acquire() as conn:
        events = await conn.fetchval(f"SELECT count(*) FROM {schema}.events WHERE stream_id = $1", decision_id)
        requests = await conn.fetchval(f"SELECT count(*) FROM {schema}.requests")
    return events + requests


async def issued(edge: Edge, person_id: str, sanction: str = "GOVERNMENT_DEMERIT") -> str:
    """A government decision opened, drafted and issued on 2026-03-10 (G1)."""
    await edge.set_clock(DECIDED + timedelta(days=1))
    decision_id = await open_decision(edge.host, person_id, sanction=sanction)
    await edge.decisions.DraftDecision(draft(decision_id, gains_found=False), metadata=edge.md())
    await edge.decisions.IssueDecision(issue(decision_id), metadata=edge.md(HEAD))
    return decision_id


async def party_issued(
    edge: Edge, person_id: str, investigator: str, sanction: str = "PARTY_WARNING", probation_months: int = 0
) -> str:
    """A Party 警告 (or `sanction`) opened, drafted (A1's route: the body appealed to, no 复核, no
    deadline) and issued on 2026-03-10; the case's investigator as the case directory learnt it."""
    await edge.set_clock(DECIDED + timedelta(days=1))
    case_id = f"case-{uuid.uuid4()}"
    decision_id = await open_decision(
        edge.host, person_id, sanction=sanction, family=s.PARTY, article="Regs 28", case_id=case_id
    )
    schema = edge.host.settings.schema
    async with edge.host.pool.acquire() as conn:  # what the case directory's follower records (A1)
        await conn.execute(
            f"INSERT INTO {schema}.case_participants (case_id, user_id, role) VALUES ($1, $2, 'investigator')",
            case_id,
            investigator,
        )
    route = sev.ReviewRoute(review_body="市纪委", recheck_body="", apply_within_months=0)
    await edge.decisions.DraftDecision(
        draft(
            decision_id,
            title="关于给予张某某党内警告处分的决定",
            legal_basis=["《纪律处分条例》第二十八条"],
            review_route=route,
            probation_months=probation_months,
        ),
        metadata=edge.md(),
    )
    await edge.decisions.IssueDecision(issue(decision_id), metadata=edge.md(HEAD))
    return decision_id


async def test_seed000_a_visit_with_one_visitor_is_refused_with_two_recorded_and_sent_on(edge):
    """记过 2026-03-10 (G1: to 2027-03-10): planned inside the period, carried out by two visitors
    ([visits] min_visitors, local, unverified), graded, sent to the org dept and HR; the first
    visit completes FOLLOW_UP_VISIT; the org dept then knows the decision (its offices' steps)."""
    decision_id = await issued(edge, "P-visit")
    plan = pb.PlanFollowUpVisitRequest(decision_id=decision_id, planned_at=ts(datetime(2026, 9, 1, 9, tzinfo=CST)))
    first = edge.md()
    planned = await edge.decisions.PlanFollowUpVisit(plan, metadata=first)
    assert planned.visit_id == "visit-1"
    again = await edge.decisions.PlanFollowUpVisit(plan, metadata=edge.md())
    retried = await edge.decisions.PlanFollowUpVisit(plan, metadata=first)  # the first request, retried
    assert (again.visit_id, retried.visit_id, retried.decision.version) == (
        "visit-2",
        "visit-1",
        planned.decision.version,
    )
    await edge.set_clock(datetime(2026, 9, 5, 10, tzinfo=CST))
    visit = dict(
        decision_id=decision_id,
        visit_id="visit-1",
        visited_at=ts(datetime(2026, 9, 2, 15, tzinfo=CST)),
        grade="GOOD",
        summary="本人认识深刻，工作表现良好",
    )
    handlers = handlers_of(edge.host)
    with pytest.raises(NotFound):  # not yet: the org dept owns no item of a 记过
        await handlers.get(ORG_DEPT, decision_id)
    before = await recorded(edge, decision_id)
    err = await edge.refused(
        edge.decisions.RecordFollowUpVisit, pb.RecordFollowUpVisitRequest(**visit, visitors=VISITORS[:1]), BRANCH
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "visitors" in err.details() and "2" in err.details()
    assert await recorded(edge, decision_id) == before

    done = await edge.decisions.RecordFollowUpVisit(
        pb.RecordFollowUpVisitRequest(**visit, visitors=VISITORS), metadata=edge.md(BRANCH)
    )
    assert done.visit_id == "visit-1"
    got = await edge.get(decision_id)
    v, planned_only = got.visits
    assert (planned_only.visit_id, planned_only.visited_on) == ("visit-2", "")
    assert (v.visit_id, v.planned_on, v.visited_on, v.grade) == ("visit-1", "2026-09-01", "2026-09-02", "GOOD")
    assert list(v.sent_to) == ["organisation_department", "personnel_bureau"]
    assert [x.name for x in v.visitors] == ["李某", "王某"]
    items = {i.item.item_id: i for i in got.items}
    assert items["FOLLOW_UP_VISIT"].status == "DONE"
    state, _ = await handlers.get(ORG_DEPT, decision_id)  # the result was sent to it: it knows the decision
    assert state.decision_id == decision_id
    # outside the period: refused naming the field
    err = await edge.refused(
        edge.decisions.PlanFollowUpVisit,
        pb.PlanFollowUpVisitRequest(decision_id=decision_id, planned_at=ts(datetime(2027, 3, 10, 9, tzinfo=CST))),
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "planned_at" in err.details()


async def test_a1_a_party_appeal_whose_team_includes_an_original_investigator_is_refused(edge):
    """A1 (Rules 59): no deadline to lodge; accepted 2026-09-01 → due 2026-12-01; the team
    excludes the case's investigators and trial reviewers (the case directory's)."""
    decision_id = await party_issued(edge, "P-appeal", investigator="u-investigator-7")
    await edge.set_clock(datetime(2026, 9, 2, 10, tzinfo=CST))
    lodged = await edge.decisions.LodgeAppeal(
        pb.LodgeAppealRequest(
            decision_id=decision_id, kind="PARTY_APPEAL", applied_at=ts(datetime(2026, 8, 20, 10, tzinfo=CST))
        ),
        metadata=edge.md(),
    )
    assert (lodged.appeal_id, lodged.late, lodged.decide_by) == ("appeal-1", False, "")
    accept = dict(decision_id=decision_id, appeal_id="appeal-1", accepted_at=ts(datetime(2026, 9, 1, 10, tzinfo=CST)))
    before = await recorded(edge, decision_id)
    err = await edge.refused(
        edge.decisions.AcceptAppeal, pb.AcceptAppealRequest(**accept, team=["u-reviewer-1", "u-investigator-7"]), HEAD
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "team" in err.details() and "A1" in err.details() and "u-investigator-7" in err.details()
    assert await recorded(edge, decision_id) == before
    # a 复审 is no Party decision's (A1): refused naming the field
    err = await edge.refused(
        edge.decisions.LodgeAppeal,
        pb.LodgeAppealRequest(decision_id=decision_id, kind="REVIEW", applied_at=ts(datetime(2026, 9, 1, tzinfo=CST))),
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "kind" in err.details()
    assert await recorded(edge, decision_id) == before

    accepted = await edge.decisions.AcceptAppeal(
        pb.AcceptAppealRequest(**accept, team=["u-reviewer-1", "u-reviewer-2"]), metadata=edge.md(HEAD)
    )
    assert accepted.decide_by == "2026-12-01"
    (a,) = (await edge.get(decision_id)).appeals
    assert (a.kind, a.status, a.decide_by, list(a.team)) == (
        "PARTY_APPEAL",
        "ACCEPTED",
        "2026-12-01",
        ["u-reviewer-1", "u-reviewer-2"],
    )


async def test_a4_a_review_raising_demerit_to_major_demerit_is_refused(edge):
    """A2 (SL 56): received 2026-04-10 → apply by 05-10, applied 05-08 → due 06-08; A4 (SL 56; PSL
    55): 记过 raised to 记大过 on review → INVALID_ARGUMENT naming changed_to, nothing recorded;
    execution goes on meanwhile (the items stay open)."""
    decision_id = await issued(edge, "P-review")
    await edge.set_clock(datetime(2026, 5, 9, 10, tzinfo=CST))
    lodged = await edge.decisions.LodgeAppeal(
        pb.LodgeAppealRequest(
            decision_id=decision_id,
            kind="REVIEW",
            received_at=ts(datetime(2026, 4, 10, 10, tzinfo=CST)),
            applied_at=ts(datetime(2026, 5, 8, 10, tzinfo=CST)),
        ),
        metadata=edge.md(),
    )
    assert (lodged.appeal_id, lodged.late, lodged.decide_by) == ("appeal-1", False, "2026-06-08")
    assert {i.status for i in (await edge.get(decision_id)).items} <= {"OPEN", "OVERDUE"}
    await edge.set_clock(datetime(2026, 6, 1, 10, tzinfo=CST))
    before = await recorded(edge, decision_id)
    heavier = pb.DecideAppealRequest(
        decision_id=decision_id,
        appeal_id="appeal-1",
        outcome="CHANGE",
        ground="IMPROPER_SANCTION",
        changed_to=ST.SANCTION_TYPE_GOVERNMENT_MAJOR_DEMERIT,
        decided_at=ts(datetime(2026, 6, 1, 9, tzinfo=CST)),
    )
    err = await edge.refused(edge.decisions.DecideAppeal, heavier, HEAD)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "changed_to" in err.details() and "A4" in err.details()
    err = await edge.refused(edge.decisions.DecideAppeal, heavier, ALICE)  # sanctions.appeal_decide
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    assert await recorded(edge, decision_id) == before
    upheld = await edge.decisions.DecideAppeal(
        pb.DecideAppealRequest(
            decision_id=decision_id,
            appeal_id="appeal-1",
            outcome="UPHOLD",
            ground="LAWFUL",
            decided_at=ts(datetime(2026, 6, 1, 9, tzinfo=CST)),
        ),
        metadata=edge.md(HEAD),
    )
    assert (list(upheld.items), list(upheld.closed_items)) == ([], [])
    (a,) = (await edge.get(decision_id)).appeals
    assert (a.status, a.outcome, a.ground) == ("DECIDED", "UPHOLD", "LAWFUL")


async def test_a5_a_revoked_removal_creates_its_compensating_items_and_closes_the_open_ones(edge):
    """撤职 revoked (A5, PSL 57-60) → pay (HR), post (org dept), reputation notice (the deciding
    body), compensation (finance) items; the open items CLOSED (reported or blocked no more);
    REVOKED; nothing in force after."""
    decision_id = await issued(edge, "P-revoke", sanction="GOVERNMENT_REMOVAL")
    await edge.set_clock(datetime(2026, 4, 20, 10, tzinfo=CST))
    await edge.decisions.LodgeAppeal(
        pb.LodgeAppealRequest(
            decision_id=decision_id,
            kind="REVIEW",
            received_at=ts(datetime(2026, 4, 10, 10, tzinfo=CST)),
            applied_at=ts(datetime(2026, 4, 15, 10, tzinfo=CST)),
        ),
        metadata=edge.md(),
    )
    open_before = sorted(i.item.item_id for i in (await edge.get(decision_id)).items if i.status in ("OPEN", "OVERDUE"))
    revoked = await edge.decisions.DecideAppeal(
        pb.DecideAppealRequest(
            decision_id=decision_id,
            appeal_id="appeal-1",
            outcome="REVOKE",
            ground="EVIDENCE",
            decided_at=ts(datetime(2026, 4, 20, 9, tzinfo=CST)),
        ),
        metadata=edge.md(HEAD),
    )
    assert revoked.decision.status == sev.DECISION_STATUS_REVOKED
    owners = {i.kind: (i.owner, i.agency, i.office, i.due) for i in revoked.items}
    assert owners == {
        "LIFT_LOCKS": ("ORG_DEPT", "organisation_department", "cadre_management", "2026-05-20"),
        "REPUTATION_NOTICE": ("DECIDING_BODY", "commission", "case_management", "2026-05-20"),
        "RESTORE_GRADE_AND_PAY": ("HR", "personnel_bureau", "personnel_records", "2026-05-20"),
        "RESTORE_POST": ("ORG_DEPT", "organisation_department", "cadre_management", "2026-05-20"),
        "COMPENSATION": ("FINANCE", "finance_bureau", "treasury", "2026-05-20"),
    }
    assert sorted(revoked.closed_items) == open_before and "POST_PAY_CHANGE" in open_before
    got = await edge.get(decision_id)
    status = {i.item.item_id: i.status for i in got.items}
    assert all(status[k] == "CLOSED" for k in open_before)
    assert status["RESTORE_GRADE_AND_PAY"] == "OPEN"
    closed = await edge.execution.ListExecutionItems(
        pb.ListExecutionItemsRequest(decision_id=decision_id, status="CLOSED", purpose="test"),
        metadata=edge.md(ALICE, False),
    )
    assert sorted(i.item.item_id for i in closed.items) == open_before
    err = await edge.refused(
        edge.execution.ReportItem,
        pb.ReportItemRequest(
            decision_id=decision_id,
            item_id="POST_PAY_CHANGE",
            done_at=ts(datetime(2026, 4, 20, 9, tzinfo=CST)),
            receipt_sha256=sha(5),
        ),
        HR,
    )
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "CLOSED" in err.details()
    done = await edge.execution.ReportItem(
        pb.ReportItemRequest(
            decision_id=decision_id,
            item_id="RESTORE_GRADE_AND_PAY",
            done_at=ts(datetime(2026, 4, 20, 9, tzinfo=CST)),
            receipt_sha256=sha(6),
        ),
        metadata=edge.md(HR),
    )
    assert done.item.status == "DONE"
    in_force = await edge.decisions.GetInForce(
        pb.GetInForceRequest(person_id="P-revoke", on=ts(datetime(2026, 4, 20, 12, tzinfo=CST)), purpose="test"),
        metadata=edge.md(ALICE, False),
    )
    assert not in_force.in_force


async def test_p4_a_probation_reaching_its_end_is_decided_restored_with_its_bar(edge):
    """P4 (Regs 12): 留党察看 of 12 months from 2026-03-10 ends 2027-03-10 → the review task is due
    (the timer at 00:00 of the end); restoring before it is FAILED_PRECONDITION; restored after it
    → the bar on an equal or higher post to 2029-03-10 (24 months, unverified), in force then."""
    decision_id = await party_issued(edge, "P-probation", "u-inv-9", sanction="PARTY_PROBATION", probation_months=12)
    restore = pb.DecideProbationRequest(
        decision_id=decision_id, outcome="RESTORE", decided_at=ts(datetime(2026, 3, 12, 9, tzinfo=CST))
    )
    await edge.set_clock(datetime(2026, 3, 12, 10, tzinfo=CST))
    before = await recorded(edge, decision_id)
    err = await edge.refused(edge.decisions.DecideProbation, restore, HEAD)
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "2027-03-10" in err.details()
    assert await recorded(edge, decision_id) == before
    await edge.set_clock(datetime(2027, 3, 11, 10, tzinfo=CST))
    for _ in range(100):  # the period's end fires on its own (the timer runner)
        got = await edge.get(decision_id)
        if got.awaiting.startswith("probation decision"):
            break
        await asyncio.sleep(0.1)
    assert got.awaiting.startswith("probation decision by the deciding office")
    restore.decided_at.CopyFrom(ts(datetime(2027, 3, 11, 9, tzinfo=CST)))
    decided = await edge.decisions.DecideProbation(restore, metadata=edge.md(HEAD))
    assert decided.decision.status == sev.DECISION_STATUS_ISSUED
    got = await edge.get(decision_id)
    assert (got.probation_outcome, got.awaiting) == ("RESTORE", "")
    in_force = await edge.decisions.GetInForce(
        pb.GetInForceRequest(person_id="P-probation", on=ts(datetime(2028, 6, 1, 12, tzinfo=CST)), purpose="test"),
        metadata=edge.md(ALICE, False),
    )
    (entry,) = in_force.in_force
    assert [(x.kind, x.until) for x in entry.locks] == [("NO_EQUAL_OR_HIGHER_POST", "2029-03-10")]


async def test_bad_input_is_refused_naming_the_field_or_the_state_and_leaves_nothing(edge):
    """INVALID_ARGUMENT naming the field, FAILED_PRECONDITION naming the state, NOT_FOUND for an
    unknown appeal or visit; the decision's streams and the requests as they were."""
    decision_id = await issued(edge, "P-bad-22")
    await edge.set_clock(datetime(2026, 5, 1, 10, tzinfo=CST))
    before = await recorded(edge, decision_id)
    at = ts(datetime(2026, 4, 30, 10, tzinfo=CST))
    cases = [
        (
            edge.decisions.LodgeAppeal,
            pb.LodgeAppealRequest(decision_id=decision_id, kind="PARTY_APPEAL", applied_at=at),
            ALICE,
            grpc.StatusCode.INVALID_ARGUMENT,
            "kind",
        ),
        (  # no receipt given and no delivery to the person recorded (A2)
            edge.decisions.LodgeAppeal,
            pb.LodgeAppealRequest(decision_id=decision_id, kind="REVIEW", applied_at=at),
            ALICE,
            grpc.StatusCode.INVALID_ARGUMENT,
            "received_at",
        ),
        (  # A3: a 复核 only after a decided 复审
            edge.decisions.LodgeAppeal,
            pb.LodgeAppealRequest(decision_id=decision_id, kind="RECHECK", received_at=at, applied_at=at),
            ALICE,
            grpc.StatusCode.FAILED_PRECONDITION,
            "REVIEW",
        ),
        (
            edge.decisions.DecideAppeal,
            pb.DecideAppealRequest(
                decision_id=decision_id, appeal_id="appeal-9", outcome="UPHOLD", ground="LAWFUL", decided_at=at
            ),
            HEAD,
            grpc.StatusCode.NOT_FOUND,
            "appeal-9",
        ),
        (
            edge.decisions.AcceptAppeal,
            pb.AcceptAppealRequest(decision_id=decision_id, appeal_id="appeal-1", team=["u-r"], accepted_at=at),
            ALICE,
            grpc.StatusCode.NOT_FOUND,
            "appeal-1",
        ),
        (
            edge.decisions.RecordFollowUpVisit,
            pb.RecordFollowUpVisitRequest(
                decision_id=decision_id, visit_id="visit-4", visited_at=at, visitors=VISITORS, grade="GOOD", summary="x"
            ),
            ALICE,
            grpc.StatusCode.NOT_FOUND,
            "visit-4",
        ),
        (
            edge.decisions.RecordFollowUpVisit,
            pb.RecordFollowUpVisitRequest(
                decision_id=decision_id,
                visited_at=ts(datetime(2026, 3, 1, tzinfo=CST)),
                visitors=VISITORS,
                grade="GOOD",
                summary="x",
            ),
            ALICE,
            grpc.StatusCode.INVALID_ARGUMENT,
            "visited_at",
        ),
        (  # P4: no probation here
            edge.decisions.DecideProbation,
            pb.DecideProbationRequest(decision_id=decision_id, outcome="RESTORE", decided_at=at),
            HEAD,
            grpc.StatusCode.FAILED_PRECONDITION,
            "",
        ),
        (
            edge.decisions.PlanFollowUpVisit,
            pb.PlanFollowUpVisitRequest(decision_id=f"decision-{uuid.uuid4()}", planned_at=at),
            ALICE,
            grpc.StatusCode.NOT_FOUND,
            "",
        ),
    ]
    for call, request, who, code, word in cases:
        err = await edge.refused(call, request, who)
        assert err.code() == code and word in err.details(), (type(request).__name__, err.code(), err.details())
    assert await recorded(edge, decision_id) == before
