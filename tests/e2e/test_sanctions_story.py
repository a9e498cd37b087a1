"""Issue 21 point 7, end to end through Kafka: from a clue to a disposed case to an issued decision
whose execution items partner agencies complete over gRPC (domain.md §4).

A clue about P-77 (a county-managed Party member and civil servant holding a Party post) is
registered and checked, the case filed, investigated, trial-reviewed, heard and disposed with a
Party and a government sanction (CaseDisposed on cases.events.v1). The sanctions service opens
one decision per family from Kafka. Case management drafts the government one (G13, PSL 45: the
review route), the county Party committee approves it (it manages county cadres: local
configuration, sanctions.toml [issue]), the commission head issues it: a 降级 (G1, PSL 8: 24
months) with its §4d items, each with its owner agency and office. Case management records the
deliveries (G13, PSL 46; a refusal to sign with two witnesses, local), the archives and the
personnel bureau report their items done with receipts by hash (P9/G14), and the confiscation
of the gains found (PSL 25) goes overdue: the ledger lists it with its owner, and, once the
treasury records the person does not cooperate (seed 000's blockages), with its cause and the
count by cause. A third agency is told NOT_FOUND on an item it does not own. Audit replays the
decision back to the clue, and the case into its decisions and items. Bad input and wrong
agencies are refused naming the field, the state or nothing (NOT_FOUND) and leave the decision
as it was."""

import asyncio
import time
import uuid
from datetime import datetime, timedelta, timezone

import grpc

from cases.v1 import events_pb2 as cev
from common.v1 import person_pb2
from kernel.domain.principal import Principal
from kernel.messaging.inbox import Source
from sanctions.v1 import events_pb2 as sev
from tests.e2e.platforms import platform_fixture
from tests.e2e.test_clue_lifecycle import COMMITTEE, HEAD, replay
from tests.e2e.test_clue_warnings import set_clock
from tests.stories import (
    CASE_MANAGER,
    FILED_AND_INVESTIGATED,
    INVESTIGATOR,
    PURPOSE,
    ROUTE,
    dispose_from_a_clue,
    facts_of_p77,
    sanctions_of,
    story_clients,
    ts,
)

# the partner agencies' systems (catalogue.toml: partner_system in their offices)
ARCHIVES = Principal("archives", "personnel_files", "partner_system", "u-archives")
PERSONNEL = Principal("personnel_bureau", "personnel_records", "partner_system", "u-personnel")
TREASURY = Principal("finance_bureau", "treasury", "partner_system", "u-treasury")
ORG_DEPT = Principal("organisation_department", "cadre_management", "partner_officer", "u-org")

PARTY, GOVERNMENT = sev.SANCTION_FAMILY_PARTY_SANCTION, sev.SANCTION_FAMILY_GOVERNMENT_SANCTION
FILE_RECEIPT, PAY_ORDER, DELIVERY_RECEIPT, REFUSAL_RECORD = "a1" * 32, "b2" * 32, "c3" * 32, "d4" * 32
NUMBER = "县纪〔2026〕12号"  # the document number as GB/T 9704 writes it
OTHER_OFFICE = Principal("commission", "supervision_2", "supervisor", "u-sup2")


platform = platform_fixture("sx")  # clues, cases, sanctions (clock settable) and audit


def government_draft(decision_id: str, **changes) -> dict:
    """Case management's draft of the 降级 decision (G13: the review route and its deadline), with
    the gains found confiscated (PSL 25: a CONFISCATION item for finance)."""
    draft = dict(
        decision_id=decision_id,
        title="关于给予P-77降级处分的决定",
        legal_basis=["政务处分法 art. 32", "政务处分法 art. 25"],
        review_route=ROUTE,
        announcement_scope="所在单位",
        gains_found=True,
    )
    return {k: v for k, v in {**draft, **changes}.items() if v is not None}


def items_by_id(decision) -> dict:
    return {i.item.item_id: i for i in decision.items}


