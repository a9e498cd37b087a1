"""Need to know in audit on a real PostgreSQL (domain.md §1, issue 17): each stream's holding from
the holding links its events carry (a timer stream has its aggregate's; none known: open only to
those who see everything), applied to histories, stories, bundles and proofs alike; the holdings
and read indexes rebuild equal to what live ingest built; reads are no step of a story."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cases.v1 import events_pb2 as cases
from clues.v1 import events_pb2 as clues
from kernel.domain.access import holding_links
from kernel.domain.errors import NotFound
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Link, NewEvent
from kernel.eventstore.reads import FileRef, read_event
from kernel.messaging.inbox import Source
from services.audit.app import bundles, holdings, projections, reads
from services.audit.app.checkpoints import Checkpointer
from services.audit.app.holdings import Reader
from services.audit.app.proofs import Proofs
from services.audit.app.recorder import Recorder
from services.audit.app.replay import Replay
from services.audit.domain.checkpoint import NoteSigner

ORG = catalogue.load().organisation
T0 = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
U = uuid.UUID(int=0x17)
CLUE, CASE, OLD = f"clue-{U}", f"case-{U}", f"clue-{uuid.UUID(int=0x16)}"
TIMERS, READ_STREAM = f"clue-timers-{U}", f"read-{uuid.UUID(int=0x18)}"
RECEIVED = ORG.holding("complaints")
HELD = ORG.holding("resident_group_1").with_approvers(["commission_head"])  # liaison supervision_1
INVESTIGATED = ORG.holding("investigation_2")
PERSON = Link("person", "P-77", "subject")


def who(office: str, role: str) -> Principal:
    agency = "court" if office == "court_filing" else "commission"
    return Principal(agency, office, role, f"system:{office}" if role == "system" else f"u-{office}")


INTAKE = who("complaints", "complaints_officer")


def held(h) -> list[Link]:
    return [Link(*link) for link in holding_links(h)]


def ev(stream, version, payload, day, links=(), by=INTAKE) -> bytes:
    event = NewEvent(
        str(uuid.uuid5(U, f"{stream}/{version}")), payload, T0 + timedelta(days=day), by, "c", links=tuple(links)
    )
    return env_mod.seal(env_mod.build(event, stream, version, T0 + timedelta(days=day)))


def a_read(reader: Principal, day: int, purpose: str, files: list[FileRef], persons=(), stream=READ_STREAM) -> bytes:
    ctx = CommandContext(reader, "c", "clues.read")
    event = read_event(ctx, "GetClue", purpose, files, persons, T0 + timedelta(days=day))
    return env_mod.seal(env_mod.build(event, stream, 1, T0 + timedelta(days=day)))


EVENTS = [
    ev(CLUE, 1, clues.ClueRegistered(clue_id=CLUE), 0, [PERSON, *held(RECEIVED)]),
    ev(CLUE, 2, clues.RegistrationApproved(clue_id=CLUE, approved_by="u-head"), 1, [PERSON, *held(HELD)]),
    ev(TIMERS, 1, clues.ClueWarningRaised(clue_id=CLUE), 2, [Link("clue", CLUE, "warned"), *held(HELD)]),
    ev(CASE, 1, cases.CaseFiled(case_id=CASE, clue_id=CLUE), 3, [Link("clue", CLUE, "origin"), *held(INVESTIGATED)]),
    ev(CLUE, 3, clues.ClueCaseFiled(clue_id=CLUE, case_id=CASE), 3, [Link("case", CASE, "filed-as"), *held(HELD)]),
    ev(OLD, 1, clues.ClueRegistered(clue_id=OLD), 0, [PERSON]),  # recorded before holdings were stamped
    a_read(who("resident_group_1", "resident_officer"), 4, "prepare the talk", [FileRef("clue", CLUE)], ["P-77"]),
]

# (principal, the streams it may know among CLUE, TIMERS, CASE, OLD, READ_STREAM)
ACTORS = [
    (who("supervision_2", "supervisor"), set()),  # an officer of another office
    (who("court_filing", "partner_system"), set()),  # a partner agency
    (who("resident_group_1", "resident_officer"), {CLUE, TIMERS}),  # the holder
    (who("supervision_1", "supervisor"), {CLUE, TIMERS}),  # the liaison
    (who("investigation_2", "investigator"), {CASE}),  # the case's holder
    (who("leadership", "commission_head"), {CLUE, TIMERS}),  # an approval names the role
    (who("deputy_leadership_1", "deputy_head"), {CLUE, TIMERS}),  # oversees resident_group_1
    (who("deputy_leadership_2", "deputy_head"), {CASE}),  # oversees investigation_2
    (who("case_management", "case_manager"), {CLUE, TIMERS, CASE, OLD, READ_STREAM}),  # sees everything
    (who("system", "system"), {CLUE, TIMERS, CASE, OLD, READ_STREAM}),
]
ALL = [CLUE, TIMERS, CASE, OLD, READ_STREAM]


async def ingest(recorder, raws, batch=3):
    for k in range(0, len(raws), batch):
        await recorder.record_batch([(r, Source("t", 0, k + i)) for i, r in enumerate(raws[k : k + batch])])


@pytest.fixture
async def recorder(store):
    r = Recorder(store, consumer="ntk-test")
    await r.migrate()
    await ingest(r, EVENTS)
    return r


async def test_each_stream_has_its_latest_stated_holding_and_a_timer_stream_its_aggregates(store, recorder):
    async with store.pool.acquire() as conn:
        found = await holdings.holdings(conn, store.schema, ALL)
    assert found == {CLUE: HELD, TIMERS: HELD, CASE: INVESTIGATED}  # none stated: OLD, the read
    assert HELD.liaison == "supervision_1"


@pytest.mark.parametrize("principal, known", ACTORS, ids=lambda a: getattr(a, "office", ""))
async def test_every_history_story_bundle_and_proof_is_an_unknown_ids_to_whom_may_not_know(
    store, recorder, principal, known
):
    reader, replay = Reader(principal, ORG), Replay(store.pool, store.schema)
    checkpoints = Checkpointer(store.pool, store.schema, NoteSigner("t", Ed25519PrivateKey.generate()), "t")
    await checkpoints.migrate()
    await checkpoints.sign()
    proofs = Proofs(store.pool, store.schema, checkpoints)
    async with store.pool.acquire() as conn:
        assert await reader.knowable(conn, store.schema, ALL) == known
    for stream in ALL:
        rows = await recorder.stream_history(stream, reader)
        assert bool(rows) == (stream in known), stream
        event_id = env_mod.parse(bytes((await recorder.stream_history(stream))[0]["envelope"])).event_id
        if stream in known:
            assert (await proofs.inclusion(event_id, 0, reader)).tree_size == len(EVENTS)
            assert (await bundles.export(store.pool, store.schema, checkpoints, stream, reader)).events == len(rows)
            continue
        with pytest.raises(NotFound) as hidden:
            await proofs.inclusion(event_id, 1, reader)
        assert str(hidden.value) == f"recorded event {event_id!r} not found"
        with pytest.raises(NotFound) as hidden:
            await bundles.export(store.pool, store.schema, checkpoints, stream, reader)
        assert str(hidden.value) == f"recorded stream {stream!r} not found"
    for subject in (CLUE, CASE):
        if subject not in known:
            with pytest.raises(NotFound) as hidden:
                await replay.page(subject, None, 0, "", reader)
            assert str(hidden.value) == f"story {subject!r} not found"


async def test_a_story_leaves_out_subjects_and_steps_the_reader_may_not_know_and_every_read(store, recorder):
    replay = Replay(store.pool, store.schema)
    whole = await replay.page(CLUE, None, 0, "", Reader(who("case_management", "case_manager"), ORG))
    assert [s.id for s in whole.subjects] == [CLUE, CASE]
    assert [r["leaf_index"] for r in whole.rows] == [0, 1, 2, 3, 4]  # not the read (leaf 6)
    liaison = await replay.page(CLUE, None, 0, "", Reader(who("supervision_1", "supervisor"), ORG))
    assert [s.id for s in liaison.subjects] == [CLUE]  # the case is held elsewhere
    assert [r["leaf_index"] for r in liaison.rows] == [0, 1, 2, 4] and liaison.total == 4
    investigator = await replay.page(CASE, None, 0, "", Reader(who("investigation_2", "investigator"), ORG))
    assert [s.id for s in investigator.subjects] == [CASE]
    assert [r["leaf_index"] for r in investigator.rows] == [3]
    async with store.pool.acquire() as conn:
        assert not await conn.fetchval(f"SELECT count(*) FROM {store.schema}.story_links WHERE relation = 'read'")


async def test_reads_are_found_by_file_and_by_person_in_a_window_page_by_page(store, recorder):
    more = [
        a_read(
            who("supervision_1", "supervisor"), d, f"review {d}", [FileRef("clue", CLUE), FileRef("clue", OLD)], [], s
        )
        for d, s in ((5, f"read-{uuid.UUID(int=0x19)}"), (6, f"read-{uuid.UUID(int=0x1A)}"))
    ]
    await ingest(recorder, more)
    async with store.pool.acquire() as conn:
        found, token = await reads.page(conn, store.schema, CLUE, False, None, None, 2, "")
        assert [r.payload.purpose for r in found] == ["prepare the talk", "review 5"] and token
        rest, last = await reads.page(conn, store.schema, CLUE, False, None, None, 2, token)
        assert [r.payload.purpose for r in rest] == ["review 6"] and last == ""
        assert rest[0].envelope.principal.office == "supervision_1" and rest[0].topic == "t"
        window = T0 + timedelta(days=5), T0 + timedelta(days=6)
        assert [r.payload.purpose for r in (await reads.page(conn, store.schema, CLUE, False, *window, 0, ""))[0]] == [
            "review 5"
        ]
        about = (await reads.page(conn, store.schema, "P-77", True, None, None, 0, ""))[0]
        assert [r.payload.operation for r in about] == ["clues.read/GetClue"]
        assert (await reads.page(conn, store.schema, "P-77", False, None, None, 0, ""))[0] == []  # not a file


@pytest.mark.parametrize("name", ["holdings", "reads"])
async def test_the_holdings_and_read_indexes_rebuild_equal_to_live_ingest(store, recorder, name):
    p = projections.BY_NAME[name]
    async with store.pool.acquire() as conn:
        live = await conn.fetch(f"SELECT t::text FROM {store.schema}.{p.table} t ORDER BY 1")
        assert live
        check = await projections.rebuild(conn, store.schema, p, replace=False, chunk_size=2)
        assert check.equal and check.read == len(EVENTS)
        done = await projections.rebuild(conn, store.schema, p, replace=True, chunk_size=3)
        assert done.equal and done.replaced
        assert await conn.fetch(f"SELECT t::text FROM {store.schema}.{p.table} t ORDER BY 1") == live
        await conn.execute(f"DELETE FROM {store.schema}.{p.table}")  # damage: found, then mended
        assert not (await projections.rebuild(conn, store.schema, p, replace=True)).equal
        assert await conn.fetch(f"SELECT t::text FROM {store.schema}.{p.table} t ORDER BY 1") == live
