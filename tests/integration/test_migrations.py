"""Numbered migrations on a real PostgreSQL: applied in order and recorded, once, by replicas
starting at once; a schema recording what the code does not know refuses to start; a schema made
before migrations were numbered is adopted with nothing lost."""

import asyncio
import uuid
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from clues.v1 import events_pb2
from kernel.domain.clock import FixedClock
from kernel.eventstore import migrations, timers
from kernel.eventstore.migrations import Migration, MigrationRefused
from kernel.eventstore.store import EventStore
from kernel.messaging.inbox import Source
from kernel.runtime.service import KERNEL_MIGRATIONS
from services.audit.app import ledger as audit_ledger
from services.audit.app.recorder import Recorder
from services.audit.main import MIGRATIONS as AUDIT_MIGRATIONS
from services.cases.main import MIGRATIONS as CASES_MIGRATIONS
from services.clues.adapters.vault import InformantVault
from services.clues.app import numbering
from services.clues.main import MIGRATIONS as CLUES_MIGRATIONS
from tests.factories import clue_event
from tests.integration import previous_schema as previous
from tests.integration.test_inbox import raw_event


async def _third(conn, schema: str) -> None:
    await conn.execute(f"ALTER TABLE {schema}.entries ADD COLUMN note text")


# none of these may run twice: a second run fails (table exists, key taken, column exists)
TOY = (
    Migration("toy", 1, "entries", "CREATE TABLE {s}.entries (n int PRIMARY KEY)"),
    Migration("toy", 2, "first entry", "INSERT INTO {s}.entries VALUES (1)"),
    Migration("toy", 3, "a note on each entry", _third),
)
OTHER = (Migration("other", 1, "others", "CREATE TABLE {s}.others (n int PRIMARY KEY)"),)
CLUES = (*KERNEL_MIGRATIONS, *CLUES_MIGRATIONS)
AUDIT = (*KERNEL_MIGRATIONS, *AUDIT_MIGRATIONS)
EVERYTHING = (*CLUES, *CASES_MIGRATIONS, *AUDIT_MIGRATIONS)


class Log:
    def __init__(self):
        self.lines = []

    def info(self, event, **kw):
        self.lines.append((event, kw))


async def recorded(pool, schema):
    return [
        tuple(r)
        for r in await pool.fetch(
            f"SELECT component, number, name FROM {schema}.schema_migrations ORDER BY component, number"
        )
    ]


async def test_applied_in_order_recorded_and_logged(pool, unique):
    schema, log = f"m_{unique}", Log()
    applied = await migrations.apply(pool, schema, (*TOY, *OTHER), log)
    assert [(m.component, m.number) for m in applied] == [("toy", 1), ("toy", 2), ("toy", 3), ("other", 1)]
    assert await recorded(pool, schema) == [
        ("other", 1, "others"),
        ("toy", 1, "entries"),
        ("toy", 2, "first entry"),
        ("toy", 3, "a note on each entry"),
    ]
    assert [tuple(r) for r in await pool.fetch(f"SELECT n, note FROM {schema}.entries")] == [(1, None)]
    assert log.lines == [("schema.migrated", {"schema": schema, "applied": 4, "versions": {"other": 1, "toy": 3}})]


async def test_a_second_apply_applies_nothing_and_a_newer_code_only_what_is_new(pool, unique):
    schema, log = f"m_{unique}", Log()
    assert len(await migrations.apply(pool, schema, TOY[:2])) == 2
    assert await migrations.apply(pool, schema, TOY, log) == [TOY[2]]
    assert await migrations.apply(pool, schema, TOY, log) == []
    assert [kw["applied"] for _, kw in log.lines] == [1, 0]
    assert log.lines[-1][1]["versions"] == {"toy": 3}


async def test_replicas_starting_at_once_apply_each_migration_once(pool, unique):
    for attempt in range(3):
        schema = f"m_{unique}_{attempt}"
        replicas = await asyncio.gather(*(migrations.apply(pool, schema, (*TOY, *OTHER)) for _ in range(8)))
        assert sorted((m.component, m.number) for applied in replicas for m in applied) == [
            ("other", 1),
            ("toy", 1),
            ("toy", 2),
            ("toy", 3),
        ]
        assert len(await recorded(pool, schema)) == 4


