"""The cases' index and what they and their measures await (issue 20): `ListCases` and
`ListAwaitingMe` are queries of these tables, never folds of every stream.

- `case_index`: one row per case, kept by the case's commands (and its timers) in the same
  transaction: its state, holder, subjects, filing time, current due and colour, the steps it
  awaits, and what its holding is made of (need to know, domain.md §1; as `access.Access.case`
  judges it, the catalogue's part applied when read).
- `case_awaiting`, `measure_awaiting`: one row per step a case or a measure awaits
  (`services.cases.domain.awaiting`), with the role that acts and whether it is the holding
  office's member of it; a measure's row states its holding as the measure ledger does.

Every row is a pure function of the aggregate folded from its stream and timer stream, so
`python -m kernel.eventstore.rebuild --service cases` makes these tables again from the events
(`projections`); the cases and measures recorded before these tables get theirs at start
(`backfill`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone

from kernel.domain.access import Holding, may_know, visible_offices
from kernel.domain.errors import Validation
from kernel.domain.principal import Principal
from kernel.edge import paging
from kernel.edge.paging import after_of, page_token
from kernel.eventstore import migrations
from kernel.eventstore.aggregate import History
from kernel.eventstore.migrations import Migration
from kernel.eventstore.projections import Fold, Projection, Streams
from services.cases.app.access import Access
from services.cases.domain import awaiting as aw, events as ev, filing, measures as m, trial
from services.cases.domain.state import FILING, FILING_REJECTED, STATUSES, UNDER_TRIAL_REVIEW, Case

CASES, CASE_AWAITING, MEASURE_AWAITING = "case_index", "case_awaiting", "measure_awaiting"
LAST = "~"  # sorts after every timestamp: no due, no since

CASES_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    case_id        text PRIMARY KEY,
    clue_number    text        NOT NULL,
    status         text        NOT NULL,
    holder         text        NOT NULL,
    liaison        text        NOT NULL,   -- as recorded at filing; '': the catalogue's of opened_office
    opened_office  text        NOT NULL,
    reviewed       boolean     NOT NULL,   -- sent to trial review once: the trial review offices' step
    roles          text[]      NOT NULL,   -- the roles its past approvals were given in
    filing_pending text[]      NOT NULL,   -- the roles its filing's approvals name, while awaited or refused
    review_pending text[]      NOT NULL,   -- the roles a trial review may await (extension, return)
    hand_over      boolean     NOT NULL,   -- a hand-over awaits approval
    person_ids     text[]      NOT NULL,
    subjects       text        NOT NULL,   -- JSON: the subjects as recorded
    filed_at       timestamptz,
    due            timestamptz,            -- the trial review's, or the investigation stage's once known
    colour         text        NOT NULL,
    awaiting_steps text[]      NOT NULL,
    sort_key       text        NOT NULL,   -- filed_at (none last), case_id: the list's order and cursor
    version        bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS {t}_sort ON {s}.{t} (sort_key);
CREATE INDEX IF NOT EXISTS {t}_holder ON {s}.{t} (holder);
CREATE INDEX IF NOT EXISTS {t}_persons ON {s}.{t} USING gin (person_ids);
"""
AWAITING_SQL = """
CREATE TABLE IF NOT EXISTS {s}.{t} (
    file_id    text        NOT NULL,
    n          int         NOT NULL,
    case_id    text        NOT NULL,
    reference  text        NOT NULL,
    step       text        NOT NULL,
    role       text        NOT NULL,
    summary    text        NOT NULL,
    at_holder  boolean     NOT NULL,   -- the holding office's member of `role` acts
    office     text        NOT NULL,   -- a measure's holding office (a case's is in case_index)
    liaison    text        NOT NULL,
    approvers  text[]      NOT NULL,   -- a measure's approver roles (need to know)
    person_ids text[]      NOT NULL,
    since      timestamptz,
    due        timestamptz,
    colour     text        NOT NULL,
    sort_key   text        NOT NULL,   -- due (none last), since (none last), file id, n
    PRIMARY KEY (file_id, n)
);
CREATE INDEX IF NOT EXISTS {t}_role ON {s}.{t} (role, sort_key);
CREATE INDEX IF NOT EXISTS {t}_holder ON {s}.{t} (office, sort_key) WHERE at_holder;
"""
CASE_COLUMNS = (
    "case_id",
    "clue_number",
    "status",
    "holder",
    "liaison",
    "opened_office",
    "reviewed",
    "roles",
    "filing_pending",
    "review_pending",
    "hand_over",
    "person_ids",
    "subjects",
    "filed_at",
    "due",
    "colour",
    "awaiting_steps",
    "sort_key",
    "version",
)
AWAITING_COLUMNS = (
    "file_id",
    "n",
    "case_id",
    "reference",
    "step",
    "role",
    "summary",
    "at_holder",
    "office",
    "liaison",
    "approvers",
    "person_ids",
    "since",
    "due",
    "colour",
    "sort_key",
)
# The operation of a step the holding office's members do (`Awaited.at_holder`): the caller's role
# must perform it (the catalogue).
OPERATIONS = {
    "PrepareFiling": "cases.filing",
    "StartInvestigation": "cases.investigate",
    "SendToTrialReview": "cases.investigate",
    "GiveDetentionNotice": "cases.measure",
    "GiveReleaseNotice": "cases.measure",
    "EndNoticeDeferral": "cases.measure",
    "RecordMeasureExecution": "cases.measure",
    "EndMeasure": "cases.measure",
}


