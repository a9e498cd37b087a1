"""The holding on the clue ledger's rows (issue 17) on a real PostgreSQL: rows written before it
was kept (migration 2 adds the columns empty) get it from each clue's events and the catalogue,
an escalation recorded before escalations needed approval included; the result is what a
rebuild makes, and list queries filter on it."""

from datetime import timedelta

from kernel.domain.access import Holding
from kernel.eventstore import migrations
from kernel.eventstore.projections import rebuild
from services.clues import rebuild as clues_hook
from services.clues.adapters import mapping
from services.clues.app import ledger
from services.clues.domain import commands as c, events as ev
from tests.integration.test_clue_reconciliation import (  # noqa: F401 - `app`, the clues handlers on a store
    CM,
    HEAD,
    app,
    ctx,
    registered,
    step,
)


async def escalated_the_old_way(handlers, clock, clue_id, to_office):
    """A ClueEscalated as the previous code recorded it: no approval, no holding links."""
    async with handlers.store.unit_of_work() as uow:
        before = await handlers.load(uow, clue_id)
        event = ev.ClueEscalated(clue_id, before.state.handling_office, to_office, "complex", "u-head")
        [stored] = await uow.append(
            clue_id, before.version, [ctx().new_event(0, mapping.CODEC.to_pb(event), clock.now())]
        )
        after = await handlers.load(uow, clue_id)
        t = handlers.timeline(after.records)
        await ledger.upsert(uow.conn, handlers.store.schema, after.state, t, stored.version, Holding(""))


async def rows_by_id(conn, schema):
    rows = await conn.fetch(f"SELECT clue_id, holder, liaison, steps, approvers FROM {schema}.ledger")
    return {r["clue_id"]: (r["holder"], r["liaison"], tuple(r["steps"]), tuple(r["approvers"])) for r in rows}


async def test_rows_written_before_holdings_were_kept_get_theirs_from_the_events(app):
    handlers, _, clock = app
    old, _ = await registered(handlers, clock, office="resident_group_1", n=1)
    await escalated_the_old_way(handlers, clock, old, "supervision_2")
    noticed, _ = await registered(handlers, clock, office="supervision_1", n=2)
    due = clock.now() + timedelta(days=9)
    await step(
        handlers,
        clock,
        noticed,
        c.IssueSupervisionNotice(noticed, "N-1", "resident_group_2", due, "DISPOSED", clock.now(), CM),
    )
    proposed, _ = await registered(handlers, clock, office="supervision_1", n=3)
    await step(handlers, clock, proposed, c.EscalateClue(proposed, "investigation_1", "lead", CM))
    s = handlers.store.schema
    async with handlers.store.pool.acquire() as conn:
        kept = await rows_by_id(conn, s)  # as the commands keep them now
        # the table as the previous code left it: no holding columns, migration 2 (and 3 and 4, issue
        # 20's awaiting tables, kept as they are) not recorded
        await conn.execute(
            f"ALTER TABLE {s}.ledger DROP COLUMN holder, DROP COLUMN liaison, DROP COLUMN steps, DROP COLUMN approvers"
        )
        await conn.execute(f"DELETE FROM {s}.schema_migrations WHERE component = 'clues.ledger' AND number >= 2")
        assert [m.number for m in await migrations.apply(conn, s, ledger.MIGRATIONS)] == [2, 3, 4]
        assert set((await rows_by_id(conn, s)).values()) == {("", "", (), ())}
        ledger_p = next(p for p in clues_hook.projections({}) if p.name == "ledger")
        assert not (await rebuild(conn, s, ledger_p, replace=False)).equal
    assert await handlers.backfill_holdings(page=2) == 3
    async with handlers.store.pool.acquire() as conn:
        filled = await rows_by_id(conn, s)
        assert (await rebuild(conn, s, ledger_p, replace=False)).equal  # what a rebuild makes
    assert filled[old] == ("supervision_2", "supervision_1", ("case_management",), ("commission_head",))
    assert filled[noticed] == (
        "supervision_1",
        "supervision_1",
        ("case_management", "resident_group_2"),
        ("commission_head",),
    )
    assert filled[proposed] == ("supervision_1", "supervision_1", ("case_management",), ("commission_head",))
    assert {k: v for k, v in kept.items() if k != old} == {k: v for k, v in filled.items() if k != old}
    assert await handlers.backfill_holdings() == 0  # nothing left without one
    # list queries filter on them: the old escalation's new holder sees it, its first holder not
    seen = ledger.Seen(["supervision_2"], "supervision_2", "supervisor")
    assert [r["clue_id"] for r in await handlers.ledger_rows(seen=seen)] == [old]
    seen = ledger.Seen(["resident_group_2"], "resident_group_2", "resident_officer")  # a notice's addressee
    assert [r["clue_id"] for r in await handlers.ledger_rows(seen=seen)] == [noticed]
    seen = ledger.Seen(["resident_group_1"], "resident_group_1", "resident_officer")
    assert await handlers.ledger_rows(seen=seen) == []
    assert {r["clue_id"] for r in await handlers.ledger_rows(seen=None)} == {old, noticed, proposed}
    assert HEAD.role in filled[proposed][3]