async def test_replicas_of_every_service_starting_at_once_on_one_schema(pool, unique):
    """The platform's own migrations, all of them, by eight replicas at once: none fails."""
    schema = f"m_{unique}"
    replicas = await asyncio.gather(*(migrations.apply(pool, schema, EVERYTHING) for _ in range(8)))
    assert sum(len(applied) for applied in replicas) == len(set(EVERYTHING))
    async with pool.acquire() as conn:
        assert await migrations.versions(conn, schema) == {
            "audit.checkpoints": 1,
            "audit.completeness": 1,
            "audit.feed_publisher": 1,
            "audit.integrity": 1,
            "audit.ledger": 4,
            "audit.projections": 5,
            "audit.witnessing": 1,
            "cases.awaiting": 1,
            "cases.case_index": 1,
            "cases.clue_directory": 1,
            "cases.measure_ledger": 5,
            "clues.informants": 1,
            "clues.ledger": 4,
            "clues.numbers": 1,
            "clues.tours": 1,
            "consumer_backlog": 2,
            "quarantine": 1,
            "requests": 1,
            "store": 2,
            "timers": 1,
        }


async def test_a_schema_recording_an_unknown_migration_refuses_to_start(pool, unique):
    schema = f"m_{unique}"
    await migrations.apply(pool, schema, TOY)
    await pool.execute(f"INSERT INTO {schema}.schema_migrations VALUES ('toy', 4, 'from a newer version')")
    with pytest.raises(MigrationRefused, match=rf"schema {schema}: toy records migration\(s\) \[4\] .* knows 1\.\.3"):
        await migrations.apply(pool, schema, (*OTHER, *TOY))
    assert ("other", 1, "others") not in await recorded(pool, schema)  # refused before applying anything
    await pool.execute(f"DELETE FROM {schema}.schema_migrations WHERE component = 'toy' AND number IN (2, 4)")
    with pytest.raises(MigrationRefused, match=r"toy records migrations \[1, 3\], not 1\.\.2 without a gap"):
        await migrations.apply(pool, schema, TOY)


async def test_code_numbering_each_component_from_one_in_order(pool, unique):
    with pytest.raises(ValueError, match="toy must be numbered"):
        await migrations.apply(pool, f"m_{unique}", (TOY[0], TOY[2]))
    with pytest.raises(ValueError, match="toy must be numbered"):
        await migrations.apply(pool, f"m_{unique}", (TOY[1], TOY[0]))


# -- adoption of a schema made before migrations were numbered ------------------------------


async def make_previous(pool, schema, *parts):
    async with pool.acquire() as conn:
        await conn.execute(f"CREATE SCHEMA {schema}")
        for sql in parts:
            await conn.execute(sql.format(s=schema, t="story_links"))


async def snapshot(pool, schema) -> dict:
    """Every row of every table but the migration records, in a comparable form."""
    tables = [
        r[0]
        for r in await pool.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> "
            "'schema_migrations'",
            schema,
        )
    ]
    return {
        t: sorted((tuple(r.items()) for r in await pool.fetch(f"SELECT * FROM {schema}.{t}")), key=repr) for t in tables
    }


def lost(before: dict, after: dict) -> dict:
    """The rows of `before` that `after` no longer holds with the same values in the same columns
    (a later migration may add columns, tables and rows: it may not change or drop any)."""
    out = {}
    for table, rows in before.items():
        columns = {c for row in rows for c, _ in row}
        kept = [tuple((c, v) for c, v in row if c in columns) for row in after.get(table, [])]
        gone = [row for row in rows if row not in kept]
        if gone:
            out[table] = gone
    return out