async def create_cases(conn, schema: str, table: str = CASES) -> None:
    await conn.execute(CASES_SQL.format(s=schema, t=table))


async def create_awaiting(conn, schema: str, table: str) -> None:
    await conn.execute(AWAITING_SQL.format(s=schema, t=table))


async def _create_both_awaiting(conn, schema: str) -> None:
    await create_awaiting(conn, schema, CASE_AWAITING)
    await create_awaiting(conn, schema, MEASURE_AWAITING)


MIGRATIONS = (
    Migration("cases.case_index", 1, "the cases' index (ListCases, issue 20)", create_cases),
    Migration("cases.awaiting", 1, "what cases and measures await (ListAwaitingMe, issue 20)", _create_both_awaiting),
)


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


# -- rows: pure functions of the folded aggregate ------------------------------------------------


def _utc(at: datetime | None) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if at else LAST


def _pending(state: Case) -> tuple[list[str], list[str]]:
    """The roles what awaits approval names, before the catalogue's approvers are applied
    (`access.Access._pending`)."""
    filing_roles = filing.roles_named(state) if state.status in (FILING, FILING_REJECTED) else frozenset()
    review_roles = trial.awaited_roles(state) if state.status == UNDER_TRIAL_REVIEW else frozenset()
    return sorted(filing_roles), sorted(review_roles)


def case_row(state: Case, version: int) -> tuple:
    o = state.opened
    filing_roles, review_roles = _pending(state)
    values = {
        "case_id": o.case_id,
        "clue_number": o.clue_number,
        "status": state.status,
        "holder": state.holder,
        "liaison": state.liaison,
        "opened_office": o.handling_office,
        "reviewed": state.reviewed,
        "roles": sorted(state.approver_roles),
        "filing_pending": filing_roles,
        "review_pending": review_roles,
        "hand_over": state.hand_over is not None,
        "person_ids": [s.person_id for s in o.subjects],
        "subjects": json.dumps([asdict(s) for s in o.subjects], ensure_ascii=False, sort_keys=True),
        "filed_at": state.filed_at,
        "due": aw.due(state),
        "colour": aw.colour(state),
        "awaiting_steps": [a.step for a in aw.case_awaited(state)],
        "sort_key": f"{_utc(state.filed_at)}|{o.case_id}",
        "version": version,
    }
    return tuple(values[c] for c in CASE_COLUMNS)


