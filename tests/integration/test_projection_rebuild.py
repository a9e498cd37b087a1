"""Rebuilding the clue ledger (with its holders and notices) and the measure ledger from the
services' own events on a real PostgreSQL: equal row for row to what the commands kept; damage
found by a check and mended by a rebuild, from the code and from `python -m kernel.eventstore.rebuild`;
commands going on during a rebuild neither lost nor doubled."""

import os
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from kernel.domain.calendar import load_calendar
from kernel.domain.clock import FixedClock
from kernel.domain.principal import Principal
from kernel.eventstore import commands, timers
from kernel.eventstore.projections import rebuild
from kernel.eventstore.timers import TimerScheduler
from services.cases import rebuild as cases_hook
from services.cases.domain import measures as m
from services.clues import rebuild as clues_hook
from services.clues.adapters import mapping
from services.clues.adapters.tour_mapping import CODEC as TOUR_CODEC
from services.clues.adapters.vault import InformantVault
from services.clues.app import ledger, numbering, tours
from services.clues.app.handlers import ClueHandlers
from services.clues.app.schemes import load_scheme
from services.clues.domain import commands as c, tour as t
from services.clues.domain.events import Subject
from tests.integration.test_cases_filing import handlers  # noqa: F401 - the cases fixture, on `store`
from tests.integration.test_cases_timers import INV, T0, case_under_investigation, new_measure, on_measure
from tests.integration.test_clue_reconciliation import (
    ACCESS,
    CM,
    CST,
    HEAD,
    RES,
    ctx as clue_ctx,
    registered,
    step,
)

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "ledger": "clue_id",
    "holders": "office, clue_id",
    "notices": "clue_id, notice_id",
    "awaiting": "clue_id, n",  # issue 20: what each clue awaits
    "measure_ledger": "measure_id",
    "case_index": "case_id",  # issue 20: the cases' index and what they and their measures await
    "case_awaiting": "file_id, n",
    "measure_awaiting": "file_id, n",
    "tour_problems": "problem_id",  # issue 27: the tour rounds' problem ledger
}


@pytest.fixture
async def clues(store):
    """The clues service's handlers on the test's store (beside the cases service's), on a clock."""
    clock = FixedClock(T0.astimezone(CST))
    vault = InformantVault(store.schema, os.urandom(32))
    async with store.pool.acquire() as conn:
        for migrate in (commands.migrate, timers.migrate_timers, numbering.migrate, ledger.migrate, tours.migrate):
            await migrate(conn, store.schema)
        await vault.migrate(conn)
    return ClueHandlers(store, vault, load_scheme(), load_calendar(), CST, mapping.CODEC, ACCESS), clock


@pytest.fixture
async def kept(store, clues, handlers):
    """Clues and measures in several states, kept by their commands; their ids."""
    h, clock = clues
    moved, _ = await registered(h, clock, n=1)
    await step(h, clock, moved, c.EscalateClue(moved, "supervision_2", "complex", HEAD, approves=True))  # two holders
    met, _ = await registered(h, clock, n=2)
    clock.set(clock.now() + timedelta(days=1))
    await step(
        h,
        clock,
        met,
        c.IssueSupervisionNotice(met, "N-1", "", clock.now() + timedelta(days=9), "DISPOSED", clock.now(), CM),
    )
    await step(h, clock, met, c.ProposeDisposal(met, "TALK_OR_LETTER", "specific", RES))
    await step(h, clock, met, c.ApproveDisposal(met, HEAD))  # the notice met
    open_, _ = await registered(h, clock, n=3)
    await step(
        h,
        clock,
        open_,
        c.IssueSupervisionNotice(open_, "N-2", "", clock.now() + timedelta(days=5), "DISPOSED", clock.now(), CM),
    )
    received = f"clue-{uuid.uuid4()}"  # not yet registered
    await h.register(
        c.RegisterClue(received, "PETITION", (Subject("P-4", "Wu"),), "a letter", clock.now(), False, CM),
        None,
        clue_ctx(),
    )
    case_id = await case_under_investigation(handlers)
    detention = await new_measure(handlers, case_id, "DETENTION")
    assert await TimerScheduler(store, FixedClock(T0 + timedelta(hours=25))).fire_due() == 1  # the notice overdue
    late = T0 + timedelta(hours=26)
    await on_measure(handlers, detention, m.GiveDetentionNotice(detention, late, late, INV), late)  # folds it
    ban = await new_measure(handlers, case_id, "EXIT_BAN")
    await on_measure(handlers, ban, m.EndMeasure(ban, "LIFTED", "no longer needed", late, INV), late)
    requested = await new_measure(handlers, case_id, "DETENTION", approved=False)
    return {"clues": [moved, met, open_, received], "measures": [detention, ban, requested], "tour": await a_round(h)}


