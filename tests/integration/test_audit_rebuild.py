"""Rebuilding the audit projections from the ledger on a real PostgreSQL: byte-for-byte equal to
what live ingest built, while ingest goes on; damage found and mended; tampered leaves refused;
a projection new to a running ledger caught up at start-up; the command line."""

import os
import random
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cases.v1 import events_pb2 as cases
from kernel.eventstore.envelope import Link
from kernel.messaging.inbox import Source
from services.audit.app import projections, story
from services.audit.app.recorder import Recorder
from tests.integration.test_audit_replay import CASE, CLUE, INTAKE, PERSON, STORY, UNRELATED, ev

ROOT = Path(__file__).resolve().parents[2]
STORY_P = projections.PROJECTIONS[0]


def many(n: int, seed: int) -> list[bytes]:
    """Events of n/4 clues with their cases, persons and cross links, sealed as producers would."""
    rnd, out = random.Random(seed), []
    for k in range(n // 4):
        clue, case = f"clue-{uuid.UUID(int=seed << 64 | k)}", f"case-{uuid.UUID(int=seed << 64 | k)}"
        person = Link("person", f"P-{rnd.randint(1, 40)}", "subject")
        out += [
            ev(clue, 1, cases.CaseFiled(clue_id=clue), INTAKE, rnd.randint(0, 9), [person]),
            ev(clue, 2, cases.CaseFiled(clue_id=clue), INTAKE, rnd.randint(10, 19), [person, Link("case", case, "x")]),
            ev(case, 1, cases.CaseFiled(case_id=case), INTAKE, rnd.randint(10, 19), [Link("clue", clue, "origin")]),
            ev(
                f"clue-timers-{uuid.UUID(int=seed << 64 | k)}",
                1,
                cases.CaseFiled(),
                INTAKE,
                5,
                [Link("clue", clue, "warned"), person],
            ),
        ]
    return out


async def ingest(recorder, raws, batch=7):
    for k in range(0, len(raws), batch):
        await recorder.record_batch([(r, Source("t", 0, k + i)) for i, r in enumerate(raws[k : k + batch])])


async def dump(conn, schema) -> list[str]:
    """The live table, every row as PostgreSQL prints it, in key order."""
    return [
        r["t"]
        for r in await conn.fetch(f"SELECT t::text AS t FROM {schema}.{story.TABLE} t ORDER BY {', '.join(story.KEY)}")
    ]


@pytest.fixture
async def recorder(store):
    r = Recorder(store, consumer="rebuild-test")
    await r.migrate()
    await ingest(r, [raw for _, raw in STORY] + UNRELATED + many(120, 1))
    return r


async def test_a_rebuild_ends_byte_for_byte_equal_to_what_live_ingest_built(store, recorder):
    async with store.pool.acquire() as conn:
        live = await dump(conn, store.schema)
        assert len(live) == 97  # 132 events: a row per clue, case or decision each links
        check = await projections.rebuild(conn, store.schema, STORY_P, replace=False, chunk_size=17)
        assert (check.equal, check.replaced, check.read, check.rows) == (True, False, 132, len(live))
        done = await projections.rebuild(conn, store.schema, STORY_P, replace=True, chunk_size=17)
        assert done.equal and done.replaced and not done.mismatched
        assert await dump(conn, store.schema) == live
        again = await projections.rebuild(conn, store.schema, STORY_P, replace=True)  # names survive a swap
        assert again.equal and await dump(conn, store.schema) == live


async def test_ingest_going_on_during_a_rebuild_is_neither_lost_nor_doubled(store, recorder):
    later, fed = many(60, 2), []

    async def ingest_meanwhile(n):  # after each chunk read, the live service records more
        if later:
            batch = [later.pop() for _ in range(min(9, len(later)))]
            fed.extend(batch)
            await ingest(recorder, batch)

    async with store.pool.acquire() as conn:
        done = await projections.rebuild(
            conn, store.schema, STORY_P, replace=True, tick=ingest_meanwhile, chunk_size=10
        )
        assert done.equal and done.replaced and len(fed) == 60 and done.read == 132 + 60
        assert (await projections.rebuild(conn, store.schema, STORY_P, replace=False)).equal
        await ingest(recorder, many(8, 3))  # the swapped table is live
        assert (await projections.rebuild(conn, store.schema, STORY_P, replace=False)).equal
        assert await conn.fetchval(f"SELECT position FROM {store.schema}.projection_positions") == 132 + 60 + 8


async def test_a_damaged_live_table_is_found_by_a_check_and_mended_by_a_rebuild(store, recorder):
    s = f"{store.schema}.{story.TABLE}"
    async with store.pool.acquire() as conn:
        live = await dump(conn, store.schema)
        await conn.execute(f"DELETE FROM {s} WHERE id = $1", CLUE)  # warned, reconciled, filed: 3 rows
        await conn.execute(f"UPDATE {s} SET relation = 'forged' WHERE ctid = (SELECT min(ctid) FROM {s})")
        await conn.execute(f"INSERT INTO {s} SELECT leaf_index, kind, 'clue-forged', relation, joins FROM {s} LIMIT 2")
        check = await projections.rebuild(conn, store.schema, STORY_P, replace=False)
        assert (check.missing, check.extra) == (3 + 1, 1 + 2) and not check.replaced
        assert len(await dump(conn, store.schema)) == len(live) - 3 + 2  # a check changes nothing
        mend = await projections.rebuild(conn, store.schema, STORY_P, replace=True)
        assert mend.replaced and await dump(conn, store.schema) == live


async def test_leaves_that_fail_their_stored_hash_are_never_rebuilt_from(store, recorder):
    async with store.pool.acquire() as conn:
        live = await dump(conn, store.schema)
        await conn.execute(
            f"UPDATE {store.schema}.recorded_events SET envelope = $1 WHERE leaf_index = 5",
            ev(CASE, 9, cases.CaseFiled(), INTAKE, 1, [PERSON]),
        )
        done = await projections.rebuild(conn, store.schema, STORY_P, replace=True)
        assert done.mismatched == [5] and not done.replaced and not done.equal
        assert await dump(conn, store.schema) == live


async def test_a_projection_new_to_a_running_ledger_catches_up_at_start_up(store, recorder):
    async with store.pool.acquire() as conn:
        live = await dump(conn, store.schema)
        await conn.execute(
            f"DROP TABLE {store.schema}.{story.TABLE}; DELETE FROM {store.schema}.projection_positions; "
            f"DELETE FROM {store.schema}.schema_migrations WHERE component = 'audit.projections'"
        )
    restarted = Recorder(store, consumer="rebuild-test")
    await restarted.migrate()
    async with store.pool.acquire() as conn:
        assert await dump(conn, store.schema) == live


async def test_a_projection_left_behind_by_an_older_replica_catches_up_at_the_next_batch(store, recorder):
    async with store.pool.acquire() as conn:
        live = await dump(conn, store.schema)
        await conn.execute(
            f"DELETE FROM {store.schema}.{story.TABLE} WHERE leaf_index >= 100; "
            f"UPDATE {store.schema}.projection_positions SET position = 100"
        )
    await ingest(recorder, many(4, 5))  # 4 more leaves, after 32 the index missed
    async with store.pool.acquire() as conn:
        assert (await dump(conn, store.schema))[: len(live)] == live
        assert (await projections.rebuild(conn, store.schema, STORY_P, replace=False)).equal


async def test_the_command_checks_rebuilds_and_says_what_it_did(store, recorder, database_url):
    def run(*args):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "services.audit.rebuild",
                "--database-url",
                database_url,
                "--schema",
                store.schema,
                *args,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'gen'}"},
            timeout=120,
        )

    checked = run("--check")
    assert checked.returncode == 0, checked.stderr
    assert "story: 132 leaves read" in checked.stdout and "live table equal, byte for byte" in checked.stdout
    assert "leaf" in checked.stderr  # the progress bar
    assert run("--schema", "nowhere").returncode == 2
    helped = run("--help")
    assert helped.returncode == 0 and "--check" in helped.stdout
