"""Monthly reconciliation and stock-take on a real PostgreSQL: the central ledger as it stood at
the month's end (not as it stands now), one recorded result per submission, retries and racing
submissions neither lost nor doubled, and refused input leaving nothing behind."""

import asyncio
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from kernel.domain.calendar import load_calendar
from kernel.domain.clock import FixedClock
from kernel.domain.errors import NotFound, Validation
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore import commands, timers
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.store import EventStore
from services.clues.adapters import mapping
from services.clues.adapters.vault import InformantVault
from services.clues.app import ledger, numbering
from services.clues.app.clue import Access
from services.clues.app.handlers import ClueHandlers
from services.clues.app.reconciliation import Reconciler, reconciliation_id
from services.clues.app.schemes import load_scheme
from services.clues.domain import commands as c, reconciliation as rec
from services.clues.domain.events import Subject

CST = timezone(timedelta(hours=8))
CM = Principal("commission", "case_management", "case_manager", "u-cm")
RES = Principal("commission", "resident_group_1", "resident_officer", "u-res")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
ACCESS = Access.of(catalogue.load())  # who may know a clue, as the shipped catalogue says


@pytest.fixture
async def app(pool, unique):
    clock = FixedClock(datetime(2026, 4, 1, 9, tzinfo=CST))
    store = EventStore(pool, f"t_{unique}", clock)
    await store.migrate()
    vault = InformantVault(store.schema, os.urandom(32))
    async with pool.acquire() as conn:
        for migrate in (commands.migrate, timers.migrate_timers, numbering.migrate, ledger.migrate):
            await migrate(conn, store.schema)
        await vault.migrate(conn)
    handlers = ClueHandlers(store, vault, load_scheme(), load_calendar(), CST, mapping.CODEC, ACCESS)
    return handlers, Reconciler(handlers), clock


def ctx(who=CM, op="clues.test", request_id=None, content=b""):
    rid = request_id or str(uuid.uuid4())
    return CommandContext(who, "corr", op, rid, op.encode() + rid.encode() + content)


async def step(handlers, clock, clue_id, command):
    async def make(uow, state):
        return command

    return await handlers.handle(ctx(), clue_id, 0, clock.now(), make)


async def registered(handlers, clock, office="resident_group_1", source="SUPERIOR_ASSIGNMENT", n=1):
    """A clue received now and registered with `office` handling it; its id and number."""
    cid = f"clue-{uuid.uuid4()}"
    await handlers.register(
        c.RegisterClue(cid, source, (Subject(f"P-{n}", "Zheng"),), "loans from clients", clock.now(), False, CM),
        None,
        ctx(),
    )
    number = f"CM-2026-{n:04d}-{cid[-4:]}"
    await step(handlers, clock, cid, c.ProposeRegistration(cid, number, office, CM))
    await step(handlers, clock, cid, c.ApproveRegistration(cid, HEAD))
    return cid, number


async def test_the_month_is_judged_as_it_stood_at_its_end(app):
    handlers, reconciler, clock = app
    late, late_no = await registered(handlers, clock, n=1)  # 1 April, never disposed
    moved, moved_no = await registered(handlers, clock, n=2)  # escalated in June
    done, done_no = await registered(handlers, clock, source="PETITION", n=3)  # disposed in June
    clock.set(datetime(2026, 6, 3, 10, tzinfo=CST))
    await step(handlers, clock, moved, c.EscalateClue(moved, "supervision_2", "complex", HEAD, approves=True))
    await step(handlers, clock, done, c.ProposeDisposal(done, "TALK_OR_LETTER", "specific", RES))
    await step(handlers, clock, done, c.ApproveDisposal(done, HEAD))

    may, number = await reconciler.submit(
        ctx(RES), "resident_group_1", "2026-05", [(late_no, "REGISTERED"), (done, "TALK_OR_LETTER")], clock.now()
    )
    assert number == 1 and may.held == 3 and may.listed == 2
    assert may.as_of == datetime(2026, 6, 1, tzinfo=CST) - timedelta(microseconds=1)
    assert [(d.kind, d.clue_id) for d in may.differences] == [
        (rec.MISSING_FROM_OFFICE, moved),
        (rec.STATUS_DIFFERS, done),
        (rec.ASSIGNED_NOT_DISPOSED, late),
        (rec.ASSIGNED_NOT_DISPOSED, moved),
    ]
    assert may.differences[1].central_status == "REGISTERED"  # the June disposal is not May's

    june, _ = await reconciler.submit(
        ctx(RES),
        "resident_group_1",
        "2026-06",
        [(late_no, "REGISTERED"), (moved_no, "REGISTERED"), (done_no, "TALK_OR_LETTER")],
        clock.now(),
    )
    assert june.as_of == clock.now()  # the running month: as of the submission
    assert [(d.kind, d.clue_id) for d in june.differences] == [
        (rec.HELD_BY_ANOTHER_OFFICE, moved),
        (rec.ASSIGNED_NOT_DISPOSED, late),
    ]
    other, _ = await reconciler.submit(ctx(CM), "supervision_2", "2026-06", [(moved_no, "REGISTERED")], clock.now())
    assert [d.kind for d in other.differences] == [rec.ASSIGNED_NOT_DISPOSED]  # red still, whoever holds it


