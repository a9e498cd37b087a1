"""The sanctions service's use cases on the kernel's one command path
(`kernel.eventstore.aggregate`): commands on decisions, once per request id, and the reads the
servicers answer from (a decision, the decisions of a case or a person, what is in force on a
person on a day, the execution ledger), each only as far as the reader may know it.
"""

from __future__ import annotations

from datetime import date, datetime

from kernel.domain.principal import Principal
from kernel.eventstore.aggregate import Builder, CommandRunner
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.store import EventStore
from services.sanctions.app import decision_index, execution_ledger
from services.sanctions.app.access import Access
from services.sanctions.app.decision import DecisionAggregate
from services.sanctions.app.execution_ledger import LedgerFilter
from services.sanctions.domain import decision as d

MAX_PAGE = 1000


class DecisionHandlers:
    def __init__(self, store: EventStore, policy: d.DecisionPolicy, codec, access: Access | None = None):
        """`access`: need to know from the catalogue (issue 21 point 6); None only in tests of other
        rules (every reader sees everything then)."""
        self.store, self.policy, self.codec = store, policy, codec
        aggregate = DecisionAggregate(policy, codec, access)
        self.access = aggregate.access
        self.decisions: CommandRunner[d.Decision] = CommandRunner(store, aggregate, codec)

    @property
    def _org(self):
        return self.access.organisation

    async def handle(
        self, ctx: CommandContext, decision_id: str, expected_version: int, now: datetime, command: object | Builder
    ) -> dict:
        """Run a command on the decision, once per request id: {"decision_id", "version", "state"}."""
        return await self.decisions.run(
            ctx, self.decisions.stream_id(decision_id, "decision_id"), command, now, expected_version=expected_version
        )

    async def get(self, reader: Principal, decision_id: str) -> tuple[d.Decision, int]:
        """The decision and its version; NOT_FOUND unless it exists and `reader` may know it (and
        is not its person, SL 67)."""
        history = await self.decisions.read(self.store, reader, self.decisions.stream_id(decision_id, "decision_id"))
        return history.state, history.version

    async def list_decisions(
        self, reader: Principal, *, case_id: str = "", person_id: str = "", after: str = "", limit: int = MAX_PAGE
    ) -> list[dict]:
        """Rows of the decision index (decision_id, case_id, person_id, status, family, sanction,
        impact_kind, start, end, holder, liaison, steps, approvers, version) of the case or the
        person, by decision id after `after`, only those `reader` may know."""
        return await decision_index.decisions(
            self.store.pool,
            self.store.schema,
            reader,
            self._org,
            case_id=case_id,
            person_id=person_id,
            after=after,
            limit=limit,
        )

    async def in_force(self, reader: Principal, person_id: str, on: date) -> list[d.InForceEntry]:
        """What is in force on the person on `on` (domain.md §5): each issued sanction in its period
        with the locks holding that day, each impact in its period; of the decisions `reader` may
        know. Each candidate of the index is folded, so the locks are the issued ones."""
        out, after = [], ""
        while rows := await self.list_decisions(reader, person_id=person_id, after=after):
            for row in rows:
                if row["start"] is None or row["start"] > on:  # not issued, or not yet
                    continue
                state, _ = await self.get(reader, row["decision_id"])
                if (entry := d.in_force(state, on)) is not None:
                    out.append(entry)
            if len(rows) < MAX_PAGE:
                break
            after = rows[-1]["decision_id"]
        return out

    async def ledger(
        self, reader: Principal, filters: LedgerFilter, today: date, after: str = "", limit: int = MAX_PAGE
    ) -> tuple[list[dict], dict[str, int]]:
        """A page of the execution ledger (rows: decision_id, item_id, case_id, person_id, kind,
        owner, agency, office, due, latest_due, status OPEN/DONE, done_at, receipt, cause, rule,
        sort_key, version, overdue) in (due, decision, item) order after the sort key `after`, and
        the overdue items of the whole filter by cause ('' none recorded). A partner agency's
        principal sees its agency's items only."""
        return await execution_ledger.rows(
            self.store.pool, self.store.schema, reader, self._org, filters, today, after, limit
        )