def _awaiting_rows(file_id: str, case_id: str, reference: str, items, holding: tuple, persons, colour: str) -> list:
    office, liaison, approvers = holding
    return [
        (
            file_id,
            n,
            case_id,
            reference,
            a.step,
            a.role,
            a.summary[:200],
            a.at_holder,
            office,
            liaison,
            approvers,
            persons,
            a.since,
            a.due,
            colour,
            f"{_utc(a.due)}|{_utc(a.since)}|{file_id}|{n:04d}",
        )
        for n, a in enumerate(items)
    ]


def case_awaiting_rows(state: Case) -> list[tuple]:
    o = state.opened
    persons = [s.person_id for s in o.subjects]
    return _awaiting_rows(
        o.case_id,
        o.case_id,
        o.clue_number or o.case_id,
        aw.case_awaited(state),
        ("", "", []),
        persons,
        aw.colour(state),
    )


def measure_awaiting_rows(state: m.Measure, rules: m.MeasureRules) -> list[tuple]:
    r = state.requested
    roles = sorted(m.approver_roles(r.kind, state.status, state.extensions, state.ends_at is not None, rules))
    holding = (r.office, r.liaison_office, roles)
    items = aw.measure_awaited(state, rules)
    return _awaiting_rows(r.measure_id, r.case_id, f"{r.kind} {r.person_id}", items, holding, [r.person_id], "")


# -- writes, in the command's transaction --------------------------------------------------------


async def _insert(conn, schema: str, table: str, columns: tuple, rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        await conn.executemany(f"INSERT INTO {schema}.{table} ({', '.join(columns)}) VALUES ({marks})", rows)


async def keep_case(conn, schema: str, state: Case, version: int) -> None:
    """The case's row and what it awaits, as its command (or timer) left it."""
    if state.opened is None:
        return
    row = case_row(state, version)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in CASE_COLUMNS[1:])
    marks = ", ".join(f"${i}" for i in range(1, len(CASE_COLUMNS) + 1))
    await conn.execute(
        f"INSERT INTO {schema}.{CASES} ({', '.join(CASE_COLUMNS)}) VALUES ({marks}) "
        f"ON CONFLICT (case_id) DO UPDATE SET {updates}",
        *row,
    )
    await conn.execute(f"DELETE FROM {schema}.{CASE_AWAITING} WHERE file_id = $1", state.opened.case_id)
    await _insert(conn, schema, CASE_AWAITING, AWAITING_COLUMNS, case_awaiting_rows(state))


async def keep_measure(conn, schema: str, state: m.Measure, rules: m.MeasureRules) -> None:
    if state.requested is None:
        return
    await conn.execute(f"DELETE FROM {schema}.{MEASURE_AWAITING} WHERE file_id = $1", state.requested.measure_id)
    await _insert(conn, schema, MEASURE_AWAITING, AWAITING_COLUMNS, measure_awaiting_rows(state, rules))


# -- at start: what was recorded before these tables -------------------------------------------


def stage_start(history: History) -> datetime | None:
    """When the investigation stage the case is in began: the domain time of the event that began it."""
    began = [r.at for r in history.records if isinstance(r.event, (ev.InvestigationStarted, ev.TrialReviewReturned))]
    return began[-1] if began else None