async def test_a_clues_schema_of_the_previous_version_is_adopted_with_nothing_lost(pool, unique):
    schema = f"old_clues_{unique}"
    await make_previous(
        pool,
        schema,
        previous.STORE,
        previous.REQUESTS,
        previous.TIMERS,
        previous.QUARANTINE,
        previous.CLUE_LEDGER,
        previous.CLUE_NUMBERS,
        previous.INFORMANTS,
    )
    store = EventStore(pool, schema, FixedClock())
    clue = f"clue-{uuid.uuid4()}"
    await store.append(clue, 0, [clue_event(clue, "before the upgrade")])
    async with store.unit_of_work() as uow:
        await timers.schedule(
            uow,
            "t-old",
            datetime(2026, 2, 1, tzinfo=timezone.utc),
            clue,
            events_pb2.ClueRegistered(clue_id=clue),
            correlation_id="corr-old",
        )
        await numbering.next_number(uow.conn, schema, "office-a", 2026)
        await InformantVault(schema, AESGCM.generate_key(bit_length=256)).seal(uow.conn, clue, {"name": "x"})
        await uow.conn.execute(
            f"INSERT INTO {schema}.requests (request_id, operation, fingerprint, user_id) VALUES ('r', 'op', '', 'u'); "
            f"INSERT INTO {schema}.relay_cursor (topic, published, through_count) VALUES ('clues.events.v1', 1, 1); "
            f"INSERT INTO {schema}.ledger VALUES ('{clue}', 'office-a-2026-0001', 'REGISTERED', 'office-a', "
            f"'office-a', '', now(), now(), 1, 's', '[]', '', 1); "
            f"INSERT INTO {schema}.holders VALUES ('office-a', '{clue}')"
        )
    before = await snapshot(pool, schema)
    log = Log()
    await migrations.apply(pool, schema, CLUES, log)
    assert not lost(before, await snapshot(pool, schema))
    assert log.lines[0][1]["versions"] == {
        "clues.informants": 1,
        "clues.ledger": 4,
        "clues.numbers": 1,
        "clues.tours": 1,
        "consumer_backlog": 2,
        "quarantine": 1,
        "requests": 1,
        "store": 2,
        "timers": 1,
    }
    await store.append(clue, 1, [clue_event(clue, "after the upgrade")])  # the stream goes on
    assert [e.version for e in await store.read_stream(clue)] == [1, 2]


async def test_an_audit_schema_of_the_previous_version_is_adopted_with_nothing_lost(pool, unique):
    schema = f"old_audit_{unique}"
    await make_previous(
        pool,
        schema,
        previous.STORE,
        previous.REQUESTS,
        previous.TIMERS,
        previous.QUARANTINE,
        previous.AUDIT_LEDGER,
        previous.COMPLETENESS,
        previous.PROJECTION_POSITIONS,
        previous.STORY,
        "INSERT INTO {s}.projection_positions VALUES ('story', 0) ON CONFLICT DO NOTHING",
        previous.CHECKPOINTS,
    )
    recorder = Recorder(EventStore(pool, schema, FixedClock()), consumer="old-ledger")
    raws = [raw_event(f"clue-old{s}", v) for v in (1, 2) for s in range(3)]
    assert await recorder.record_batch([(r, Source("t", 0, k)) for k, r in enumerate(raws)]) == len(raws)
    before = await snapshot(pool, schema)
    await migrations.apply(pool, schema, AUDIT)
    await recorder.migrate()  # what the audit service runs next at start
    after = await snapshot(pool, schema)
    assert not lost(before, after)
    assert after["stream_holdings"] == [] and after["read_links"] == []  # old events state no holding, no read
    async with pool.acquire() as conn:
        versions = await migrations.versions(conn, schema)
        assert {c: v for c, v in versions.items() if c.startswith("audit.")} == {
            "audit.checkpoints": 1,
            "audit.completeness": 1,
            "audit.feed_publisher": 1,
            "audit.integrity": 1,
            "audit.ledger": 4,
            "audit.projections": 5,
            "audit.witnessing": 1,
        }
        more = raw_event("clue-old0", 3)
        assert await recorder.record(more, Source("t", 0, 9)) == 1
        assert await audit_ledger.size(conn, schema) == len(raws) + 1


async def test_a_cursor_from_before_published_counts_gains_its_column(pool, unique):
    """A store older still (relay cursor without `through_count`): migration 2 of the store adds it."""
    schema = f"older_{unique}"
    await make_previous(
        pool,
        schema,
        previous.STORE.replace("ALTER TABLE {s}.relay_cursor ADD COLUMN IF NOT EXISTS through_count bigint;", ""),
    )
    await pool.execute(f"INSERT INTO {schema}.relay_cursor (topic, published) VALUES ('t', 5)")
    await EventStore(pool, schema, FixedClock()).migrate()
    assert tuple(await pool.fetchrow(f"SELECT topic, published, through_count FROM {schema}.relay_cursor")) == (
        "t",
        5,
        None,
    )