async def a_round(h) -> str:
    """A tour round (issue 27) with two problems, one transferred; its id."""
    rounds = tours.Tours(h.store, h, TOUR_CODEC, ACCESS.organisation)
    officer = Principal("commission", "inspection_tour", "tour_officer", "u-tour")
    rid = f"tour-{uuid.uuid4()}"
    units = (t.InspectedUnit("chaoyang", "朝阳区"),)
    await rounds.open(
        clue_ctx(officer), t.OpenTourRound(rid, "R", "REGULAR", units, date(2026, 3, 1), date(2026, 4, 30), officer), T0
    )
    found = tuple(t.NewProblem("chaoyang", "c", f"d{k}") for k in range(2))
    await rounds.handle(clue_ctx(officer), rid, 0, t.RecordTourProblems(rid, found, officer), T0)
    moved = t.TransferTourProblem(rid, f"{rid}#1", "chaoyang", T0 + timedelta(days=30), T0, officer)
    await rounds.handle(clue_ctx(officer), rid, 0, moved, T0)
    return rid


def projections():
    return clues_hook.projections(os.environ) + cases_hook.projections(os.environ)


async def dump(conn, schema, table) -> list[str]:
    return [r["t"] for r in await conn.fetch(f"SELECT t::text AS t FROM {schema}.{table} t ORDER BY {KEYS[table]}")]


async def test_every_ledger_rebuilt_from_the_events_is_equal_row_for_row(store, kept):
    async with store.pool.acquire() as conn:
        for p in projections():
            live = await dump(conn, store.schema, p.table)
            check = await rebuild(conn, store.schema, p, replace=False, chunk_size=3)
            assert (check.equal, check.replaced, check.rows) == (True, False, len(live)), p.name
            done = await rebuild(conn, store.schema, p, replace=True)
            assert done.equal and done.replaced and await dump(conn, store.schema, p.table) == live
        counts = {p.name: len(await dump(conn, store.schema, p.table)) for p in projections()}
    assert counts == {
        "ledger": 4,
        "notices": 2,
        "holders": 8,
        "awaiting": 13,  # each clue's steps, one row per role (issue 20)
        "measure_ledger": 3,
        "case_index": 1,
        "case_awaiting": 1,  # the investigation's report to trial review
        "measure_awaiting": 2,  # the requested detention's approval, the running one's execution (SL 44)
        "tour_problems": 2,  # the round's two problems (issue 27)
    }


