"""Measure and trial-review timers on a real PostgreSQL, the clock moved: the detention notice
falls overdue at 24 hours, the expiry is warned ahead and raised at the end, an expired detention
is never extended and leads the office's ledger, an extension moves the timers with the end, and
a trial review past its time limit is raised as overdue."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from kernel.domain.clock import FixedClock
from kernel.domain.errors import IllegalState
from kernel.domain.meetings import CollectiveDecision
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore.timers import TimerScheduler
from services.cases.app import measure_ledger
from services.cases.domain import commands as c, measures as m
from services.cases.tests import filing_facts
from tests.integration.test_cases_filing import SYSTEM, ctx, handlers  # noqa: F401 - the fixture

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
INV = Principal("commission", "investigation_1", "investigator", "u-inv")
SUP = Principal("superior_commission", "superior_leadership", "superior_head", "u-sup")
PROVINCIAL = Principal("provincial_commission", "provincial_leadership", "provincial_head", "u-prov")
ORG = catalogue.load().organisation


def decision(by: Principal) -> CollectiveDecision:
    """A leadership's collective decision (SL 47) at the shipped quorum of 3, `by` attending."""
    return CollectiveDecision("LEADERSHIP", T0, (by.user, "u-d1", "u-d2"), (), "decided", "u-sec")


# The approval chain of each kind at the shipped county level (issue 19): a detention is the
# leadership's collective decision, then the upper level's (SL 47); an exit ban is the provincial
# commission's (SL 33); the others the head's.
CHAINS = {"DETENTION": ((HEAD, True), (SUP, True)), "EXIT_BAN": ((HEAD, False), (PROVINCIAL, False))}


async def approve(handlers, mid: str, kind: str, at: datetime) -> None:
    for by, collective in CHAINS.get(kind, ((HEAD, False),)):
        await on_measure(handlers, mid, m.ApproveMeasure(mid, at, by, decision(by) if collective else None), at)


async def case_under_investigation(handlers) -> str:
    case_id = f"case-{uuid.uuid4()}"
    opening = c.OpenFiling(
        case_id,
        f"clue-{uuid.uuid4()}",
        "cm-1",
        (Subject("P-1", "Zhou Ba"),),
        "findings",
        "investigation_1",
        "u-insp",
        HEAD,
    )
    async with handlers.store.unit_of_work() as uow:
        await handlers.cases.execute(uow, ctx(HEAD), case_id, opening, T0, new=True)
    await on_case(handlers, case_id, filing_facts.prepare(case_id, by=INV), T0)  # both sides, the head approves
    for side in ("PARTY", "SUPERVISION"):
        await on_case(handlers, case_id, c.ApproveFiling(case_id, side, "", T0, HEAD), T0)
    await on_case(handlers, case_id, filing_facts.topic_meeting(case_id, T0, HEAD), T0)
    await on_case(handlers, case_id, c.StartInvestigation(case_id, T0, T0, INV), T0)
    return case_id


async def on_case(handlers, case_id, command, now):
    async def make(uow, state):
        return command

    return await handlers.handle(ctx(command.by), case_id, 0, now, make)


async def on_measure(handlers, measure_id, command, now):
    async def make(uow, state):
        return command

    return await handlers.handle_measure(ctx(command.by), measure_id, 0, now, make)


async def fire(handlers, at) -> int:
    """One pass of the scheduler as the cases service runs it: timers fire through their aggregate."""
    scheduler = TimerScheduler(handlers.store, FixedClock(at))
    scheduler.route("case", handlers.cases.fire)
    scheduler.route("measure", handlers.measures.fire)
    return await scheduler.fire_due()


async def events_of(store, stream):
    return [e.event_type.split(".")[-1] for e in await store.read_stream(stream)]


