"""The fast track of seed 004 (domain.md §5) on a real PostgreSQL, through the inbox: audit's
`IntegrityFastTrackRequested` delivered however often, raced or redelivered after a restart, gives the
candidate's open clue one `ClueFastTracked` and one supervision notice due before the intended date;
the ledger row ranks it first; concluding the clue meets the notice; a concluded clue, an unknown
clue and audit's other streams change nothing."""

import asyncio
import uuid
from datetime import date, datetime, timedelta, timezone

from audit.v1 import events_pb2 as audit_pb2
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import NewEvent
from kernel.eventstore.projections import rebuild
from kernel.messaging.inbox import Source
from services.clues import rebuild as clues_hook
from services.clues.adapters import translators
from services.clues.app import ledger
from services.clues.app.fast_track import FastTrackFollower
from services.clues.domain import commands as c
from tests.integration.test_clue_reconciliation import (  # noqa: F401 - `app`, the clues handlers on a store
    CM,
    CST,
    HEAD,
    app,
    registered,
    step,
)

INSPECTOR = Principal("commission", "supervision_1", "supervisor", "u-insp")
AUDIT = Principal.system("audit-integrity")


def request_id() -> str:
    return f"integrity-{uuid.uuid4()}"


def fast_track(request: str, clue_id: str, due: datetime, version: int = 2, at: datetime | None = None) -> bytes:
    """Audit's event as its store would publish it (the request's stream, after its receipt)."""
    payload = audit_pb2.IntegrityFastTrackRequested(
        request_id=request, person_id="P-1", clue_id=clue_id, intended_date="2026-06-20"
    )
    payload.notice_due_at.FromDatetime(due)
    at = at or due - timedelta(days=10)
    event = NewEvent(str(uuid.uuid4()), payload, at, AUDIT, "corr-integrity")
    return env_mod.seal(env_mod.build(event, request, version, at))


def received(request: str, at: datetime) -> bytes:
    """The request's first event (its receipt), which the clues service passes by."""
    payload = audit_pb2.IntegrityRequestReceived(request_id=request, reference="组干函〔2026〕26号")
    event = NewEvent(str(uuid.uuid4()), payload, at, AUDIT, "corr-integrity")
    return env_mod.seal(env_mod.build(event, request, 1, at))


async def kinds(store, clue_id):
    return [e.event_type.split(".")[-1] for e in await store.read_stream(clue_id)]


async def in_talk(handlers, clock, n=1):
    """A registered clue under a talk or letter inquiry (seed 004's candidate)."""
    clue_id, _ = await registered(handlers, clock, office="supervision_1", n=n)
    await step(handlers, clock, clue_id, c.ProposeDisposal(clue_id, "TALK_OR_LETTER", "specific", CM))
    await step(handlers, clock, clue_id, c.ApproveDisposal(clue_id, HEAD))
    return clue_id