async def test_from_a_clue_to_an_issued_decision_executed_by_partners_with_one_item_overdue(platform):
    clues, cases, sanctions, audit = platform
    async with story_clients(clues, cases, sanctions) as (client, api, sx):
        facts = facts_of_p77(cadre=person_pb2.MANAGEMENT_LEVEL_COUNTY, party_post="secretary, bureau Party group")
        story = await dispose_from_a_clue(clues, client, api, sanctions_of("GOVERNMENT_DEMOTION"), facts)
        gid, pid = await opened_from_the_disposal(sx, cases, sanctions, story)
        await refused_before_the_draft(sx, gid, pid)
        decided_at = await drafted_approved_issued(sx, gid)
        await delivered_and_reported_by_two_partners(sx, gid)
        version = await wrong_agencies_and_bad_input_leave_nothing(sx, gid, pid)
        await set_clock(sanctions, decided_at + timedelta(days=45))  # a month and more later
        await overdue_with_its_owner_then_its_cause(sx, gid, await settled(sx, gid, version))
    await replayed_back_to_the_clue(audit, sanctions, story, gid, pid)


async def opened_from_the_disposal(sx, cases, sanctions, story) -> tuple[str, str]:
    """Issue 21 point 1: one decision per family from CaseDisposed over Kafka, once; the
    government one's and the Party one's ids."""
    listed = {d.family: d for d in await sx.wait_decisions(story.case_id, 2)}
    assert sorted(listed) == [PARTY, GOVERNMENT]
    assert {f: (d.status, d.person_id, d.case_id, d.sanction) for f, d in listed.items()} == {
        PARTY: (sev.DECISION_STATUS_OPENED, "P-77", story.case_id, cev.SANCTION_TYPE_PARTY_REMOVAL_FROM_POSTS),
        GOVERNMENT: (sev.DECISION_STATUS_OPENED, "P-77", story.case_id, cev.SANCTION_TYPE_GOVERNMENT_DEMOTION),
    }
    gid, pid = listed[GOVERNMENT].decision_id, listed[PARTY].decision_id
    opened = await sx.decision(gid)
    assert (opened.case_id, opened.clue_id, opened.person_id, opened.version) == (
        story.case_id,
        story.clue_id,
        "P-77",
        1,
    )
    assert "draft" in opened.awaiting and not opened.items
    # a redelivery of the disposal opens nothing again (the ids derive from the event)
    disposal = [e for e in await cases.store.read_stream(story.case_id) if e.event_type.endswith("CaseDisposed")]
    await sanctions.parts.decisions.handler.record(disposal[0].envelope, Source("redelivery", 0, 0))
    assert len(await sx.wait_decisions(story.case_id, 2)) == 2
    # need to know (domain.md §1): the case's holder reads it; another office is told nothing; a
    # partner agency has no business reading decisions at all
    assert (await sx.decision(gid, INVESTIGATOR)).decision_id == gid
    err = await sx.refused("GetDecision", OTHER_OFFICE, decision_id=gid, purpose="curious")
    assert err.code() == grpc.StatusCode.NOT_FOUND
    err = await sx.refused("GetDecision", ARCHIVES, decision_id=gid, purpose="curious")
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    return gid, pid


async def refused_before_the_draft(sx, gid: str, pid: str) -> None:
    """Bad input leaves nothing behind: G13 (PSL 45) and A1 (Rules 59) review routes, the wrong
    role, an issue before the draft."""
    err = await sx.refused("DraftDecision", CASE_MANAGER, **government_draft(gid, review_route=None))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "review_route" in err.details()  # G13
    closed = sev.ReviewRoute(review_body="本委", apply_within_months=1)  # no 复核 named
    err = await sx.refused("DraftDecision", CASE_MANAGER, **government_draft(gid, review_route=closed))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "G13" in err.details()
    err = await sx.refused(
        "DraftDecision", CASE_MANAGER, **government_draft(pid, title="关于给予P-77撤销党内职务处分的决定")
    )  # a Party decision states 申诉 to the body, no 复核 and no deadline (A1, Rules 59)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "review_route" in err.details()
    err = await sx.refused("DraftDecision", HEAD, **government_draft(gid))
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED  # case management drafts
    err = await sx.refused("IssueDecision", HEAD, decision_id=gid, document_number=NUMBER, decided_at=now())
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION and "OPENED" in err.details()
    assert (await sx.decision(gid)).version == 1 and (await sx.decision(pid)).version == 1


