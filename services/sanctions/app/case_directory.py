"""The case directory (issue 22): what the sanctions service knows of the cases service's cases, to
hold a government sanction's lift back while a new case on the person is open (G10, PSL 13, 26)
and to keep a Party appeal's 复议复查 team clear of the case's original handlers (A1, Rules 59).

* `case_directory`: one row per case and subject person — the day it was filed (service zone) and
  whether (and on which day) it was decided (CaseDisposed) or withdrawn (CaseWithdrawn).
  `open_cases(person, start, end)`: the cases filed on the person within [start, end) and still
  open — what a period's end (EndPeriod) and a retried lift (RetryLift) are decided on.
* `case_participants`: who worked the case as an investigator or a trial reviewer (the envelope
  principals of its events, and of its measures' events, in those roles):
  `original_handlers(case)` — what AcceptAppeal is decided on.

Fed from `cases.events.v1` by its own follower (component `sanctions-case-directory`, its own
inbox rows and consumer group), each event's rows written in the inbox's transaction, so a
redelivery, a restart or a racing instance changes nothing twice; the inbound translator
(`adapters/translators.from_cases_to_directory`) is the only reader of the cases' events here.
When a case is decided or withdrawn, in the same transaction, every government decision of its
subjects whose lift it held back is retried (`RetryLift`, acting as
`system:sanctions-case-directory`): lifted on that day once no case filed within its period is
open (G10), otherwise left as it is.

Its source is another service's topic, not this store, so `kernel.eventstore.rebuild` does not
rebuild these tables: to make them again, empty both tables and the inbox's
`sanctions-case-directory` rows and set the consumer group `<group>-case-directory` back to the
topic's start (a new consumer group reads the topic from its start, so a deployment that adds the
directory fills it from every case's history).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from kernel.domain import sanctions as s
from kernel.eventstore import migrations
from kernel.eventstore.aggregate import CommandRunner
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Envelope, instant
from kernel.eventstore.migrations import Migration
from kernel.eventstore.store import EventStore, UnitOfWork
from kernel.messaging.follower import Follower
from services.sanctions.domain import commands as c, decision as d

COMPONENT = "sanctions-case-directory"
TABLE, PARTICIPANTS = "case_directory", "case_participants"
HANDLER_ROLES = ("investigator", "trial_reviewer")  # A1 (Rules 59): excluded from the review team
TABLES_SQL = """
CREATE TABLE IF NOT EXISTS {s}.case_directory (
    case_id    text    NOT NULL,
    person_id  text    NOT NULL,               -- a subject of the case
    filed_on   date    NOT NULL,               -- CaseFiled.filed_at's day (service zone)
    closed     boolean NOT NULL DEFAULT false,  -- decided (CaseDisposed) or withdrawn (CaseWithdrawn)
    closed_on  date,                           -- that day; NULL while open
    PRIMARY KEY (case_id, person_id)
);
CREATE INDEX IF NOT EXISTS case_directory_person ON {s}.case_directory (person_id, filed_on);
CREATE TABLE IF NOT EXISTS {s}.case_participants (
    case_id text NOT NULL,
    user_id text NOT NULL,                     -- the envelope principal's user
    role    text NOT NULL,                     -- investigator or trial_reviewer
    PRIMARY KEY (case_id, user_id, role)
);
"""


async def create(conn, schema: str) -> None:
    await conn.execute(TABLES_SQL.format(s=schema))


TRANSFERS_SQL = """
CREATE TABLE IF NOT EXISTS {s}.case_transfers (
    case_id    text NOT NULL,
    person_id  text NOT NULL,                  -- transferred for prosecution by the case's disposal (SL 54)
    PRIMARY KEY (case_id, person_id)
);
"""


async def create_transfers(conn, schema: str) -> None:
    await conn.execute(TRANSFERS_SQL.format(s=schema))


MIGRATIONS = (
    Migration("sanctions.case_directory", 1, "the cases on a person (G10) and their handlers (A1)", create),
    # issue 24: the persons a disposal transferred for prosecution, about whom the court reports (G12)
    Migration("sanctions.case_directory", 2, "the persons each case transferred for prosecution", create_transfers),
)


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


@dataclass(frozen=True)
class CaseNews:
    """What one case event tells the directory: its subjects and filing day (CaseFiled), the day it
    was decided or withdrawn, and who acted on it as an investigator or trial reviewer."""

    case_id: str
    persons: tuple[str, ...] = ()
    filed_on: date | None = None
    closed_on: date | None = None
    participant: tuple[str, str] | None = None  # (user, role)
    transferred: tuple[str, ...] = ()  # the persons a disposal transferred for prosecution (SL 54; issue 24)


async def open_cases(conn, schema: str, person_id: str, start: date, end: date) -> tuple[str, ...]:
    """G10 (PSL 13, 26): the cases filed on `person_id` within [start, end) and not yet decided or
    withdrawn, by id."""
    rows = await conn.fetch(
        f"SELECT DISTINCT case_id FROM {schema}.{TABLE} WHERE person_id = $1 AND filed_on >= $2 AND filed_on < $3 "
        f"AND NOT closed ORDER BY case_id",
        person_id,
        start,
        end,
    )
    return tuple(r["case_id"] for r in rows)


async def original_handlers(conn, schema: str, case_id: str) -> tuple[str, ...]:
    """A1 (Rules 59): the case's investigators and trial reviewers (user ids), each once."""
    rows = await conn.fetch(
        f"SELECT DISTINCT user_id FROM {schema}.{PARTICIPANTS} WHERE case_id = $1 ORDER BY user_id", case_id
    )
    return tuple(r["user_id"] for r in rows)


