"""The duties common to investigation measures (domain.md §3; services.cases.domain.measure_duties),
over gRPC on a real PostgreSQL, the case made in process and the measures driven by the calls:

- SL 50 ¶1: a 管护's notice deferred by the head (not an investigator), the deferral ended and the
  notice due at once (overdue until given), the release told;
- SL 50 ¶2: a change request decided with reasons, one past its 3 days marked overdue by its timer;
- SL 44: execution by two staff with their ID numbers, the written notice and the signed record;
- SL 44 ¶2: a search completed only with its recording, an interrogation naming the running 管护;
- SL 74(7): an expired measure raised once and listed on the leaders' queue (ListMeasures
  expired_only, no office) for the head and the deputy overseeing the office, until ended;
- IR2025 134: case management records the procuratorate taking custody: the detention ends.
Migration 4 keeps every old column of a ledger row and marks it; the row is written again from its
events at start (backfill), equal to a rebuild."""

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from cases.v1 import events_pb2 as cev, service_pb2 as cpb, service_pb2_grpc as cases_grpc
from common.v1 import recording_pb2
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from kernel.edge.mapping import timestamp as ts
from kernel.eventstore import migrations
from kernel.eventstore.projections import Fold, rebuild
from services.cases.adapters.mapping import CODEC
from services.cases.app import measure_ledger
from services.cases.app.measure import MeasureAggregate
from services.cases.domain import commands as c, measures as m
from services.cases.main import build as build_cases
from services.cases.tests import filing_facts
from tests.factories import call_metadata, service_settings
from tests.integration.test_cases_timers import approve, ctx, fire, on_case

HEAD = Principal("commission", "leadership", "commission_head", "u-head")
INV = Principal("commission", "investigation_1", "investigator", "u-inv")
SUP = Principal("superior_commission", "superior_leadership", "superior_head", "u-sup")
MANAGER = Principal("commission", "case_management", "case_manager", "u-cm")
DEPUTY1 = Principal("commission", "deputy_leadership_1", "deputy_head", "u-dep1")  # oversees investigation_1
DEPUTY2 = Principal("commission", "deputy_leadership_2", "deputy_head", "u-dep2")
SUP2 = Principal("commission", "supervision_2", "office_head", "u-sup2")
HASH = "ab" * 32
DOC = cev.DocumentRef(title="留置决定书", sha256=HASH)
GROUNDS = cev.CustodyGrounds(  # SL 25
    conduct=cev.CUSTODY_CONDUCT_CONFESSED, risks=[cev.CUSTODY_RISK_FLIGHT], detail="bought a ticket abroad"
)


PURPOSE = "follow the measure"  # every read states one (issue 17)


class Cases:
    """The cases service's gRPC API: `await api("Rpc", principal, **fields)`, `api.refused(...)`."""

    def __init__(self, host, channel):
        self.host, self.stub = host, cases_grpc.CaseServiceStub(channel)

    async def __call__(self, rpc: str, who: Principal, **fields):
        request = getattr(cpb, f"{rpc}Request")(**fields)
        md = call_metadata(self.host.settings, who, request_id=str(uuid.uuid4()), correlation="corr-duties")
        return await getattr(self.stub, rpc)(request, metadata=md)

    async def refused(self, rpc: str, who: Principal, **fields) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await self(rpc, who, **fields)
        return err.value


@pytest.fixture(scope="module")
async def cases(database_url, bootstrap, tmp_path_factory):
    prefix = f"md{uuid.uuid4().hex[:8]}"
    settings = service_settings(
        "cases", database_url, bootstrap, prefix, tmp_path_factory.mktemp("duties"), database_schema=f"cases_{prefix}"
    )
    host = await build_cases(settings).start()
    yield host
    await host.stop()


@pytest.fixture
async def api(cases):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as channel:
        yield Cases(cases, channel)


def now() -> datetime:
    return datetime.now(timezone.utc)


