"""Person dossiers on a real PostgreSQL (issue 26; domain.md §5, §1): the dossier projection fed by
the exact bytes the clues, cases and sanctions services publish (tests/dossier_history); each
situation's dossier; as of a moment in the past; need to know (an office sees nothing of a file it
may not know); many persons in one query; the rebuild equal to live ingest; no informant or summary
text ever in the table."""

from datetime import date, datetime, timezone

import pytest

from kernel.domain.errors import Validation
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore import envelope as env_mod
from services.audit.app import dossiers, projections
from services.audit.app.dossiers import Dossiers
from services.audit.app.holdings import Reader
from services.audit.app.recorder import Recorder
from services.audit.domain.dossier import CASE, CLUE, FILING, IMPACT, MEASURE, SANCTION, TALK_OR_LETTER
from tests import dossier_history as h

ORG = catalogue.load().organisation
AS_OF = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
SITUATIONS = {
    "clean": h.clean("P-clean"),
    "open_clue": h.open_clue("P-open_clue", date(2026, 3, 2)),
    "concluded_clue": h.concluded_clue("P-concluded_clue", date(2026, 1, 5)),
    "filing_awaiting_approval": h.filing_awaiting_approval("P-filing_awaiting_approval", date(2026, 2, 2)),
    "open_case": h.open_case("P-open_case", date(2026, 1, 5)),
    "measure_running": h.measure_running("P-measure_running", date(2026, 1, 5)),
    "party_sanction_in_period": h.party_sanction_in_period("P-party_sanction_in_period", date(2026, 2, 2)),
    "government_sanction_in_period": h.government_sanction_in_period(
        "P-government_sanction_in_period", date(2026, 2, 2)
    ),
    "expired_sanction": h.expired_sanction("P-expired_sanction", date(2025, 6, 2)),
    "admonishment_in_period": h.admonishment_in_period("P-admonishment_in_period", date(2026, 2, 2)),
}
PERSONS = [f"P-{name}" for name in SITUATIONS]
RAWS = [raw for raws in SITUATIONS.values() for raw in raws]

# (situation, its dossier as of AS_OF: (kind, state, open, what, family, running) per item)
EXPECTED = {
    "clean": [],
    "open_clue": [(CLUE, "TALK_OR_LETTER", True, "", "", False)],
    "concluded_clue": [
        (CLUE, "CLOSED", False, "", "", False),
        (TALK_OR_LETTER, "CONCLUDED", False, "CLEARED", "", False),
    ],
    "filing_awaiting_approval": [
        (CLUE, "AWAITING_FILING", True, "", "", False),
        (FILING, "AWAITING_APPROVAL", True, "", "", False),
    ],
    "open_case": [(CASE, "FILED", True, "", "", False), (CLUE, "CASE_FILED", False, "", "", False)],
    "measure_running": [
        (CASE, "FILED", True, "", "", False),
        (MEASURE, "EXECUTED", True, "ORDERED_WAITING", "", True),
        (CLUE, "CASE_FILED", False, "", "", False),
    ],
    "party_sanction_in_period": [
        (CLUE, "CASE_FILED", False, "", "", False),
        (CASE, "DISPOSED", False, "", "", False),
        (SANCTION, "IN_EFFECT", False, "PARTY_WARNING", "PARTY", True),
    ],
    "government_sanction_in_period": [
        (CLUE, "CASE_FILED", False, "", "", False),
        (CASE, "DISPOSED", False, "", "", False),
        (SANCTION, "IN_EFFECT", False, "GOVERNMENT_DEMERIT", "GOVERNMENT", True),
    ],
    "expired_sanction": [
        (CLUE, "CASE_FILED", False, "", "", False),
        (CASE, "DISPOSED", False, "", "", False),
        (SANCTION, "LIFTED", False, "GOVERNMENT_WARNING", "GOVERNMENT", False),
    ],
    "admonishment_in_period": [
        (CLUE, "CLOSED", False, "", "", False),
        (TALK_OR_LETTER, "CONCLUDED", False, "ADMONISHMENT", "", False),
        (IMPACT, "IN_EFFECT", False, "ADMONISHMENT", "", True),
    ],
}


def summary(items):
    return [(i.kind, i.state, i.open, i.what, i.family, i.running) for i in items]


def who(office: str, role: str) -> Principal:
    return Principal("commission", office, role, f"u-{office}")


@pytest.fixture
async def recorded(store):
    recorder = Recorder(store, consumer="dossier-test")
    await recorder.migrate()
    assert await h.record(recorder, RAWS, batch=40) == len(RAWS)
    return Dossiers(store.pool, store.schema)


async def test_every_situation_has_its_dossier_in_one_query(recorded):
    """domain.md §5: what an integrity-opinion reply checks, for every candidate at once."""
    found, tree_size = await recorded.items([*PERSONS, "P-nobody"], AS_OF)
    assert tree_size == len(RAWS)
    assert {p: summary(items) for p, items in found.items()} == {
        **{f"P-{name}": expected for name, expected in EXPECTED.items()},
        "P-nobody": [],
    }
    assert all(leaf < tree_size for items in found.values() for i in items for leaf in i.leaf_indices)


