"""What each clue awaits, kept on a real PostgreSQL (issue 20): clues written before it was kept
(migration 3 adds the table empty) get theirs from their events, the catalogue and the warning
scheme, the same rows a rebuild makes; the list query takes the caller's role and office."""

from datetime import timedelta

from kernel.eventstore.projections import rebuild
from services.clues import rebuild as clues_hook
from services.clues.app import ledger
from services.clues.app.handlers import ClueHandlers
from services.clues.domain import commands as c
from services.clues.domain.warnings import Duration, Rule, Scheme
from tests.integration.test_clue_reconciliation import (  # noqa: F401 - `app`, the clues handlers on a store
    CM,
    HEAD,
    app,
    registered,
    step,
)


async def dump(conn, schema) -> list[str]:
    return [r[0] for r in await conn.fetch(f"SELECT t::text FROM {schema}.awaiting t ORDER BY clue_id, n")]


async def test_clues_from_before_what_they_await_was_kept_get_it_from_their_events(app):
    handlers, _, clock = app
    s = handlers.store.schema
    waiting, _ = await registered(handlers, clock, office="supervision_1", n=1)  # a disposal to propose
    done, _ = await registered(handlers, clock, office="supervision_1", n=2)
    await step(handlers, clock, done, c.ProposeDisposal(done, "CLOSED", "nothing in it", CM))
    await step(handlers, clock, done, c.ApproveDisposal(done, HEAD))  # closed: awaits nothing
    async with handlers.store.pool.acquire() as conn:
        kept = await dump(conn, s)
        assert {r.split(",")[0].strip("(") for r in kept} == {waiting}
    assert await handlers.refresh_awaiting(page=1) == 1  # no basis kept yet: every open clue
    assert await handlers.refresh_awaiting() == 0  # the same basis: nothing to do
    async with handlers.store.pool.acquire() as conn:
        await conn.execute(f"DELETE FROM {s}.awaiting")  # as migration 3 found them
    assert await handlers.refresh_awaiting(page=1) == 1  # the open clue; the closed one awaits nothing
    async with handlers.store.pool.acquire() as conn:
        assert await dump(conn, s) == kept
        projection = next(p for p in clues_hook.projections({}) if p.name == "awaiting")
        assert (await rebuild(conn, s, projection, replace=False)).equal  # what a rebuild makes
        mine = await ledger.awaiting_page(
            conn, s, role="supervisor", office="supervision_1", person="u-x", after=None, limit=10, seen=None
        )
        other = await ledger.awaiting_page(
            conn, s, role="supervisor", office="supervision_2", person="u-x", after=None, limit=10, seen=None
        )
    assert [(r["clue_id"], r["step"]) for r in mine] == [(waiting, "ProposeDisposal")]
    assert other == []  # the step is the holding office's


async def test_a_changed_warning_scheme_recomputes_every_open_clues_due_date_at_start(app):
    handlers, _, clock = app
    s = handlers.store.schema
    cid, _ = await registered(handlers, clock, office="supervision_1", n=3)
    assert await handlers.refresh_awaiting() >= 1
    two_days = Scheme("two", "", (Rule("r", frozenset({"REGISTERED"}), "stage", Duration(2, "days")),))
    h = ClueHandlers(
        handlers.store, handlers.vault, two_days, handlers.calendar, handlers.tz, handlers.codec, handlers.access
    )
    assert await h.refresh_awaiting() >= 1  # another basis: every open clue again
    async with h.store.pool.acquire() as conn:
        dues = {r["due"] for r in await conn.fetch(f"SELECT due FROM {s}.awaiting WHERE clue_id = $1", cid)}
        since = await conn.fetchval(f"SELECT stage_since FROM {s}.ledger WHERE clue_id = $1", cid)
    assert dues == {since + timedelta(days=2)}
    assert await h.refresh_awaiting() == 0
