"""Integrity-opinion requests (党风廉政意见回复; domain.md §5, seed 004, issue 26) as the kernel's
command runner sees them, on audit's own store (stream `integrity-<uuid>`, published on
`audit.events.v1` and so recorded in the ledger like every other event).

`submit` reads the dossiers of every candidate in ONE call (`Dossiers.items`, as of now, the
workflow's reader sees everything), judges each (`integrity.judge`: periods and bars at the
intended date) and runs the request through `CommandRunner` once per `x-request-id`. Sign-offs and
the head's signature are commands on the same aggregate. Each command keeps the request's row of
`integrity_requests` (the list) in step in its transaction.

Who may read a request (`may_read`): the asking agency, the liaison offices of its candidates
(each sees its own candidates), those who see everything (case management, system components) and
the commission head. Anyone else gets NOT_FOUND, as for an unknown id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from kernel.domain.access import Organisation
from kernel.domain.clock import Clock
from kernel.domain.errors import Forbidden, NotFound, Validation
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from kernel.domain.recusal import Concerned, check_read
from kernel.edge.mapping import Codec
from kernel.edge.paging import after_of, page_token
from kernel.eventstore.aggregate import Aggregate, Change, CommandRunner, History
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Link
from kernel.eventstore.migrations import Migration
from kernel.eventstore.store import EventStore, UnitOfWork
from services.audit.app.holdings import Reader
from services.audit.domain import integrity_request as ir
from services.audit.domain.integrity import IntegrityRules, judge, notice_due

HEAD_ROLE = "commission_head"  # signs the reply and reads every request
TABLE = "integrity_requests"
TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.integrity_requests (
    request_id    text PRIMARY KEY,
    version       bigint      NOT NULL,
    received_at   timestamptz NOT NULL,
    state         text        NOT NULL,
    agency        text        NOT NULL,
    offices       text[]      NOT NULL,   -- the liaison offices of its candidates
    reference     text        NOT NULL,
    intended_use  text        NOT NULL,
    intended_date date        NOT NULL,
    due_at        timestamptz NOT NULL,
    no_objection  integer     NOT NULL,
    pending       integer     NOT NULL,
    objection     integer     NOT NULL,
    tree_size     bigint      NOT NULL,
    signed_by     text        NOT NULL DEFAULT '',
    replied_at    timestamptz
);
CREATE INDEX IF NOT EXISTS integrity_requests_newest ON {s}.integrity_requests (received_at DESC, request_id DESC);
"""
MIGRATIONS = (Migration("audit.integrity", 1, "integrity-opinion requests, newest first", TABLE_SQL),)


def request_links(state: ir.IntegrityRequest, event) -> tuple[Link, ...]:
    """Every event names its request; the request's events name the candidates they are about
    (relation "candidate") and the fast track names its clue, so audit tells who was asked about
    and which clue was hurried."""
    request_id = getattr(event, "request_id", "") or state.request_id
    links = [Link("integrity", request_id, "request")]
    if isinstance(event, ir.IntegrityRequestReceived):
        persons = [c.person.person_id for c in event.candidates]
    elif isinstance(event, ir.IntegrityFastTrackRequested):
        links.append(Link("clue", event.clue_id, "fast-track"))
        persons = [event.person_id]
    elif isinstance(event, ir.IntegrityCandidatesSignedOff):
        persons = [c.person_id for c in event.candidates]
    elif isinstance(event, ir.IntegrityReplySigned):
        persons = [r.person_id for r in event.replies]
    else:
        persons = []
    return (*links, *(Link("person", p, "candidate") for p in persons))


class IntegrityAggregate(Aggregate[ir.IntegrityRequest]):
    kind = "integrity"
    initial = staticmethod(ir.IntegrityRequest)
    evolve = staticmethod(ir.evolve)
    links = staticmethod(request_links)

    def __init__(self, rules: IntegrityRules):
        self.rules = rules

    def decide(self, command, state: ir.IntegrityRequest) -> list:
        return ir.decide(command, state, self.rules)

    def result(self, change: Change[ir.IntegrityRequest]) -> dict:
        return {"request_id": change.stream_id, "version": change.version, "state": change.state.status}

    async def keep_in_step(self, uow: UnitOfWork, ctx: CommandContext, change: Change[ir.IntegrityRequest]) -> None:
        if change.events:
            await keep_row(uow.conn, uow.store.schema, change.state, change.version, change.records)


async def keep_row(conn, schema: str, state: ir.IntegrityRequest, version: int, records) -> None:
    """The request's row of the list as its events leave it."""
    r = state.received
    counts = state.counts()
    replied_at = next((x.at for x in records if isinstance(x.event, ir.IntegrityReplySigned)), None)
    await conn.execute(
        f"INSERT INTO {schema}.{TABLE} AS t (request_id, version, received_at, state, agency, offices, reference, "
        f"intended_use, intended_date, due_at, no_objection, pending, objection, tree_size, signed_by, replied_at) "
        f"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
        f"ON CONFLICT (request_id) DO UPDATE SET version = excluded.version, state = excluded.state, "
        f"signed_by = excluded.signed_by, replied_at = excluded.replied_at WHERE t.version < excluded.version",
        state.request_id,
        version,
        records[0].at,
        state.status,
        r.requested_by_agency,
        sorted({c.liaison_office for c in r.candidates}),
        r.reference,
        r.intended_use,
        r.intended_date,
        r.due_at,
        counts[ir.NO_OBJECTION],
        counts[ir.PENDING],
        counts[ir.OBJECTION],
        r.tree_size,
        state.reply.signed_by if state.reply else "",
        replied_at,
    )