async def case_under_investigation(handlers, at: datetime) -> str:
    """A filed case under investigation by investigation_1 since `at`, about P-1."""
    case_id = f"case-{uuid.uuid4()}"
    opening = c.OpenFiling(
        case_id, f"clue-{uuid.uuid4()}", "cm-1", (Subject("P-1", "Zhou Ba"),), "f", "investigation_1", "u-insp", HEAD
    )
    async with handlers.store.unit_of_work() as uow:
        await handlers.cases.execute(uow, ctx(HEAD), case_id, opening, at, new=True)
    await on_case(handlers, case_id, filing_facts.prepare(case_id, by=INV), at)
    for side in ("PARTY", "SUPERVISION"):
        await on_case(handlers, case_id, c.ApproveFiling(case_id, side, "", at, HEAD), at)
    await on_case(handlers, case_id, filing_facts.topic_meeting(case_id, at, HEAD), at)
    await on_case(handlers, case_id, c.StartInvestigation(case_id, at, at, INV), at)
    return case_id


async def measure(api, kind, starts: datetime, by=HEAD) -> tuple[str, str]:
    """A case under investigation since before `starts`, and its measure of `kind` approved from `starts`."""
    case_id = await case_under_investigation(api.host.parts.handlers, starts - timedelta(hours=1))
    extra = {"custody_grounds": GROUNDS} if kind == cev.MEASURE_KIND_PROTECTIVE_CUSTODY else {}
    made = await api("RequestMeasure", INV, case_id=case_id, kind=kind, person_id="P-1", reason="r", **extra)
    if kind == cev.MEASURE_KIND_DETENTION:  # the leadership's collective decision, then the upper level's (SL 47)
        await approve(api.host.parts.handlers, made.measure_id, "DETENTION", starts)
    else:
        await api("ApproveMeasure", by, measure_id=made.measure_id, starts_at=ts(starts))
    return case_id, made.measure_id


async def line(api, mid: str, by=INV):
    return (await api("GetMeasure", by, measure_id=mid, purpose=PURPOSE)).measure


async def refusal(api, rpc: str, by: Principal, **fields) -> tuple[str, str]:
    e = await api.refused(rpc, by, **fields)
    return e.code().name, e.details()


async def types(cases, stream_id: str) -> list[str]:
    return [e.event_type.split(".")[-1] for e in await cases.store.read_stream(stream_id)]


def timers_of(mid: str) -> str:
    return f"measure-timers-{mid.removeprefix('measure-')}"


async def test_a_deferred_notice_is_due_at_once_when_the_obstruction_ends_and_a_release_is_told_sl_50(cases, api):
    _, mid = await measure(api, cev.MEASURE_KIND_PROTECTIVE_CUSTODY, now() - timedelta(hours=2))
    assert (await line(api, mid)).notice_due.ToDatetime(timezone.utc) > now()  # 24 hours (SL 50 ¶1)
    assert (await refusal(api, "DeferNotice", INV, measure_id=mid, reason="accomplices at large"))[0] == (
        "PERMISSION_DENIED"
    )
    await api("DeferNotice", HEAD, measure_id=mid, reason="accomplices at large")
    deferred = await line(api, mid)
    assert deferred.notice_deferred and not deferred.HasField("notice_due") and not deferred.notice_overdue
    code, details = await refusal(api, "DeferNotice", HEAD, measure_id=mid, reason="again")
    assert (code, "notice already deferred" in details) == ("FAILED_PRECONDITION", True)

    await api("EndNoticeDeferral", INV, measure_id=mid, reason="accomplices detained")
    due_now = await line(api, mid)  # due immediately: overdue until given
    assert (
        not due_now.notice_deferred
        and due_now.notice_overdue
        and due_now.notice_due.ToDatetime(timezone.utc) <= now() + timedelta(seconds=1)
    )
    told = ts(now())
    await api("GiveDetentionNotice", INV, measure_id=mid, unit_notified_at=told, family_notified_at=told)
    assert (await line(api, mid)).notice_given

    await api("EndMeasure", INV, measure_id=mid, outcome=cev.MEASURE_OUTCOME_RELEASED, reason="not needed")
    released = await line(api, mid)
    assert (released.outcome, released.release_notice_given) == (cev.MEASURE_OUTCOME_RELEASED, False)
    assert released.HasField("notice_due")  # the release is told too
    told = ts(now())
    await api("GiveReleaseNotice", INV, measure_id=mid, unit_notified_at=told, family_notified_at=told)
    after = await line(api, mid)
    assert after.release_notice_given and not after.HasField("notice_due")
    assert await types(cases, mid) == [
        "MeasureRequested",
        "MeasureApproved",
        "NoticeDeferred",
        "NoticeDeferralEnded",
        "DetentionNoticeGiven",
        "MeasureEnded",
        "ReleaseNoticeGiven",
    ]