async def test_an_items_leaves_are_the_events_of_its_file_in_order(store, recorded):
    items, _ = await recorded.dossier("P-government_sanction_in_period", AS_OF)
    async with store.pool.acquire() as conn:
        for item in items:
            rows = await conn.fetch(
                f"SELECT leaf_index, envelope FROM {store.schema}.recorded_events WHERE leaf_index = ANY($1::bigint[]) "
                f"ORDER BY leaf_index",
                list(item.leaf_indices),
            )
            assert [r["leaf_index"] for r in rows] == list(item.leaf_indices)
            assert {env_mod.parse(bytes(r["envelope"])).stream_id for r in rows} == {item.ref}
    sanction = items[-1]
    assert (sanction.start, sanction.end, sanction.holding_office) == ("2026-02-02", "2027-02-02", h.CASE_OFFICE)
    assert [b.kind for b in sanction.bars] == ["PROMOTION_LOCK", "PAY_STEP_LOCK"]


async def test_as_of_a_moment_in_the_past_tells_the_dossier_as_it_stood(recorded):
    person = "P-open_case"  # clue registered 2026-01-05, filing 02-14, filed 02-19
    before, _ = await recorded.dossier(person, datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert before == []
    registered, _ = await recorded.dossier(person, datetime(2026, 1, 6, 12, tzinfo=timezone.utc))
    assert summary(registered) == [(CLUE, "REGISTERED", True, "", "", False)]
    awaiting, _ = await recorded.dossier(person, datetime(2026, 2, 16, tzinfo=timezone.utc))
    assert [(i.kind, i.state, i.open) for i in awaiting] == [
        (CLUE, "AWAITING_FILING", True),
        (FILING, "AWAITING_APPROVAL", True),
    ]
    filed, _ = await recorded.dossier(person, AS_OF)
    assert [(i.kind, i.state, i.open) for i in filed] == [(CASE, "FILED", True), (CLUE, "CASE_FILED", False)]


async def test_a_sanction_runs_at_the_dossiers_moment_only_within_its_period(recorded):
    """G1 (PSL 7): a demerit of 2026-02-02 runs 12 months; as of 2027-02-02 it no longer runs."""
    person = "P-government_sanction_in_period"
    (*_, later), _ = await recorded.dossier(person, datetime(2027, 2, 2, 12, tzinfo=timezone.utc))
    assert (later.state, later.running) == ("IN_EFFECT", False)


# (reader, the kinds of P-open_case's items it may know): the clue is supervision_1's, the case
# investigation_1's with liaison supervision_1 (domain.md §1)
READERS = [
    (who("supervision_2", "supervisor"), []),  # another office: nothing at all
    (who("investigation_2", "investigator"), []),
    (who("investigation_1", "investigator"), [CASE]),  # the case's holder, not the clue's
    (who("supervision_1", "supervisor"), [CASE, CLUE]),  # the clue's holder, the case's liaison
    (who("case_management", "case_manager"), [CASE, CLUE]),  # sees everything
]


@pytest.mark.parametrize("principal, kinds", READERS, ids=lambda a: getattr(a, "office", ""))
async def test_a_reader_sees_only_the_items_of_files_it_may_know(recorded, principal, kinds):
    items, _ = await recorded.dossier("P-open_case", AS_OF, Reader(principal, ORG))
    assert [i.kind for i in items] == kinds


async def test_the_rebuild_gives_the_same_table(store, recorded):
    p = projections.BY_NAME["dossiers"]
    async with store.pool.acquire() as conn:
        live = await conn.fetch(f"SELECT t::text AS t FROM {store.schema}.{dossiers.TABLE} t ORDER BY 1")
        check = await projections.rebuild(conn, store.schema, p, replace=False, chunk_size=13)
        assert (check.equal, check.read, check.rows) == (True, len(RAWS), len(live))
        done = await projections.rebuild(conn, store.schema, p, replace=True)
        assert done.equal and done.replaced
        again = await conn.fetch(f"SELECT t::text AS t FROM {store.schema}.{dossiers.TABLE} t ORDER BY 1")
    assert again == live
    found, _ = await recorded.items(PERSONS, AS_OF)
    assert {p: summary(i) for p, i in found.items()} == {f"P-{n}": e for n, e in EXPECTED.items()}


async def test_no_informant_or_summary_text_is_ever_in_the_table(store, recorded):
    """domain.md §2: the informant stays sealed in the clues service; a dossier copies no summaries,
    findings or reasons — only states, types, dates and offices."""
    async with store.pool.acquire() as conn:
        rows = await conn.fetch(
            f"SELECT attrs::text AS a, (SELECT array_agg(k) FROM jsonb_object_keys(attrs) k) AS keys FROM {store.schema}.{dossiers.TABLE}"
        )
    assert rows
    allowed = {
        "state",
        "open",
        "what",
        "family",
        "start",
        "end",
        "bars",
        "holding_office",
        "from",
        "add_bars",
        "on",
        "locks_ended",
        "new_end",
    }
    for r in rows:
        assert h.INFORMANT_MARKER not in r["a"] and "举报" not in r["a"] and "初核属实" not in r["a"], r["a"]
        assert set(r["keys"]) <= allowed


async def test_too_many_persons_in_one_query_is_refused_naming_the_field(recorded):
    with pytest.raises(Validation) as refused:
        await recorded.items([f"P-{i}" for i in range(dossiers.MAX_PERSONS + 1)])
    assert refused.value.field == "persons"