@dataclass(frozen=True)
class CandidateView:
    """One candidate as a reader sees it: the proposal, the sign-off, the clues fast-tracked and
    the reply's words as they stand."""

    person: Subject
    liaison_office: str
    proposal: ir.CandidateProposal
    signed: ir.Signed | None
    signed_off_at: datetime | None
    fast_tracked: tuple[str, ...]
    line: ir.CandidateReplyLine


@dataclass(frozen=True)
class RequestView:
    request_id: str
    received: ir.IntegrityRequestReceived
    received_at: datetime
    state: str
    counts: dict[str, int]
    candidates: tuple[CandidateView, ...] = ()
    signed_by: str = ""
    replied_at: datetime | None = None


@dataclass(frozen=True)
class Summary:
    """A request's row of the list (no candidates)."""

    request_id: str
    reference: str
    intended_use: str
    intended_date: date
    due_at: datetime
    received_at: datetime
    agency: str
    state: str
    counts: dict[str, int]
    tree_size: int
    signed_by: str = ""
    replied_at: datetime | None = None


@dataclass(frozen=True)
class NewCandidate:
    """A candidate as asked: the person, and the liaison office given ("" for the configured one)."""

    person: Subject
    liaison_office: str = ""


@dataclass
class Integrity:
    """The workflow over audit's own store: `dossiers` reads many persons' dossiers at once
    (`services.audit.app.dossiers.Dossiers`), `org` says who sees everything, `offices` the
    catalogue's office codes a liaison office must be among."""

    store: EventStore
    dossiers: object
    rules: IntegrityRules
    clock: Clock
    codec: Codec
    org: Organisation = field(default_factory=Organisation)
    offices: frozenset[str] | None = None
    runner: CommandRunner[ir.IntegrityRequest] = field(init=False)

    def __post_init__(self):
        self.runner = CommandRunner(self.store, IntegrityAggregate(self.rules), self.codec)

    @property
    def zone(self) -> tzinfo:
        return getattr(self.clock, "tz", None) or self.clock.now().tzinfo

    # -- commands --------------------------------------------------------------------------------

    async def submit(
        self,
        ctx: CommandContext,
        reference: str,
        intended_use: str,
        intended_date: date | None,
        due_at: datetime | None,
        candidates: Sequence[NewCandidate],
    ) -> str:
        """The request received with every candidate's proposal (domain.md §5); its stream id. Only
        the organisation department asks (`[request] agency`)."""
        if ctx.principal.agency != self.rules.agency:
            raise Forbidden(f"only the agency {self.rules.agency} asks for integrity opinions")
        request_id = ctx.derived_id("integrity")
        now = self.clock.now()
        resolved = tuple(self._candidate(i, c) for i, c in enumerate(candidates))
        proposals: tuple = ()
        tree_size = 0
        if intended_date is not None and resolved:
            # ONE read for all candidates, as of now, by the workflow (sees everything)
            persons = list(dict.fromkeys(c.person.person_id for c in resolved))
            found, tree_size = await self.dossiers.items(persons, now, Reader.everything())
            proposals = tuple(
                judge(found.get(c.person.person_id, []), intended_date, intended_use, self.rules) for c in resolved
            )
        command = ir.SubmitRequest(
            request_id=request_id,
            reference=reference,
            intended_use=intended_use,
            intended_date=intended_date,
            due_at=due_at or now + timedelta(hours=self.rules.due_hours),
            agency=ctx.principal.agency,
            candidates=resolved,
            proposals=proposals,
            tree_size=tree_size,
            now=now,
            today=now.astimezone(self.zone).date(),
            notice_due_at=notice_due(intended_date, self.rules.lead_days, self.zone, now) if intended_date else now,
        )
        result = await self.runner.run(ctx, request_id, command, now, new=True)
        return result["request_id"]

    def _candidate(self, i: int, c: NewCandidate) -> ir.RequestedCandidate:
        office = c.liaison_office.strip() or self.rules.liaison_of(c.person.unit)
        if self.offices is not None and office not in self.offices:
            raise Validation(f"candidates[{i}].liaison_office", f"{office!r} is no office of the catalogue")
        return ir.RequestedCandidate(c.person, office)

    async def sign_off(self, ctx: CommandContext, request_id: str, given: Sequence[ir.CandidateSignedOff]) -> None:
        """The caller's office signs off its candidates (domain.md §5: the offices sign)."""
        request_id = self.runner.stream_id(request_id, "request_id")
        p = ctx.principal
        command = ir.SignOff(request_id, p.office, p.user, tuple(given))
        await self.runner.run(ctx, request_id, command, self.clock.now())

    async def sign(self, ctx: CommandContext, request_id: str) -> None:
        """The head signs the reply (FAILED_PRECONDITION naming the candidates not signed off)."""
        request_id = self.runner.stream_id(request_id, "request_id")
        await self.runner.run(ctx, request_id, ir.SignReply(request_id, ctx.principal.user), self.clock.now())

    # -- reads -----------------------------------------------------------------------------------

    def may_read(self, p: Principal, state: ir.IntegrityRequest) -> bool:
        if state.received is None:
            return False
        return (
            p.role == HEAD_ROLE
            or self.org.sees_everything(p)
            or p.agency == state.received.requested_by_agency
            or any(c.liaison_office == p.office for c in state.candidates)
        )

    def _sees_all_candidates(self, p: Principal, state: ir.IntegrityRequest) -> bool:
        return p.role == HEAD_ROLE or self.org.sees_everything(p) or p.agency == state.received.requested_by_agency

    async def get(self, principal: Principal, request_id: str) -> RequestView:
        """The request with its candidates (a liaison office sees its own); NOT_FOUND unless the
        principal may read it."""
        request_id = self.runner.stream_id(request_id, "request_id")
        history = await self.runner.load(self.store, request_id)
        if not self.may_read(principal, history.state):
            raise NotFound("integrity", request_id)
        check_read(principal, Concerned.of(history.state), "integrity", request_id)  # SL 67
        return self.view(history, principal)

    def view(self, history: History[ir.IntegrityRequest], principal: Principal | None = None) -> RequestView:
        state = history.state
        signed_at: dict[str, datetime] = {}
        replied_at = None
        for rec in history.records:
            if isinstance(rec.event, ir.IntegrityCandidatesSignedOff):
                signed_at.update((c.person_id, rec.at) for c in rec.event.candidates)
            elif isinstance(rec.event, ir.IntegrityReplySigned):
                replied_at = rec.at
        fast: dict[str, list[str]] = {}
        for f in state.fast_tracked:
            fast.setdefault(f.person_id, []).append(f.clue_id)
        replied = {r.person_id: r for r in state.reply.replies} if state.reply else {}
        everyone = principal is None or self._sees_all_candidates(principal, state)
        proposals = state.proposals
        candidates = tuple(
            CandidateView(
                c.person,
                c.liaison_office,
                proposals[c.person.person_id],
                state.signed.get(c.person.person_id),
                signed_at.get(c.person.person_id),
                tuple(fast.get(c.person.person_id, ())),
                replied.get(c.person.person_id) or ir.line(state, c, self.rules),
            )
            for c in state.candidates
            if everyone or c.liaison_office == principal.office
        )
        return RequestView(
            state.request_id,
            state.received,
            history.records[0].at,
            state.status,
            state.counts(),
            candidates,
            state.reply.signed_by if state.reply else "",
            replied_at,
        )

    async def list(self, principal: Principal, state: str, size: int, token: str) -> tuple[list[Summary], str]:
        """Requests newest first, those the principal may read, in `state` ("" every state)."""
        what = f"integrity:{state}"
        after = after_of(what, token)
        everything = principal.role == HEAD_ROLE or self.org.sees_everything(principal)
        at, _, last = after.partition("|")
        rows = await self.store.pool.fetch(
            f"SELECT * FROM {self.store.schema}.{TABLE} WHERE ($1 = '' OR state = $1) "
            f"AND ($2 OR agency = $3 OR $4 = ANY(offices)) "
            f"AND ($5 = '' OR (received_at, request_id) < ($5::timestamptz, $6)) "
            f"ORDER BY received_at DESC, request_id DESC LIMIT $7",
            state,
            everything,
            principal.agency,
            principal.office,
            at,
            last,
            size + 1,
        )
        page = [_summary(r) for r in rows[:size]]
        more = len(rows) > size
        next_token = page_token(what, f"{page[-1].received_at.isoformat()}|{page[-1].request_id}") if more else ""
        return page, next_token


def _summary(r) -> Summary:
    return Summary(
        r["request_id"],
        r["reference"],
        r["intended_use"],
        r["intended_date"],
        r["due_at"],
        r["received_at"],
        r["agency"],
        r["state"],
        {ir.NO_OBJECTION: r["no_objection"], ir.PENDING: r["pending"], ir.OBJECTION: r["objection"]},
        r["tree_size"],
        r["signed_by"],
        r["replied_at"],
    )


def summary_of(view: RequestView) -> Summary:
    r = view.received
    return Summary(
        view.request_id,
        r.reference,
        r.intended_use,
        r.intended_date,
        r.due_at,
        view.received_at,
        r.requested_by_agency,
        view.state,
        view.counts,
        r.tree_size,
        view.signed_by,
        view.replied_at,
    )


__all__ = ["MIGRATIONS", "Integrity", "IntegrityAggregate", "NewCandidate", "RequestView", "Summary"]