async def backfill(store, cases, measures, rules: m.MeasureRules, page: int = 500) -> tuple[int, int]:
    """Rows for the cases (and, on a store whose index was empty, the measures) recorded before
    these tables, from their events as a rebuild makes them (`cases`, `measures`: their command
    runners); (cases, measures) written. A case in an investigation stage gets its warnings' timers
    from the stage's start (issue 20). Run at start, after the migrations. A command meanwhile
    wins: a case row it wrote is kept (insert only where none is), a measure is written under its
    ledger row's lock, which its commands take too."""
    schema = store.schema
    fresh = not await store.pool.fetchval(f"SELECT EXISTS (SELECT 1 FROM {schema}.{CASES})")
    done_measures = 0
    if fresh:
        last = ""
        while ids := [
            r[0]
            for r in await store.pool.fetch(
                f"SELECT measure_id FROM {schema}.measure_ledger WHERE measure_id > $1 ORDER BY measure_id LIMIT $2",
                last,
                page,
            )
        ]:
            for measure_id in ids:
                async with store.unit_of_work() as uow:
                    await uow.conn.execute(
                        f"SELECT 1 FROM {schema}.measure_ledger WHERE measure_id = $1 FOR UPDATE", measure_id
                    )
                    history = await measures.load(uow, measure_id)
                    await keep_measure(uow.conn, schema, history.state, rules)
            done_measures, last = done_measures + len(ids), ids[-1]
    done_cases, last = 0, ""
    while ids := [
        r[0]
        for r in await store.pool.fetch(
            f"SELECT DISTINCT e.stream_id FROM {schema}.events e WHERE e.stream_id > $1 "
            f"AND e.stream_id ~ '^case-[0-9a-f]{{8}}-' "
            f"AND NOT EXISTS (SELECT 1 FROM {schema}.{CASES} c WHERE c.case_id = e.stream_id) "
            f"ORDER BY e.stream_id LIMIT $2",
            last,
            page,
        )
    ]:
        for case_id in ids:
            async with store.unit_of_work() as uow:
                history = await cases.load(uow, case_id)
                if history.state.opened is None:
                    continue
                marks = ", ".join(f"${i}" for i in range(1, len(CASE_COLUMNS) + 1))
                inserted = await uow.conn.fetchval(
                    f"INSERT INTO {schema}.{CASES} ({', '.join(CASE_COLUMNS)}) VALUES ({marks}) "
                    f"ON CONFLICT (case_id) DO NOTHING RETURNING case_id",
                    *case_row(history.state, history.version),
                )
                if inserted:
                    await uow.conn.execute(f"DELETE FROM {schema}.{CASE_AWAITING} WHERE file_id = $1", case_id)
                    await _insert(uow.conn, schema, CASE_AWAITING, AWAITING_COLUMNS, case_awaiting_rows(history.state))
                    if history.state.status in aw.STAGES:  # its stage's warnings, from when it began
                        started = stage_start(history)
                        await cases.aggregate.stage_timers(
                            uow, history.state, started, "backfill", f"backfill:{case_id}"
                        )
                    done_cases += 1
        last = ids[-1]
    return done_cases, done_measures


# -- reads -------------------------------------------------------------------------------------


def case_holding(row, access: Access) -> Holding:
    """A case row's holding, as `access.Access.case` gives the case's."""
    org = access.organisation
    liaison = row["liaison"] or org.holding(row["opened_office"]).liaison
    holding = org.holding(row["holder"], liaison)
    if row["reviewed"]:
        holding = holding.with_steps(*access.trial_review_offices)
    pending = (access.filing_approvers & set(row["filing_pending"])) | (
        access.review_approvers & set(row["review_pending"])
    )
    if row["hand_over"]:
        pending |= access.hand_over_approvers
    return holding.with_approvers(set(row["roles"]) | pending)


def measure_holding(row, access: Access) -> Holding:
    return access.organisation.holding(row["office"], row["liaison"]).with_approvers(row["approvers"])


async def _paged(fetch, keep, size: int, what: str, token: str) -> tuple[list, str]:
    """Rows in sort-key order after the token's, those `keep` admits, one page and the next token.
    `fetch(after, limit)` gives candidate rows (a first cut in SQL)."""
    after, out, batch = after_of(what, token), [], max(2 * size, 100)
    while len(out) <= size:
        rows = await fetch(after, batch)
        out += [r for r in rows if keep(r)]
        if len(rows) < batch:
            break
        after = rows[-1]["sort_key"]
    page = out[:size]
    return page, (page_token(what, page[-1]["sort_key"]) if len(out) > size else "")


