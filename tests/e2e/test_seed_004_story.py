"""Seed 004 (Ningbo: strict supervision of problem clues) told against the running clues service,
its clock moved by the test through 2026, with audit recording what is published:

- a supervision notice issued in May with a 15 June due date; the clue fast-tracked through a
  preliminary check and closed; the notice met; another notice left unmet goes overdue on 16 June;
- a clue left alone turning yellow, then red, on schedule;
- the May reconciliation of a resident group finding exactly the four superior-assigned clues
  planted undisposed, with the office's other mistakes named;
- the half-year stock-take;
- bad input refused with a clear error and nothing left behind;
- issue 20, in September and December: a petition about the commission's own head routed straight
  to the upper level, never registered here and never seen by the head (CR 15; SL 67); the
  resident group's talk of April concluded with a reminder talk (谈话提醒), in effect only once the
  head approves it (Rules ch. 5); a planted clue shelved and closed at the year-end periodic
  clearing (定期清理) with the disposal approval (IR2021 168).
"""

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from clues.v1 import events_pb2 as ev_pb2, service_pb2 as pb
from common.v1 import identity_pb2
from kernel.domain.ids import timer_stream_id
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import parse, unpack
from services.audit.main import build as build_audit
from services.clues.main import build as build_clues
from tests.e2e.platforms import CLOCKED, FAST_JOIN, e2e_settings, start_together
from tests.e2e.test_clue_lifecycle import HEAD, INSPECTOR, Client, audit_history
from tests.e2e.test_clue_warnings import set_clock, warnings_of
from tests.factories import call_metadata, service_settings, ts, wait_until

CST = timezone(timedelta(hours=8))
RESIDENT = Principal("commission", "resident_group_1", "resident_officer", "u-res")
OTHER_RESIDENT = Principal("commission", "resident_group_2", "resident_officer", "u-res2")


def at(month, day, hour=9, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=CST)


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    prefix, data = f"s4{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("seed004")
    # a schema of its own: the stock-take counts every clue in it
    clues, audit = await start_together(
        [
            build_clues(e2e_settings("clues", database_url, bootstrap, prefix, data, **CLOCKED)).start(),
            build_audit(service_settings("audit", database_url, bootstrap, prefix, data, **FAST_JOIN)).start(),
        ]
    )
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch:
        yield clues, audit, Client(clues, ch)
    await clues.stop()
    await audit.stop()


async def clue(client, office, source=ev_pb2.CLUE_SOURCE_SUPERIOR_ASSIGNMENT, name="Zheng", summary="loans"):
    reg = await client(
        "RegisterClue",
        source=source,
        summary=summary,
        subjects=[identity_pb2.PersonRef(person_id=f"P-{uuid.uuid4().hex[:6]}", name=name)],
    )
    await client("ProposeRegistration", clue_id=reg.clue_id, handling_office=office)
    await client("ApproveRegistration", HEAD, clue_id=reg.clue_id)
    return reg.clue_id, (await client.get(reg.clue_id)).clue_number


async def dispose(client, clue_id, method):
    await client("ProposeDisposal", clue_id=clue_id, method=method, reason="specific and verifiable")
    await client("ApproveDisposal", HEAD, clue_id=clue_id)


async def notices(client, **filters):
    got = await client.stub.ListSupervisionNotices(
        pb.ListSupervisionNoticesRequest(**filters, purpose="track the notices"),
        metadata=call_metadata(client.host.settings),
    )
    return {n.notice_id: n for n in got.notices}


async def overdue_of(host, clue_id, seconds=30):
    for _ in range(seconds * 10):
        stored = await host.store.read_stream(timer_stream_id(clue_id))
        found = [
            unpack(parse(s.envelope), ev_pb2.SupervisionNoticeOverdue)
            for s in stored
            if s.event_type.endswith("SupervisionNoticeOverdue")
        ]
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{clue_id}: no SupervisionNoticeOverdue")


