"""The person's safeguards around investigation measures (domain.md §3;
services.cases.domain.measure_safeguards), over gRPC on a real PostgreSQL:

- SL 26, 28: a freeze's property found unrelated, due for release in 3 days, overdue raised once by
  its timer and shown on the ledger line until the measure is lifted;
- SL 27: a search recorded with its warrant, a witness and the sexes; a woman searched by a man
  refused naming the field;
- SL 69: a complaint decided by the head within 1 month, its review sought and decided by the
  upper commission's head; overdue raised once;
- SL 50 ¶4: the custody hand-over answers and records the days in detention and their offset.
Migration 5 keeps every old column of a ledger row, the new ones at the defaults old events mean."""

import uuid
from datetime import timedelta, timezone

from cases.v1 import events_pb2 as cev, service_pb2 as cpb
from kernel.edge.mapping import timestamp as ts
from kernel.eventstore import migrations
from services.cases.app import measure_ledger
from tests.factories import call_metadata
from tests.integration.test_cases_measure_duties import (  # noqa: F401 (fixtures)
    HASH,
    HEAD,
    INV,
    MANAGER,
    SUP,
    api,
    cases,
    line,
    measure,
    now,
    refusal,
    timers_of,
    types,
)
from tests.integration.test_cases_timers import fire

WARRANT = cev.DocumentRef(title="搜查证", sha256=HASH)
RECORD = cev.DocumentRef(title="搜查笔录", sha256="cd" * 32)


async def test_property_found_unrelated_is_released_in_3_days_or_overdue_once_sl_26_28(cases, api):
    started = now() - timedelta(days=10)
    _, mid = await measure(api, cev.MEASURE_KIND_FREEZING, started)
    found = started + timedelta(days=1)  # long past its 3 days
    made = await api("RecordUnrelatedProperty", INV, measure_id=mid, what="the spouse's salary", found_at=ts(found))
    assert made.release_due.ToDatetime(timezone.utc) == found + timedelta(days=3)
    assert (await refusal(api, "RecordUnrelatedProperty", INV, measure_id=mid, what="again"))[
        0
    ] == "FAILED_PRECONDITION"
    shown = await line(api, mid)
    assert (shown.release_overdue, shown.release_due.ToDatetime(timezone.utc)) == (True, found + timedelta(days=3))
    await fire(api.host.parts.handlers, now())
    await fire(api.host.parts.handlers, now() + timedelta(minutes=1))
    assert (await types(cases, timers_of(mid))).count("MeasureReleaseOverdue") == 1  # once
    code, details = await refusal(
        api, "EndMeasure", INV, measure_id=mid, outcome=cev.MEASURE_OUTCOME_COMPLETED, reason="done"
    )
    assert (code, "outcome" in details) == ("INVALID_ARGUMENT", True)  # released, not completed
    await api("EndMeasure", INV, measure_id=mid, outcome=cev.MEASURE_OUTCOME_LIFTED, reason="unrelated (SL 26)")
    released = await line(api, mid)
    assert released.released_at.ToDatetime(timezone.utc) > found and not released.HasField("release_due")
    _, search = await measure(api, cev.MEASURE_KIND_SEARCH, now() - timedelta(hours=1))
    assert (await refusal(api, "RecordUnrelatedProperty", INV, measure_id=search, what="x"))[0] == "FAILED_PRECONDITION"


async def test_a_search_names_its_warrant_witness_and_a_woman_is_searched_by_women_sl_27(cases, api):
    _, mid = await measure(api, cev.MEASURE_KIND_SEARCH, now() - timedelta(hours=1))
    women = [
        cev.ExecutingStaff(name="Wang", id_number="JC-0001", sex=cev.SEX_FEMALE),
        cev.ExecutingStaff(name="Li", id_number="JC-0002", sex=cev.SEX_FEMALE),
    ]
    man = [women[0], cev.ExecutingStaff(name="Zhou", id_number="JC-0003", sex=cev.SEX_MALE)]
    fields = dict(measure_id=mid, written_notice=WARRANT, signed_record=RECORD, executed_at=ts(now()))
    full = dict(fields, warrant=WARRANT, witnesses=["Chen (neighbour)"], searched_sex=cev.SEX_FEMALE)
    for asked, field in [
        (dict(fields, staff=women, witnesses=["Chen"], searched_sex=cev.SEX_FEMALE), "warrant"),
        (dict(full, staff=women, witnesses=[]), "witnesses"),
        (dict(full, staff=women, searched_sex=cev.SEX_UNSPECIFIED), "searched_sex"),
        (dict(full, staff=man), "staff[1].sex"),
    ]:
        code, details = await refusal(api, "RecordMeasureExecution", INV, **asked)
        assert (code, field in details) == ("INVALID_ARGUMENT", True), (field, details)
    await api("RecordMeasureExecution", INV, staff=women, **full)
    history = await cases.parts.handlers.measures.load(cases.store, mid)
    executed = history.records[-1].event
    assert (executed.warrant.sha256, executed.witnesses, executed.searched_sex) == (
        HASH,
        ("Chen (neighbour)",),
        "FEMALE",
    )
    assert [s.sex for s in executed.staff] == ["FEMALE", "FEMALE"]