async def cases(
    pool,
    schema: str,
    reader: Principal,
    access: Access,
    now: datetime,
    *,
    state: str = "",
    office: str = "",
    person_id: str = "",
    overdue_only: bool = False,
    page_size: int = 0,
    token: str = "",
) -> tuple[list[dict], str]:
    """The cases `reader` may know, filtered, in filing order; one page and the next token."""
    if state and state not in STATUSES:
        raise Validation("state", f"one of {', '.join(STATUSES)}, not {state!r}")
    size, org = paging.page_size(page_size), access.organisation
    seen = visible_offices(reader, org)

    async def fetch(after: str, limit: int):
        return await pool.fetch(
            f"SELECT * FROM {schema}.{CASES} WHERE sort_key > $1 AND ($2 = '' OR status = $2) "
            f"AND ($3 = '' OR holder = $3) AND ($4 = '' OR $4 = ANY(person_ids)) "
            f"AND (NOT $5 OR colour = 'RED' OR (due IS NOT NULL AND due <= $6)) "
            f"AND ($7::text[] IS NULL OR holder = ANY($7) OR liaison = ANY($7) OR (liaison = '' AND opened_office <> '') "
            f"OR reviewed OR hand_over OR roles && $8 OR filing_pending && $8 OR review_pending && $8) "
            f"ORDER BY sort_key LIMIT $9",
            after,
            state,
            office,
            person_id,
            overdue_only,
            now,
            None if seen is None else sorted(seen),
            [reader.role],
            limit,
        )

    rows, next_token = await _paged(
        fetch, lambda r: may_know(reader, case_holding(r, access), org), size, "ListCases", token
    )
    return [dict(r, colour=_now_colour(r, now)) for r in rows], next_token


def _now_colour(row, now: datetime) -> str:
    """The stored colour, RED once its due passed before a timer recorded it."""
    if row["colour"] in (aw.GREEN, aw.YELLOW) and row["due"] is not None and row["due"] <= now:
        return aw.RED
    return row["colour"]


