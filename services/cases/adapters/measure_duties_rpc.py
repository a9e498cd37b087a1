"""The gRPC calls of the duties common to measures (services.cases.domain.measure_duties): translate
and delegate, as the rest of `grpc_servicer.CaseServicer`, which takes them in as a mixin.

Execution by two staff (SL 44), the notice's deferral and its end, the release notice (SL 50 ¶1;
64), change requests and their decisions (SL 50 ¶2), the procuratorate taking custody (IR2025
134). A search, seizure or sealing's recording comes with EndMeasure (SL 44 ¶2); the leaders'
queue of expired measures is ListMeasures `expired_only` (SL 74(7)).
"""

from __future__ import annotations

from cases.v1 import events_pb2, service_pb2 as pb
from kernel.domain.errors import Validation
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import datetime_of, enum_word, timestamp
from services.cases.adapters import mapping
from services.cases.domain import events as ev, measure_duties as md, measure_safeguards as ms


def _message(cls, request, field: str):
    """The request's nested message `field` as `cls`, or None when unset."""
    return mapping.EVENTS.dataclass_of(cls, getattr(request, field)) if request.HasField(field) else None


class MeasureDutiesRpcs:
    """Needs `_measure`, `clock` and `handlers` of the servicer it is mixed into."""

    def _when(self, request, field: str, required: bool = True):
        if not request.HasField(field):
            if required:
                raise Validation(field, "required")
            return None
        return datetime_of(getattr(request, field), field, self.clock.now().tzinfo)

    @rpc("cases.measure", mutating=True)
    async def RecordMeasureExecution(self, request, context, call):
        staff = tuple(mapping.EVENTS.dataclass_of(ev.Staff, s) for s in request.staff)
        notice, record = (
            _message(ev.Document, request, "written_notice"),
            _message(ev.Document, request, "signed_record"),
        )
        executed = self._when(request, "executed_at")
        # a search (SL 27; measure_safeguards): the warrant, witnesses, the searched person's sex
        warrant, sex = _message(ev.Document, request, "warrant"), enum_word(events_pb2.Sex, request.searched_sex)
        return await self._measure(
            request,
            call,
            pb.RecordMeasureExecutionResponse,
            lambda s, now: md.RecordExecution(
                request.measure_id.strip(),
                staff,
                notice,
                record,
                executed,
                call.principal,
                warrant,
                tuple(request.witnesses),
                sex,
            ),
        )

    @rpc("cases.measure", act="approve", mutating=True)
    async def DeferNotice(self, request, context, call):
        return await self._measure(
            request,
            call,
            pb.DeferNoticeResponse,
            lambda s, now: md.DeferNotice(request.measure_id.strip(), request.reason, now, call.principal),
        )

    @rpc("cases.measure", mutating=True)
    async def EndNoticeDeferral(self, request, context, call):
        unit, family = self._when(request, "unit_notified_at", False), self._when(request, "family_notified_at", False)
        return await self._measure(
            request,
            call,
            pb.EndNoticeDeferralResponse,
            lambda s, now: md.EndNoticeDeferral(
                request.measure_id.strip(), request.reason, now, call.principal, unit, family
            ),
        )

    @rpc("cases.measure", mutating=True)
    async def GiveReleaseNotice(self, request, context, call):
        unit, family = self._when(request, "unit_notified_at"), self._when(request, "family_notified_at")
        return await self._measure(
            request,
            call,
            pb.GiveReleaseNoticeResponse,
            lambda s, now: md.GiveReleaseNotice(request.measure_id.strip(), unit, family, call.principal),
        )

    @rpc("cases.measure", mutating=True)
    async def RequestMeasureChange(self, request, context, call):
        change_id = call.derived_id("change")
        applicant = enum_word(events_pb2.ChangeApplicant, request.applicant)
        asked = enum_word(events_pb2.ChangeAsked, request.asked)
        received = self._when(request, "received_at", False) or self.clock.now()
        result = await self._measure(
            request,
            call,
            lambda **r: r,
            lambda s, now: md.RequestChange(
                request.measure_id.strip(),
                change_id,
                applicant,
                request.applicant_name,
                asked,
                request.grounds,
                received,
                call.principal,
            ),
        )
        due = received + self.handlers.rules.duties.change_within  # as the request recorded it (SL 50 ¶2)
        return pb.RequestMeasureChangeResponse(**result, change_id=change_id, due=timestamp(due))

    @rpc("cases.measure", act="approve", mutating=True)
    async def DecideMeasureChange(self, request, context, call):
        return await self._measure(
            request,
            call,
            pb.DecideMeasureChangeResponse,
            lambda s, now: md.DecideChange(
                request.measure_id.strip(),
                request.change_id.strip(),
                request.granted,
                request.reasons,
                now,
                call.principal,
            ),
        )

    @rpc("cases.custody", mutating=True)
    async def TransferCustody(self, request, context, call):
        document, taken = _message(ev.Document, request, "document"), self._when(request, "taken_at")
        started = []
        result = await self._measure(
            request,
            call,
            lambda **r: r,
            lambda s, now: (
                started.append(s.starts_at)
                or md.TransferCustody(request.measure_id.strip(), document, taken, call.principal)
            ),
        )
        if not started:  # a retried request: answered from its first run, the measure read as stored
            runner = self.handlers.measures
            stored = await runner.load(self.handlers.store, runner.stream_id(request.measure_id.strip(), "measure_id"))
            started.append(stored.state.starts_at)
        days = ms.offset_days(started[-1], taken, self.handlers.rules.safeguards.part_day)  # as recorded (SL 50 ¶4)
        return pb.TransferCustodyResponse(
            **result, detention_days=days, control_offset_days=2 * days, prison_offset_days=days
        )
