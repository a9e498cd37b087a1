"""The cases service's queues (issue 20) over gRPC on a real PostgreSQL and broker: `ListCases`
filtered by state, office, person and overdue, paged, only the cases the caller may know (an
officer of another office sees nothing) and on the record; `ListAwaitingMe` for the head, the Party
committee head, a deputy, an investigator, the trial reviewer and case management, ordered by due
and paged; `GetCase` saying what is still needed; the investigation stage's warnings raised by
their durable timers (local practice, deploy/config/investigation.toml)."""

from datetime import timedelta

import grpc
import pytest

from cases.v1 import events_pb2 as cev
from kernel.domain.clock import FixedClock
from kernel.eventstore.timers import TimerScheduler
from services.cases.app import case_index
from services.cases.domain import awaiting as aw, commands as c
from tests.e2e.test_case_story import PURPOSE, reads_of
from tests.e2e.test_need_to_know_cases import (  # noqa: F401 - the fixtures
    CM,
    COMMITTEE,
    DEPUTY1,
    HEAD,
    INV1,
    INV2,
    SUP1,
    SUP2,
    TRIAL,
    api,
    cases,
    file,
    hand_over,
    open_filing,
    requests,
)
from tests.integration.test_cases_filing import handlers  # noqa: F401 - the fixture
from tests.integration.test_cases_timers import INV, T0, case_under_investigation, new_measure, on_case


async def listed(api, who, **filters) -> list:
    """Every page of ListCases, one case a page."""
    out, token = [], ""
    while True:
        page = await api("ListCases", who, purpose=PURPOSE, page_size=1, page_token=token, **filters)
        out += list(page.cases)
        if not (token := page.next_page_token):
            return out


async def awaiting(api, who, size=2) -> list:
    out, token = [], ""
    while True:
        page = await api("ListAwaitingMe", who, purpose=PURPOSE, page_size=size, page_token=token)
        out += list(page.items)
        if not (token := page.next_page_token):
            return out


def ids(summaries) -> list[str]:
    return [s.case_id for s in summaries]


async def test_list_cases_filters_need_to_know_and_the_record(cases, api):
    investigated = await open_filing(cases, "supervision_1")
    await file(api, investigated)
    await hand_over(api, investigated)
    await api("StartInvestigation", INV1, **requests(investigated, "")["StartInvestigation"])
    pending = await open_filing(cases, "supervision_2")  # a filing awaiting its facts
    everything = await listed(api, CM)  # case management sees every case, a page at a time
    assert {investigated, pending} <= set(ids(everything)) and len(set(ids(everything))) == len(everything)
    mine = {s.case_id: s for s in everything}
    assert (mine[investigated].state, mine[investigated].handling_office) == ("INVESTIGATING", "investigation_1")
    assert mine[investigated].colour == "GREEN" and mine[investigated].awaiting_steps == ["SendToTrialReview"]
    assert mine[pending].subjects[0].person_id == "P-77" and not mine[pending].HasField("filed_at")
    assert investigated in ids(await listed(api, INV1)) and pending not in ids(await listed(api, INV1))
    assert pending in ids(await listed(api, SUP2)) and investigated not in ids(await listed(api, SUP2))
    assert not {investigated, pending} & set(ids(await listed(api, INV2)))  # another office: nothing
    assert ids(await listed(api, CM, state="INVESTIGATING", office="investigation_1")).count(investigated) == 1
    assert pending not in ids(await listed(api, CM, state="INVESTIGATING"))
    assert investigated not in ids(await listed(api, CM, office="supervision_2"))
    assert not {investigated, pending} & set(ids(await listed(api, CM, person_id="P-nobody")))
    assert {investigated, pending} <= set(ids(await listed(api, CM, person_id="P-77")))
    assert not {investigated, pending} & set(ids(await listed(api, CM, overdue_only=True)))
    refused = await api.refused("ListCases", CM, purpose=PURPOSE, state="ASLEEP")
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and "state" in refused.details()
    refused = await api.refused("ListCases", CM, purpose=PURPOSE, page_token="bm90LWEtdG9rZW4")
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in refused.details()
    assert ("u-inv1", "cases.read/ListCases", PURPOSE) in await reads_of(cases, investigated)  # on the record
    assert not [r for r in await reads_of(cases, investigated) if r[0] == "u-inv2"]
    got = await api.case(investigated, INV1)
    assert [(a.step, a.role, a.office) for a in got.awaiting] == [
        ("SendToTrialReview", "investigator", "investigation_1")
    ]
    assert got.colour == "GREEN" and got.investigation_due.seconds == 0  # before any warning


