"""cases.v1.ProsecutionService over gRPC against PostgreSQL (issue 24; SL 54, IR2025 134, CPL 172
unverified): the procuratorate reports back only on what its feed delivered (a case disposed with a
transfer for prosecution of the person, that person's detention), anything else NOT_FOUND; its
custody report ends the detention through the officer's TransferCustody command; a return for
supplementary investigation runs its warnings on the durable timers; the commission completes it
and refers a non-prosecution for reconsideration."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest

from cases.v1 import events_pb2 as cev
from kernel.domain.principal import Principal
from kernel.edge.mapping import timestamp as ts
from services.cases.adapters.mapping import CODEC
from services.cases.app.case import case_links
from services.cases.domain import events as ev
from tests.integration.test_cases_measure_duties import (  # noqa: F401 - the fixtures
    HEAD,
    MANAGER,
    api,
    cases,
    line,
    measure,
    now,
    types,
)
from tests.integration.test_cases_timers import ctx, fire
from tests.integration.test_sanctions_grpc import edge, host  # noqa: F401 - the sanctions service's fixtures
from tests.stories import COURT, PROC, Prosecution

HASH = "cd" * 32


def doc(title: str) -> cev.DocumentRef:
    return cev.DocumentRef(title=title, sha256=HASH)


@pytest.fixture
async def pros(cases):  # noqa: F811
    async with grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as channel:
        yield Prosecution(cases, channel)


async def dispose_transferring(cases, case_id: str, at, person: str = "P-1") -> None:  # noqa: F811
    """The standing committee's decision as recorded (the disposal's own rules are tested with
    DisposeCase): `person` transferred for prosecution (SL 54), the detention running on."""
    handlers = cases.parts.handlers
    disposed = ev.CaseDisposed(
        case_id,
        (ev.Outcome("TRANSFER_FOR_PROSECUTION", person),),
        "u-head",
        at,
        (ev.Document("移送审查起诉意见书", HASH),),
    )
    async with handlers.store.unit_of_work() as uow:
        history = await handlers.cases.load(uow, case_id)
        payload = ctx(HEAD).new_event(0, CODEC.to_pb(disposed), at, case_links(history.state, disposed))
        await uow.append(case_id, history.version, [payload])


async def test_the_procuratorate_reports_only_what_its_feed_delivered_and_custody_ends_the_detention_ir2025_134(
    cases,  # noqa: F811
    api,  # noqa: F811
    pros,
):
    case_id, mid = await measure(api, cev.MEASURE_KIND_DETENTION, now() - timedelta(days=30))
    custody = dict(measure_id=mid, document=doc("羁押回执"), taken_at=ts(now()))
    # not disposed yet: the feed delivered nothing (NOT_FOUND, as an unknown id)
    assert await pros.code("ReportCustodyTaken", PROC, **custody) == "NOT_FOUND"
    assert await pros.code("ReportCustodyTaken", PROC, **{**custody, "measure_id": f"measure-{uuid.uuid4()}"}) == (
        "NOT_FOUND"
    )
    await dispose_transferring(cases, case_id, now() - timedelta(days=1))
    assert await pros.code("ReportCustodyTaken", COURT, **custody) == "NOT_FOUND"  # another agency's feed
    assert await pros.code("ReportCustodyTaken", MANAGER, **custody) == "PERMISSION_DENIED"  # not a partner
    # named as the feed delivered it: the transfer's case and person, the running detention found
    by_transfer = dict(document=doc("羁押回执"), taken_at=ts(now()), case_id=case_id, person_id="P-1")
    assert await pros.code("ReportCustodyTaken", PROC, **{**by_transfer, "person_id": "P-2"}) == "NOT_FOUND"
    assert await pros.code("ReportCustodyTaken", PROC, **{**by_transfer, "case_id": ""}) == "INVALID_ARGUMENT"
    done = await pros("ReportCustodyTaken", PROC, **by_transfer)
    assert (done.measure_id, done.state, done.detention_days >= 29) == (mid, "ENDED", True)
    ended = await line(api, mid)
    assert (ended.state, ended.outcome) == ("ENDED", cev.MEASURE_OUTCOME_CUSTODY_TRANSFERRED)
    assert (await types(cases, mid))[-2:] == ["CustodyTransferred", "MeasureEnded"]


async def test_a_supplementary_return_runs_its_timers_and_the_decision_and_referral_follow_sl_54(
    cases,  # noqa: F811
    api,  # noqa: F811
    pros,
):
    case_id, _ = await measure(api, cev.MEASURE_KIND_DETENTION, now() - timedelta(days=30))
    disposed_at = now() - timedelta(days=3)
    await dispose_transferring(cases, case_id, disposed_at)
    at = now() - timedelta(days=2)
    back = dict(case_id=case_id, person_id="P-1", document=doc("退回补充调查决定书"), returned_at=ts(at))
    assert await pros.code("ReturnForSupplementaryInvestigation", PROC, **{**back, "person_id": "P-2"}) == "NOT_FOUND"
    assert await pros.code("ReturnForSupplementaryInvestigation", COURT, **back) == "NOT_FOUND"
    first = await pros("ReturnForSupplementaryInvestigation", PROC, **back)
    assert first.round == 1 and first.due.ToDatetime().date() > at.date()
    assert await pros.code("ReturnForSupplementaryInvestigation", PROC, **back) == "FAILED_PRECONDITION"
    # case management sees it waiting, due in a month (ListAwaitingMe, issue 20)
    waiting = (await api("ListAwaitingMe", MANAGER, purpose="work", page_size=1000)).items
    mine = [i for i in waiting if i.file_id == case_id and i.step == "CompleteSupplementaryInvestigation"]
    assert len(mine) == 1 and mine[0].due == first.due
    # the clock moved past the due: the timers raise YELLOW then RED on the case's timer stream
    handlers = cases.parts.handlers
    await fire(handlers, first.due.ToDatetime().replace(tzinfo=at.tzinfo) + timedelta(minutes=1))
    timer_stream = f"case-timers-{case_id.removeprefix('case-')}"
    raised = [e.event_type for e in await cases.store.read_stream(timer_stream)]
    assert raised.count("cases.v1.SupplementaryInvestigationWarning") == 2  # YELLOW, then RED
    assert (await handlers.cases.load(cases.store, case_id)).state.prosecution[0].warning == "RED"
    completion = dict(case_id=case_id, person_id="P-1", document=doc("补充调查报告"), completed_at=ts(now()))
    assert await pros.code("CompleteSupplementaryInvestigation", PROC, **completion) == "PERMISSION_DENIED"
    assert (await pros("CompleteSupplementaryInvestigation", MANAGER, **completion)).late is False
    decided = dict(case_id=case_id, person_id="P-1", decision="NOT_PROSECUTED", document=doc("不起诉决定书"))
    answer = await pros("ReportProsecutionDecision", PROC, **decided, decided_at=ts(now()))
    assert answer.late is False  # CPL 172 (unverified): 1 month + 15 days from the last receipt
    refer = dict(case_id=case_id, person_id="P-1", document=doc("提请复议意见书"), upper_procuratorate="上级人民检察院")
    await pros("ReferForReconsideration", MANAGER, **refer, referred_at=ts(now()))
    assert await pros.code("ReferForReconsideration", MANAGER, **refer, referred_at=ts(now())) == "FAILED_PRECONDITION"
    assert (await types(cases, case_id))[-4:] == [
        "ReturnedForSupplementaryInvestigation",
        "SupplementaryInvestigationCompleted",
        "ProsecutionDecisionReported",
        "NonProsecutionReferred",
    ]


# -- the court (sanctions.v1.SanctionService.ReportJudgment; G12, PSL 14, 49) ----------------------


async def test_the_court_reports_a_judgment_on_a_transferred_person_and_the_decision_is_redecided_g12(edge):  # noqa: F811
    from sanctions.v1 import events_pb2 as sev, service_pb2 as spb
    from services.sanctions.app import case_directory
    from tests.integration.test_sanctions_grpc import DECIDED, HEAD as S_HEAD, draft, handlers_of, issue, open_decision

    decision_id = await open_decision(edge.host, "P-judged")
    await edge.decisions.DraftDecision(draft(decision_id), metadata=edge.md())
    await edge.set_clock(DECIDED + timedelta(days=1))
    await edge.decisions.IssueDecision(issue(decision_id), metadata=edge.md(S_HEAD))
    state, _ = await handlers_of(edge.host).get(S_HEAD, decision_id)
    report = dict(
        case_id=state.case_id,
        person_id="P-judged",
        judgment=sev.DocumentRef(title="刑事判决书", sha256=HASH),
        judgment_number="(2026)京0101刑初12号",
        intentional=True,
        sentence="SUSPENDED",
    )

    async def refused(who: Principal, **fields) -> str:
        request = spb.ReportJudgmentRequest(**{**report, **fields})
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await edge.decisions.ReportJudgment(request, metadata=edge.md(who))
        return err.value.code().name

    # the court's feed never delivered this person: no disposal transferred them (NOT_FOUND)
    assert await refused(COURT) == "NOT_FOUND"
    async with edge.host.pool.acquire() as conn:
        news = case_directory.CaseNews(state.case_id, transferred=("P-judged",))
        await case_directory.record(conn, edge.host.settings.schema, news)
    assert await refused(COURT, person_id="P-other") == "NOT_FOUND"
    assert await refused(PROC) == "NOT_FOUND"  # another agency: the court reports judgments
    assert await refused(MANAGER) == "PERMISSION_DENIED"  # officers use RecordJudgment
    judged = await edge.decisions.ReportJudgment(spb.ReportJudgmentRequest(**report), metadata=edge.md(COURT))
    assert [d.decision_id for d in judged.decisions] == [decision_id]
    assert judged.decisions[0].status == sev.DECISION_STATUS_REDECISION_REQUIRED
    assert judged.required_sanction == cev.SanctionType.SANCTION_TYPE_GOVERNMENT_DISMISSAL