async def test_a_change_request_is_decided_in_3_days_with_reasons_or_marked_overdue_sl_50(cases, api):
    started = now() - timedelta(days=5)
    _, mid = await measure(api, cev.MEASURE_KIND_PROTECTIVE_CUSTODY, started)
    asked = dict(
        measure_id=mid,
        applicant=cev.CHANGE_APPLICANT_NEAR_RELATIVE,
        applicant_name="Zhang (spouse)",
        asked=cev.CHANGE_ASKED_LIFT,
        grounds="ill health",
    )
    first = await api("RequestMeasureChange", INV, **asked)
    assert first.change_id.startswith("change-")
    assert first.due.ToDatetime(timezone.utc) - now() > timedelta(days=2, hours=23)  # 3 days (SL 50 ¶2)
    pending = await line(api, mid)
    assert (pending.changes_pending, pending.change_overdue) == (1, False)
    code, details = await refusal(api, "DecideMeasureChange", HEAD, measure_id=mid, change_id=first.change_id)
    assert (code, "reasons" in details) == ("INVALID_ARGUMENT", True)  # reasons when refused
    assert (await refusal(api, "DecideMeasureChange", INV, measure_id=mid, change_id=first.change_id))[0] == (
        "PERMISSION_DENIED"
    )
    await api("DecideMeasureChange", HEAD, measure_id=mid, change_id=first.change_id, reasons="flight risk remains")
    assert (await line(api, mid)).changes_pending == 0

    late = await api("RequestMeasureChange", INV, **asked, received_at=ts(started + timedelta(hours=1)))
    assert (await line(api, mid)).change_overdue  # past its 3 days, before the timer fired
    await fire(api.host.parts.handlers, now())
    assert "MeasureChangeOverdue" in await types(cases, timers_of(mid))
    await fire(api.host.parts.handlers, now() + timedelta(minutes=1))
    assert (await types(cases, timers_of(mid))).count("MeasureChangeOverdue") == 1  # once
    code, _ = await refusal(api, "DecideMeasureChange", HEAD, measure_id=mid, change_id="change-unknown", granted=True)
    assert code == "FAILED_PRECONDITION"
    await api("DecideMeasureChange", HEAD, measure_id=mid, change_id=late.change_id, granted=True)
    assert (await line(api, mid)).changes_pending == 0


async def test_execution_names_two_staff_the_written_notice_and_the_signed_record_sl_44(cases, api):
    # a seizure: a search's record says more (SL 27; test_cases_measure_safeguards.py)
    _, mid = await measure(api, cev.MEASURE_KIND_SEIZURE, now() - timedelta(hours=1))
    one = [cev.ExecutingStaff(name="Wang", id_number="JC-0001")]
    fields = dict(measure_id=mid, written_notice=DOC, signed_record=cev.DocumentRef(title="搜查笔录", sha256="cd" * 32))
    code, details = await refusal(api, "RecordMeasureExecution", INV, staff=one, executed_at=ts(now()), **fields)
    assert (code, "staff" in details) == ("INVALID_ARGUMENT", True)
    two = [*one, cev.ExecutingStaff(name="Li", id_number="JC-0002")]
    await api("RecordMeasureExecution", INV, staff=two, executed_at=ts(now()), **fields)
    assert (await line(api, mid)).executed