async def test_a_complaint_is_decided_in_a_month_and_reviewed_upward_sl_69(cases, api):
    started = now() - timedelta(days=60)
    _, mid = await measure(api, cev.MEASURE_KIND_SEIZURE, started)
    asked = dict(
        measure_id=mid,
        complainant=cev.COMPLAINANT_INTERESTED_PARTY,
        complainant_name="Zhao (owner of the car)",
        ground=cev.COMPLAINT_GROUND_UNRELATED_PROPERTY,
        detail="the car is mine, not the subject's",
    )
    late = await api("FileMeasureComplaint", INV, **asked, received_at=ts(started + timedelta(days=1)))
    assert late.complaint_id.startswith("complaint-")
    assert (await line(api, mid)).complaint_overdue  # past its month, before the timer fired
    await fire(api.host.parts.handlers, now())
    await fire(api.host.parts.handlers, now() + timedelta(minutes=1))
    assert (await types(cases, timers_of(mid))).count("MeasureComplaintOverdue") == 1  # once
    filed = await api("FileMeasureComplaint", INV, **asked)
    assert filed.due.ToDatetime(timezone.utc) - now() > timedelta(days=27)  # 1 month
    assert (await line(api, mid)).complaints_pending == 2
    decide = dict(measure_id=mid, complaint_id=filed.complaint_id, reasons="the car is evidence")
    assert (await refusal(api, "DecideMeasureComplaint", INV, **decide))[0] == "PERMISSION_DENIED"
    await api("DecideMeasureComplaint", HEAD, **decide)
    code, _ = await refusal(api, "DecideMeasureComplaint", HEAD, **decide)
    assert code == "FAILED_PRECONDITION"  # decided once
    sought = await api("SeekComplaintReview", INV, measure_id=mid, complaint_id=filed.complaint_id)
    assert sought.due.ToDatetime(timezone.utc) - now() > timedelta(days=58)  # 2 months
    assert (await refusal(api, "DecideMeasureComplaint", HEAD, **decide, review=True))[0] == "PERMISSION_DENIED"
    await api("DecideMeasureComplaint", SUP, **decide, upheld=True, review=True)
    assert (await line(api, mid)).complaints_pending == 1  # the late one still awaits
    assert (await types(cases, mid))[-4:] == [
        "MeasureComplaintFiled",
        "MeasureComplaintDecided",
        "MeasureComplaintReviewSought",
        "MeasureComplaintDecided",
    ]


async def test_custody_records_the_days_in_detention_and_their_offset_sl_50_4(cases, api):
    started = now() - timedelta(days=30, hours=5)
    _, mid = await measure(api, cev.MEASURE_KIND_DETENTION, started)
    custody = dict(measure_id=mid, document=cev.DocumentRef(title="羁押回执", sha256=HASH), taken_at=ts(now()))
    request_id = str(uuid.uuid4())
    md = call_metadata(cases.settings, MANAGER, request_id=request_id)
    done = await api.stub.TransferCustody(cpb.TransferCustodyRequest(**custody), metadata=md)
    assert (done.detention_days, done.control_offset_days, done.prison_offset_days) == (31, 62, 31)  # part-day: WHOLE
    again = await api.stub.TransferCustody(cpb.TransferCustodyRequest(**custody), metadata=md)  # retried: same answer
    assert again == done
    history = await cases.parts.handlers.measures.load(cases.store, mid)
    recorded = history.records[-2].event
    assert (recorded.detention_days, recorded.control_offset_days, recorded.prison_offset_days) == (31, 62, 31)


async def test_migration_5_adds_the_safeguards_to_a_ledger_of_migration_4_with_nothing_lost(pool, unique):
    """Every old column of every old row stays; the safeguards' columns take their defaults, which
    are the values of every measure recorded before (no finding, no complaint)."""
    schema = f"old_sg_{unique}"
    await migrations.apply(pool, schema, measure_ledger.MIGRATIONS[:4])
    await pool.execute(
        f"INSERT INTO {schema}.measure_ledger (measure_id, case_id, office, kind, person_id, status, starts_at, "
        f"ends_at, extensions, notice_due, notice_given, notice_overdue, version, liaison, clue_id, outcome, "
        f"duties_kept) VALUES ($1, 'case-1', 'investigation_1', 'FREEZING', 'P-1', 'ACTIVE', now(), NULL, 0, "
        f"NULL, false, false, 3, 'supervision_1', '', '', true)",
        f"measure-{uuid.uuid4()}",
    )
    before = dict(await pool.fetchrow(f"SELECT * FROM {schema}.measure_ledger"))
    assert [m.number for m in await migrations.apply(pool, schema, measure_ledger.MIGRATIONS)] == [5]
    after = dict(await pool.fetchrow(f"SELECT * FROM {schema}.measure_ledger"))
    assert {k: after[k] for k in before} == before
    assert {k: after[k] for k in measure_ledger.SAFEGUARD_COLUMNS} == {
        "unrelated_at": None,
        "release_due": None,
        "release_overdue": False,
        "released_at": None,
        "complaints_pending": 0,
        "complaint_due": None,
        "complaint_overdue": False,
    }