async def awaiting_me(
    pool,
    schema: str,
    reader: Principal,
    access: Access,
    may,
    now: datetime,
    page_size: int = 0,
    token: str = "",
    custody_kinds: tuple[str, ...] = ("DETENTION",),
) -> tuple[list[dict], str]:
    """What waits for `reader`: items of its role, and those its office holds that its role may do
    (`may(reader, operation)`: the catalogue), under need to know; by due, since, file id. Beside
    the stored items, custody (IR2025 134): a detention (`custody_kinds`) still running on a
    disposed case is its transferred person's (any other would have blocked the closing), awaiting
    the procuratorate's taking custody, recorded by those who may `cases.custody`."""
    size, org = paging.page_size(page_size), access.organisation
    case_part = (
        f"SELECT a.*, 'case' AS kind, c.holder AS holder, c.liaison AS c_liaison, c.opened_office, c.reviewed, "
        f"c.roles, c.filing_pending, c.review_pending, c.hand_over, c.due AS case_due "
        f"FROM {schema}.{CASE_AWAITING} a JOIN {schema}.{CASES} c ON c.case_id = a.file_id "
        f"WHERE a.sort_key > $1 AND (a.role = $2 OR (a.at_holder AND c.holder = $3))"
    )
    measure_part = (
        f"SELECT a.*, 'measure' AS kind, a.office AS holder, a.liaison AS c_liaison, '' AS opened_office, "
        f"false AS reviewed, a.approvers AS roles, '{{}}'::text[] AS filing_pending, '{{}}'::text[] AS review_pending, "
        f"false AS hand_over, NULL::timestamptz AS case_due "
        f"FROM {schema}.{MEASURE_AWAITING} a WHERE a.sort_key > $1 AND (a.role = $2 OR (a.at_holder AND a.office = $3))"
    )

    custody_key = f"'{LAST}|{LAST}|' || l.measure_id || '|0000'"
    custody_part = (
        f"SELECT l.measure_id AS file_id, 0 AS n, l.case_id, l.kind || ' ' || l.person_id AS reference, "
        f"'TransferCustody' AS step, $2::text AS role, "
        f"'the procuratorate takes custody of the person transferred (SL 54; IR2025 134)' AS summary, "
        f"false AS at_holder, l.office, l.liaison, '{{}}'::text[] AS approvers, ARRAY[l.person_id] AS person_ids, "
        f"NULL::timestamptz AS since, NULL::timestamptz AS due, '' AS colour, {custody_key} AS sort_key, "
        f"'measure' AS kind, l.office AS holder, l.liaison AS c_liaison, '' AS opened_office, false AS reviewed, "
        f"'{{}}'::text[] AS roles, '{{}}'::text[] AS filing_pending, '{{}}'::text[] AS review_pending, "
        f"false AS hand_over, NULL::timestamptz AS case_due "
        f"FROM {schema}.measure_ledger l JOIN {schema}.{CASES} c ON c.case_id = l.case_id "
        f"WHERE $5 AND c.status = 'DISPOSED' AND l.kind = ANY($6::text[]) AND l.status IN ('ACTIVE', 'EXPIRED') "
        f"AND {custody_key} > $1"
    )
    records_custody = may(reader, "cases.custody")

    async def fetch(after: str, limit: int):
        return await pool.fetch(
            f"({case_part}) UNION ALL ({measure_part}) UNION ALL ({custody_part}) ORDER BY sort_key LIMIT $4",
            after,
            reader.role,
            reader.office,
            limit,
            records_custody,
            list(custody_kinds),
        )

    def keep(r) -> bool:
        if r["at_holder"]:
            operation = OPERATIONS.get(r["step"])
            acts = operation is not None and r["holder"] == reader.office and may(reader, operation)
        else:
            acts = r["role"] == reader.role
        if not acts:
            return False
        if r["kind"] == "case":
            holding = case_holding(dict(r, liaison=r["c_liaison"]), access)
        else:
            holding = measure_holding(r, access)
        return may_know(reader, holding, org)

    rows, next_token = await _paged(fetch, keep, size, "ListAwaitingMe", token)
    out = []
    for r in rows:
        colour = _now_colour({"colour": r["colour"], "due": r["case_due"]}, now) if r["kind"] == "case" else ""
        out.append(dict(r, colour=colour, role=reader.role if r["at_holder"] else r["role"]))
    return out, next_token


# -- the rebuild ---------------------------------------------------------------------------------


def projections(case_fold: Fold, measure_fold: Fold, rules: m.MeasureRules) -> tuple[Projection, ...]:
    """The three tables as projections of the case and measure streams, each row made as their
    commands make it."""

    def case_rows(h: History) -> list[tuple]:
        return [case_row(h.state, h.version)] if h.state.opened is not None else []

    def case_awaiting(h: History) -> list[tuple]:
        return case_awaiting_rows(h.state) if h.state.opened is not None else []

    def measure_awaiting(h: History) -> list[tuple]:
        return measure_awaiting_rows(h.state, rules) if h.state.requested is not None else []

    async def create_case_awaiting(conn, schema: str, table: str = CASE_AWAITING) -> None:
        await create_awaiting(conn, schema, table)

    async def create_measure_awaiting(conn, schema: str, table: str = MEASURE_AWAITING) -> None:
        await create_awaiting(conn, schema, table)

    return (
        Projection(CASES, CASES, create_cases, Streams(case_fold, case_rows, "case_id")),
        Projection(CASE_AWAITING, CASE_AWAITING, create_case_awaiting, Streams(case_fold, case_awaiting, "file_id")),
        Projection(
            MEASURE_AWAITING,
            MEASURE_AWAITING,
            create_measure_awaiting,
            Streams(measure_fold, measure_awaiting, "file_id"),
        ),
    )