async def test_a_search_is_completed_only_with_its_recording_and_an_interrogation_names_the_custody_sl_44(cases, api):
    case_id, mid = await measure(api, cev.MEASURE_KIND_SEARCH, now() - timedelta(hours=1))
    code, details = await refusal(
        api, "EndMeasure", INV, measure_id=mid, outcome=cev.MEASURE_OUTCOME_COMPLETED, reason="d"
    )
    assert (code, "recording" in details) == ("INVALID_ARGUMENT", True)
    video = recording_pb2.RecordingRef(sha256="ef" * 32, duration_seconds=3600, kind="search")
    await api("EndMeasure", INV, measure_id=mid, outcome=cev.MEASURE_OUTCOME_COMPLETED, reason="d", recording=video)
    history = await cases.parts.handlers.measures.load(cases.store, mid)
    assert history.records[-1].event.recording.sha256 == "ef" * 32  # on the record with the end

    # an interrogation's recording names the running 管护 of its case, not the search (SL 44 ¶2)
    _, held = await measure(api, cev.MEASURE_KIND_PROTECTIVE_CUSTODY, now() - timedelta(hours=1))
    held_case = (await line(api, held)).case_id
    interrogation = recording_pb2.RecordingRef(sha256="12" * 32, duration_seconds=5400, kind="interrogation")
    asked = dict(activity=cev.RECORDED_ACTIVITY_INTERROGATION, recording=interrogation)
    await api("RecordActivity", INV, case_id=held_case, measure_id=held, **asked)
    code, details = await refusal(api, "RecordActivity", INV, case_id=case_id, measure_id=mid, **asked)
    assert (code, "measure_id" in details) == ("INVALID_ARGUMENT", True)
    code, _ = await refusal(api, "RecordActivity", INV, case_id=case_id, measure_id=held, **asked)
    assert code == "INVALID_ARGUMENT"  # another case's


async def test_an_expired_measure_is_an_alert_on_the_leaders_queue_until_ended_sl_74(cases, api):
    starts = now() - timedelta(days=100)  # a technical investigation: 3 months, approved by the upper level
    _, mid = await measure(api, cev.MEASURE_KIND_TECHNICAL_INVESTIGATION, starts, by=SUP)
    await fire(api.host.parts.handlers, now())
    await fire(api.host.parts.handlers, now() + timedelta(minutes=1))
    assert (await types(cases, timers_of(mid))).count("MeasureExpired") == 1  # raised once

    async def queue(by: Principal) -> list[str]:
        listed = await api("ListMeasures", by, expired_only=True, purpose=PURPOSE)  # every office's
        return [m.measure_id for m in listed.measures]

    assert mid in await queue(HEAD)  # the alert role (measure_duties.toml), not its approver
    assert mid in await queue(DEPUTY1)  # the deputy overseeing investigation_1
    assert mid in await queue(MANAGER)  # case management sees all
    assert mid not in await queue(DEPUTY2) and mid not in await queue(SUP2)
    office = await api("ListMeasures", INV, office="investigation_1", open_only=True, purpose=PURPOSE)
    assert office.measures[0].expired_not_ended  # the office's ledger: expired first
    assert mid in [m.measure_id for m in office.measures]
    code, _ = await refusal(api, "ListMeasures", HEAD, purpose=PURPOSE)  # an office, unless the leaders' queue
    assert code == "INVALID_ARGUMENT"

    await api("EndMeasure", INV, measure_id=mid, outcome=cev.MEASURE_OUTCOME_LIFTED, reason="over")
    assert mid not in await queue(HEAD) and mid not in await queue(MANAGER)


