"""Issue 22 point 5, end to end through Kafka with the sanctions service's clock moved: time does
the rest of an issued decision (domain.md §4).

One case on P-77 and P-88 is disposed with a government sanction each (CaseDisposed on
cases.events.v1): a 记过 for P-77 and a 记大过 for P-88, both issued and delivered at once. A new
case is filed on P-88 within the period (G10, PSL 13, 26) and left open. P-88 applies for a 复审
(A2, SL 56); while it runs, execution goes on (A4): HR reports an item done, and P-88's personnel
file, never filed, falls overdue (§4d: ExecutionItemOverdue at the day after its due date).

First move of the clock, forty days on: the review is overdue (AppealOverdue, A2), the
commission head changes the 记大过 to a 记过 (A5, PSL 58; never heavier, A4) and its compensating
item (ADJUST_POST_AND_PAY, HR) is due and reported; P-77's follow-up visit (回访教育, seed 000) is
recorded by two visitors (local) and sent to the organisation department and HR, completing the
FOLLOW_UP_VISIT item. Second move, to the periods' end (G1, PSL 8: 12 months for both, the changed
one counted from the original decision date): P-77's 记过 lifts by itself (G9, PSL 26:
SanctionLifted, LIFTED, nothing in force after), P-88's is held back by the open case
(LiftBlocked, G10) and lifts once that case is withdrawn (SanctionLifted after it). Audit's
history of P-88's decision tells the overdue personnel file once, though the clock moved on
again, and the review's overdue once."""

import asyncio
from datetime import date, datetime, time, timedelta, timezone

import grpc

from audit.v1 import service_pb2 as audit_pb2, service_pb2_grpc as audit_grpc
from cases.v1 import events_pb2 as cev
from kernel.domain.calendar import add_months
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import unpack
from sanctions.v1 import events_pb2 as sev
from tests.e2e.platforms import platform_fixture
from tests.e2e.test_clue_lifecycle import HEAD
from tests.e2e.test_clue_warnings import set_clock
from tests.factories import call_metadata
from tests.stories import (
    CASE_MANAGER,
    PURPOSE,
    ROUTE,
    facts_of,
    file_from_a_clue,
    government_sanction,
    investigate_and_dispose,
    story_clients,
    ts,
)

CST = timezone(timedelta(hours=8))  # the services' zone (settings: Asia/Shanghai)
ARCHIVES = Principal("archives", "personnel_files", "partner_system", "u-archives")
PERSONNEL = Principal("personnel_bureau", "personnel_records", "partner_system", "u-personnel")
VISITORS = [  # seed 000: at least two visitors (sanctions.toml [visits] min_visitors, local, unverified)
    sev.Visitor(name="Zhao Liu", capacity="所在单位党委副书记"),
    sev.Visitor(name="Sun Qi", capacity="县纪委监委第三监督检查室干部"),
]
SENT_TO = ["organisation_department", "personnel_bureau"]  # sanctions.toml [visits] send_to (local)
RECEIPT = "e5" * 32


platform = platform_fixture("st")  # clues, cases, sanctions (clock settable, timers polled often) and audit


async def test_periods_lift_or_wait_for_a_new_case_a_review_changes_a_decision_visits_and_overdue_once(platform):
    clues, cases, sanctions, audit = platform
    async with story_clients(clues, cases, sanctions) as (client, api, sx):
        lifted, reviewed = await two_decisions_issued_and_delivered(clues, client, api, sx)
        blocking = await file_from_a_clue(clues, client, api, ("P-88",))  # G10: within P-88's period
        appeal_id = await a_review_lodged_while_execution_goes_on(sx, lifted, reviewed)

        first = datetime.now(CST) + timedelta(days=40)
        await set_clock(sanctions, first)
        await the_review_overdue_then_changed_lighter(sx, reviewed, appeal_id, first)
        await a_follow_up_visit_recorded_and_sent_on(sx, lifted, first)

        end = max([date.fromisoformat((await sx.decision(d)).end) for d in (lifted, reviewed)])
        await set_clock(sanctions, datetime.combine(end, time(10), CST))  # both periods' end (G1: 12 months)
        await lifted_at_its_end(sx, lifted)
        await held_back_by_the_new_case_until_it_is_withdrawn(sx, api, reviewed, blocking.case_id)
    await told_once_by_audit(audit, lifted, reviewed, blocking.case_id)