async def record(conn, schema: str, news: CaseNews) -> tuple[str, ...]:
    """The directory after `news`; the persons of a case closed by it (each once: a redelivered
    closure finds it closed already)."""
    if news.persons and news.filed_on:
        for person_id in news.persons:
            await conn.execute(
                f"INSERT INTO {schema}.{TABLE} (case_id, person_id, filed_on) VALUES ($1, $2, $3) "
                f"ON CONFLICT (case_id, person_id) DO NOTHING",
                news.case_id,
                person_id,
                news.filed_on,
            )
    if news.participant:
        user, role = news.participant
        await conn.execute(
            f"INSERT INTO {schema}.{PARTICIPANTS} (case_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            news.case_id,
            user,
            role,
        )
    for person_id in news.transferred:
        await conn.execute(
            f"INSERT INTO {schema}.case_transfers (case_id, person_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            news.case_id,
            person_id,
        )
    if news.closed_on is None:
        return ()
    rows = await conn.fetch(
        f"UPDATE {schema}.{TABLE} SET closed = true, closed_on = $2 WHERE case_id = $1 AND NOT closed "
        f"RETURNING person_id",
        news.case_id,
        news.closed_on,
    )
    return tuple(sorted({r["person_id"] for r in rows}))


async def transferred(conn, schema: str, case_id: str, person_id: str) -> bool:
    """Whether the case's disposal transferred the person for prosecution (SL 54): what the court's
    feed delivered, and so what it may report a judgment on (G12; issue 24)."""
    found = await conn.fetchval(
        f"SELECT 1 FROM {schema}.case_transfers WHERE case_id = $1 AND person_id = $2", case_id, person_id
    )
    return found is not None


async def judged_decisions(conn, schema: str, case_id: str, person_id: str) -> tuple[str, ...]:
    """G12 (PSL 14, 49): the decisions in effect on the person from the case, which a criminal
    judgment the court reports re-decides (issue 24), by id."""
    rows = await conn.fetch(
        f"SELECT decision_id FROM {schema}.decision_index WHERE case_id = $1 AND person_id = $2 "
        f"AND status = ANY($3::text[]) ORDER BY decision_id",
        case_id,
        person_id,
        list(d.IN_EFFECT),
    )
    return tuple(r["decision_id"] for r in rows)


async def held_back(conn, schema: str, person_id: str) -> tuple[str, ...]:
    """The government decisions on the person still in effect (the candidates whose lift a case may
    hold back, G10), by id."""
    rows = await conn.fetch(
        f"SELECT decision_id FROM {schema}.decision_index WHERE person_id = $1 AND family = $2 "
        f"AND status = ANY($3::text[]) ORDER BY decision_id",
        person_id,
        s.GOVERNMENT,
        list(d.IN_EFFECT),
    )
    return tuple(r["decision_id"] for r in rows)


class CaseDirectory(Follower):
    """Follows `cases.events.v1` into the directory, one case event at a time, in the inbox's
    transaction; a closure retries the lifts it held back (G10)."""

    def __init__(
        self,
        store: EventStore,
        decisions: CommandRunner[d.Decision],
        translate: Callable[[Envelope], CaseNews | None],
    ):
        super().__init__(store, COMPONENT)
        self.decisions, self.translate = decisions, translate

    async def apply(self, uow: UnitOfWork, env: Envelope) -> None:
        news = self.translate(env)
        if news is None:
            return
        closed = await record(uow.conn, uow.store.schema, news)
        for person_id in closed:
            await self.retry_lifts(uow, env, person_id, news.closed_on)

    async def retry_lifts(self, uow: UnitOfWork, env: Envelope, person_id: str, on: date) -> None:
        """G10 (PSL 13, 26): each of the person's government decisions held back is lifted on `on`
        if no case filed within its period is left open (the decision's `admit` reads them); the
        others record nothing."""
        now = instant(env.occurred_at)
        for decision_id in await held_back(uow.conn, uow.store.schema, person_id):
            ctx = CommandContext(self.principal, env.correlation_id, f"{COMPONENT}#{decision_id}", env.event_id)
            change = await self.decisions.execute(
                uow, ctx, decision_id, c.RetryLift(decision_id, on, self.principal), now
            )
            if change.events:
                self.log.info(
                    "decisions.lift_retried", decision_id=decision_id, person_id=person_id, case_id=env.stream_id
                )
