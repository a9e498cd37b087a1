"""Thin gRPC edge of `audit.v1.StatisticsService` (issue 27; domain.md §5): translate, delegate to
`app.statistics.Statistics`, put the read on the record (`kernel.eventstore.reads.record_read`: the
offices counted as the files read, the statistic and period as the query) before the answer leaves.
Errors are mapped in kernel.edge.grpc_server.
"""

from __future__ import annotations

from audit.v1 import statistics_pb2 as pb, statistics_pb2_grpc
from common.v1 import person_pb2
from kernel.domain.clock import Clock
from kernel.domain.errors import Validation
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import datetime_of, enum_word, timestamp
from kernel.eventstore.reads import FileRef, record_read
from kernel.eventstore.store import EventStore
from services.audit.app.statistics import Answer, Statistics
from services.audit.domain.statistics import Evidence, Figure


def _evidence(e: Evidence) -> pb.Evidence:
    return pb.Evidence(
        event_id=e.event_id, leaf_index=e.leaf_index, stream_id=e.stream_id, person_id=e.person_id, what=e.what
    )


def figure_pb(f: Figure) -> pb.Figure:
    return pb.Figure(
        key=f.key,
        label=f.label,
        count=f.count,
        value=f.value,
        numerator_key=f.numerator_key,
        denominator_key=f.denominator_key,
        evidence=[_evidence(e) for e in f.evidence],
    )


def answer_pb(a: Answer) -> pb.GetStatisticResponse:
    return pb.GetStatisticResponse(
        statistic=pb.Statistic.Value(f"STATISTIC_{a.statistic}"),
        figures=[figure_pb(f) for f in a.figures],
        tree_size=a.tree_size,
        as_of=timestamp(a.as_of),
        offices=sorted(a.offices or ()),
    )


class StatisticsServicer(statistics_pb2_grpc.StatisticsServiceServicer):
    def __init__(self, statistics: Statistics, own: EventStore, clock: Clock):
        """`statistics`: the figures; `own`: audit's own store, where reads are recorded; `clock`: when."""
        self.statistics, self.own, self.clock = statistics, own, clock

    @rpc("audit.statistics")
    async def GetStatistic(self, request, context, call):
        statistic = enum_word(pb.Statistic, request.statistic)
        if not statistic:
            raise Validation("statistic", "required")
        start = datetime_of(request.period_start, "period_start")
        end = datetime_of(request.period_end, "period_end")
        now = self.clock.now()
        as_of = datetime_of(request.as_of, "as_of") if request.HasField("as_of") else now
        if as_of > now:
            raise Validation("as_of", "is in the future")
        level = enum_word(person_pb2.ManagementLevel, request.management_level)
        answer = await self.statistics.get(
            statistic,
            start,
            end,
            as_of=as_of,
            principal=call.principal,
            office=request.office,
            management_level=level,
        )
        files = [FileRef("office", o) for o in sorted(answer.offices or ())]
        query = f"{statistic} {start.isoformat()}..{end.isoformat()}" + (f" level={level}" if level else "")
        await record_read(self.own, call, "GetStatistic", request.purpose, files, now=now, query=query)
        return answer_pb(answer)