async def test_damage_is_found_by_a_check_and_mended_by_a_rebuild(store, kept, database_url):
    s = store.schema
    async with store.pool.acquire() as conn:
        before = {p.table: await dump(conn, s, p.table) for p in projections()}
        moved, met, open_, _ = kept["clues"]
        detention, ban, _ = kept["measures"]
        await conn.execute(f"DELETE FROM {s}.ledger WHERE clue_id = $1", open_)
        await conn.execute(f"UPDATE {s}.ledger SET status = 'CLOSED' WHERE clue_id = $1", moved)
        await conn.execute(
            f"INSERT INTO {s}.ledger SELECT 'clue-stray', clue_number, status, receiving_office, "
            f"handling_office, priority, received_at, stage_since, stage_version, summary, subjects, "
            f"batch_reference, version FROM {s}.ledger WHERE clue_id = $1",
            met,
        )
        await conn.execute(f"DELETE FROM {s}.holders WHERE clue_id = $1 AND office = 'supervision_2'", moved)
        await conn.execute(f"UPDATE {s}.notices SET satisfied_at = NULL WHERE clue_id = $1", met)
        await conn.execute(f"DELETE FROM {s}.awaiting WHERE clue_id = $1 AND n = 0", open_)
        await conn.execute(f"UPDATE {s}.awaiting SET due = NULL WHERE clue_id = $1 AND n = 0", moved)
        await conn.execute(f"DELETE FROM {s}.measure_ledger WHERE measure_id = $1", ban)
        await conn.execute(f"UPDATE {s}.tour_problems SET state = 'CLOSED' WHERE problem_id = $1", kept["tour"] + "#1")
        await conn.execute(f"UPDATE {s}.measure_ledger SET notice_overdue = false WHERE measure_id = $1", detention)
        await conn.execute(
            f"INSERT INTO {s}.measure_ledger SELECT 'measure-stray', case_id, office, kind, person_id, "
            f"status, starts_at, ends_at, extensions, notice_due, notice_given, notice_overdue, version "
            f"FROM {s}.measure_ledger WHERE measure_id = $1",
            detention,
        )
        damaged = {p.table: await dump(conn, s, p.table) for p in projections()}
        found = {p.name: await rebuild(conn, s, p, replace=False) for p in projections()}
        assert {name: (d.missing, d.extra) for name, d in found.items()} == {
            "ledger": (2, 2),
            "holders": (1, 0),
            "notices": (1, 1),
            "awaiting": (2, 1),
            "measure_ledger": (2, 2),
            "case_index": (0, 0),
            "case_awaiting": (0, 0),
            "measure_awaiting": (0, 0),
            "tour_problems": (1, 1),
        }
        assert {p.table: await dump(conn, s, p.table) for p in projections()} == damaged  # a check changes nothing
    assert cli(database_url, "clues", s, "--check").returncode == 1
    mended = cli(database_url, "clues", s)
    assert mended.returncode == 0, mended.stderr
    assert "ledger: " in mended.stdout and "streams read" in mended.stdout
    assert "replaced by the rebuild" in mended.stdout
    assert "stream" in mended.stderr  # the progress bar
    assert cli(database_url, "cases", s, "--check", "--projection", "measure_ledger").returncode == 1
    assert cli(database_url, "cases", s, "--quiet").returncode == 0
    checked = cli(database_url, "cases", s, "--check")
    assert checked.returncode == 0 and "live table equal" in checked.stdout
    async with store.pool.acquire() as conn:
        assert {p.table: await dump(conn, s, p.table) for p in projections()} == before


async def test_commands_going_on_during_a_rebuild_are_neither_lost_nor_doubled(store, clues, kept):
    h, clock = clues
    p = next(p for p in projections() if p.name == "ledger")
    first = min(kept["clues"][:3])  # a registered clue among the two read first (one page each)
    meanwhile = [
        None,
        lambda: step(h, clock, first, c.EscalateClue(first, "supervision_3", "again", HEAD, approves=True)),
        lambda: registered(h, clock, n=9),
    ]

    async with store.pool.acquire() as conn:

        async def command_meanwhile(n):  # after pages 2 and 3, a command commits
            if meanwhile and not conn.is_in_transaction() and (command := meanwhile.pop(0)):
                await command()

        done = await rebuild(conn, store.schema, p, replace=True, tick=command_meanwhile, chunk_size=1)
        assert done.equal and done.replaced and not meanwhile
        assert (await rebuild(conn, store.schema, p, replace=False)).equal
        await registered(h, clock, n=10)  # the swapped table is live
        assert (await rebuild(conn, store.schema, p, replace=False)).equal
        assert len(await dump(conn, store.schema, "ledger")) == 6


def cli(database_url, *args):
    """`python -m kernel.eventstore.rebuild --service SERVICE --schema SCHEMA …` on the test's database."""
    service, schema, *rest = args
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "kernel.eventstore.rebuild",
            "--database-url",
            database_url,
            "--service",
            service,
            "--schema",
            schema,
            *rest,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'gen'}"},
        timeout=120,
    )


async def test_the_command_says_what_it_cannot_do(store, database_url):
    assert cli(database_url, "sanctions", store.schema, "--projection", "nothing").returncode == 2
    # issue 21: the sanctions' decision index and execution ledger, equal on a store without decisions
    assert cli(database_url, "sanctions", store.schema, "--check", "--quiet").returncode == 0
    assert cli(database_url, "clues", store.schema, "--projection", "nothing").returncode == 2
    assert cli(database_url, "clues", "nowhere").returncode == 2
    helped = cli(database_url, "clues", store.schema, "--help")
    assert helped.returncode == 0 and "--check" in helped.stdout and "measure ledger" in helped.stdout