async def test_retries_return_the_first_report_and_racing_submissions_each_count_once(app):
    handlers, reconciler, clock = app
    cid, number = await registered(handlers, clock, source="PETITION")
    clock.set(datetime(2026, 4, 10, tzinfo=CST))
    first = ctx(RES, "clues.reconcile", "req-1")
    report, n = await reconciler.submit(first, "resident_group_1", "2026-04", [(number, "CLOSED")], clock.now())
    clock.advance(timedelta(hours=1))
    again = await reconciler.submit(first, "resident_group_1", "2026-04", [(number, "CLOSED")], clock.now())
    assert again == (report, n) == (report, 1)
    racers = [
        reconciler.submit(
            ctx(RES, "clues.reconcile"), "resident_group_1", "2026-04", [(number, "REGISTERED")], clock.now()
        )
        for _ in range(8)
    ]
    results = await asyncio.gather(*racers)
    assert sorted(n for _, n in results) == list(range(2, 10))
    assert all(r.differences == () for r, _ in results)
    stream = await handlers.store.read_stream(reconciliation_id("resident_group_1", "2026-04"))
    assert [s.version for s in stream] == list(range(1, 10))
    latest, version = await reconciler.latest("resident_group_1", "2026-04")
    assert version == 9 and latest.differences == ()


@pytest.mark.parametrize(
    "month,entries,field",
    [
        ("2026-4", [], "month"),
        ("2026-13", [], "month"),
        ("", [], "month"),
        ("2026-08", [], "month"),
        ("2026-04", [("CM-1", "OPEN")], "entries[0].status"),
        ("2026-04", [("", "CLOSED")], "entries[0].clue"),
        ("2026-04", [("CM-1", "CLOSED"), ("CM-2", "CLOSED"), ("CM-1", "RECEIVED")], "entries[2].clue"),
    ],
)
async def test_refused_submissions_leave_nothing_behind(app, month, entries, field):
    handlers, reconciler, clock = app
    clock.set(datetime(2026, 7, 15, tzinfo=CST))
    context = ctx(RES, "clues.reconcile")
    with pytest.raises(Validation) as err:
        await reconciler.submit(context, "resident_group_1", month, entries, clock.now())
    assert err.value.field == field
    async with handlers.store.pool.acquire() as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {handlers.store.schema}.events") == 0
        assert await conn.fetchval(f"SELECT count(*) FROM {handlers.store.schema}.requests") == 0
    with pytest.raises(NotFound):
        await reconciler.latest("resident_group_1", "2026-04")


async def test_stock_take_of_a_half_year(app):
    handlers, reconciler, clock = app
    clock.set(datetime(2025, 12, 20, tzinfo=CST))
    before, _ = await registered(handlers, clock, source="PETITION", n=1)  # received before the period
    clock.set(datetime(2026, 1, 10, tzinfo=CST))
    closed, _ = await registered(handlers, clock, source="PETITION", n=2)
    await step(handlers, clock, closed, c.ProposeDisposal(closed, "CLOSED", "unfounded", RES))
    await step(handlers, clock, closed, c.ApproveDisposal(closed, HEAD))
    clock.set(datetime(2026, 5, 1, tzinfo=CST))
    fresh, _ = await registered(handlers, clock, office="supervision_1", n=3)
    clock.set(datetime(2026, 7, 20, tzinfo=CST))  # after the period: does not count
    await step(handlers, clock, before, c.ProposeDisposal(before, "SHELVED", "hold", RES))
    await step(handlers, clock, before, c.ApproveDisposal(before, HEAD))

    take = await reconciler.stock_take(
        datetime(2026, 1, 1, tzinfo=CST), datetime(2026, 6, 30, 23, 59, tzinfo=CST), "", clock.now()
    )
    assert take.received == 2
    assert dict(take.disposed_by_method) == {"CLOSED": 1}
    assert dict(take.concluded_by_status) == {"CLOSED": 1}
    assert dict(take.open_by_stage) == {"REGISTERED": 2}
    assert dict(take.open_by_colour) == {"RED": 2} and take.overdue == 2
    mine = await reconciler.stock_take(
        datetime(2026, 1, 1, tzinfo=CST), datetime(2026, 6, 30, tzinfo=CST), "supervision_1", clock.now()
    )
    assert (mine.received, dict(mine.open_by_stage)) == (1, {"REGISTERED": 1})
    with pytest.raises(Validation) as err:
        await reconciler.stock_take(
            datetime(2026, 6, 30, tzinfo=CST), datetime(2026, 1, 1, tzinfo=CST), "", clock.now()
        )
    assert err.value.field == "end"
