"""The gRPC calls of the person's safeguards around measures (services.cases.domain.measure_safeguards):
translate and delegate, as the rest of `grpc_servicer.CaseServicer`, which takes them in as a mixin.

Property found unrelated to the case (SL 26, 28), complaints and their upper review (SL 69). A
search's warrant, witnesses and sexes come with RecordMeasureExecution (SL 27), the offset of the
days in detention with TransferCustody (SL 50 ¶4): `measure_duties_rpc`.
"""

from __future__ import annotations

from cases.v1 import events_pb2, service_pb2 as pb
from kernel.domain.calendar import plus_months
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import enum_word, timestamp
from services.cases.domain import measure_safeguards as ms


class MeasureSafeguardsRpcs:
    """Needs `_measure`, `_when`, `clock` and `handlers` of the servicer it is mixed into."""

    @rpc("cases.measure", mutating=True)
    async def RecordUnrelatedProperty(self, request, context, call):
        found = self._when(request, "found_at", False) or self.clock.now()
        result = await self._measure(
            request,
            call,
            lambda **r: r,
            lambda s, now: ms.FindUnrelated(request.measure_id.strip(), request.what, found, call.principal),
        )
        due = found + self.handlers.rules.safeguards.release_within  # as the finding recorded it (SL 26, 28)
        return pb.RecordUnrelatedPropertyResponse(**result, release_due=timestamp(due))

    @rpc("cases.measure", mutating=True)
    async def FileMeasureComplaint(self, request, context, call):
        complaint_id = call.derived_id("complaint")
        received = self._when(request, "received_at", False) or self.clock.now()
        result = await self._measure(
            request,
            call,
            lambda **r: r,
            lambda s, now: ms.FileComplaint(
                request.measure_id.strip(),
                complaint_id,
                enum_word(events_pb2.Complainant, request.complainant),
                request.complainant_name,
                enum_word(events_pb2.ComplaintGround, request.ground),
                request.detail,
                received,
                call.principal,
            ),
        )
        due = plus_months(received, ms.DECIDED_WITHIN)  # as the complaint recorded it (SL 69)
        return pb.FileMeasureComplaintResponse(**result, complaint_id=complaint_id, due=timestamp(due))

    @rpc("cases.measure", act="approve", mutating=True)
    async def DecideMeasureComplaint(self, request, context, call):
        return await self._measure(
            request,
            call,
            pb.DecideMeasureComplaintResponse,
            lambda s, now: ms.DecideComplaint(
                request.measure_id.strip(),
                request.complaint_id.strip(),
                request.upheld,
                request.reasons,
                now,
                call.principal,
                request.review,
            ),
        )

    @rpc("cases.measure", mutating=True)
    async def SeekComplaintReview(self, request, context, call):
        sought = self._when(request, "sought_at", False) or self.clock.now()
        result = await self._measure(
            request,
            call,
            lambda **r: r,
            lambda s, now: ms.SeekComplaintReview(
                request.measure_id.strip(), request.complaint_id.strip(), sought, call.principal
            ),
        )
        due = plus_months(sought, ms.REVIEW_DECIDED_WITHIN)  # as the request recorded it (SL 69)
        return pb.SeekComplaintReviewResponse(**result, due=timestamp(due))


def safeguards_line(row: dict) -> dict:
    """The safeguards' part of a measure line (SL 26, 28, 69)."""
    at = lambda key: timestamp(row[key]) if row.get(key) else None  # noqa: E731
    return dict(
        unrelated_at=at("unrelated_at"),
        release_due=at("release_due"),
        release_overdue=bool(row.get("release_overdue")),
        released_at=at("released_at"),
        complaints_pending=row.get("complaints_pending") or 0,
        complaint_due=at("complaint_due"),
        complaint_overdue=bool(row.get("complaint_overdue")),
    )