async def test_a_detention_falls_overdue_expires_and_is_never_extended_after(store, handlers):
    case_id = await case_under_investigation(handlers)
    made = await handlers.request_measure(
        ctx(INV),
        case_id,
        lambda case, holding: m.RequestMeasure(
            f"measure-{uuid.uuid4()}", case.case_id, "DETENTION", "P-1", "investigation_1", "collusion", INV
        ),
        T0,
    )
    mid = made["measure_id"]
    await approve(handlers, mid, "DETENTION", T0)
    timers_stream = f"measure-timers-{mid.removeprefix('measure-')}"
    assert await fire(handlers, T0 + timedelta(hours=23)) == 0
    assert await fire(handlers, T0 + timedelta(hours=24)) == 1
    assert await events_of(store, timers_stream) == ["DetentionNoticeOverdue"]
    ends = datetime(2026, 6, 2, 9, tzinfo=timezone.utc)
    assert await fire(handlers, ends - timedelta(days=14)) == 1  # warned ahead of the end
    assert await fire(handlers, ends) == 1
    assert await events_of(store, timers_stream) == ["DetentionNoticeOverdue", "MeasureExpiring", "MeasureExpired"]
    state, _ = await handlers.get_measure(SYSTEM, mid)
    assert (state.status, state.notice_overdue) == ("EXPIRED", True)
    with pytest.raises(IllegalState, match="EXPIRED"):
        await on_measure(handlers, mid, m.ExtendMeasure(mid, "too late", False, SUP), ends)
    rows = await measure_ledger.rows(
        store.pool, store.schema, "investigation_1", True, ends, SYSTEM, ORG, handlers.rules
    )
    assert [(r["measure_id"], r["expired_not_ended"], r["notice_overdue"]) for r in rows] == [(mid, True, True)]
    await on_measure(handlers, mid, m.EndMeasure(mid, "RELEASED", "released at the end", ends, INV), ends)
    assert (
        await measure_ledger.rows(store.pool, store.schema, "investigation_1", True, ends, SYSTEM, ORG, handlers.rules)
        == []
    )


async def test_an_extension_moves_the_timers_with_the_end(store, handlers):
    case_id = await case_under_investigation(handlers)
    made = await handlers.request_measure(
        ctx(INV),
        case_id,
        lambda case, holding: m.RequestMeasure(
            f"measure-{uuid.uuid4()}", case.case_id, "DETENTION", "P-1", "investigation_1", "collusion", INV
        ),
        T0,
    )
    mid = made["measure_id"]
    await approve(handlers, mid, "DETENTION", T0)
    await on_measure(handlers, mid, m.GiveDetentionNotice(mid, T0, T0, INV), T0)
    await on_measure(handlers, mid, m.ExtendMeasure(mid, "accounts abroad", False, SUP), T0 + timedelta(days=30))
    old_end, new_end = datetime(2026, 6, 2, 9, tzinfo=timezone.utc), datetime(2026, 9, 2, 9, tzinfo=timezone.utc)
    assert await fire(handlers, old_end) == 0  # the old end's timers were cancelled
    assert await fire(handlers, new_end) == 2  # warning and expiry of the new end
    assert (await handlers.get_measure(SYSTEM, mid))[0].status == "EXPIRED"


async def test_a_trial_review_past_its_limit_is_raised_overdue_once(store, handlers):
    case_id = await case_under_investigation(handlers)
    await on_case(handlers, case_id, c.SendToTrialReview(case_id, "report", T0, INV), T0)
    due = (await handlers.get_case(SYSTEM, case_id))[0].trial_review_due
    assert due == datetime(2026, 4, 2, 9, tzinfo=timezone.utc)
    assert await fire(handlers, due - timedelta(seconds=1)) == 0
    assert await fire(handlers, due) == 1 and await fire(handlers, due + timedelta(days=1)) == 0
    assert await events_of(store, f"case-timers-{case_id.removeprefix('case-')}") == ["TrialReviewOverdue"]
    state, _ = await handlers.get_case(SYSTEM, case_id)
    assert state.overdue


async def new_measure(handlers, case_id, kind, approved=True, at=T0) -> str:
    made = await handlers.request_measure(
        ctx(INV),
        case_id,
        lambda case, holding: m.RequestMeasure(
            f"measure-{uuid.uuid4()}", case.case_id, kind, "P-1", "investigation_1", "needed", INV
        ),
        at,
    )
    if approved:
        await approve(handlers, made["measure_id"], kind, at)
    return made["measure_id"]


