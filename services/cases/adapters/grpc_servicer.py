"""Thin gRPC edge of the cases service: translate, delegate, map errors (in kernel.edge.grpc_server)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from cases.v1 import events_pb2, service_pb2 as pb, service_pb2_grpc
from common.v1 import awaiting_pb2, identity_pb2
from kernel.domain import facts as person_facts
from kernel.domain.clock import Clock
from kernel.domain.errors import Validation
from kernel.domain.ids import check_stream_id
from kernel.domain.meetings import Consultation
from kernel.edge.catalogue import office_code
from kernel.edge.common_values import facts_from_pb, meeting_from_pb
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import datetime_of, enum_value, enum_word, persons_from_pb, timestamp
from kernel.eventstore.reads import FileRef, record_read
from services.cases.adapters import mapping
from services.cases.adapters.measure_duties_rpc import MeasureDutiesRpcs
from services.cases.adapters.measure_safeguards_rpc import MeasureSafeguardsRpcs, safeguards_line
from services.cases.app import case_index, measure_ledger, measure_related
from services.cases.app.handlers import CaseHandlers
from services.cases.domain import awaiting as aw, commands as c, events as ev, measures as m
from services.cases.domain.state import Case

MAX_LIST = 1000


def _at(request, field: str, clock: Clock):
    """A required timestamp of the request, as an aware datetime."""
    if not request.HasField(field):
        raise Validation(field, "required")
    return datetime_of(getattr(request, field), field, clock.now().tzinfo)


def _optional(cls, request, field: str):
    """The request's nested message `field` as `cls`, or None when unset."""
    return mapping.EVENTS.dataclass_of(cls, getattr(request, field)) if request.HasField(field) else None


def _nested(cls, msgs) -> tuple:
    return tuple(mapping.EVENTS.dataclass_of(cls, msg) for msg in msgs)


def case_to_pb(state: Case, version: int, case_id: str, liaison: str = "") -> pb.GetCaseResponse:
    opened = state.opened
    if opened is None:  # a proposal refused on arrival: nothing but the refusal
        return pb.GetCaseResponse(case_id=case_id, version=version, state=state.status)
    return pb.GetCaseResponse(
        case_id=opened.case_id,
        version=version,
        state=state.status,
        clue_id=opened.clue_id,
        clue_number=opened.clue_number,
        origin_case_id=opened.origin_case_id,
        subjects=[mapping.EVENTS.message(identity_pb2.PersonRef, s) for s in opened.subjects],
        handling_office=state.holder,
        liaison_office=liaison,
        hand_over_to=state.hand_over.to_office if state.hand_over else "",
        proposed_by=opened.proposed_by,
        approvals=[
            pb.FilingApproval(
                side=enum_value(events_pb2.FilingSide, a.side), approver_role=a.approver_role, approved_by=a.approved_by
            )
            for a in state.approvals
        ],
        filed_at=timestamp(state.filed_at) if state.filed_at else None,
        trial_review_due=timestamp(state.trial_review_due) if state.trial_review_due else None,
        proposals=[mapping.EVENTS.message(events_pb2.Outcome, o) for o in state.proposals],
        heard=state.heard,
        outcomes=[mapping.EVENTS.message(events_pb2.Outcome, o) for o in state.outcomes],
        accountability_case_ids=state.accountability_case_ids,
        quality_grade=enum_value(events_pb2.QualityGrade, state.quality_grade),
        sides_needed=[enum_value(events_pb2.FilingSide, side) for side in sides_needed(state)],
        topic_meeting_held=state.topic_meeting is not None,
        return_proposed=enum_value(events_pb2.ReturnTarget, state.return_proposal.to) if state.return_proposal else 0,
        proposed_sanctions=[mapping.EVENTS.message(events_pb2.PersonSanctions, p) for p in state.proposed_sanctions],
        sanctions=[mapping.EVENTS.message(events_pb2.PersonSanctions, p) for p in state.sanctions],
        rehearing=state.rehearing,
    )


