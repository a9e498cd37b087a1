"""Seed 001 in small (Beijing 2019: rounds, their problem ledgers, suggestion letters, clue transfers)
told end to end against the running clues and audit services over gRPC and Kafka (issue 27;
domain.md §5 "problems per tour round"): the tour office opens a round, records its problems and
sends a suggestion letter, transfers a batch of clues (each registered as a clue, linked to the
round); audit records the round's events from `clues.events.v1` and counts the round's problems and
letters from them (StatisticsService TOUR_PROBLEMS), each count resting on the round's own events."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import grpc
import pytest

from audit.v1 import statistics_pb2 as spb, statistics_pb2_grpc
from clues.v1 import events_pb2 as cev, service_pb2 as cpb, tour_events_pb2 as tev, tours_pb2 as pb, tours_pb2_grpc
from common.v1 import identity_pb2
from kernel.domain.principal import Principal
from kernel.edge.mapping import timestamp as ts
from tests.e2e.platforms import platform_fixture
from tests.factories import call_metadata, wait_until

pytestmark = pytest.mark.e2e

platform = platform_fixture("tr", ("clues", "audit"), clocked=None)

OFFICER = Principal("commission", "inspection_tour", "tour_officer", "u-tour")
MANAGER = Principal("commission", "case_management", "case_manager", "u-cm")
PROBLEMS = 12


async def call(host, stub, module, rpc: str, who: Principal, **fields):
    request = getattr(module, f"{rpc}Request")(**fields)
    md = call_metadata(host.settings, who, request_id=str(uuid.uuid4()), correlation="corr-tour-story")
    return await getattr(stub, rpc)(request, metadata=md)


async def test_a_round_s_problems_and_letters_are_counted_by_audit_from_its_events_seed_001(platform):
    clues, audit = platform
    async with (
        grpc.aio.insecure_channel(f"127.0.0.1:{clues.port}") as ch1,
        grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch2,
    ):
        tours, stats = tours_pb2_grpc.TourServiceStub(ch1), statistics_pb2_grpc.StatisticsServiceStub(ch2)

        async def tour(rpc: str, **fields):
            return await call(clues, tours, pb, rpc, OFFICER, **fields)

        rnd = await tour(
            "OpenTourRound",
            reference="2019 第二轮",
            kind=tev.TOUR_KIND_REGULAR,
            units=[pb.TourUnit(code="chaoyang", name="朝阳区"), pb.TourUnit(code="haidian", name="海淀区")],
            starts_on=ts(datetime(2019, 4, 1, 9, tzinfo=timezone.utc)),
            ends_on=ts(datetime(2019, 6, 30, 9, tzinfo=timezone.utc)),
        )
        rid = rnd.round_id
        found = [
            pb.NewTourProblem(unit=("chaoyang", "haidian")[k % 2], category="营商环境", description=f"问题 {k}")
            for k in range(PROBLEMS)
        ]
        ids = (await tour("RecordTourProblems", round_id=rid, problems=found)).problem_ids
        await tour(
            "IssueSuggestionLetter",
            round_id=rid,
            letter_id="巡建〔2019〕1号",
            addressed_to="市发改委",
            problem_ids=ids[:3],
        )
        due = ts(datetime.now(timezone.utc) + timedelta(days=30))
        await tour("TransferTourProblem", round_id=rid, problem_id=ids[0], responsible_unit="chaoyang", due_at=due)
        subjects = [identity_pb2.PersonRef(person_id="P-001-1", name="张三", post="局长", unit="朝阳区某局")]
        moved = await tour(
            "TransferTourClues",
            round_id=rid,
            batch_reference="2019 第二轮 移交 1",
            clues=[
                cpb.RegisterClueRequest(source=cev.CLUE_SOURCE_INSPECTION_TOUR, subjects=subjects, summary="巡视移交")
            ],
        )
        assert len(moved.clue_ids) == 1

        now = datetime.now(timezone.utc)
        ask = dict(
            statistic=spb.STATISTIC_TOUR_PROBLEMS,
            period_start=ts(now - timedelta(days=1)),
            period_end=ts(now + timedelta(days=1)),
            purpose="seed 001: problems per round",
        )
        figures: dict[str, spb.Figure] = {}

        async def counted() -> bool:
            answer = await call(audit, stats, spb, "GetStatistic", MANAGER, **ask)
            figures.clear()
            figures.update({f.key: f for f in answer.figures})
            # the round's figures appear with its first problem, the letter's count only once its
            # event (recorded after the problems) is in the ledger: wait for both counts
            letters = figures.get(f"letters:{rid}", spb.Figure()).count
            return figures.get(f"problems:{rid}", spb.Figure()).count == PROBLEMS and letters >= 1

        await wait_until(counted, 60, "audit counting the round's problems and letters")
        assert figures[f"letters:{rid}"].count == 1
        evidence = figures[f"problems:{rid}"].evidence
        assert {e.stream_id for e in evidence} == {rid} and len(evidence) == PROBLEMS