async def drafted_approved_issued(sx, gid: str) -> datetime:
    """Drafted, approved by the county Party committee ([issue] committee_approves, local), issued
    by the commission head; GetDecision shows the §4d items with their owner agency and office.
    The decision date."""
    drafted = await sx("DraftDecision", CASE_MANAGER, **government_draft(gid))
    assert (drafted.decision.status, drafted.decision.version) == (sev.DECISION_STATUS_DRAFTED, 2)
    assert "approval" in (await sx.decision(gid)).awaiting
    err = await sx.refused("IssueDecision", HEAD, decision_id=gid, document_number=NUMBER, decided_at=now())
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION  # the committee's approval first
    err = await sx.refused("ApproveDecision", HEAD, decision_id=gid)
    assert err.code() in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND)
    approved = await sx("ApproveDecision", COMMITTEE, decision_id=gid)
    assert approved.decision.status == sev.DECISION_STATUS_COMMITTEE_APPROVED
    err = await sx.refused("IssueDecision", HEAD, decision_id=gid, document_number=NUMBER, decided_at=ts(NEVER))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "decided_at" in err.details()
    decided_at = now()
    issued = await sx("IssueDecision", HEAD, decision_id=gid, document_number=NUMBER, decided_at=decided_at)
    assert (issued.decision.status, issued.decision.version) == (sev.DECISION_STATUS_ISSUED, 4)
    # GetDecision: the §4d items, each with its owner agency and office
    decision = await sx.decision(gid)
    assert (decision.status, decision.sanction, decision.document_number, decision.awaiting) == (
        sev.DECISION_STATUS_ISSUED,
        cev.SANCTION_TYPE_GOVERNMENT_DEMOTION,
        NUMBER,
        "",
    )
    assert decision.start and decision.end  # G1 (PSL 8): 24 months from the decision date
    owners = {i.item.item_id: (i.item.owner, i.item.agency, i.item.office, i.status) for i in decision.items}
    assert owners == {
        "DELIVER_PERSON": ("CASE_MANAGEMENT", "commission", "case_management", "OPEN"),  # G13 (PSL 46)
        "DELIVER_UNIT": ("CASE_MANAGEMENT", "commission", "case_management", "OPEN"),
        "PERSONNEL_FILE": ("ARCHIVES", "archives", "personnel_files", "OPEN"),  # G14 (PSL 54)
        "POST_PAY_CHANGE": ("HR", "personnel_bureau", "personnel_records", "OPEN"),  # G14 (PSL 54)
        "PROMOTION_LOCK": ("HR", "personnel_bureau", "personnel_records", "OPEN"),  # G7 (PSL 19-21)
        "CONFISCATION": ("FINANCE", "finance_bureau", "treasury", "OPEN"),  # PSL 25
        "FOLLOW_UP_VISIT": ("UNIT_PARTY_ORGANISATION", "party_organisation", "party_branch", "OPEN"),
    }
    assert [i.item_id for i in issued.items] == [i.item.item_id for i in decision.items]
    due = {i.item.item_id: (i.item.due, i.item.latest_due) for i in decision.items}
    assert due["POST_PAY_CHANGE"][0] < due["POST_PAY_CHANGE"][1]  # G14: 1 month, at most 6
    return decided_at.ToDatetime(tzinfo=timezone.utc)


