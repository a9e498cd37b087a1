"""The request validator (`kernel.edge.contract`): each kind of rule, with the field path it names."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from google.protobuf import timestamp_pb2

from audit.v1 import service_pb2 as audit_pb
from cases.v1 import service_pb2 as cases_pb
from clues.v1 import service_pb2 as clues_pb
from common.v1 import identity_pb2
from control.v1 import control_pb2
from kernel.domain.clock import FixedClock
from kernel.domain.errors import RuleBroken
from kernel.edge.contract import Contract, Limits

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=timezone.utc)
CLUE = "clue-0f6c2f7e-8a41-4b8e-9b7e-3c1d2a4b5c6d"
contract = Contract(FixedClock(NOW))


def ts(at: datetime, nanos: int | None = None) -> timestamp_pb2.Timestamp:
    t = timestamp_pb2.Timestamp()
    t.FromDatetime(at)
    if nanos is not None:
        t.nanos = nanos
    return t


def person(**kw) -> identity_pb2.PersonRef:
    return identity_pb2.PersonRef(**{"person_id": "P-1", "name": "Zhang San", **kw})


def clue(**kw) -> clues_pb.RegisterClueRequest:
    return clues_pb.RegisterClueRequest(**{"source": 1, "subjects": [person()], "summary": "gifts", **kw})


def refused(request) -> RuleBroken:
    with pytest.raises(RuleBroken) as e:
        contract.check(request)
    return e.value


def test_a_valid_request_passes():
    contract.check(
        clue(
            received_at=ts(NOW), priority=2, informant=clues_pb.Informant(name="Li", details="line one\nline two\ttab")
        )
    )


@pytest.mark.parametrize(
    "request_, field",
    [
        (clue(source=0), "source"),
        (clue(source=999), "source"),
        (clue(priority=-1), "priority"),
        (clue(summary="  "), "summary"),
        (clue(summary="x" * 4001), "summary"),
        (clue(summary="a\x00b"), "summary"),
        (clue(summary="\x1b[31mred"), "summary"),
        (clue(summary="bidi \u202e"), "summary"),
        (clue(subjects=[]), "subjects"),
        (clue(subjects=[person()] * 51), "subjects"),
        (clue(subjects=[person(), person(person_id="../../etc/passwd")]), "subjects[1].person_id"),
        (clue(subjects=[person(name="two\nlines")]), "subjects[0].name"),
        (clue(subjects=[person(post="p" * 201)]), "subjects[0].post"),
        (clue(informant=clues_pb.Informant(name="\t")), "informant.name"),
        (clues_pb.RegisterClueBatchRequest(batch_reference="r", clues=[clue(), clue(summary="")]), "clues[1].summary"),
        (clues_pb.RegisterClueBatchRequest(batch_reference=" r", clues=[clue()]), "batch_reference"),
        (clues_pb.ListCluesRequest(stage="NOT_A_STATE"), "stage"),
        (clues_pb.ListCluesRequest(limit=1001), "limit"),
        (clues_pb.ListCluesRequest(office="Case Management"), "office"),
        (clues_pb.GetClueRequest(clue_id="case-0f6c2f7e-8a41-4b8e-9b7e-3c1d2a4b5c6d"), "clue_id"),
        (clues_pb.ApproveDisposalRequest(clue_id=CLUE, expected_version=2**64 - 1), "expected_version"),
        (clues_pb.SubmitOfficeLedgerRequest(office="complaints", month="2026-13"), "month"),
        (audit_pb.GetStreamHistoryRequest(stream_id="clue-\x00"), "stream_id"),
        (cases_pb.RecordActivityRequest(case_id="case-0f6c2f7e-8a41-4b8e-9b7e-3c1d2a4b5c6d", activity=1), "recording"),
    ],
)
def test_each_broken_rule_names_its_field(request_, field):
    assert refused(request_).field == field


@pytest.mark.parametrize(
    "at, nanos",
    [
        (datetime(1, 1, 1, tzinfo=timezone.utc), None),
        (datetime(1970, 1, 1, tzinfo=timezone.utc), None),
        (datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone.utc), None),
        (NOW + timedelta(seconds=301), None),
        (datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc), 999_999_999),
        (NOW, 1_000_000_000),
        (NOW, -1),
    ],
)
def test_a_past_time_lies_between_the_earliest_date_and_now_plus_the_skew(at, nanos):
    assert refused(clue(received_at=ts(at, nanos))).field == "received_at"


def test_times_at_the_edges_pass():
    for at in (datetime(2000, 1, 1, tzinfo=timezone.utc), NOW + timedelta(seconds=300)):
        contract.check(clue(received_at=ts(at)))


def test_seconds_outside_protobufs_range_are_refused_not_raised():
    bad = timestamp_pb2.Timestamp(seconds=2**62)
    assert "outside the range" in str(refused(clue(received_at=bad)))
    assert refused(control_pb2.SetClockRequest(at=timestamp_pb2.Timestamp(seconds=-(2**62)))).field == "at"


def test_planned_times_may_lie_ahead_within_the_horizon():
    notice = clues_pb.IssueSupervisionNoticeRequest(
        clue_id=CLUE, notice_id="DOC 2026/17", required="DISPOSED", due_at=ts(NOW + timedelta(days=30))
    )
    contract.check(notice)
    notice.due_at.CopyFrom(ts(NOW + timedelta(days=3661)))
    assert refused(notice).field == "due_at"


def test_a_query_period_is_ordered_and_at_most_the_configured_span():
    take = clues_pb.GetStockTakeRequest(start=ts(datetime(2026, 1, 1, tzinfo=timezone.utc)), end=ts(NOW), purpose="p")
    contract.check(take)
    backwards = clues_pb.GetStockTakeRequest(
        start=ts(NOW), end=ts(datetime(2026, 1, 1, tzinfo=timezone.utc)), purpose="p"
    )
    assert refused(backwards).field == "end"
    short = Contract(FixedClock(NOW), Limits(max_span=timedelta(days=31)))
    with pytest.raises(RuleBroken, match="at most 31 days"):
        short.check(take)


def test_limits_are_configuration():
    strict = Contract(FixedClock(NOW), Limits(earliest=datetime(2020, 1, 1, tzinfo=timezone.utc), max_page=10))
    with pytest.raises(RuleBroken, match="2020-01-01"):
        strict.check(clue(received_at=ts(datetime(2019, 6, 1, tzinfo=timezone.utc))))
    with pytest.raises(RuleBroken, match="REQUEST_MAX_PAGE"):
        strict.check(clues_pb.ListCluesRequest(limit=11))


def test_optional_fields_may_be_empty_and_required_ones_may_not():
    contract.check(clues_pb.ListCluesRequest(purpose="the queue"))
    assert refused(clues_pb.ListCluesRequest()).field == "purpose"  # every read states why
    contract.check(audit_pb.GetHistoryRequest(subject=CLUE, purpose="quality review"))
    assert refused(audit_pb.GetHistoryRequest()).field == "subject"
    assert "required" in str(
        refused(clues_pb.IssueSupervisionNoticeRequest(clue_id=CLUE, notice_id="n", required="DISPOSED"))
    )


def test_the_message_says_what_is_allowed():
    message = str(refused(clues_pb.ListCluesRequest(stage="open")))
    assert "RECEIVED" in message and "CASE_FILED" in message
    assert "U+0000" in str(refused(clue(summary="a\x00")))
    assert "4000" in str(refused(clue(summary="y" * 5000)))


@pytest.mark.parametrize("month", ["0000-01", "1999-12", "2037-01", "9999-12"])
def test_a_month_lies_in_the_query_window(month):
    request = clues_pb.GetReconciliationRequest(office="complaints", month=month)
    assert "REQUEST_EARLIEST_DATE" in str(refused(request))


def test_months_and_clue_numbers_at_their_edges_pass():
    contract.check(clues_pb.GetReconciliationRequest(office="complaints", month="2000-01", purpose="p"))
    contract.check(clues_pb.GetReconciliationRequest(office="complaints", month="2036-12", purpose="p"))
    long_office = "o" * 64
    contract.check(
        clues_pb.SubmitOfficeLedgerRequest(
            office="complaints",
            month="2026-11",
            entries=[
                clues_pb.OfficeLedgerEntry(clue=f"{long_office}-2026-0042", status="REGISTERED"),
                clues_pb.OfficeLedgerEntry(clue="京纪〔2026〕12", status="CLOSED"),
            ],
        )
    )
