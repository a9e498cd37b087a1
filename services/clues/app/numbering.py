"""Clue numbers: human-readable, unique and gap-free per numbering office and year.

`case_management-2026-0042`. The counter row is taken in the command's own transaction, so a
refused command gives its number back (the transaction rolls back) and no two clues share one.
"""

from __future__ import annotations

from kernel.eventstore import migrations
from kernel.eventstore.migrations import Migration

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS {s}.clue_numbers (
    office  text NOT NULL,
    year    int  NOT NULL,
    last    int  NOT NULL,
    PRIMARY KEY (office, year)
)"""
MIGRATIONS = (Migration("clues.numbers", 1, "clue number counters", TABLE_SQL),)


async def migrate(conn, schema: str) -> None:
    await migrations.apply(conn, schema, MIGRATIONS)


async def next_number(conn, schema: str, office: str, year: int) -> str:
    n = await conn.fetchval(
        f"INSERT INTO {schema}.clue_numbers (office, year, last) VALUES ($1, $2, 1) "
        f"ON CONFLICT (office, year) DO UPDATE SET last = {schema}.clue_numbers.last + 1 RETURNING last",
        office,
        year,
    )
    return f"{office}-{year}-{n:04d}"