async def delivered_and_reported_by_two_partners(sx, gid: str) -> None:
    """G13 (PSL 46): the person refuses to sign before two witnesses (local), the unit signs; the
    archives and the personnel bureau report their items done, receipts by hash."""
    witnesses = [
        sev.Witness(name="Li Si", capacity="所在单位工会主席"),
        sev.Witness(name="Wang Wu", capacity="所在单位人事科长"),
    ]
    delivery = dict(decision_id=gid, means=sev.DELIVERY_MEANS_IN_PERSON, delivered_at=now())
    err = await sx.refused(
        "RecordDelivery",
        CASE_MANAGER,
        **delivery,
        recipient=sev.RECIPIENT_PERSON,
        receipt_sha256=REFUSAL_RECORD,
        refused_to_sign=True,
        witnesses=witnesses[:1],
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "witnesses" in err.details()
    await sx(
        "RecordDelivery",
        CASE_MANAGER,
        **delivery,
        recipient=sev.RECIPIENT_PERSON,
        receipt_sha256=REFUSAL_RECORD,
        refused_to_sign=True,
        witnesses=witnesses,
    )
    await sx("RecordDelivery", CASE_MANAGER, **delivery, recipient=sev.RECIPIENT_UNIT, receipt_sha256=DELIVERY_RECEIPT)
    # two partner agencies report their items done, receipts by hash
    report = dict(decision_id=gid, done_at=now())
    filed = await sx("ReportItem", ARCHIVES, **report, item_id="PERSONNEL_FILE", receipt_sha256=FILE_RECEIPT)
    assert (filed.item.status, filed.item.receipt_sha256, filed.item.item.agency) == (
        "DONE",
        FILE_RECEIPT,
        "archives",
    )
    paid = await sx("ReportItem", PERSONNEL, **report, item_id="POST_PAY_CHANGE", receipt_sha256=PAY_ORDER)
    assert paid.item.status == "DONE"
    mine = await sx("ListExecutionItems", PERSONNEL, purpose="our tasks")  # a partner sees its own
    assert {(i.item.item_id, i.status) for i in mine.items} == {
        ("POST_PAY_CHANGE", "DONE"),
        ("PROMOTION_LOCK", "OPEN"),
    }


async def wrong_agencies_and_bad_input_leave_nothing(sx, gid: str, pid: str) -> int:
    """A third agency on an item it does not own: NOT_FOUND, as for an unknown item; done once;
    bad input named. The decision's version, unchanged."""
    before = (await sx.decision(gid)).version
    assert before == 8  # opened, drafted, approved, issued, two deliveries, two reports
    refusals = [  # (who, item, receipt, code, the field named)
        (TREASURY, "PERSONNEL_FILE", FILE_RECEIPT, "NOT_FOUND", ""),  # a third agency, not its item
        (ORG_DEPT, "PROMOTION_LOCK", FILE_RECEIPT, "NOT_FOUND", ""),  # HR's, not the org dept's
        (ARCHIVES, "NO_SUCH_ITEM", FILE_RECEIPT, "NOT_FOUND", ""),  # the same answer as an unknown item
        (ARCHIVES, "PERSONNEL_FILE", FILE_RECEIPT, "FAILED_PRECONDITION", "DONE"),  # done once
        (ARCHIVES, "PERSONNEL_FILE", "not-a-hash", "INVALID_ARGUMENT", "receipt_sha256"),
        (CASE_MANAGER, "DELIVER_PERSON", FILE_RECEIPT, "PERMISSION_DENIED", ""),  # partners report
    ]
    for who, item_id, receipt, code, named in refusals:
        err = await sx.refused(
            "ReportItem", who, decision_id=gid, item_id=item_id, receipt_sha256=receipt, done_at=now()
        )
        assert (err.code().name, named in err.details()) == (code, True), (who.agency, item_id, err.details())
    # a decision not issued (the Party one) or unknown: nothing to tell a partner either
    for decision_id in (pid, f"decision-{uuid.uuid4()}"):
        err = await sx.refused(
            "ReportItem",
            ARCHIVES,
            decision_id=decision_id,
            item_id="PERSONNEL_FILE",
            receipt_sha256=FILE_RECEIPT,
            done_at=now(),
        )
        assert err.code() == grpc.StatusCode.NOT_FOUND, err.details()
    err = await sx.refused(
        "ReportItem", TREASURY, decision_id=gid, item_id="CONFISCATION", receipt_sha256=PAY_ORDER, done_at=ts(NEVER)
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "done_at" in err.details()
    assert (await sx.decision(gid)).version == before and (await sx.decision(pid)).version == 1
    return before


async def settled(sx, gid: str, version: int, quiet: float = 3.0) -> int:
    """The decision's version once the timers the moved clock made due have fired (issue 22 records
    an overdue item's stage, ExecutionItemOverdue, by timer): unchanged for `quiet` seconds."""
    since = time.monotonic()
    while time.monotonic() - since < quiet:
        await asyncio.sleep(0.2)
        now_at = (await sx.decision(gid)).version
        if now_at != version:
            version, since = now_at, time.monotonic()
    return version


async def overdue_with_its_owner_then_its_cause(sx, gid: str, before: int) -> None:
    """§4d: past its due date the confiscation (PSL 25) is overdue, listed with its owner agency;
    the treasury records seed 000's cause; the counts by cause follow. Only the owning office may."""
    overdue = await sx("ListExecutionItems", CASE_MANAGER, status="OVERDUE", purpose="the ledger")
    assert [(i.decision_id, i.item.item_id, i.item.agency, i.item.office, i.cause) for i in overdue.items] == [
        (gid, "CONFISCATION", "finance_bureau", "treasury", sev.BLOCKAGE_CAUSE_UNSPECIFIED)
    ]
    assert overdue.items[0].days_overdue > 0 and overdue.items[0].person_id == "P-77"
    assert [(c.cause, c.count) for c in overdue.overdue_by_cause] == [(sev.BLOCKAGE_CAUSE_UNSPECIFIED, 1)]
    blockage = dict(decision_id=gid, item_id="CONFISCATION", cause=sev.BLOCKAGE_CAUSE_PERSON_UNCOOPERATIVE)
    for who in (ARCHIVES, ORG_DEPT):  # not the owning office
        err = await sx.refused("RecordBlockage", who, **blockage, note="not ours")
        assert err.code() == grpc.StatusCode.NOT_FOUND
    err = await sx.refused("RecordBlockage", TREASURY, **{**blockage, "cause": 0})
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "cause" in err.details()
    err = await sx.refused("RecordBlockage", ARCHIVES, **{**blockage, "item_id": "PERSONNEL_FILE"})
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION  # done: nothing stuck
    assert (await sx.decision(gid)).version == before
    blocked = await sx("RecordBlockage", TREASURY, **blockage, note="the person has not paid back")
    assert blocked.item.cause == sev.BLOCKAGE_CAUSE_PERSON_UNCOOPERATIVE and blocked.version == before + 1
    overdue = await sx("ListExecutionItems", CASE_MANAGER, status="OVERDUE", purpose="the ledger")
    assert [(i.item.item_id, i.item.agency, i.cause) for i in overdue.items] == [
        ("CONFISCATION", "finance_bureau", sev.BLOCKAGE_CAUSE_PERSON_UNCOOPERATIVE)
    ]
    assert [(c.cause, c.count) for c in overdue.overdue_by_cause] == [(sev.BLOCKAGE_CAUSE_PERSON_UNCOOPERATIVE, 1)]
    by_cause = await sx(
        "ListExecutionItems", CASE_MANAGER, cause=sev.BLOCKAGE_CAUSE_PERSON_UNCOOPERATIVE, purpose="the ledger"
    )
    assert [i.item.item_id for i in by_cause.items] == ["CONFISCATION"]
    done = await sx("ListExecutionItems", CASE_MANAGER, status="DONE", decision_id=gid, purpose="the ledger")
    assert {i.item.item_id for i in done.items} == {
        "DELIVER_PERSON",
        "DELIVER_UNIT",
        "PERSONNEL_FILE",
        "POST_PAY_CHANGE",
    }
    theirs = await sx("ListExecutionItems", ARCHIVES, status="OVERDUE", purpose="our tasks")
    assert not theirs.items  # the treasury's overdue item is not the archives' to see
    # what is in force on P-77 (on the service's today): the issued 降级 with its G7 locks; the
    # Party decision, not issued, nothing yet
    [in_force] = (await sx("GetInForce", CASE_MANAGER, person_id="P-77", purpose=PURPOSE)).in_force
    assert (in_force.decision_id, in_force.sanction) == (gid, cev.SANCTION_TYPE_GOVERNMENT_DEMOTION)
    assert in_force.locks and all(lock.rule.startswith("G7") for lock in in_force.locks)
    final = await sx.decision(gid)
    assert items_by_id(final)["CONFISCATION"].status == "OVERDUE"
    assert items_by_id(final)["PERSONNEL_FILE"].receipt_sha256 == FILE_RECEIPT


async def replayed_back_to_the_clue(audit, sanctions, story, gid: str, pid: str) -> None:
    """Issue 21 point 6: audit tells the decision back to the clue, and the case on into its items.
    Issue 22's timers (an item overdue) are told too, as steps of the decision by the system."""
    last = {d: len(await sanctions.store.read_stream(d)) for d in (gid, pid)}
    told = await story_holding(audit, gid, last)
    steps = [(s.event_type.split(".")[-1], s.principal.user) for s in told.steps]
    assert steps[: len(CLUE_AND_CASE)] == CLUE_AND_CASE
    own = [(t, u) for (t, u), s in zip(steps, told.steps) if s.stream_id == gid]
    assert [step for step in own if step[0] != "ExecutionItemOverdue"] == DECISION
    assert [t for (t, _), s in zip(steps, told.steps) if s.stream_id == pid] == ["DecisionOpened"]
    subjects = {gid, pid, story.case_id, story.clue_id}
    timers = [(t, u) for (t, u), s in zip(steps, told.steps) if s.stream_id not in subjects]
    assert all(t == "ExecutionItemOverdue" and u.startswith("system:") for t, u in timers), timers
    assert {s.id for s in told.subjects} == subjects
    case_story = await story_holding(audit, story.case_id, last)
    assert [(s.event_type.split(".")[-1], s.principal.user) for s in case_story.steps if s.stream_id == gid] == own


async def story_holding(audit, subject: str, last: dict[str, int], seconds: int = 60):
    """GetHistory(subject) once audit holds each stream of `last` up to its last version."""
    for _ in range(seconds * 4):
        told = await replay(audit, subject, expect=0)
        held = {(s.stream_id, s.version) for s in told.steps}
        if all((stream, version) in held for stream, version in last.items()):
            return told
        await asyncio.sleep(0.25)
    raise AssertionError(f"audit never told {subject}'s story up to {last}")


def now():
    return ts(datetime.now(timezone.utc))


NEVER = datetime.now(timezone.utc) + timedelta(days=400)  # beyond any allowed skew

CLUE_AND_CASE = [
    *FILED_AND_INVESTIGATED,
    ("SentToTrialReview", "u-inv"),
    ("TrialReviewConcluded", "u-trial"),
    ("SubjectHeard", "u-trial"),
    ("CaseDisposed", "u-head"),
]
DECISION = [
    ("DecisionOpened", "system:sanctions-decisions"),
    ("DecisionDrafted", "u-cm"),
    ("DecisionCommitteeApproved", "u-party"),
    ("DecisionIssued", "u-head"),
    ("DecisionDelivered", "u-cm"),
    ("DecisionDelivered", "u-cm"),
    ("ExecutionItemReported", "u-archives"),
    ("ExecutionItemReported", "u-personnel"),
    ("ExecutionBlockageRecorded", "u-treasury"),
]