async def test_one_fast_track_and_one_notice_however_delivered_seed_004(app):
    handlers, _, clock = app
    other, _ = await registered(handlers, clock, office="supervision_1", n=2)  # received first
    clock.set(clock.now() + timedelta(days=1))
    clue_id = await in_talk(handlers, clock)
    request, due = request_id(), datetime(2026, 6, 15, 17, tzinfo=CST)
    first, raw = received(request, clock.now()), fast_track(request, clue_id, due)
    follower = FastTrackFollower(handlers, translators.from_audit, translators.follows_audit_stream)
    await follower.record(first, Source("audit", 0, 0))
    racing = (FastTrackFollower(handlers, translators.from_audit, translators.follows_audit_stream) for _ in range(4))
    await asyncio.gather(*(f.record(raw, Source("audit", 0, 1)) for f in racing))
    await follower.record(raw, Source("audit", 0, 1))  # redelivered after a restart
    after = await kinds(handlers.store, clue_id)
    assert after[-2:] == ["ClueFastTracked", "SupervisionNoticeIssued"]
    assert after.count("ClueFastTracked") == 1 and after.count("SupervisionNoticeIssued") == 1
    notice = f"integrity:{request.removeprefix('integrity-')}"
    [row] = await handlers.notices()
    assert (row["clue_id"], row["notice_id"], row["to_office"], row["required"]) == (
        clue_id,
        notice,
        "supervision_1",
        "CONCLUDED",
    )
    assert row["due_at"] == due and row["satisfied_at"] is None
    # the ledger ranks it before every other class, whenever it was received (domain.md §5)
    rows = await handlers.ledger_rows()
    assert [r["clue_id"] for r in rows] == [clue_id, other]
    assert rows[0]["priority"] == "FAST_TRACK" and ledger.PRIORITY_RANK["FAST_TRACK"] == 0
    state, _, _ = await handlers.get(clue_id, HEAD)
    assert state.priority == "FAST_TRACK" and state.fast_tracked == {request}
    # the talk concluded, cleared (经核查，未发现…问题): the notice is met
    await step(handlers, clock, clue_id, c.ConcludeTalkOrLetter(clue_id, "CLEARED", "no issue", INSPECTOR))
    await step(handlers, clock, clue_id, c.ApproveTalkOrLetterConclusion(clue_id, HEAD))
    [row] = await handlers.notices()
    assert row["satisfied_at"] is not None
    async with handlers.store.pool.acquire() as conn:  # the ledger and notices are what a rebuild makes
        for p in clues_hook.projections({}):
            if p.name in ("ledger", "notices"):
                assert (await rebuild(conn, handlers.store.schema, p, replace=False)).equal, p.name


async def test_a_concluded_or_unknown_clue_and_other_audit_streams_change_nothing(app):
    handlers, _, clock = app
    closed, _ = await registered(handlers, clock, office="supervision_1", n=3)
    await step(handlers, clock, closed, c.ProposeDisposal(closed, "CLOSED", "nothing to it", CM))
    await step(handlers, clock, closed, c.ApproveDisposal(closed, HEAD))
    before = await kinds(handlers.store, closed)
    follower = FastTrackFollower(handlers, translators.from_audit, translators.follows_audit_stream)
    due = datetime(2026, 6, 15, tzinfo=timezone.utc)
    for k, clue_id in enumerate((closed, f"clue-{uuid.uuid4()}")):
        request = request_id()
        await follower.record(received(request, clock.now()), Source("audit", 0, 2 * k))
        await follower.record(fast_track(request, clue_id, due), Source("audit", 0, 2 * k + 1))
    assert await kinds(handlers.store, closed) == before
    assert await handlers.notices() == []
    # an audit read's stream is skipped before the inbox: nothing remembered of it
    read = f"read-{uuid.uuid4()}"
    payload = audit_pb2.IntegrityFastTrackRequested(request_id=read, clue_id=closed, intended_date="2026-06-20")
    raw = env_mod.seal(env_mod.build(NewEvent(str(uuid.uuid4()), payload, due, AUDIT, "c"), read, 1, due))
    await follower.record(raw, Source("audit", 0, 9))
    async with handlers.store.pool.acquire() as conn:
        streams = await conn.fetch(f"SELECT * FROM {handlers.store.schema}.inbox WHERE stream_id = $1", read)
    assert streams == []


def test_the_translator_reads_only_the_fast_track_and_names_its_fields():
    request, clue_id = request_id(), f"clue-{uuid.uuid4()}"
    due = datetime(2026, 6, 15, 9, tzinfo=timezone.utc)
    env = env_mod.parse(fast_track(request, clue_id, due))
    assert translators.from_audit(env) == c.FastTrackClue(clue_id, request, "P-1", date(2026, 6, 20), due)
    assert translators.from_audit(env_mod.parse(received(request, due))) is None
    assert translators.from_audit(env_mod.parse(fast_track(request, "not-a-clue", due))) is None
    assert translators.follows_audit_stream(request) and not translators.follows_audit_stream("read-1")