async def test_what_awaits_each_role_ordered_and_paged(cases, api):
    case_id = await open_filing(cases, "supervision_1")
    steps = {(i.file_id, i.step) for i in await awaiting(api, SUP1)}
    assert (case_id, "PrepareFiling") in steps  # the holder's supervisor states the facts (Rules 38)
    assert (case_id, "PrepareFiling") not in {(i.file_id, i.step) for i in await awaiting(api, SUP2)}
    fields = requests(case_id, "")
    await api("PrepareFiling", SUP1, **fields["PrepareFiling"])
    head = await awaiting(api, HEAD, size=1)
    assert [i.step for i in head if i.file_id == case_id] == ["ApproveFiling", "ApproveFiling"]  # each side
    assert all(i.role == "commission_head" and i.service == "cases" for i in head)
    assert not [i for i in await awaiting(api, COMMITTEE) if i.file_id == case_id]  # after the head (Rules 38)
    await file(api, case_id)
    await hand_over(api, case_id)
    fields = requests(case_id, "")  # times after the filing
    assert (case_id, "StartInvestigation") in {(i.file_id, i.step) for i in await awaiting(api, INV1)}
    assert not [i for i in await awaiting(api, INV2) if i.file_id == case_id]  # another office
    await api("StartInvestigation", INV1, **fields["StartInvestigation"])
    made = await api("RequestMeasure", INV1, **{**fields["RequestMeasure"], "kind": cev.MEASURE_KIND_DETENTION})
    head = await awaiting(api, HEAD, size=1)
    assert (made.measure_id, "ApproveMeasure") in {(i.file_id, i.step) for i in head}  # SL 47
    dues = [i.due.ToDatetime() if i.HasField("due") else None for i in head]
    assert dues == sorted(dues, key=lambda d: (d is None, d))  # by due, none last
    await api("SendToTrialReview", INV1, **fields["SendToTrialReview"])
    review = [i for i in await awaiting(api, TRIAL) if i.file_id == case_id]
    assert [i.step for i in review] == ["ConcludeTrialReview"] and review[0].HasField("due")  # Rules 55
    await api(
        "ReturnFromTrialReview", TRIAL, case_id=case_id, to=cev.RETURN_TARGET_SUPPLEMENTARY_INVESTIGATION, reason="bank"
    )
    deputy = [i for i in await awaiting(api, DEPUTY1) if i.file_id == case_id]
    assert [(i.step, i.role) for i in deputy] == [("ApproveTrialReviewReturn", "deputy_head")]  # Rules 55
    await api("ApproveTrialReviewReturn", DEPUTY1, case_id=case_id)
    await api("SendToTrialReview", INV1, **fields["SendToTrialReview"])
    await api("ConcludeTrialReview", TRIAL, **fields["ConcludeTrialReview"])
    managed = [i.step for i in await awaiting(api, CM, size=1) if i.file_id == case_id]
    assert managed == ["DisposeCase"]  # case management records the committee's decision (Rules 56)
    assert ("u-alice", "cases.read/ListAwaitingMe", PURPOSE) in await reads_of(cases, case_id)


async def test_the_investigation_stage_warns_yellow_then_red_by_its_timers(store, handlers):
    """Local practice (unverified): YELLOW at 3 months, RED at 6 of INVESTIGATING; a return starts
    a new stage round, sending to trial review cancels the stage's timers."""
    handlers.cases.aggregate.investigation_limits = aw.DEFAULT_LIMITS
    case_id = await case_under_investigation(handlers)
    limit = aw.DEFAULT_LIMITS.stages["INVESTIGATING"]

    async def fire(at) -> int:
        scheduler = TimerScheduler(handlers.store, FixedClock(at))
        scheduler.route("case", handlers.cases.fire)
        return await scheduler.fire_due()

    async def row():
        return await store.pool.fetchrow(
            f"SELECT colour, due FROM {store.schema}.{case_index.CASES} WHERE case_id = $1", case_id
        )

    assert (await row())["colour"] == "GREEN"
    assert await fire(limit.yellow.after(T0) - timedelta(seconds=1)) == 0
    assert await fire(limit.yellow.after(T0)) == 1
    state, _ = await handlers.get_case(INV, case_id)
    assert aw.colour(state) == "YELLOW" and aw.due(state) == limit.red.after(T0)
    assert tuple(await row()) == ("YELLOW", limit.red.after(T0))
    assert await fire(limit.red.after(T0)) == 1
    assert (await row())["colour"] == "RED"
    later = limit.red.after(T0) + timedelta(days=1)
    await on_case(handlers, case_id, c.SendToTrialReview(case_id, "report", later, INV), later)
    pending = await store.pool.fetchval(
        f"SELECT count(*) FROM {store.schema}.timers WHERE timer_id LIKE $1 AND status = 'pending'",
        f"investigation:{case_id}:%",
    )
    assert pending == 0 and (await row())["colour"] == "GREEN"  # the trial review's own due from now (Rules 55)


async def test_cases_and_measures_recorded_before_the_index_get_their_rows_at_start(store, handlers):
    """An upgraded store: the rows the backfill writes are those the commands wrote, a case under
    investigation gets its stage's warnings from its start; a second start writes none."""
    case_id = await case_under_investigation(handlers)
    measure_id = await new_measure(handlers, case_id, "SEARCH", approved=False)
    tables = (case_index.CASES, case_index.CASE_AWAITING, case_index.MEASURE_AWAITING)

    async def dump():
        return {
            t: [tuple(r) for r in await store.pool.fetch(f"SELECT * FROM {store.schema}.{t} ORDER BY 1, 2")]
            for t in tables
        }

    kept = await dump()
    assert kept[case_index.MEASURE_AWAITING][0][:5] == (measure_id, 0, case_id, "SEARCH P-1", "ApproveMeasure")
    for t in tables:
        await store.pool.execute(f"DELETE FROM {store.schema}.{t}")
    handlers.cases.aggregate.investigation_limits = aw.DEFAULT_LIMITS  # configured since (local practice)
    made = await case_index.backfill(store, handlers.cases, handlers.measures, handlers.rules)
    assert made == (1, 1) and await dump() == kept
    timers = await store.pool.fetch(
        f"SELECT timer_id, due_at FROM {store.schema}.timers WHERE timer_id LIKE $1 ORDER BY due_at",
        f"investigation:{case_id}:%",
    )
    limit = aw.DEFAULT_LIMITS.stages["INVESTIGATING"]  # from the investigation's start
    assert [(t["timer_id"].split(":")[-1], t["due_at"]) for t in timers] == [
        ("yellow", limit.yellow.after(T0)),
        ("red", limit.red.after(T0)),
    ]
    assert await case_index.backfill(store, handlers.cases, handlers.measures, handlers.rules) == (0, 0)
