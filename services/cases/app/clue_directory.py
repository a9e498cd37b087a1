"""The clue directory (measures before filing, SL 25, 41): per clue, what the cases service needs to
take a measure on it before any case is filed — its holding office and liaison, its subjects, its
stage (under preliminary check on an approved plan, or a talk or letter inquiry for 管护:
`domain/before_filing.py`) — and what happens to
those measures when the case is filed from the clue.

* Fed from `clues.events.v1` as the filings are (`filings.py`): a follower with its own inbox
  (component `cases-clue-directory`) and consumer group, each event's entry written in the inbox's
  transaction, so redelivery and restarts change nothing twice; the inbound translator
  (`adapters/translators.from_clues_to_directory`) is the only reader of the clue's events. A new
  consumer group reads the topic from its start, so a deployment that adds the directory fills it
  from every clue's history. Its source is another service's topic, not this store, so
  `kernel.eventstore.rebuild` does not rebuild it: empty the table and the inbox's
  `cases-clue-directory` rows and set the group `<consumer group>-clue-directory` back to the
  topic's start.
* When a case is filed from the clue (`CaseFiled.clue_id`), in the filing's own transaction:
  the entry's row is locked and names the case (`filed_as`; no new measure is taken on the clue
  from then on), and each measure taken on the clue gets `MeasureAttachedToCase` (acting as
  `system:cases-clue-measures`). A request on the clue locks the same row, so a measure is either
  requested before the filing and follows it, or refused after it: none is left behind.
"""

from __future__ import annotations

from collections.abc import Callable

from kernel.domain.access import Holding, Organisation, may_know
from kernel.domain.errors import NotFound
from kernel.domain.principal import Principal
from kernel.eventstore import migrations
from kernel.eventstore.aggregate import CommandRunner
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Envelope
from kernel.eventstore.migrations import Migration
from kernel.eventstore.store import EventStore, UnitOfWork
from kernel.messaging.follower import Follower
from services.cases.app import measure_ledger
from services.cases.domain import events as ev, measures as m
from services.cases.domain.before_filing import ClueEntry, ClueNews, apply

COMPONENT = "cases-clue-directory"
FOLLOWER = "cases-clue-measures"  # the principal attaching the clue's measures to its case
TABLE = "clue_directory"
TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    clue_id         text PRIMARY KEY,
    stage           text    NOT NULL,            -- the clue's stage (domain.md §2)
    holder          text    NOT NULL,            -- its holding office
    liaison         text    NOT NULL,            -- as its links state it; '': the catalogue's
    subjects        text[]  NOT NULL,            -- person ids
    proposed_office text    NOT NULL,            -- a registration proposal's office
    plan_needs      text[]  NOT NULL,            -- roles the preliminary-check plan needs
    plan_approved   text[]  NOT NULL,            -- roles that approved it
    case_id         text    NOT NULL,            -- the case filed from it, once filed
    under_check     boolean NOT NULL,            -- measures allowed before filing (SL 41)
    version         bigint  NOT NULL             -- of the clue's stream, last applied
);
CREATE INDEX IF NOT EXISTS {t}_holder ON {s}.{t} (holder);
"""
COLUMNS = (
    "clue_id",
    "stage",
    "holder",
    "liaison",
    "subjects",
    "proposed_office",
    "plan_needs",
    "plan_approved",
    "case_id",
    "under_check",
    "version",
)


async def create(conn, schema: str, table: str = TABLE) -> None:
    await conn.execute(TABLE_SQL.format(s=schema, t=table))


MIGRATIONS = (Migration("cases.clue_directory", 1, "the clues measures may be taken on before filing", create),)


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


def _entry(row) -> ClueEntry:
    return ClueEntry(
        row["clue_id"],
        row["stage"],
        row["holder"],
        row["liaison"],
        tuple(row["subjects"]),
        row["proposed_office"],
        frozenset(row["plan_needs"]),
        frozenset(row["plan_approved"]),
        row["case_id"],
        row["version"],
    )


def _values(e: ClueEntry) -> tuple:
    return (
        e.clue_id,
        e.stage,
        e.holder,
        e.liaison,
        list(e.subjects),
        e.proposed_office,
        sorted(e.plan_needs),
        sorted(e.plan_approved),
        e.case_id,
        e.under_check,
        e.version,
    )


async def entry(conn, schema: str, clue_id: str, lock: str = "") -> ClueEntry | None:
    """The clue's entry (None: unknown); `lock` "SHARE" or "UPDATE" holds its row to the transaction's end."""
    row = await conn.fetchrow(
        f"SELECT * FROM {schema}.{TABLE} WHERE clue_id = $1" + (f" FOR {lock}" if lock else ""), clue_id
    )
    return _entry(row) if row else None


async def store(conn, schema: str, e: ClueEntry) -> None:
    placeholders = ", ".join(f"${i}" for i in range(1, len(COLUMNS) + 1))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])
    await conn.execute(
        f"INSERT INTO {schema}.{TABLE} ({', '.join(COLUMNS)}) VALUES ({placeholders}) "
        f"ON CONFLICT (clue_id) DO UPDATE SET {updates}",
        *_values(e),
    )


def holding(e: ClueEntry, org: Organisation) -> Holding:
    """The clue's holding as the directory knows it: its holder and liaison (the catalogue's when
    its events stated none)."""
    return org.holding(e.holder, e.liaison)


async def known_clue(uow: UnitOfWork, clue_id: str, reader: Principal | None, org: Organisation) -> ClueEntry:
    """The clue's entry, its row locked (FOR SHARE) against the filing until the transaction ends;
    NOT_FOUND, as for an unknown id, when the directory does not know it or `reader` may not."""
    found = await entry(uow.conn, uow.store.schema, clue_id, "SHARE")
    if found is None or not found.holder or (reader and not may_know(reader, holding(found, org), org)):
        raise NotFound("clue", clue_id)
    return found


class ClueDirectory(Follower):
    """Follows `clues.events.v1` into the directory, one clue event at a time, in the inbox's transaction."""

    def __init__(self, store: EventStore, translate: Callable[[Envelope], ClueNews | None]):
        super().__init__(store, COMPONENT)
        self.translate = translate

    async def apply(self, uow, env: Envelope) -> None:
        news = self.translate(env)
        if news is None:
            return
        schema = uow.store.schema
        before = await entry(uow.conn, schema, news.clue_id, "UPDATE") or ClueEntry(news.clue_id)
        after = apply(before, news)
        if after != before:
            await store(uow.conn, schema, after)


async def follow_into_case(
    measures: CommandRunner[m.Measure], uow: UnitOfWork, ctx: CommandContext, filed: ev.CaseFiled, now
) -> list[str]:
    """The case `filed` was filed from its clue: the entry names the case and every measure taken on
    the clue follows it (`MeasureAttachedToCase`, once: one already attached records nothing). In
    the filing's transaction; returns the measures."""
    schema = uow.store.schema
    before = await entry(uow.conn, schema, filed.clue_id, "UPDATE") or ClueEntry(filed.clue_id)
    if before.case_id != filed.case_id:
        await store(uow.conn, schema, apply(before, ClueNews(filed.clue_id, 0, case_id=filed.case_id)))
    found = await measure_ledger.of_clue(uow.conn, schema, filed.clue_id)
    follower = CommandContext(Principal.system(FOLLOWER), ctx.correlation_id, f"{ctx.operation}/follow", ctx.request_id)
    for k, measure_id in enumerate(found):
        command = m.AttachToCase(measure_id, filed.case_id, filed.clue_id)
        await measures.execute(uow, follower.item(k), measure_id, command, now)
    return found