async def test_a_case_is_not_closed_over_a_running_measure_nor_a_measure_run_on_a_closed_case(store, handlers):
    case_id = await case_under_investigation(handlers)
    running = await new_measure(handlers, case_id, "DETENTION")
    pending = await new_measure(handlers, case_id, "DETENTION", approved=False)
    withdraw = c.WithdrawCase(case_id, "no evidence", T0, HEAD)
    with pytest.raises(IllegalState, match=running):
        await on_case(handlers, case_id, withdraw, T0)
    await on_measure(handlers, running, m.EndMeasure(running, "RELEASED", "cleared", T0, INV), T0)
    assert (await on_case(handlers, case_id, withdraw, T0))["state"] == "WITHDRAWN"
    with pytest.raises(IllegalState, match="case WITHDRAWN"):
        await on_measure(handlers, pending, m.ApproveMeasure(pending, T0, HEAD, decision(HEAD)), T0)
    assert (await handlers.get_measure(SYSTEM, pending))[0].status == "REQUESTED"


async def test_the_ledger_keeps_a_late_notice_late_and_puts_expired_measures_first(store, handlers):
    case_id = await case_under_investigation(handlers)
    ban = await new_measure(handlers, case_id, "EXIT_BAN")  # no end at all
    appearance = await new_measure(handlers, case_id, "COMPELLED_APPEARANCE")
    detention = await new_measure(handlers, case_id, "DETENTION")
    late = T0 + timedelta(hours=25)
    assert await fire(handlers, late) >= 2  # the appearance expired; the notice fell overdue
    await on_measure(handlers, detention, m.GiveDetentionNotice(detention, late, late, INV), late)
    rows = await measure_ledger.rows(
        store.pool, store.schema, "investigation_1", True, late, SYSTEM, ORG, handlers.rules
    )
    assert [r["measure_id"] for r in rows][0] == appearance
    by_id = {r["measure_id"]: r for r in rows}
    assert by_id[detention]["notice_overdue"] and by_id[detention]["notice_given"]
    assert not by_id[ban]["expired_not_ended"] and by_id[appearance]["expired_not_ended"]


async def test_a_stale_timer_changes_nothing_because_the_rules_say_so(store, handlers):
    """A timer left behind (here scheduled by hand for a limit the review no longer has) fires as
    the aggregate's command and `decide` finds nothing to record: marked fired, no event."""
    from kernel.eventstore import timers
    from services.cases.adapters import mapping
    from services.cases.domain import events as ev

    case_id = await case_under_investigation(handlers)
    await on_case(handlers, case_id, c.SendToTrialReview(case_id, "report", T0, INV), T0)
    stale = T0 + timedelta(days=3)  # not the review's limit
    async with store.unit_of_work() as uow:
        await timers.schedule(
            uow,
            f"stale:{case_id}",
            stale,
            f"case-timers-{case_id.removeprefix('case-')}",
            mapping.event_to_pb(ev.TrialReviewOverdue(case_id, stale)),
            correlation_id="c",
        )
    assert await fire(handlers, stale) == 1
    assert await events_of(store, f"case-timers-{case_id.removeprefix('case-')}") == []
    assert not (await handlers.get_case(SYSTEM, case_id))[0].overdue
    row = await store.pool.fetchrow(
        f"SELECT status, fired_event_id FROM {store.schema}.timers WHERE timer_id = $1", f"stale:{case_id}"
    )
    assert row["status"] == "fired" and row["fired_event_id"] is None


async def test_a_timer_its_aggregate_refuses_never_blocks_the_others(store, handlers):
    from kernel.eventstore import timers
    from services.cases.adapters import mapping
    from services.cases.domain import events as ev

    case_id = await case_under_investigation(handlers)
    await on_case(handlers, case_id, c.SendToTrialReview(case_id, "report", T0, INV), T0)
    due = (await handlers.get_case(SYSTEM, case_id))[0].trial_review_due
    gone = f"case-{uuid.uuid4()}"  # no such case: its firing is refused
    async with store.unit_of_work() as uow:
        await timers.schedule(
            uow,
            f"orphan:{gone}",
            due - timedelta(hours=1),
            f"case-timers-{gone.removeprefix('case-')}",
            mapping.event_to_pb(ev.TrialReviewOverdue(gone, due)),
            correlation_id="c",
        )
    assert await fire(handlers, due) == 2
    assert await events_of(store, f"case-timers-{case_id.removeprefix('case-')}") == ["TrialReviewOverdue"]
    assert await events_of(store, f"case-timers-{gone.removeprefix('case-')}") == []