async def test_case_management_records_the_procuratorate_taking_custody_which_ends_the_detention_ir2025_134(cases, api):
    _, mid = await measure(api, cev.MEASURE_KIND_DETENTION, now() - timedelta(days=30))
    custody = dict(measure_id=mid, document=cev.DocumentRef(title="羁押回执", sha256=HASH), taken_at=ts(now()))
    assert (await refusal(api, "TransferCustody", INV, **custody))[0] == "PERMISSION_DENIED"
    code, details = await refusal(
        api, "EndMeasure", INV, measure_id=mid, outcome=cev.MEASURE_OUTCOME_CUSTODY_TRANSFERRED, reason="taken"
    )
    assert (code, "outcome" in details) == ("INVALID_ARGUMENT", True)
    assert (await api("TransferCustody", MANAGER, **custody)).state == "ENDED"
    ended = await line(api, mid)
    assert (ended.state, ended.outcome) == ("ENDED", cev.MEASURE_OUTCOME_CUSTODY_TRANSFERRED)
    assert (await types(cases, mid))[-2:] == ["CustodyTransferred", "MeasureEnded"]
    assert (await refusal(api, "TransferCustody", MANAGER, **custody))[0] == "FAILED_PRECONDITION"
    _, held = await measure(api, cev.MEASURE_KIND_PROTECTIVE_CUSTODY, now() - timedelta(hours=1))
    assert (await refusal(api, "TransferCustody", MANAGER, **{**custody, "measure_id": held}))[0] == (
        "FAILED_PRECONDITION"
    )


async def test_a_row_from_before_the_duties_is_written_again_from_its_events(cases, api):
    _, mid = await measure(api, cev.MEASURE_KIND_PROTECTIVE_CUSTODY, now() - timedelta(hours=3))
    await api("EndMeasure", INV, measure_id=mid, outcome=cev.MEASURE_OUTCOME_RELEASED, reason="not needed")
    store, handlers = cases.store, cases.parts.handlers
    async with store.pool.acquire() as conn:  # as migration 4 leaves a row the previous code wrote
        await conn.execute(
            f"UPDATE {store.schema}.measure_ledger SET duties_kept = false, outcome = '', notice_due = NULL "
            f"WHERE measure_id = $1",
            mid,
        )
    assert await measure_ledger.backfill(store, handlers.measures.load, handlers.rules) >= 1
    assert await measure_ledger.backfill(store, handlers.measures.load, handlers.rules) == 0
    row = await line(api, mid)
    assert row.outcome == cev.MEASURE_OUTCOME_RELEASED and row.HasField("notice_due")
    [projection] = measure_ledger.projections(Fold.of(MeasureAggregate, CODEC), handlers.rules)
    async with store.pool.acquire() as conn:
        assert (await rebuild(conn, store.schema, projection, replace=False)).equal


async def test_migration_4_adds_the_duties_to_a_ledger_of_migration_3_with_nothing_lost(pool, unique):
    """Every old column of every old row stays; the new ones take their defaults, the row marked
    for the start-up backfill (duties_kept false)."""
    schema = f"old_cases_{unique}"
    await migrations.apply(pool, schema, measure_ledger.MIGRATIONS[:3])
    measure_id = f"measure-{uuid.uuid4()}"
    await pool.execute(
        f"INSERT INTO {schema}.measure_ledger (measure_id, case_id, office, kind, person_id, status, starts_at, "
        f"ends_at, extensions, notice_due, notice_given, notice_overdue, version, liaison, clue_id) VALUES "
        f"($1, 'case-1', 'investigation_1', 'DETENTION', 'P-1', 'ENDED', now(), now(), 1, NULL, true, false, 7, "
        f"'supervision_1', '')",
        measure_id,
    )
    before = dict(await pool.fetchrow(f"SELECT * FROM {schema}.measure_ledger"))
    assert [m.number for m in await migrations.apply(pool, schema, measure_ledger.MIGRATIONS[:4])] == [4]
    after = dict(await pool.fetchrow(f"SELECT * FROM {schema}.measure_ledger"))
    assert {k: after[k] for k in before} == before
    assert {k: after[k] for k in (*measure_ledger.DUTY_COLUMNS, "duties_kept")} == {
        "notice_deferred": False,
        "executed": False,
        "changes_pending": 0,
        "change_due": None,
        "change_overdue": False,
        "release_notice_given": False,
        "outcome": "",
        "duties_kept": False,
    }
    async with pool.acquire() as conn:
        assert await measure_ledger.unkept(conn, schema, "", 10) == [measure_id]