async def two_decisions_issued_and_delivered(clues, client, api, sx) -> tuple[str, str]:
    """A case on P-77 and P-88 disposed with a 记过 and a 记大过 (G1, PSL 8: 12 and 18 months);
    each decision drafted by case management (G13: the review route), issued by the commission
    head (no committee approval: no cadre level stated, sanctions.toml [issue], local) and
    delivered to person and unit (G13, PSL 46). P-77's and P-88's decision ids."""
    story = await file_from_a_clue(clues, client, api, ("P-77", "P-88"))
    decided = [
        government_sanction("P-77", "GOVERNMENT_DEMERIT"),
        government_sanction("P-88", "GOVERNMENT_MAJOR_DEMERIT", "政务处分法 art. 33"),
    ]
    await investigate_and_dispose(api, story.case_id, decided, [facts_of("P-77"), facts_of("P-88")])
    ids = {d.person_id: d.decision_id for d in await sx.wait_decisions(story.case_id, 2)}
    for person, decision_id in ids.items():
        await sx(
            "DraftDecision",
            CASE_MANAGER,
            decision_id=decision_id,
            title=f"关于给予{person}政务处分的决定",
            legal_basis=["政务处分法 art. 32"],
            review_route=ROUTE,
            announcement_scope="所在单位",
        )
        issued = await sx(
            "IssueDecision",
            HEAD,
            decision_id=decision_id,
            document_number=f"县纪〔2026〕{person[2:]}号",
            decided_at=now(),
        )
        assert issued.decision.status == sev.DECISION_STATUS_ISSUED
        for recipient in (sev.RECIPIENT_PERSON, sev.RECIPIENT_UNIT):
            await sx(
                "RecordDelivery",
                CASE_MANAGER,
                decision_id=decision_id,
                recipient=recipient,
                means=sev.DELIVERY_MEANS_IN_PERSON,
                delivered_at=now(),
                receipt_sha256=RECEIPT,
            )
    issued = {p: await sx.decision(d) for p, d in ids.items()}
    assert {p: (d.sanction, months(d)) for p, d in issued.items()} == {
        "P-77": (cev.SANCTION_TYPE_GOVERNMENT_DEMERIT, 12),  # G1 (PSL 8)
        "P-88": (cev.SANCTION_TYPE_GOVERNMENT_MAJOR_DEMERIT, 18),
    }
    return ids["P-77"], ids["P-88"]


async def a_review_lodged_while_execution_goes_on(sx, lifted: str, reviewed: str) -> str:
    """A2 (SL 56): P-88's 复审, applied for the day of receipt (the recorded delivery to the person),
    decided within a month; A4: execution is not suspended: HR reports the promotion lock
    recorded while it runs; the archives file P-77's decision (P-88's is left unfiled). The
    appeal's id."""
    applied = datetime.now(CST)
    lodged = await sx("LodgeAppeal", CASE_MANAGER, decision_id=reviewed, kind="REVIEW", applied_at=ts(applied))
    assert (lodged.appeal_id, lodged.late) == ("appeal-1", False)
    assert date.fromisoformat(lodged.decide_by) == add_months(applied.date(), 1)  # A2: applied + 1 month
    reported = await sx(
        "ReportItem", PERSONNEL, decision_id=reviewed, item_id="PROMOTION_LOCK", done_at=now(), receipt_sha256=RECEIPT
    )
    assert reported.item.status == "DONE"  # A4: the review suspends nothing
    await sx(
        "ReportItem", ARCHIVES, decision_id=lifted, item_id="PERSONNEL_FILE", done_at=now(), receipt_sha256=RECEIPT
    )
    return lodged.appeal_id