def filing_subjects(subjects) -> tuple[tuple[person_facts.PersonFacts, ...], tuple[ev.SubjectAtIssue, ...]]:
    """The filing report's subjects as person facts (only the parts stated) and what is at issue."""

    def part(msg, name: str, cls):
        return mapping.EVENTS.dataclass_of(cls, getattr(msg, name)) if msg.HasField(name) else None

    return (
        tuple(
            person_facts.PersonFacts(
                s.person_id.strip(),
                party=part(s, "party", person_facts.PartyMembership),
                official=part(s, "official", person_facts.PublicOfficial),
                cadre=part(s, "cadre", person_facts.Cadre),
            )
            for s in subjects
        ),
        tuple(ev.SubjectAtIssue(s.person_id.strip(), enum_word(events_pb2.AtIssue, s.at_issue)) for s in subjects),
    )


def sides_needed(state: Case) -> tuple[str, ...]:
    """The sides the filing needs: as stated (issue 18), both in filings recorded before."""
    if not state.opened.by_person:
        return ("PARTY", "SUPERVISION")
    return state.prepared.sides if state.prepared else ()


def line_to_pb(row: dict) -> pb.MeasureLine:
    return pb.MeasureLine(
        measure_id=row["measure_id"],
        case_id=row["case_id"],
        office=row["office"],
        kind=enum_value(events_pb2.MeasureKind, row["kind"]),
        person_id=row["person_id"],
        state=row["status"],
        starts_at=timestamp(row["starts_at"]) if row["starts_at"] else None,
        ends_at=timestamp(row["ends_at"]) if row["ends_at"] else None,
        extensions=row["extensions"],
        notice_given=row["notice_given"],
        notice_overdue=row["notice_overdue"],
        expired_not_ended=row["expired_not_ended"],
        clue_id=row.get("clue_id", ""),
        **_duties_line(row),
        **safeguards_line(row),  # property found unrelated, complaints (SL 26, 28, 69)
    )


def _duties_line(row: dict) -> dict:
    """The duties' part of a measure line (SL 44, 50; measure_duties)."""
    return dict(
        notice_deferred=row["notice_deferred"],
        notice_due=timestamp(row["notice_due"]) if row["notice_due"] else None,
        executed=row["executed"],
        changes_pending=row["changes_pending"],
        change_due=timestamp(row["change_due"]) if row["change_due"] else None,
        change_overdue=row["change_overdue"],
        release_notice_given=row["release_notice_given"],
        outcome=enum_value(events_pb2.MeasureOutcome, row["outcome"]) if row["outcome"] else 0,
    )


def awaiting_to_pb(a: aw.Awaited, state: Case, colour: str) -> awaiting_pb2.AwaitingItem:
    """One step a case awaits as the common item (issue 20)."""
    o = state.opened
    return awaiting_pb2.AwaitingItem(
        service="cases",
        file_id=o.case_id,
        reference=o.clue_number or o.case_id,
        step=a.step,
        summary=a.summary[:200],
        role=a.role,
        office=state.holder,
        since=timestamp(a.since) if a.since else None,
        due=timestamp(a.due) if a.due else None,
        colour=colour,
    )


def item_to_pb(row: dict) -> awaiting_pb2.AwaitingItem:
    """A row of `case_index.awaiting_me` as the common item."""
    return awaiting_pb2.AwaitingItem(
        service="cases",
        file_id=row["file_id"],
        reference=row["reference"],
        step=row["step"],
        summary=row["summary"],
        role=row["role"],
        office=row["holder"],
        since=timestamp(row["since"]) if row["since"] else None,
        due=timestamp(row["due"]) if row["due"] else None,
        colour=row["colour"],
    )


def summary_to_pb(row: dict) -> pb.CaseSummary:
    """A row of `case_index.cases`."""
    subjects = [identity_pb2.PersonRef(**s) for s in json.loads(row["subjects"])]
    return pb.CaseSummary(
        case_id=row["case_id"],
        clue_number=row["clue_number"],
        state=row["status"],
        handling_office=row["holder"],
        subjects=subjects,
        filed_at=timestamp(row["filed_at"]) if row["filed_at"] else None,
        due=timestamp(row["due"]) if row["due"] else None,
        colour=row["colour"],
        awaiting_steps=row["awaiting_steps"],
    )


