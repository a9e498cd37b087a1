"""clues.v1.TourService over gRPC against PostgreSQL (issue 27; seed 001, domain.md §5 "problems per
tour round"): a round's problem ledger kept item by item to the end (RECORDED → TRANSFERRED →
RECTIFIED → CLOSED, 销账), a second round of the same unit told what is still open (carried over),
the ledger by round and by unit across rounds; a clue transfer registers its clues through
RegisterClueBatch's path, all or nothing, each linked to the round; errors name the field or the
state; need to know (domain.md §1); the ledger rebuilt from the events is the live one."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from clues.v1 import events_pb2 as cev, service_pb2 as cpb, tour_events_pb2 as tev, tours_pb2 as pb, tours_pb2_grpc
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.edge.mapping import timestamp as ts
from kernel.eventstore.envelope import parse
from kernel.eventstore.projections import rebuild
from services.clues import rebuild as clues_hook
from services.clues.main import build as build_clues
from tests.factories import call_metadata, service_settings
from tests.stories import reads_of

pytestmark = pytest.mark.integration

OFFICER = Principal("commission", "inspection_tour", "tour_officer", "u-tour")
MANAGER = Principal("commission", "case_management", "case_manager", "u-cm")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
LIAISON = Principal("commission", "supervision_1", "supervisor", "u-s1")
OTHER = Principal("commission", "supervision_2", "supervisor", "u-s2")
S = pb.TourProblemState


@pytest.fixture(scope="module")
async def clues(database_url, bootstrap, tmp_path_factory):
    prefix = f"tr{uuid.uuid4().hex[:8]}"
    settings = service_settings(
        "clues", database_url, bootstrap, prefix, tmp_path_factory.mktemp("tours"), database_schema=f"clues_{prefix}"
    )
    host = await build_clues(settings).start()
    yield host
    await host.stop()


class Tours:
    def __init__(self, host, channel):
        self.host, self.stub = host, tours_pb2_grpc.TourServiceStub(channel)

    async def __call__(self, rpc: str, who: Principal = OFFICER, request_id: str | None = None, **fields):
        request = getattr(pb, f"{rpc}Request")(**fields)
        md = call_metadata(self.host.settings, who, request_id=request_id or str(uuid.uuid4()), correlation="corr-tour")
        return await getattr(self.stub, rpc)(request, metadata=md)

    async def refused(self, rpc: str, who: Principal = OFFICER, **fields) -> tuple[str, str]:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await self(rpc, who, **fields)
        return err.value.code().name, err.value.details()


@pytest.fixture
async def tours(clues):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as channel:
        yield Tours(clues, channel)


def unit() -> str:
    return f"unit_{uuid.uuid4().hex[:8]}"


async def opened(tours, *units: str, reference: str = "2019 第二轮") -> pb.OpenTourRoundResponse:
    return await tours(
        "OpenTourRound",
        reference=reference,
        kind=tev.TOUR_KIND_REGULAR,
        units=[pb.TourUnit(code=u, name=f"单位 {u}") for u in units],
        starts_on=day(4, 1),
        ends_on=day(6, 30),
    )


def found(*units: str) -> list[pb.NewTourProblem]:
    return [pb.NewTourProblem(unit=u, category="营商环境", description=f"问题 {k} at {u}") for k, u in enumerate(units)]


def day(month: int, d: int):
    return ts(datetime(2019, month, d, 9, tzinfo=timezone.utc))


def due(days: int = 30):
    return ts(datetime.now(timezone.utc) + timedelta(days=days))


async def test_a_round_s_problems_go_through_to_closed_item_by_item_seed_001(clues, tours):
    a, b = unit(), unit()
    rnd = await opened(tours, a, b)
    assert rnd.version == 1 and list(rnd.carried_over) == []
    rid = rnd.round_id
    rec = await tours("RecordTourProblems", round_id=rid, problems=found(a, a, b), expected_version=1)
    assert list(rec.problem_ids) == [f"{rid}#1", f"{rid}#2", f"{rid}#3"] and rec.version == 4
    p1 = rec.problem_ids[0]
    await tours("TransferTourProblem", round_id=rid, problem_id=p1, responsible_unit=a, due_at=due())
    await tours("ReportProblemRectified", round_id=rid, problem_id=p1, rectification="已整改")
    closed = await tours("CloseTourProblem", round_id=rid, problem_id=p1)
    await tours(
        "IssueSuggestionLetter", round_id=rid, letter_id="巡建〔2019〕1号", addressed_to="市发改委", problem_ids=[p1]
    )
    got = await tours("GetTourRound", round_id=rid, purpose="check the ledger")
    assert got.version == closed.version + 1 and got.open_problems == 2
    assert got.opened.reference == "2019 第二轮" and got.opened.office == "inspection_tour"
    assert [(p.problem_id, p.state) for p in got.problems] == [
        (p1, S.TOUR_PROBLEM_STATE_CLOSED),
        (rec.problem_ids[1], S.TOUR_PROBLEM_STATE_RECORDED),
        (rec.problem_ids[2], S.TOUR_PROBLEM_STATE_RECORDED),
    ]
    first = got.problems[0]
    assert (first.responsible_unit, first.rectification) == (a, "已整改") and first.HasField("closed_at")
    assert [(x.letter_id, list(x.problem_ids)) for x in got.letters] == [("巡建〔2019〕1号", [p1])]
    listed = await tours("ListTourProblems", round_id=rid, open_only=True, purpose="open items")
    assert [p.problem_id for p in listed.problems] == list(rec.problem_ids[1:])
    assert ("u-tour", "tours.read/GetTourRound", "check the ledger") in await reads_of(clues, rid)
    stored = [e.event_type for e in await clues.store.read_stream(rid)]
    assert stored == [
        "clues.v1.TourRoundOpened",
        *["clues.v1.TourProblemRecorded"] * 3,
        "clues.v1.TourProblemTransferred",
        "clues.v1.TourProblemRectified",
        "clues.v1.TourProblemClosed",
        "clues.v1.TourSuggestionLetterIssued",
    ]


async def test_a_second_round_of_the_same_unit_is_told_what_is_still_open(tours):
    a, b = unit(), unit()
    first = await opened(tours, a, b, reference="2019 第一轮")
    rec = await tours("RecordTourProblems", round_id=first.round_id, problems=found(a, a, b))
    done, still, elsewhere = rec.problem_ids
    await tours("TransferTourProblem", round_id=first.round_id, problem_id=done, responsible_unit=a, due_at=due())
    await tours("ReportProblemRectified", round_id=first.round_id, problem_id=done, rectification="已整改")
    await tours("CloseTourProblem", round_id=first.round_id, problem_id=done)
    await tours("TransferTourProblem", round_id=first.round_id, problem_id=still, responsible_unit=a, due_at=due(1))
    second = await opened(tours, a, reference="2019 第八轮")
    assert [(p.problem_id, p.state, p.round_reference) for p in second.carried_over] == [
        (still, S.TOUR_PROBLEM_STATE_TRANSFERRED, "2019 第一轮")
    ]  # not the closed one, not unit b's
    got = await tours("GetTourRound", round_id=second.round_id, purpose="p")
    assert list(got.opened.carried_over) == [still]
    await tours("RecordTourProblems", round_id=second.round_id, problems=found(a))
    ledger = await tours("ListTourProblems", unit=a, purpose="the unit's ledger across rounds")
    assert [p.problem_id for p in ledger.problems] == [done, still, f"{second.round_id}#1"]
    open_ = await tours("ListTourProblems", unit=a, open_only=True, purpose="未结账")
    assert [p.problem_id for p in open_.problems] == [still, f"{second.round_id}#1"]
    assert elsewhere not in [p.problem_id for p in ledger.problems]


def clue(person: str, source=cev.CLUE_SOURCE_INSPECTION_TOUR, **fields) -> cpb.RegisterClueRequest:
    subjects = fields.pop(
        "subjects", [identity_pb2.PersonRef(person_id=person, name="张三", post="局长", unit="市某局")]
    )
    return cpb.RegisterClueRequest(source=source, subjects=subjects, summary="巡视发现的问题线索", **fields)


async def clue_registered(clues, clue_id: str) -> cev.ClueRegistered:
    (first, *_) = await clues.store.read_stream(clue_id)
    msg = cev.ClueRegistered()
    parse(first.envelope).payload.Unpack(msg)
    return msg


async def count_clues(clues) -> int:
    return await clues.pool.fetchval(f"SELECT count(*) FROM {clues.store.schema}.ledger")


async def test_a_clue_transfer_is_all_or_nothing_and_links_each_clue_to_the_round(clues, tours):
    rnd = await opened(tours, unit())
    rid, before = rnd.round_id, await count_clues(clues)
    twice = [identity_pb2.PersonRef(person_id="P-9", name="李四"), identity_pb2.PersonRef(person_id="P-9", name="李四")]
    code, details = await tours.refused(
        "TransferTourClues", round_id=rid, batch_reference="移交 1", clues=[clue("P-1"), clue("P-2", subjects=twice)]
    )
    assert code == "INVALID_ARGUMENT" and details.startswith("clues[1].subjects[1].person_id")
    code, details = await tours.refused(
        "TransferTourClues",
        round_id=rid,
        batch_reference="移交 1",
        clues=[clue("P-1"), clue("P-2", source=cev.CLUE_SOURCE_PETITION)],
    )
    assert code == "INVALID_ARGUMENT" and details.startswith("clues[1].source")
    assert await count_clues(clues) == before  # nothing registered
    done = await tours("TransferTourClues", round_id=rid, batch_reference="移交 1", clues=[clue("P-1"), clue("P-2")])
    assert len(done.clue_ids) == 2 and done.version == 2
    for clue_id in done.clue_ids:
        registered = await clue_registered(clues, clue_id)
        assert (registered.tour_round_id, registered.source, registered.batch_reference) == (
            rid,
            cev.CLUE_SOURCE_INSPECTION_TOUR,
            "移交 1",
        )
    got = await tours("GetTourRound", round_id=rid, purpose="p")
    assert [(t.batch_reference, list(t.clue_ids), list(t.person_ids)) for t in got.transfers] == [
        ("移交 1", list(done.clue_ids), ["P-1", "P-2"])
    ]
    # the same batch again: the round refuses it, and the clues registered before it are undone
    middle = await count_clues(clues)
    code, details = await tours.refused(
        "TransferTourClues", round_id=rid, batch_reference="移交 1", clues=[clue("P-3")]
    )
    assert code == "INVALID_ARGUMENT" and details.startswith("batch_reference")
    assert await count_clues(clues) == middle
    # a retry of the same request answers the first result
    rid2 = (await opened(tours, unit())).round_id
    request_id = str(uuid.uuid4())
    one = await tours(
        "TransferTourClues", request_id=request_id, round_id=rid2, batch_reference="B", clues=[clue("P-4")]
    )
    again = await tours(
        "TransferTourClues", request_id=request_id, round_id=rid2, batch_reference="B", clues=[clue("P-4")]
    )
    assert one == again


async def test_errors_name_the_field_or_the_state(tours):
    a = unit()
    rid = (await opened(tours, a)).round_id
    (p1,) = (await tours("RecordTourProblems", round_id=rid, problems=found(a))).problem_ids
    cases = [
        (("CloseTourProblem", OFFICER), dict(round_id=rid, problem_id=p1), "FAILED_PRECONDITION", f"in state {p1} RECORDED"),
        (("ReportProblemRectified", OFFICER), dict(round_id=rid, problem_id=p1, rectification="x"), "FAILED_PRECONDITION", "RECORDED"),
        (("TransferTourProblem", OFFICER), dict(round_id=rid, problem_id=f"{rid}#7", responsible_unit=a, due_at=due()), "INVALID_ARGUMENT", "problem_id"),
        (("TransferTourProblem", OFFICER), dict(round_id=rid, problem_id=p1, responsible_unit=a, due_at=due(-1)), "INVALID_ARGUMENT", "due_at"),
        (("RecordTourProblems", OFFICER), dict(round_id=rid, problems=found("someone_else")), "INVALID_ARGUMENT", "problems[0].unit"),
        (("RecordTourProblems", OFFICER), dict(round_id=rid, problems=found(a), expected_version=1), "ABORTED", ""),
        (("RecordTourProblems", OFFICER), dict(round_id=f"tour-{uuid.uuid4()}", problems=found(a)), "NOT_FOUND", ""),
        (("RecordTourProblems", OFFICER), dict(round_id=f"clue-{uuid.uuid4()}", problems=found(a)), "INVALID_ARGUMENT", "round_id"),
        (("OpenTourRound", OFFICER), dict(reference="R", kind=tev.TOUR_KIND_SPECIAL, units=[pb.TourUnit(code=a, name="n")], starts_on=day(5, 1), ends_on=day(4, 1)), "INVALID_ARGUMENT", "ends_on"),
        (("OpenTourRound", OFFICER), dict(reference="R", kind=tev.TOUR_KIND_SPECIAL, units=[pb.TourUnit(code=a, name="n")] * 2, starts_on=day(4, 1), ends_on=day(5, 1)), "INVALID_ARGUMENT", "units[1].code"),
        (("RecordTourProblems", MANAGER), dict(round_id=rid, problems=found(a)), "PERMISSION_DENIED", ""),
        (("GetTourRound", OTHER), dict(round_id=rid, purpose="p"), "NOT_FOUND", ""),
    ]  # fmt: skip
    for (rpc, who), fields, code, named in cases:
        got, details = await tours.refused(rpc, who, **fields)
        assert (got, named in details) == (code, True), (rpc, fields, details)


async def test_need_to_know_a_round_and_its_ledger_domain_md_1(tours):
    a = unit()
    rid = (await opened(tours, a)).round_id
    await tours("RecordTourProblems", round_id=rid, problems=found(a))
    for who in (MANAGER, HEAD, LIAISON, OFFICER):
        assert (await tours("GetTourRound", who, round_id=rid, purpose="p")).round_id == rid
        assert len((await tours("ListTourProblems", who, unit=a, purpose="p")).problems) == 1
    assert list((await tours("ListTourProblems", OTHER, unit=a, purpose="p")).problems) == []


async def test_the_problem_ledger_rebuilt_from_the_events_is_the_live_one(clues, tours):
    a = unit()
    rid = (await opened(tours, a)).round_id
    p1, _ = (await tours("RecordTourProblems", round_id=rid, problems=found(a, a))).problem_ids
    await tours("TransferTourProblem", round_id=rid, problem_id=p1, responsible_unit=a, due_at=due())
    (projection,) = [p for p in clues_hook.projections({}) if p.name == "tour_problems"]
    async with clues.pool.acquire() as conn:
        assert (await rebuild(conn, clues.store.schema, projection, replace=False)).equal
