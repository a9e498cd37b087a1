"""Thin gRPC edge of the execution ledger (执行工作台账, domain.md §4d; issue 21 point 5): partner
agencies report their items done and their offices record blockages, on the one command path
through `DecisionHandlers`; the ledger lists items by agency, office, status, cause and due window
with the overdue counts by cause. An agency reaches only the items it owns: another's item is
NOT_FOUND, the answer for an unknown one."""

from __future__ import annotations

from kernel.domain.clock import Clock
from kernel.domain.errors import Validation
from kernel.edge.grpc_server import rpc
from kernel.edge.mapping import enum_value, enum_word
from kernel.eventstore.reads import FileRef
from sanctions.v1 import events_pb2 as sev, service_pb2 as pb, service_pb2_grpc
from services.sanctions.adapters.grpc_servicer import (
    DecisionEdge,
    after_of,
    item_state_to_pb,
    page_size,
    page_token,
    row_to_pb,
)
from services.sanctions.app import execution_ledger
from services.sanctions.app.execution_ledger import LedgerFilter
from services.sanctions.domain import commands as c


class ExecutionServicer(DecisionEdge, service_pb2_grpc.ExecutionServiceServicer):
    def __init__(self, handlers, clock: Clock):
        self.handlers, self.clock = handlers, clock

    async def _item(self, call, decision_id: str, item_id: str, result: dict):
        """The item as it stands after the command, with the stream's version."""
        state, version = await self.handlers.get(call.principal, decision_id)
        return item_state_to_pb(state, state.items[item_id], self.today()), version

    @rpc("sanctions.report_item", mutating=True)
    async def ReportItem(self, request, context, call):
        """The caller's agency must own the item (NOT_FOUND otherwise); delivery items are
        completed by RecordDelivery; done once."""
        command = c.ReportItem(
            decision_id=self.decision_id(request),
            item_id=request.item_id.strip(),
            done_at=self.at(request, "done_at"),
            receipt_sha256=request.receipt_sha256.strip(),
            note=request.note.strip(),
            by=call.principal,
        )
        result = await self.run(call, request, command)
        item, version = await self._item(call, command.decision_id, command.item_id, result)
        return pb.ReportItemResponse(item=item, version=version)

    @rpc("sanctions.blockage", mutating=True)
    async def RecordBlockage(self, request, context, call):
        """Seed 000's four blockages, by the owning office (NOT_FOUND for another's item)."""
        command = c.RecordBlockage(
            decision_id=self.decision_id(request),
            item_id=request.item_id.strip(),
            cause=enum_word(sev.BlockageCause, request.cause),
            note=request.note.strip(),
            by=call.principal,
        )
        if not command.cause:
            raise Validation(
                "cause", "required: one of RULES_MISSING, INTER_DEPARTMENT, PERSON_UNCOOPERATIVE, MOBILE_PARTY_MEMBER"
            )
        result = await self.run(call, request, command)
        item, version = await self._item(call, command.decision_id, command.item_id, result)
        return pb.RecordBlockageResponse(item=item, version=version)

    @rpc("sanctions.ledger")
    async def ListExecutionItems(self, request, context, call):
        """The ledger on the service's today; a partner sees its agency's items only."""
        today, size = self.today(), page_size(request.page_size)
        due_from = self.at(request, "due_from").date() if request.HasField("due_from") else None
        due_before = self.at(request, "due_before").date() if request.HasField("due_before") else None
        if due_from and due_before and due_before <= due_from:
            raise Validation("due_before", f"must be after due_from ({due_from})")
        decision_id = self.decision_id(request) if request.decision_id.strip() else ""
        filters = LedgerFilter(
            agency=request.agency.strip(),
            office=request.office.strip(),
            status=request.status.strip(),
            cause=enum_word(sev.BlockageCause, request.cause),
            due_from=due_from,
            due_before=due_before,
            decision_id=decision_id,
        )
        rows, counts = await self.handlers.ledger(
            call.principal, filters, today, after_of("ListExecutionItems", request.page_token), size + 1
        )
        page = list(rows[:size])
        token = page_token("ListExecutionItems", _sort_key(page[-1])) if len(rows) > size else ""
        files = list({r["decision_id"]: FileRef("decision", r["decision_id"]) for r in page}.values())
        query = " ".join(
            f"{k}={v}"
            for k, v in (
                ("agency", filters.agency),
                ("office", filters.office),
                ("status", filters.status),
                ("cause", filters.cause),
                ("due_from", due_from or ""),
                ("due_before", due_before or ""),
                ("decision_id", decision_id),
            )
            if v
        )
        await self.read(call, "ListExecutionItems", request.purpose, files, [r["person_id"] for r in page], query)
        return pb.ListExecutionItemsResponse(
            items=[row_to_pb(r, today) for r in page],
            next_page_token=token,
            overdue_by_cause=[
                pb.CauseCount(cause=enum_value(sev.BlockageCause, cause or ""), count=n)
                for cause, n in sorted(counts.items(), key=lambda kv: kv[0] or "")
            ],
            today=today.isoformat(),
        )


def _sort_key(row) -> str:
    """The ledger's paging key of a row: (due, decision_id, item_id)."""
    return row.get("sort_key") or execution_ledger.sort_key(row["due"], row["decision_id"], row["item_id"])
