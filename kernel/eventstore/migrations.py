"""Numbered schema migrations, recorded per schema in `<schema>.schema_migrations`.

Each component (the kernel's `store`, `requests`, …; a service's `clues.ledger`, …) numbers its
migrations 1, 2, 3 on its own. `apply` runs the ones a schema has not recorded, in order, each in
one transaction with its record, under an advisory lock on the schema: replicas starting at once
take turns, and a later one finds the records and applies nothing again.

Every migration stays idempotent (`IF NOT EXISTS`): migration 1 of each component is the DDL
that ran unrecorded before migrations were numbered, so a schema made then is adopted as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.schema_migrations (
    component  text NOT NULL,
    number     int  NOT NULL CHECK (number >= 1),
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, number)
)"""


@dataclass(frozen=True)
class Migration:
    """`change` is SQL with `{s}` for the schema, or an async function of (conn, schema)."""

    component: str
    number: int
    name: str
    change: str | Callable[[asyncpg.Connection, str], Awaitable[None]]

    async def run(self, conn, schema: str) -> None:
        if isinstance(self.change, str):
            await conn.execute(self.change.format(s=schema))
        else:
            await self.change(conn, schema)


class MigrationRefused(RuntimeError):
    """The schema records migrations this code does not know, or with a gap: a newer (or other)
    version ran on it. Nothing is applied; start the version that made it."""


async def apply(db, schema: str, migrations: Iterable[Migration], log=None) -> list[Migration]:
    """Apply what `schema` has not recorded of `migrations` (a pool or a connection); the ones
    applied. With `log`, one line says how many and each component's version now."""
    if not schema.isidentifier():
        raise ValueError(f"bad schema name {schema!r}")
    plan = _plan(migrations)
    applied: list[Migration] = []
    async with _connection(db) as conn:
        while (m := await _step(conn, schema, plan)) is not None:
            applied.append(m)
        if log is not None:
            log.info(
                "schema.migrated", schema=schema, applied=len(applied), versions=await versions(conn, schema, plan)
            )
    return applied


async def versions(conn, schema: str, components: Iterable[str] | None = None) -> dict[str, int]:
    """Each component's highest recorded number (all recorded components by default)."""
    rows = await conn.fetch(
        f"SELECT component, max(number) AS v FROM {schema}.schema_migrations GROUP BY component ORDER BY component"
    )
    wanted = None if components is None else set(components)
    return {r["component"]: r["v"] for r in rows if wanted is None or r["component"] in wanted}


def _plan(migrations: Iterable[Migration]) -> dict[str, list[Migration]]:
    """Migrations by component, in the order given; each component's numbered 1, 2, … n.
    The same migration listed twice (a kernel part a service lists too) counts once."""
    plan: dict[str, list[Migration]] = {}
    for m in dict.fromkeys(migrations):
        plan.setdefault(m.component, []).append(m)
    for component, ms in plan.items():
        if [m.number for m in ms] != list(range(1, len(ms) + 1)):
            raise ValueError(
                f"migrations of {component} must be numbered 1, 2, … in order, not {[m.number for m in ms]}"
            )
    return plan


async def _step(conn, schema: str, plan: dict[str, list[Migration]]) -> Migration | None:
    """Apply the first migration not recorded, with its record, in one transaction; None when
    every one is recorded. Records are read under the lock, so a replica that waited sees what
    the other applied."""
    async with conn.transaction():
        # the key the store's migration took before migrations were numbered: a replica of that
        # version starting beside this one waits too
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"migrate:{schema}")
        # CREATE SCHEMA wants the right to create in the database even when the schema exists, and
        # an operator may give a service's role its schema and nothing more
        if await conn.fetchval("SELECT to_regnamespace($1) IS NULL", schema):
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await conn.execute(TABLE_SQL.format(s=schema))
        recorded = await _recorded(conn, schema, list(plan))
        for component, ms in plan.items():  # all checked before anything is applied
            _check(schema, component, recorded.get(component, []), len(ms))
        pending = [ms[len(recorded.get(c, []))] for c, ms in plan.items() if len(recorded.get(c, [])) < len(ms)]
        if not pending:
            return None
        m = pending[0]
        await m.run(conn, schema)
        await conn.execute(
            f"INSERT INTO {schema}.schema_migrations (component, number, name) VALUES ($1, $2, $3)",
            m.component,
            m.number,
            m.name,
        )
        return m


async def _recorded(conn, schema: str, components: list[str]) -> dict[str, list[int]]:
    rows = await conn.fetch(
        f"SELECT component, number FROM {schema}.schema_migrations "
        f"WHERE component = ANY($1::text[]) ORDER BY component, number",
        components,
    )
    found: dict[str, list[int]] = {}
    for r in rows:
        found.setdefault(r["component"], []).append(r["number"])
    return found


def _check(schema: str, component: str, recorded: Sequence[int], known: int) -> None:
    unknown = [n for n in recorded if n > known]
    if unknown:
        raise MigrationRefused(
            f"schema {schema}: {component} records migration(s) {unknown} that this code does not know "
            f"(it knows 1..{known}): a newer version ran on this schema; refusing to start"
        )
    if list(recorded) != list(range(1, len(recorded) + 1)):
        raise MigrationRefused(
            f"schema {schema}: {component} records migrations {list(recorded)}, not 1..{len(recorded)} "
            f"without a gap; refusing to start"
        )


@asynccontextmanager
async def _connection(db):
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn:
            yield conn
    else:
        yield db