async def the_review_overdue_then_changed_lighter(sx, reviewed: str, appeal_id: str, at: datetime) -> None:
    """Forty days on: the review passed its decide-by date (AppealOverdue, A2) and P-88's personnel
    file its due date (ExecutionItemOverdue, §4d), the review running (A4). The head changes the
    记大过 to a 记过 (A5, PSL 58; never heavier, A4): its period now ends 12 months from the
    decision date, and the compensating ADJUST_POST_AND_PAY item is owned by HR, which reports it."""
    decision = await until(
        lambda: sx.decision(reviewed), lambda d: d.appeals and d.appeals[0].overdue, "the review overdue (A2)"
    )
    assert items_of(decision)["PERSONNEL_FILE"].status == "OVERDUE"
    decide = dict(decision_id=reviewed, appeal_id=appeal_id, ground="IMPROPER_SANCTION", decided_at=ts(at))
    err = await sx.refused(
        "DecideAppeal", HEAD, **decide, outcome="CHANGE", changed_to=cev.SANCTION_TYPE_GOVERNMENT_DEMOTION
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "changed_to" in err.details()  # A4: never heavier
    changed = await sx(
        "DecideAppeal", HEAD, **decide, outcome="CHANGE", changed_to=cev.SANCTION_TYPE_GOVERNMENT_DEMERIT
    )
    assert [(i.kind, i.owner, i.agency, i.office) for i in changed.items] == [
        ("ADJUST_POST_AND_PAY", "HR", "personnel_bureau", "personnel_records")  # A5 (PSL 58)
    ]
    assert list(changed.closed_items) == []  # a 记过 owes the same items as the 记大过
    decision = await sx.decision(reviewed)
    assert (decision.status, decision.sanction, months(decision)) == (
        sev.DECISION_STATUS_ISSUED,
        cev.SANCTION_TYPE_GOVERNMENT_DEMERIT,
        12,  # G1 (PSL 8), from the original decision date
    )
    [appeal] = decision.appeals
    assert (appeal.kind, appeal.status, appeal.outcome, appeal.ground, appeal.overdue) == (
        "REVIEW",
        "DECIDED",
        "CHANGE",
        "IMPROPER_SANCTION",
        True,
    )
    items = items_of(decision)
    assert (items["PROMOTION_LOCK"].status, items["ADJUST_POST_AND_PAY"].status) == ("DONE", "OPEN")
    adjusted = await sx(
        "ReportItem",
        PERSONNEL,
        decision_id=reviewed,
        item_id="ADJUST_POST_AND_PAY",
        done_at=ts(at),
        receipt_sha256=RECEIPT,
    )
    assert adjusted.item.status == "DONE"


async def a_follow_up_visit_recorded_and_sent_on(sx, lifted: str, at: datetime) -> None:
    """Seed 000 (回访教育): a visit inside the period by two visitors (one is refused: [visits]
    min_visitors, local, unverified), graded, its result sent to the organisation department and
    HR; it completes the FOLLOW_UP_VISIT item."""
    visit = dict(decision_id=lifted, visited_at=ts(at - timedelta(days=1)), grade="GOOD", summary="悔改表现良好")
    err = await sx.refused("RecordFollowUpVisit", CASE_MANAGER, **visit, visitors=VISITORS[:1])
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "visitors" in err.details()
    recorded = await sx("RecordFollowUpVisit", CASE_MANAGER, **visit, visitors=VISITORS)
    decision = await sx.decision(lifted)
    [seen] = decision.visits
    assert (seen.visit_id, seen.grade, list(seen.sent_to), len(seen.visitors)) == (
        recorded.visit_id,
        "GOOD",
        SENT_TO,
        2,
    )
    assert items_of(decision)["FOLLOW_UP_VISIT"].status == "DONE"


async def lifted_at_its_end(sx, lifted: str) -> None:
    """G9 (PSL 26): P-77's 记过 lifts by itself on its end, nothing new on P-77; nothing of it is in
    force after."""
    decision = await until(
        lambda: sx.decision(lifted), lambda d: d.status == sev.DECISION_STATUS_LIFTED, "P-77's lift (G9)"
    )
    assert (decision.lifted_on, list(decision.lift_blocked_by)) == (decision.end, [])
    end = datetime.combine(date.fromisoformat(decision.end), time(12), CST)
    before = await sx("GetInForce", CASE_MANAGER, person_id="P-77", on=ts(end - timedelta(days=1)), purpose=PURPOSE)
    assert lifted in {f.decision_id for f in before.in_force}  # its last day
    in_force = await sx("GetInForce", CASE_MANAGER, person_id="P-77", purpose=PURPOSE)  # the service's today
    assert lifted not in {f.decision_id for f in in_force.in_force}


async def held_back_by_the_new_case_until_it_is_withdrawn(sx, api, reviewed: str, case_id: str) -> None:
    """G10 (PSL 13, 26): the case filed on P-88 within the period is open at its end: no lift
    (LiftBlocked); once the case is withdrawn (CaseWithdrawn over Kafka), the lift follows."""
    decision = await until(
        lambda: sx.decision(reviewed), lambda d: list(d.lift_blocked_by) == [case_id], "P-88's lift blocked (G10)"
    )
    assert (decision.status, decision.lifted_on) == (sev.DECISION_STATUS_ISSUED, "")
    in_force = await sx("GetInForce", CASE_MANAGER, person_id="P-88", purpose=PURPOSE)  # past the period's end
    [held] = [f for f in in_force.in_force if f.decision_id == reviewed]
    assert {"PROMOTION_LOCK", "PAY_STEP_LOCK"} <= {lock.kind for lock in held.locks}  # G7 holds until the lift
    await api("WithdrawCase", HEAD, case_id=case_id, reason="no evidence of wrongdoing", unit_told_at=now())
    decision = await until(
        lambda: sx.decision(reviewed), lambda d: d.status == sev.DECISION_STATUS_LIFTED, "P-88's lift after the case"
    )
    assert decision.lifted_on and not decision.lift_blocked_by
    in_force = await sx("GetInForce", CASE_MANAGER, person_id="P-88", purpose=PURPOSE)
    assert reviewed not in {f.decision_id for f in in_force.in_force}


async def told_once_by_audit(audit, lifted: str, reviewed: str, case_id: str) -> None:
    """Audit's history of each decision: the lift (after the case for P-88), the blocked lift, the
    overdue review and the overdue personnel file once each, though the clock moved on again."""
    story = await history(
        audit,
        reviewed,
        lambda told: {(reviewed, name) for name in TIME_EVENTS} - told.keys() <= {(reviewed, "FollowUpVisitRecorded")},
    )  # every event of P-88's, whatever partition it came through
    assert [list(e.after_cases) for e in story[(reviewed, "SanctionLifted")]] == [[case_id]]
    assert [list(e.case_ids) for e in story[(reviewed, "LiftBlocked")]] == [[case_id]]
    assert [e.appeal_id for e in story[(reviewed, "AppealOverdue")]] == ["appeal-1"]
    stages = [e.stage for e in story[(reviewed, "ExecutionItemOverdue")] if e.item_id == "PERSONNEL_FILE"]
    assert stages.count("DUE") == 1 and len(stages) == len(set(stages))  # once per stage (§4d)
    assert [(e.outcome, e.changed_to) for e in story[(reviewed, "AppealDecided")]] == [
        ("CHANGE", cev.SANCTION_TYPE_GOVERNMENT_DEMERIT)
    ]
    story = await history(
        audit, lifted, lambda told: {(lifted, "SanctionLifted"), (lifted, "FollowUpVisitRecorded")} <= told.keys()
    )
    [lift] = story[(lifted, "SanctionLifted")]
    assert (list(lift.after_cases), "PAY_STEP_LOCK" in lift.locks_ended) == ([], True)  # G7, G9
    [visit] = story[(lifted, "FollowUpVisitRecorded")]
    assert list(visit.sent_to) == SENT_TO


# --- helpers ---------------------------------------------------------------------------------------

TIME_EVENTS = {
    name: getattr(sev, name)
    for name in (
        "SanctionLifted",
        "LiftBlocked",
        "ExecutionItemOverdue",
        "AppealOverdue",
        "AppealDecided",
        "FollowUpVisitRecorded",
    )
}


async def history(audit, subject: str, ready, seconds=60) -> dict:
    """Audit's GetHistory of `subject`: the issue-22 events it tells, by (decision, event name),
    once `ready` holds of them."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stub = audit_grpc.AuditServiceStub(ch)
        for _ in range(seconds * 4):
            told = await stub.GetHistory(
                audit_pb2.GetHistoryRequest(subject=subject, purpose=PURPOSE), metadata=call_metadata(audit.settings)
            )
            by = {}
            for step in told.steps:
                name = step.event_type.split(".")[-1]
                if step.event_type.startswith("sanctions.v1.") and name in TIME_EVENTS:
                    event = unpack(step.event.envelope, TIME_EVENTS[name])
                    by.setdefault((event.decision_id, name), []).append(event)
            if ready(by):
                return by
            await asyncio.sleep(0.25)
    raise AssertionError(f"audit never told {subject}'s story to its end: {sorted(by)}")


async def until(fetch, ok, what: str, seconds=60):
    """`fetch()` once `ok` holds of it (the timers fire, the followers follow)."""
    for _ in range(seconds * 4):
        got = await fetch()
        if ok(got):
            return got
        await asyncio.sleep(0.25)
    raise AssertionError(f"never: {what}")


def items_of(decision) -> dict:
    return {i.item.item_id: i for i in decision.items}


def months(decision) -> int:
    """The effect period's months, from its start and end (G1)."""
    start, end = date.fromisoformat(decision.start), date.fromisoformat(decision.end)
    return (end.year - start.year) * 12 + end.month - start.month


def now():
    return ts(datetime.now(timezone.utc))
