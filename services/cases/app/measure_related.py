"""The other measures a measure's rule turns on (`domain/measure_conditions.Related`), read in the
command's transaction: the 管护 or 留置 that lets a compelled appearance run 24 hours (SL 46), the
measure a conversion links (SL 48), the person's earlier compelled appearances (never
consecutive, SL 46 ¶2). Read from their own streams (the measure ledger only finds them)."""

from __future__ import annotations

from kernel.domain.errors import Validation
from kernel.eventstore.aggregate import CommandRunner
from kernel.eventstore.store import UnitOfWork
from services.cases.app import measure_ledger
from services.cases.domain import measures as m
from services.cases.domain.measure_conditions import APPEARANCE, Related


def related_of(state: m.Measure) -> Related:
    r = state.requested
    return Related(r.measure_id, r.kind, r.person_id, state.status, state.starts_at, state.ends_at, state.ended_at)


async def related(uow: UnitOfWork, measures: CommandRunner[m.Measure], measure_id: str, field: str) -> Related | None:
    """The measure `measure_id` names ("" : None), or INVALID_ARGUMENT naming `field` when there is none."""
    measure_id = (measure_id or "").strip()
    if not measure_id:
        return None
    history = await measures.load(uow, measures.stream_id(measure_id, field))
    if history.state.requested is None:
        raise Validation(field, f"no measure {measure_id}")
    return related_of(history.state)


async def appearances_of(uow: UnitOfWork, measures: CommandRunner[m.Measure], person_id: str) -> tuple[Related, ...]:
    """The person's compelled appearances (SL 46 ¶2), as their streams say. Locks the person's
    appearances until the transaction ends, so two approvals at once cannot both find none running
    (the second waits, then sees the first)."""
    await uow.conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"appearance:{uow.store.schema}:{person_id}"
    )
    ids = await uow.conn.fetch(
        f"SELECT measure_id FROM {uow.store.schema}.{measure_ledger.TABLE} WHERE person_id = $1 AND kind = $2",
        person_id,
        APPEARANCE,
    )
    out = []
    for row in ids:
        history = await measures.load(uow, row["measure_id"])
        if history.state.requested is not None:
            out.append(related_of(history.state))
    return tuple(out)