class CaseServicer(MeasureDutiesRpcs, MeasureSafeguardsRpcs, service_pb2_grpc.CaseServiceServicer):
    """The calls of `measure_duties_rpc` (SL 44, 50; IR2025 134) and `measure_safeguards_rpc`
    (SL 26-28, 69) come in through the mixins."""

    def __init__(self, handlers: CaseHandlers, clock: Clock, offices: Mapping[str, object], may=None):
        """`may(principal, operation)`: the catalogue's (`Catalogue.may`), for the steps a holding
        office's members do (ListAwaitingMe); None: every role of the office may."""
        self.handlers, self.clock, self.offices = handlers, clock, offices
        self.may = may or (lambda principal, operation: True)

    def _office(self, value: str, field: str, optional: bool = False) -> str:
        return office_code(self.offices, value, field, optional)

    async def _run(self, handle, stream_id: str, request, call, response, command):
        """Run `command` (a function of the current state and now) on the aggregate `stream_id`."""
        now = self.clock.now()

        async def make(uow, state):
            return command(state, now)

        return response(**await handle(call, stream_id, request.expected_version, now, make))

    def _case(self, request, call, response, command):
        return self._run(self.handlers.handle, request.case_id, request, call, response, command)

    def _measure(self, request, call, response, command):
        return self._run(self.handlers.handle_measure, request.measure_id, request, call, response, command)

    async def _measure_reading(self, request, call, response, build):
        """Like `_measure`, when the command needs other measures read in its transaction (issue 19:
        `await build(uow, state, now)`)."""
        now = self.clock.now()

        async def make(uow, state):
            return await build(uow, state, now)

        handle = self.handlers.handle_measure
        return response(**await handle(call, request.measure_id, request.expected_version, now, make))

    def _other(self, uow, measure_id: str, field: str):
        return measure_related.related(uow, self.handlers.measures, measure_id, field)

    async def _read(self, call, rpc: str, purpose: str, files: list[FileRef], persons, query: str = "") -> None:
        """Every read on the record (domain.md §1), after it was answered, before the answer leaves."""
        await record_read(self.handlers.store, call, rpc, purpose, files, persons, now=self.clock.now(), query=query)

    @rpc("cases.read")
    async def GetCase(self, request, context, call):
        state, version = await self.handlers.get_case(call.principal, request.case_id)
        holding = self.handlers.cases.aggregate.holding(state)
        answer = case_to_pb(state, version, request.case_id.strip(), holding.liaison if holding else "")
        if state.opened is not None:  # what it still needs, by whom and by when (issue 20)
            colour = aw.colour(state, self.clock.now())
            answer.awaiting.extend(awaiting_to_pb(a, state, colour) for a in aw.case_awaited(state))
            answer.colour = colour
            if (stage_due := aw.due(state)) is not None and state.status in aw.STAGES:
                answer.investigation_due.CopyFrom(timestamp(stage_due))
        store, org = self.handlers.store, self.handlers.access.organisation
        measures = await measure_ledger.of_case(
            store.pool, store.schema, answer.case_id, call.principal, org, self.handlers.rules, MAX_LIST
        )
        answer.measure_ids.extend(measures)  # those that followed it from its clue too (SL 25, 41)
        persons = [s.person_id for s in state.subjects]
        files = [FileRef("case", answer.case_id)] + [FileRef("measure", mid) for mid in measures]
        await self._read(call, "GetCase", request.purpose, files, persons)
        return answer

    @rpc("cases.read")
    async def GetMeasure(self, request, context, call):
        state, version = await self.handlers.get_measure(call.principal, request.measure_id)
        row = self.handlers.ledger_row(state)
        row.update(measure_ledger.flags(row, self.clock.now()))
        files = [FileRef("measure", row["measure_id"])]
        await self._read(call, "GetMeasure", request.purpose, files, [row["person_id"]])
        line = line_to_pb(row)
        step = aw.measure_step(state, self.handlers.rules)  # the approval it awaits (issue 20)
        if step is not None:
            line.awaiting_step, line.awaiting_roles[:] = step.name, list(step.roles)
        return pb.GetMeasureResponse(measure=line, version=version)

    @rpc("cases.read")
    async def ListCases(self, request, context, call):
        """Only the cases the caller may know (need to know); the read is on the record (issue 20)."""
        office = self._office(request.office, "office", optional=True)
        person_id, state = request.person_id.strip(), request.state.strip()
        store, now = self.handlers.store, self.clock.now()
        found, token = await case_index.cases(
            store.pool,
            store.schema,
            call.principal,
            self.handlers.access,
            now,
            state=state,
            office=office,
            person_id=person_id,
            overdue_only=request.overdue_only,
            page_size=request.page_size,
            token=request.page_token,
        )
        files = [FileRef("case", r["case_id"]) for r in found]
        persons = sorted({p for r in found for p in r["person_ids"]})
        query = f"state={state} office={office} person_id={person_id} overdue_only={str(request.overdue_only).lower()}"
        await self._read(call, "ListCases", request.purpose, files, persons, query)
        return pb.ListCasesResponse(cases=[summary_to_pb(r) for r in found], next_page_token=token)

    @rpc("cases.read")
    async def ListAwaitingMe(self, request, context, call):
        """What waits for the caller's role and office, under need to know (issue 20)."""
        store, now = self.handlers.store, self.clock.now()
        found, token = await case_index.awaiting_me(
            store.pool,
            store.schema,
            call.principal,
            self.handlers.access,
            self.may,
            now,
            request.page_size,
            request.page_token,
            self.handlers.rules.duties.custody_kinds,  # IR2025 134
        )
        files = list({(r["file_id"], r["kind"]): FileRef(r["kind"], r["file_id"]) for r in found}.values())
        persons = sorted({p for r in found for p in r["person_ids"]})
        await self._read(call, "ListAwaitingMe", request.purpose, files, persons, "awaiting_me")
        return pb.ListAwaitingMeResponse(items=[item_to_pb(r) for r in found], next_page_token=token)

    @rpc("cases.read")
    async def ListMeasures(self, request, context, call):
        """Only the measures the caller may know (need to know): another office's ledger reads empty."""
        # SL 74(7): `expired_only` with no office is the leaders' queue of every office they may know
        office, now = self._office(request.office, "office", optional=request.expired_only), self.clock.now()
        store, org = self.handlers.store, self.handlers.access.organisation
        case_id = check_stream_id(request.case_id, "case", "case_id") if request.case_id.strip() else ""
        found = await measure_ledger.rows(
            store.pool,
            store.schema,
            office,
            request.open_only,
            now,
            call.principal,
            org,
            self.handlers.rules,
            MAX_LIST,
            case_id=case_id,
            expired_only=request.expired_only,
        )
        files = [FileRef("measure", r["measure_id"]) for r in found]
        query = f"office={office} open_only={str(request.open_only).lower()}"
        query += f" case_id={case_id}" if case_id else ""
        query += " expired_only=true" if request.expired_only else ""
        await self._read(call, "ListMeasures", request.purpose, files, [r["person_id"] for r in found], query)
        return pb.ListMeasuresResponse(measures=[line_to_pb(r) for r in found])

    # -- filing --------------------------------------------------------------------------------

    @rpc("cases.filing", mutating=True)
    async def PrepareFiling(self, request, context, call):
        stated, at_issue = filing_subjects(request.subjects)
        result = await self._case(
            request,
            call,
            dict,
            lambda s, now: c.PrepareFiling(
                request.case_id.strip(), stated, at_issue, request.serious, call.principal, request.facts_reason
            ),
        )
        state, _ = await self.handlers.get_case(call.principal, result["case_id"])
        sides = [enum_value(events_pb2.FilingSide, side) for side in sides_needed(state)]
        return pb.PrepareFilingResponse(**result, sides=sides)

    @rpc("cases.topic_meeting", mutating=True)
    async def RecordTopicMeeting(self, request, context, call):
        meeting = meeting_from_pb(request, "meeting", mapping.EVENTS)
        return await self._case(
            request,
            call,
            pb.RecordTopicMeetingResponse,
            lambda s, now: c.RecordTopicMeeting(request.case_id.strip(), meeting, call.principal),
        )

    @rpc("cases.filing", act="approve", mutating=True)
    async def ApproveFiling(self, request, context, call):
        side = enum_word(events_pb2.FilingSide, request.side)
        return await self._case(
            request,
            call,
            pb.ApproveFilingResponse,
            lambda s, now: c.ApproveFiling(request.case_id.strip(), side, request.plan, now, call.principal),
        )

    @rpc("cases.filing", act="approve", mutating=True)
    async def FastTrackFiling(self, request, context, call):
        return await self._case(
            request,
            call,
            pb.FastTrackFilingResponse,
            lambda s, now: c.FastTrackFiling(request.case_id.strip(), request.report, now, call.principal),
        )

    @rpc("cases.filing", act="approve", mutating=True)
    async def RejectFiling(self, request, context, call):
        return await self._case(
            request,
            call,
            pb.RejectFilingResponse,
            lambda s, now: c.RejectFiling(request.case_id.strip(), request.reason, now, call.principal),
        )

    # -- investigation and trial review --------------------------------------------------------

    @rpc("cases.investigate", mutating=True)
    async def StartInvestigation(self, request, context, call):
        announced, notified = _at(request, "announced_at", self.clock), _at(request, "unit_notified_at", self.clock)
        family, published = (
            _at(request, name, self.clock) if request.HasField(name) else None
            for name in ("family_notified_at", "published_at")
        )
        return await self._case(
            request,
            call,
            pb.StartInvestigationResponse,
            lambda s, now: c.StartInvestigation(
                request.case_id.strip(), announced, notified, call.principal, family, published, now
            ),
        )

    @rpc("cases.investigate", mutating=True)
    async def SendToTrialReview(self, request, context, call):
        return await self._case(
            request,
            call,
            pb.SendToTrialReviewResponse,
            lambda s, now: c.SendToTrialReview(request.case_id.strip(), request.report, now, call.principal),
        )

    @rpc("cases.trial_review", mutating=True)
    async def ReturnFromTrialReview(self, request, context, call):
        to = enum_word(events_pb2.ReturnTarget, request.to)
        return await self._case(
            request,
            call,
            pb.ReturnFromTrialReviewResponse,
            lambda s, now: c.ReturnFromTrialReview(request.case_id.strip(), to, request.reason, call.principal),
        )

    @rpc("cases.trial_review", act="approve", mutating=True)
    async def ApproveTrialReviewReturn(self, request, context, call):
        return await self._case(
            request,
            call,
            pb.ApproveTrialReviewReturnResponse,
            lambda s, now: c.ApproveTrialReviewReturn(request.case_id.strip(), call.principal),
        )

    @rpc("cases.trial_review", act="approve", mutating=True)
    async def RejectTrialReviewReturn(self, request, context, call):
        return await self._case(
            request,
            call,
            pb.RejectTrialReviewReturnResponse,
            lambda s, now: c.RejectTrialReviewReturn(request.case_id.strip(), request.reason, call.principal),
        )

    @rpc("cases.trial_review", act="approve", mutating=True)
    async def ExtendTrialReview(self, request, context, call):
        return await self._case(
            request,
            call,
            pb.ExtendTrialReviewResponse,
            lambda s, now: c.ExtendTrialReview(request.case_id.strip(), request.reason, call.principal, at=now),
        )

    @rpc("cases.trial_review", mutating=True)
    async def ConcludeTrialReview(self, request, context, call):
        proposals, sanctions = _nested(ev.Outcome, request.proposals), _nested(ev.PersonSanctions, request.sanctions)
        return await self._case(
            request,
            call,
            pb.ConcludeTrialReviewResponse,
            lambda s, now: c.ConcludeTrialReview(request.case_id.strip(), proposals, call.principal, sanctions),
        )

    @rpc("cases.trial_review", mutating=True)
    async def HearSubject(self, request, context, call):
        proposals, sanctions = _nested(ev.Outcome, request.proposals), _nested(ev.PersonSanctions, request.sanctions)
        return await self._case(
            request,
            call,
            pb.HearSubjectResponse,
            lambda s, now: c.HearSubject(
                request.case_id.strip(),
                request.person_id.strip(),
                request.statement,
                proposals,
                call.principal,
                sanctions,
            ),
        )

    # -- outcomes ------------------------------------------------------------------------------

    @rpc("cases.deliberate", mutating=True)
    async def DisposeCase(self, request, context, call):
        """The standing committee's decision as its meeting recorded it (Rules 56; SL 51)."""
        outcomes, transfer = _nested(ev.Outcome, request.outcomes), _nested(ev.Document, request.transfer)
        sanctions, facts = (
            _nested(ev.PersonSanctions, request.sanctions),
            facts_from_pb(request.person_facts, mapping.EVENTS),
        )
        meeting = meeting_from_pb(request, "deliberation", mapping.EVENTS)
        consulted = _nested(Consultation, request.consultations)
        return await self._case(
            request,
            call,
            pb.DisposeCaseResponse,
            lambda s, now: c.DisposeCase(
                request.case_id.strip(),
                outcomes,
                transfer,
                now,
                call.principal,
                sanctions,
                facts,
                meeting,
                consulted,
                request.facts_reason,  # issue 24: why stated facts differ from the reported
            ),
        )

    @rpc("cases.dispose", mutating=True)
    async def WithdrawCase(self, request, context, call):
        told = _at(request, "unit_told_at", self.clock)
        return await self._case(
            request,
            call,
            pb.WithdrawCaseResponse,
            lambda s, now: c.WithdrawCase(request.case_id.strip(), request.reason, told, call.principal),
        )

    @rpc("cases.dispose", mutating=True)
    async def OpenAccountabilityCase(self, request, context, call):
        new_id = call.derived_id("case")
        office = self._office(request.handling_office, "handling_office", optional=True)
        result = await self._case(
            request,
            call,
            dict,
            lambda s, now: c.OpenAccountabilityCase(
                request.case_id.strip(),
                new_id,
                request.reason,
                persons_from_pb(request.subjects),
                office,
                call.principal,
            ),
        )
        return pb.OpenAccountabilityCaseResponse(**result, accountability_case_id=new_id)

    @rpc("cases.investigate", mutating=True)
    async def RecordActivity(self, request, context, call):
        activity = enum_word(events_pb2.RecordedActivity, request.activity)
        if not request.HasField("recording"):
            raise Validation("recording", "required")
        recording = mapping.EVENTS.dataclass_of(ev.Recording, request.recording)
        return await self._case(
            request,
            call,
            pb.RecordActivityResponse,
            lambda s, now: c.RecordActivity(
                request.case_id.strip(), activity, recording, request.measure_id.strip(), call.principal
            ),
        )

    @rpc("cases.quality", mutating=True)
    async def GradeQuality(self, request, context, call):
        grade, criteria = enum_word(events_pb2.QualityGrade, request.grade), _nested(ev.Criterion, request.criteria)
        return await self._case(
            request,
            call,
            pb.GradeQualityResponse,
            lambda s, now: c.GradeQuality(request.case_id.strip(), grade, criteria, call.principal),
        )

    # -- measures ------------------------------------------------------------------------------

    @rpc("cases.measure", mutating=True)
    async def RequestMeasure(self, request, context, call):
        measure_id, kind = call.derived_id("measure"), enum_word(events_pb2.MeasureKind, request.kind)
        m.check_target(request.case_id, request.clue_id)  # exactly one: a clue before filing (SL 25, 41)

        def command(holding, case_id: str = "", clue_id: str = "") -> m.RequestMeasure:
            """The request held by the case's holder, or before filing by the clue's (SL 25, 41)."""
            return m.RequestMeasure(
                measure_id,
                case_id,
                kind,
                request.person_id.strip(),
                holding.holder,
                request.reason,
                call.principal,
                holding.liaison,
                clue_id=clue_id,
                custody_grounds=_optional(ev.CustodyGrounds, request, "custody_grounds"),  # SL 25
                person_facts=_optional(person_facts.PersonFacts, request, "person_facts"),  # a committee head's cadres
            )

        now = self.clock.now()
        if request.clue_id.strip():
            clue_id = request.clue_id.strip()
            made = await self.handlers.request_measure_on_clue(
                call, clue_id, lambda holding: command(holding, clue_id=clue_id), now
            )
        else:
            made = await self.handlers.request_measure(
                call, request.case_id, lambda case, holding: command(holding, case_id=case.case_id), now
            )
        return pb.RequestMeasureResponse(**made)

    @rpc("cases.measure", act="approve", mutating=True)
    async def ApproveMeasure(self, request, context, call):
        starts = (
            datetime_of(request.starts_at, "starts_at", self.clock.now().tzinfo)
            if request.HasField("starts_at")
            else None
        )
        meeting = meeting_from_pb(request, "meeting", mapping.EVENTS)  # SL 47

        async def build(uow, s, now):
            others = ()
            if s.requested is not None and s.requested.kind == "COMPELLED_APPEARANCE":  # SL 46 ¶2
                others = await measure_related.appearances_of(uow, self.handlers.measures, s.requested.person_id)
            return m.ApproveMeasure(request.measure_id.strip(), starts or now, call.principal, meeting, others)

        return await self._measure_reading(request, call, pb.ApproveMeasureResponse, build)

    @rpc("cases.measure", act="approve", mutating=True)
    async def RefuseMeasure(self, request, context, call):
        return await self._measure(
            request,
            call,
            pb.RefuseMeasureResponse,
            lambda s, now: m.RefuseMeasure(request.measure_id.strip(), request.reason, call.principal),
        )

    @rpc("cases.measure", mutating=True)
    async def GiveDetentionNotice(self, request, context, call):
        unit, family = _at(request, "unit_notified_at", self.clock), _at(request, "family_notified_at", self.clock)
        return await self._measure(
            request,
            call,
            pb.GiveDetentionNoticeResponse,
            lambda s, now: m.GiveDetentionNotice(request.measure_id.strip(), unit, family, call.principal),
        )

    @rpc("cases.measure", act="approve", mutating=True)
    async def ExtendMeasure(self, request, context, call):
        length = None
        if request.length_days or request.length_months:  # shorter, or chosen (管护 1-3 days, SL 46 ¶4)
            length = m.Span(months=request.length_months, days=request.length_days)
        charge = _optional(ev.Charge, request, "charge")  # a detention's +2 months (SL 48 ¶2)

        async def build(uow, s, now):
            following = await self._other(uow, request.followed_by, "followed_by")  # SL 46
            return m.ExtendMeasure(
                request.measure_id.strip(),
                request.reason,
                request.special,
                call.principal,
                at=now,
                length=length,
                charge=charge,
                followed_by=following,
            )

        return await self._measure_reading(request, call, pb.ExtendMeasureResponse, build)

    @rpc("cases.measure", mutating=True)
    async def RecordNationalFiling(self, request, context, call):
        """SL 47: a detention approved at provincial level is filed with the national commission."""
        filed = _at(request, "filed_at", self.clock)
        return await self._measure(
            request,
            call,
            pb.RecordNationalFilingResponse,
            lambda s, now: m.RecordNationalFiling(request.measure_id.strip(), filed, request.reference, call.principal),
        )

    @rpc("cases.measure", act="approve", mutating=True)
    async def RecountDetention(self, request, context, call):
        """SL 48 ¶3; IR2025 133."""
        discovered = _at(request, "discovered_at", self.clock)
        ground, charge = enum_word(pb.RecountGround, request.ground), _optional(ev.Charge, request, "charge")
        return await self._measure(
            request,
            call,
            pb.RecountDetentionResponse,
            lambda s, now: m.RecountDetention(
                request.measure_id.strip(), discovered, ground, charge, request.reason, call.principal, now
            ),
        )

    @rpc("cases.measure", mutating=True)
    async def EndMeasure(self, request, context, call):
        outcome = enum_word(events_pb2.MeasureOutcome, request.outcome)

        async def build(uow, s, now):
            into = await self._other(uow, request.converted_to, "converted_to")  # CONVERTED, linked (SL 48)
            recording = _optional(ev.Recording, request, "recording")
            return m.EndMeasure(
                request.measure_id.strip(),
                outcome,
                request.reason,
                now,
                call.principal,
                converted_to=into,
                recording=recording,  # a search, seizure or sealing COMPLETED (SL 44 ¶2)
            )

        return await self._measure_reading(request, call, pb.EndMeasureResponse, build)

    # -- hand-over (移交审查调查) -----------------------------------------------------------------

    @rpc("cases.hand_over", mutating=True)
    async def ProposeHandOver(self, request, context, call):
        to = self._office(request.to_office, "to_office")
        return await self._case(
            request,
            call,
            pb.ProposeHandOverResponse,
            lambda s, now: c.ProposeHandOver(request.case_id.strip(), to, request.reason, call.principal),
        )

    @rpc("cases.hand_over", act="approve", mutating=True)
    async def ApproveHandOver(self, request, context, call):
        return await self._case(
            request,
            call,
            pb.ApproveHandOverResponse,
            lambda s, now: c.ApproveHandOver(request.case_id.strip(), call.principal),
        )

    @rpc("cases.hand_over", act="approve", mutating=True)
    async def RejectHandOver(self, request, context, call):
        return await self._case(
            request,
            call,
            pb.RejectHandOverResponse,
            lambda s, now: c.RejectHandOver(request.case_id.strip(), request.reason, call.principal),
        )
