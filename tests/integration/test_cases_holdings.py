"""Holdings of cases and measures recorded before need to know (issue 17), on a real PostgreSQL: a
filing and a measure whose events name no liaison get it from their handling office and the
catalogue; the measure ledger's migration and its rebuild agree on such a row, and a list query
shows it to the catalogue's liaison and to no other office."""

import uuid
from datetime import datetime, timezone

from kernel.domain.errors import NotFound
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from kernel.eventstore.projections import Fold, rebuild
from services.cases.adapters.mapping import CODEC
from services.cases.app import measure_ledger
from services.cases.app.measure import MeasureAggregate
from services.cases.domain import events as ev
from tests.integration.test_cases_filing import SYSTEM, ctx, handlers  # noqa: F401 - the fixture

AT = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
RESIDENT = Principal("commission", "resident_group_1", "office_head", "u-res")
LIAISON = Principal("commission", "supervision_1", "office_head", "u-sup1")
OTHER = Principal("commission", "supervision_2", "office_head", "u-sup2")


async def append_old(handlers, stream_id: str, events: list) -> None:
    """Events as the previous code wrote them: no holding links, no liaison."""
    payloads = [ctx(SYSTEM).new_event(i, CODEC.to_pb(e), AT) for i, e in enumerate(events)]
    await handlers.store.append(stream_id, 0, payloads)


async def test_records_made_before_holdings_get_their_liaison_from_the_catalogue(store, handlers):
    case_id, measure_id = f"case-{uuid.uuid4()}", f"measure-{uuid.uuid4()}"
    subjects = (Subject("P-1", "Zhou Ba"),)
    await append_old(
        handlers, case_id, [ev.FilingOpened(case_id, "clue-1", "cm-1", subjects, "f", "resident_group_1", "u-x")]
    )
    await append_old(
        handlers,
        measure_id,
        [ev.MeasureRequested(measure_id, case_id, "SEARCH", "P-1", "resident_group_1", "r", "u-x")],
    )
    for reader in (RESIDENT, LIAISON):
        assert (await handlers.get_case(reader, case_id))[0].holder == "resident_group_1"
        assert (await handlers.get_measure(reader, measure_id))[0].requested.office == "resident_group_1"
    for read in (handlers.get_case(OTHER, case_id), handlers.get_measure(OTHER, measure_id)):
        try:
            await read
            raise AssertionError("another office read a file it may not know")
        except NotFound:
            pass
    [projection] = measure_ledger.projections(Fold.of(MeasureAggregate, CODEC), handlers.rules)
    async with store.pool.acquire() as conn:
        assert (await rebuild(conn, store.schema, projection, replace=True)).equal is False  # the row was missing
        assert (await rebuild(conn, store.schema, projection, replace=False)).equal  # and the rebuild is stable
        assert (
            await conn.fetchval(f"SELECT liaison FROM {store.schema}.measure_ledger WHERE measure_id = $1", measure_id)
            == ""
        )
    org = handlers.access.organisation

    async def listed(reader):
        got = await measure_ledger.rows(
            store.pool, store.schema, "resident_group_1", False, AT, reader, org, handlers.rules
        )
        return [r["measure_id"] for r in got]

    assert await listed(LIAISON) == [measure_id] and await listed(RESIDENT) == [measure_id]
    assert await listed(OTHER) == []