async def test_seed_004(platform):
    clues, audit, client = platform
    # April: a superior body assigns clues to the first resident group; four are never disposed
    await set_clock(clues, at(4, 1))
    planted = [await clue(client, "resident_group_1", name=f"Planted {i}") for i in range(4)]
    in_time, in_time_no = await clue(client, "resident_group_1", name="Handled")
    platform_clue, _ = await clue(
        client,
        "supervision_1",
        ev_pb2.CLUE_SOURCE_REPORTING_PLATFORM,
        "Zheng Mouomou",
        "police officer borrowing from people he serves",
    )
    await set_clock(clues, at(4, 8))
    await dispose(client, in_time, ev_pb2.DISPOSAL_METHOD_TALK_OR_LETTER)
    await dispose(client, platform_clue, ev_pb2.DISPOSAL_METHOD_PRELIM_CHECK)  # then left to lie

    # 6 May (after the Labour Day holiday): a petition reaches the resident group and is left alone
    await set_clock(clues, at(5, 6))
    alone, alone_no = await clue(client, "resident_group_1", ev_pb2.CLUE_SOURCE_PETITION, "Left Alone")
    unmet, _ = await clue(client, "supervision_2", ev_pb2.CLUE_SOURCE_PETITION, "Unmet")
    assert (await client.get(alone)).colour == ev_pb2.WARNING_COLOUR_GREEN
    await set_clock(clues, at(5, 18, 9, 1))  # 3 days before the 15-day deadline
    [yellow] = await warnings_of(clues, alone, 1)
    assert (yellow.colour, yellow.rule) == (ev_pb2.WARNING_COLOUR_YELLOW, "propose-disposal")

    # 20 May: case management's supervision notices, due 15 June
    await set_clock(clues, at(5, 20))
    for cid, notice in ((platform_clue, "DB-2026-07"), (unmet, "DB-2026-08")):
        await client(
            "IssueSupervisionNotice",
            clue_id=cid,
            notice_id=notice,
            due_at=ts(at(6, 15, 18)),
            required="CONCLUDED" if cid == platform_clue else "DISPOSED",
        )
    await set_clock(clues, at(5, 21, 9, 1))
    warnings = await warnings_of(clues, alone, 2)
    assert [w.colour for w in warnings] == [ev_pb2.WARNING_COLOUR_YELLOW, ev_pb2.WARNING_COLOUR_RED]
    assert (await client.get(alone)).colour == ev_pb2.WARNING_COLOUR_RED

    # fast-tracked: a joint team verifies, reports, the clue is closed (admonishment) in half a month
    await set_clock(clues, at(5, 25))
    await client(
        "SubmitPrelimCheckPlan",
        INSPECTOR,
        clue_id=platform_clue,
        work_plan="joint team: talks, evidence",
        team=["u-insp", "u-insp2"],
    )
    await client("ApprovePrelimCheckPlan", HEAD, clue_id=platform_clue)
    await set_clock(clues, at(6, 4))
    await client(
        "ReportPrelimCheck",
        INSPECTOR,
        clue_id=platform_clue,
        findings="borrowed from clients",
        proposal=ev_pb2.REPORT_PROPOSAL_CLOSE,
    )
    closed = await client("ApproveReport", HEAD, clue_id=platform_clue)
    assert closed.state == "CLOSED"
    assert (await notices(client, office="supervision_1"))["DB-2026-07"].satisfied_at.ToDatetime(CST) == at(6, 4)

    # 3 June: the resident group submits its May ledger
    await set_clock(clues, at(6, 3))
    entries = [pb.OfficeLedgerEntry(clue=number, status="REGISTERED") for _, number in planted]
    entries += [
        pb.OfficeLedgerEntry(clue=in_time_no, status="CLOSED"),  # it believes the talk is over
        pb.OfficeLedgerEntry(clue="RG1-2026-099", status="REGISTERED"),
    ]  # its own number, unknown
    err = await client.refused(
        "SubmitOfficeLedger", OTHER_RESIDENT, office="resident_group_1", month="2026-05", entries=entries
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND and err.details() == "office 'resident_group_1' not found"
    result = await client("SubmitOfficeLedger", RESIDENT, office="resident_group_1", month="2026-05", entries=entries)
    report = result.reconciliation
    kinds = {}
    for d in report.differences:
        kinds.setdefault(ev_pb2.DifferenceKind.Name(d.kind).removeprefix("DIFFERENCE_KIND_"), []).append(d.clue_id)
    assert sorted(kinds["ASSIGNED_NOT_DISPOSED"]) == sorted(cid for cid, _ in planted)
    assert kinds["MISSING_FROM_OFFICE"] == [alone]
    assert kinds["STATUS_DIFFERS"] == [in_time] and kinds["UNKNOWN_TO_CENTRAL"] == [""]
    assert set(kinds) == {"ASSIGNED_NOT_DISPOSED", "MISSING_FROM_OFFICE", "STATUS_DIFFERS", "UNKNOWN_TO_CENTRAL"}
    assert (report.listed, report.held, result.submission) == (6, 6, 1)
    assert report.as_of.ToDatetime(CST) == at(6, 1, 0) - timedelta(microseconds=1)
    stored = await client.stub.GetReconciliation(
        pb.GetReconciliationRequest(office="resident_group_1", month="2026-05", purpose="the May reconciliation"),
        metadata=call_metadata(clues.settings, RESIDENT),
    )
    assert stored.reconciliation == report

    # 16 June: the unmet notice is overdue, the met one is not
    await set_clock(clues, at(6, 16))
    [overdue] = await overdue_of(clues, unmet)
    assert overdue.notice_id == "DB-2026-08"
    assert list(await notices(client, overdue_only=True)) == ["DB-2026-08"]

    # 1 July: the half-year stock-take
    await set_clock(clues, at(7, 1))
    take = await client.stub.GetStockTake(
        pb.GetStockTakeRequest(start=ts(at(1, 1, 0)), end=ts(at(6, 30, 23, 59)), purpose="the half-year stock-take"),
        metadata=call_metadata(clues.settings),
    )
    assert take.received == 8
    assert dict(take.disposed_by_method) == {"TALK_OR_LETTER": 1, "PRELIM_CHECK": 1}
    assert dict(take.concluded_by_status) == {"CLOSED": 1}
    assert dict(take.open_by_stage) == {"REGISTERED": 6, "TALK_OR_LETTER": 1}
    assert take.overdue == 6 and take.open_by_colour["RED"] == 6
    assert (take.notices_issued, take.notices_met, take.notices_overdue) == (2, 1, 1)

    # what case management did is on the record, on Kafka, with who and when
    history = await audit_history(audit, report.reconciliation_id, expect=1)
    [recorded] = history.events
    assert recorded.envelope.principal.user == "u-res"
    assert {link.id for link in recorded.envelope.links} == {cid for cid, _ in planted} | {alone, in_time}
    steps = await audit_history(audit, platform_clue, expect=11)
    named = [(e.envelope.event_type.split(".")[-1], e.envelope.principal.user) for e in steps.events]
    assert ("SupervisionNoticeIssued", "u-alice") in named and named[-1] == ("SupervisionNoticeSatisfied", "u-head")


async def test_bad_input_is_refused_by_name_and_leaves_nothing(platform):
    clues, _, client = platform
    await set_clock(clues, at(8, 3))
    cid, _ = await clue(client, "resident_group_2")
    fresh = (
        await client(
            "RegisterClue",
            source=ev_pb2.CLUE_SOURCE_PETITION,
            summary="new",
            subjects=[identity_pb2.PersonRef(person_id="P-2", name="Qian")],
        )
    ).clue_id
    schema = clues.store.schema

    async def written():
        return (
            await clues.pool.fetchval(f"SELECT count(*) FROM {schema}.events"),
            await clues.pool.fetchval(f"SELECT count(*) FROM {schema}.requests"),
        )

    async def timers_settled():  # the earlier story's warnings, due at once when the clock moved
        return not await clues.pool.fetchval(
            f"SELECT count(*) FROM {schema}.timers WHERE status = 'pending' AND due_at <= $1", clues.clock.now()
        )

    await wait_until(timers_settled, what="the timers due at the moved clock to fire")
    before = await written()
    refusals = [
        ("RegisterClue", dict(source=ev_pb2.CLUE_SOURCE_PETITION, summary="s", subjects=[]), "subjects"),
        (
            "RegisterClue",
            dict(
                source=ev_pb2.CLUE_SOURCE_PETITION,
                summary="s",
                subjects=[identity_pb2.PersonRef(person_id="P-1", name=" ")],
            ),
            "subjects[0].name",
        ),
        ("ProposeRegistration", dict(clue_id=fresh, handling_office="nowhere"), "handling_office"),
        ("EscalateClue", dict(clue_id=cid, to_office="nowhere", reason="r"), "to_office"),
        (
            "IssueSupervisionNotice",
            dict(clue_id=cid, notice_id="DB-9", due_at=ts(at(8, 2)), required="DISPOSED"),
            "due_at",
        ),
        (
            "IssueSupervisionNotice",
            dict(clue_id=cid, notice_id="DB-9", to_office="nowhere", due_at=ts(at(9, 2)), required="DISPOSED"),
            "to_office",
        ),
        ("SubmitOfficeLedger", dict(office="nowhere", month="2026-07"), "office"),
        ("SubmitOfficeLedger", dict(office="resident_group_2", month="2026-09"), "month"),
        (
            "SubmitOfficeLedger",
            dict(
                office="resident_group_2", month="2026-07", entries=[pb.OfficeLedgerEntry(clue=cid, status="FINISHED")]
            ),
            "entries[0].status",
        ),
    ]
    for rpc, fields, field in refusals:
        err = await client.refused(rpc, **fields)
        assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, (rpc, err.details())
        assert err.details().startswith(f"{field}:"), (rpc, err.details())
    assert await written() == before
    # a request id reused with other content
    md = call_metadata(clues.settings, request_id="seed004-reused")
    await client.stub.EscalateClue(
        pb.EscalateClueRequest(clue_id=cid, to_office="supervision_1", reason="lead"), metadata=md
    )
    with pytest.raises(grpc.aio.AioRpcError) as reused:
        await client.stub.EscalateClue(
            pb.EscalateClueRequest(clue_id=fresh, to_office="supervision_1", reason="x"), metadata=md
        )
    assert reused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "x-request-id" in reused.value.details()
    assert await written() == (before[0] + 1, before[1] + 1)  # the first escalation only


async def test_seed_004_routing_talk_conclusion_and_periodic_clearing(platform):
    """Issue 20: domain.md §2's table as the law says, continuing the story."""
    clues, _, client = platform
    await set_clock(clues, at(9, 1))
    # a petition about the commission's own head: straight to the upper level (CR 15)
    about_head = (
        await client(
            "RegisterClue",
            source=ev_pb2.CLUE_SOURCE_PETITION,
            summary="the head's son-in-law won every tender",
            subjects=[identity_pb2.PersonRef(person_id=HEAD.user, name="the commission's head")],
            routing=ev_pb2.CLUE_ROUTING_ABOUT_OWN_HEAD,
            forward_to="superior_commission",
        )
    ).clue_id
    got = await client.get(about_head)
    assert (got.state, got.clue_number, got.pending_kind) == ("FORWARDED", "", "")  # no entry, no approval here
    err = await client.refused("GetClue", HEAD, clue_id=about_head, purpose="the head looks")
    assert err.code() == grpc.StatusCode.NOT_FOUND  # the head never sees it (SL 67)
    [forwarded] = [
        unpack(parse(s.envelope), ev_pb2.ClueForwarded)
        for s in await clues.store.read_stream(about_head)
        if s.event_type.endswith("ClueForwarded")
    ]
    assert (forwarded.to_agency, forwarded.routing) == ("superior_commission", ev_pb2.CLUE_ROUTING_ABOUT_OWN_HEAD)

    # the resident group's talk of April (it believed it over in May): reported, then approved
    queue = await client(
        "ListClues", RESIDENT, office="resident_group_1", stage="TALK_OR_LETTER", purpose="the talks still open"
    )
    [talk] = [c.clue_id for c in queue.clues]
    reported = await client(
        "ConcludeTalkOrLetter",
        RESIDENT,
        clue_id=talk,
        outcome=ev_pb2.TALK_OUTCOME_LIGHT_HANDLING,
        summary="explained the loans; repaid; reminded",
        light_handling=ev_pb2.LIGHT_HANDLING_TALK_REMINDER,
    )
    assert reported.state == "TALK_OR_LETTER"  # not in effect until approved (Rules ch. 5)
    err = await client.refused("ApproveTalkOrLetterConclusion", RESIDENT, clue_id=talk)
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED
    assert (await client("ApproveTalkOrLetterConclusion", HEAD, clue_id=talk)).state == "CLOSED"

    # a planted clue shelved, then closed at the year-end periodic clearing (IR2021 168)
    planted = await client(
        "ListClues", RESIDENT, office="resident_group_1", stage="REGISTERED", purpose="the planted clues"
    )
    shelved = planted.clues[0].clue_id
    await dispose(client, shelved, ev_pb2.DISPOSAL_METHOD_SHELVED)
    await set_clock(clues, at(12, 28))
    proposed = await client(
        "ProposeClearing",
        RESIDENT,
        clue_id=shelved,
        method=ev_pb2.DISPOSAL_METHOD_CLOSED,
        reason="nothing new since April; the loans were repaid",
        clearing="2026 year-end clearing",
    )
    assert proposed.state == "SHELVED"
    assert (await client("ApproveDisposal", HEAD, clue_id=shelved)).state == "CLOSED"
    steps = [
        (s.event_type.split(".")[-1], parse(s.envelope).principal.user) for s in await clues.store.read_stream(shelved)
    ][-3:]
    assert steps == [("DisposalApproved", "u-head"), ("ClearingProposed", "u-res"), ("DisposalApproved", "u-head")]
