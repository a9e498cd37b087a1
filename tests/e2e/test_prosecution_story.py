"""Issue 24 point 1, end to end through Kafka: the procuratorate and the court report back on a
transfer for prosecution (SL 54; IR2025 134; G12, PSL 14, 49).

P-77 is detained during the investigation; the case is disposed with a Party and a government
sanction and a transfer for prosecution (CaseDisposed on cases.events.v1). The procuratorate's
custody report ends the detention through the officer's TransferCustody command (IR2025 134). The
sanctions service opens the decisions from Kafka and learns from the same disposal whom the case
transferred; the government decision issued, the court's judgment on P-77 (an intentional crime,
suspended sentence) makes it re-decided with dismissal required (G12). An agency reporting on
what its feed never delivered (another person, another agency's matter) is told NOT_FOUND. Last,
the procuratorate returns the case for supplementary investigation (1 month, SL 54) and, the
cases service's clock moved past the due, the durable timers raise its YELLOW and RED warnings."""

import asyncio
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from cases.v1 import events_pb2 as cev
from sanctions.v1 import events_pb2 as sev
from tests.e2e.platforms import platform_fixture
from tests.e2e.test_clue_lifecycle import HEAD
from tests.e2e.test_clue_warnings import set_clock
from tests.stories import (
    CASE_MANAGER,
    COURT,
    INVESTIGATOR,
    PROC,
    PURPOSE,
    ROUTE,
    Prosecution,
    dispose_transferring_p77,
    story_clients,
    ts,
)

HASH = "e5" * 32


# clues, cases (clock settable: the test moves it) and sanctions
platform = platform_fixture("px", ("clues", "cases", "sanctions"), clocked="cases")


def doc(title: str) -> cev.DocumentRef:
    return cev.DocumentRef(title=title, sha256=HASH)


async def code(call) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value.code().name


async def judged_once_known(sx, judgment: dict, seconds: int = 60):
    """The court's report, once the sanctions service's case directory has followed the disposal
    from Kafka (until then the court's matter is unknown there: NOT_FOUND)."""
    for _ in range(seconds * 4):
        try:
            return await sx("ReportJudgment", COURT, **judgment)
        except grpc.aio.AioRpcError as e:
            if e.code() != grpc.StatusCode.NOT_FOUND:
                raise
        await asyncio.sleep(0.25)
    raise AssertionError("the case directory never learnt of the transfer")


async def test_the_procuratorate_and_the_court_report_back_on_a_transfer_for_prosecution(platform):
    clues, cases, sanctions = platform
    async with (
        story_clients(clues, cases, sanctions) as (client, api, sx),
        grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as channel,
    ):
        pros = Prosecution(cases, channel)
        story, mid = await dispose_transferring_p77(clues, client, api, cases, HASH)

        # IR2025 134: the detention ran on past the disposal until the procuratorate took custody;
        # the court's feed never delivered the detention (NOT_FOUND)
        custody = dict(measure_id=mid, document=doc("羁押回执"), taken_at=ts(datetime.now(timezone.utc)))
        assert await code(pros("ReportCustodyTaken", COURT, **custody)) == "NOT_FOUND"
        taken = await pros("ReportCustodyTaken", PROC, **custody)
        assert taken.state == "ENDED"
        ended = (await api("GetMeasure", INVESTIGATOR, measure_id=mid, purpose=PURPOSE)).measure
        assert (ended.state, ended.outcome) == ("ENDED", cev.MEASURE_OUTCOME_CUSTODY_TRANSFERRED)
        # a person the case never transferred: NOT_FOUND, as an unknown id
        other = dict(case_id=story.case_id, person_id="P-88", decision="CHARGED", document=doc("起诉书"))
        assert await code(
            pros("ReportProsecutionDecision", PROC, **other, decided_at=ts(datetime.now(timezone.utc)))
        ) == ("NOT_FOUND")

        # G12 (PSL 14, 49): the court's judgment on the transferred person re-decides the issued decision
        listed = {d.family: d for d in await sx.wait_decisions(story.case_id, 2)}
        gid = listed[sev.SANCTION_FAMILY_GOVERNMENT_SANCTION].decision_id
        await sx(
            "DraftDecision",
            CASE_MANAGER,
            decision_id=gid,
            title="关于给予P-77记过处分的决定",
            legal_basis=["政务处分法 art. 32"],
            review_route=ROUTE,
            announcement_scope="所在单位",
        )
        await sx(
            "IssueDecision",
            HEAD,
            decision_id=gid,
            document_number="县纪〔2026〕31号",
            decided_at=ts(datetime.now(timezone.utc)),
        )
        judgment = dict(
            case_id=story.case_id,
            person_id="P-77",
            judgment=sev.DocumentRef(title="刑事判决书", sha256=HASH),
            judgment_number="(2026)县0101刑初7号",
            intentional=True,
            sentence="SUSPENDED",
        )
        judged = await judged_once_known(sx, judgment)
        # known now, yet not about a person the case never transferred, nor for the procuratorate to report
        assert await code(sx("ReportJudgment", COURT, **{**judgment, "person_id": "P-88"})) == "NOT_FOUND"
        assert await code(sx("ReportJudgment", PROC, **judgment)) == "NOT_FOUND"
        assert [(d.decision_id, d.status) for d in judged.decisions] == [(gid, sev.DECISION_STATUS_REDECISION_REQUIRED)]
        assert judged.required_sanction == cev.SANCTION_TYPE_GOVERNMENT_DISMISSAL
        assert (await sx.decision(gid)).status == sev.DECISION_STATUS_REDECISION_REQUIRED

        # SL 54: returned for supplementary investigation, due in 1 month; the clock moved past the due
        back = dict(case_id=story.case_id, person_id="P-77", document=doc("退回补充调查决定书"))
        returned = await pros(
            "ReturnForSupplementaryInvestigation", PROC, **back, returned_at=ts(datetime.now(timezone.utc))
        )
        assert returned.round == 1
        await set_clock(cases, returned.due.ToDatetime(timezone.utc) + timedelta(minutes=1))
        timer_stream = f"case-timers-{story.case_id.removeprefix('case-')}"
        for _ in range(200):
            raised = [e.event_type for e in await cases.store.read_stream(timer_stream)]
            if raised.count("cases.v1.SupplementaryInvestigationWarning") >= 2:
                break
            await asyncio.sleep(0.1)
        assert raised.count("cases.v1.SupplementaryInvestigationWarning") == 2  # YELLOW, then RED
        state = (await cases.parts.handlers.cases.load(cases.store, story.case_id)).state
        assert state.prosecution[0].warning == "RED"
