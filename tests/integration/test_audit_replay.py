"""Replay (复盘) on a real PostgreSQL: the linked story of a clue, its case, an accountability case
and a decision, from the audit store alone; as of a moment; the same whatever the ingest order;
paged without loss; bad requests refused by field."""

import base64
import json
import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from cases.v1 import events_pb2 as cases
from clues.v1 import events_pb2 as clues
from common.v1 import recording_pb2
from kernel.domain.errors import NotFound, Validation
from kernel.domain.principal import Principal
from kernel.eventstore import envelope as env_mod
from kernel.eventstore.envelope import Link, NewEvent
from kernel.messaging.inbox import Source
from services.audit.adapters.steps import step
from services.audit.app import ledger
from services.audit.app.recorder import Recorder
from services.audit.app.replay import Replay
from services.audit.domain import merkle

T0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
CLUE, CASE, ACCOUNTABILITY, DECISION, OTHER = (
    f"{k}-{uuid.UUID(int=i)}" for i, k in enumerate(("clue", "case", "case", "decision", "clue"), 1)
)
INTAKE = Principal("commission", "complaints", "intake_officer", "u-intake")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
CASES = Principal("commission", "case_management", "system", "system:cases-filing")
PERSON = Link("person", "P-77", "subject")


def ev(stream, version, payload, by, day, links=(), recorded_day=None):
    """Sealed envelope bytes: happened on day `day` after T0, recorded on `recorded_day` (default same)."""
    occurred = T0 + timedelta(days=day)
    recorded = T0 + timedelta(days=day if recorded_day is None else recorded_day)
    event = NewEvent(
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"{stream}/{version}")), payload, occurred, by, "corr-1", links=tuple(links)
    )
    return env_mod.seal(env_mod.build(event, stream, version, recorded))


RECORDING = recording_pb2.RecordingRef(sha256="5e" * 32, duration_seconds=5400, kind="interrogation")
STORY = [  # (label, bytes) in the order a replay must tell them
    ("received", ev(CLUE, 1, clues.ClueRegistered(clue_id=CLUE, summary="bribes"), INTAKE, 0, [PERSON])),
    ("approved", ev(CLUE, 2, clues.RegistrationApproved(clue_id=CLUE, approved_by="u-head"), HEAD, 1, [PERSON])),
    (
        "warned",
        ev(
            f"clue-timers-{uuid.UUID(int=1)}",
            1,
            clues.ClueWarningRaised(clue_id=CLUE),
            CASES,
            2,
            [Link("clue", CLUE, "warned"), PERSON],
        ),
    ),
    (
        "reconciled",
        ev(
            f"reconciliation-{uuid.UUID(int=9)}",
            1,
            clues.OfficeLedgerReconciled(office="complaints"),
            INTAKE,
            3,
            [Link("clue", CLUE, "reconciled"), Link("clue", OTHER, "reconciled")],
        ),
    ),
    ("filed", ev(CASE, 1, cases.CaseFiled(case_id=CASE, clue_id=CLUE), CASES, 10, [Link("clue", CLUE, "origin")])),
    (
        "clue-filed",
        ev(
            CLUE,
            3,
            clues.ClueCaseFiled(clue_id=CLUE, case_id=CASE),
            CASES,
            10,
            [PERSON, Link("case", CASE, "filed-as")],
            recorded_day=11,
        ),
    ),
    ("interrogated", ev(CASE, 2, RECORDING, INTAKE, 20)),
    ("late-fact", ev(CASE, 3, cases.CaseFiled(case_id=CASE), INTAKE, 15, recorded_day=30)),
    (
        "accountability",
        ev(
            ACCOUNTABILITY,
            1,
            cases.CaseFiled(case_id=ACCOUNTABILITY),
            CASES,
            40,
            [Link("case", CASE, "accountability")],
        ),
    ),
    ("decided", ev(DECISION, 1, clues.ReportApproved(approved_by="u-head"), HEAD, 50, [Link("case", CASE, "decides")])),
]
UNRELATED = [
    ev(OTHER, 1, clues.ClueRegistered(clue_id=OTHER), INTAKE, 5, [PERSON]),  # same person: not joined
    ev(OTHER, 2, clues.ClueCaseFiled(clue_id=OTHER), INTAKE, 6, [PERSON]),
]
LABEL = {env_mod.parse(raw).event_id: label for label, raw in STORY}
TOLD = [
    "received",
    "approved",
    "warned",
    "reconciled",
    "filed",
    "clue-filed",
    "late-fact",
    "interrogated",
    "accountability",
    "decided",
]


async def ingest(store, raws, batch=3):
    recorder = Recorder(store, consumer="replay-test")
    await recorder.migrate()
    for k in range(0, len(raws), batch):
        await recorder.record_batch([(r, Source("t", 0, k + i)) for i, r in enumerate(raws[k : k + batch])])


@pytest.fixture
async def replay(store):
    raws = [raw for _, raw in STORY] + UNRELATED
    await ingest(store, random.Random(5).sample(raws, len(raws)))
    return Replay(store.pool, store.schema)


def told(page) -> list[str]:
    return [LABEL.get(env_mod.parse(bytes(r["envelope"])).event_id, "?") for r in page.rows]


@pytest.mark.parametrize("subject", [CLUE, CASE, ACCOUNTABILITY, DECISION])
async def test_every_linked_subject_tells_the_same_story_in_domain_time_order(replay, subject):
    page = await replay.page(subject, None, 0, "")
    assert told(page) == TOLD and page.total == len(TOLD) and not page.next_token
    assert {s.id for s in page.subjects} == {CLUE, CASE, ACCOUNTABILITY, DECISION}  # OTHER: not through P-77
    assert page.subjects[0].id == subject and page.subjects[0].linked_from == ""
    assert page.as_of == T0 + timedelta(days=50)  # unset: the latest recorded step


async def test_subjects_say_how_they_joined(replay):
    joined = {s.id: (s.kind, s.linked_from, s.relation) for s in (await replay.page(CLUE, None, 0, "")).subjects}
    assert joined == {
        CLUE: ("clue", "", ""),
        CASE: ("case", CLUE, "filed-as"),
        ACCOUNTABILITY: ("case", CASE, "accountability"),
        DECISION: ("decision", CASE, "decides"),
    }


async def test_a_step_carries_who_when_which_approval_and_recordings_and_proves_in_the_ledger(replay, store):
    page = await replay.page(CASE, None, 0, "")
    steps = [step(r, page.first_position + i) for i, r in enumerate(page.rows)]
    by_label = {LABEL[s.event.envelope.event_id]: s for s in steps}
    assert [s.position for s in steps] == list(range(1, len(TOLD) + 1))
    approved = by_label["approved"]
    assert (approved.principal.user, approved.approval.user, approved.approval.role) == (
        "u-head",
        "u-head",
        "commission_head",
    )
    assert by_label["filed"].approval.decision == 0 and by_label["filed"].principal.user == "system:cases-filing"
    assert list(by_label["interrogated"].recordings) == [RECORDING]
    late = by_label["late-fact"]  # domain time and log time kept apart
    assert (late.occurred_at.ToDatetime(timezone.utc), late.recorded_at.ToDatetime(timezone.utc)) == (
        T0 + timedelta(days=15),
        T0 + timedelta(days=30),
    )
    async with store.pool.acquire() as conn:
        size = await ledger.size(conn, store.schema)
        root = await ledger.root_at(conn, store.schema, size)
        for s in steps:
            proof = await ledger.hashes_of(conn, store.schema, merkle.inclusion_proof_nodes(s.leaf_index, size))
            merkle.verify_inclusion(merkle.leaf_hash(s.event.envelope_bytes), s.leaf_index, size, proof, root)


async def test_as_of_tells_the_story_as_it_stood_then(replay):
    def at(day):
        return T0 + timedelta(days=day)

    assert told(await replay.page(CLUE, at(5), 0, "")) == ["received", "approved", "warned", "reconciled"]
    # the case recorded its filing (linking the clue) on day 10; the clue learnt of it on day 11
    then = await replay.page(CLUE, at(10), 0, "")
    assert told(then) == TOLD[:5] and [s.id for s in then.subjects] == [CLUE, CASE]
    assert told(await replay.page(CASE, at(29), 0, "")) == TOLD[:6] + ["interrogated"]
    assert told(await replay.page(CASE, at(30), 0, "")) == TOLD[:8]
    with pytest.raises(NotFound):
        await replay.page(CLUE, at(-1), 0, "")


async def test_the_same_events_ingested_in_any_order_give_the_same_story(replay, pool, unique):
    from kernel.domain.clock import FixedClock
    from kernel.eventstore.store import EventStore

    other = EventStore(pool, f"t_{unique}_b", FixedClock())
    await other.migrate()
    raws = [raw for _, raw in STORY] + UNRELATED
    await ingest(other, list(reversed(raws)), batch=1)
    first, second = await replay.page(CLUE, None, 0, ""), await Replay(pool, other.schema).page(CLUE, None, 0, "")
    assert [bytes(r["envelope"]) for r in first.rows] == [bytes(r["envelope"]) for r in second.rows]
    assert [r["leaf_index"] for r in first.rows] != [r["leaf_index"] for r in second.rows]
    assert first.subjects == second.subjects


async def test_pages_follow_each_other_without_loss_or_repeat_and_keep_their_snapshot(replay, store):
    pages, token = [], ""
    while True:
        page = await replay.page(DECISION, None, 3, token)
        pages.append(page)
        if not page.next_token:
            break
        token = page.next_token
        # arriving late, though recorded long before as_of and sorting before the cursor
        await ingest(store, [ev(CASE, 4, cases.CaseFiled(case_id=CASE), INTAKE, 0, recorded_day=1)])
    assert [len(p.rows) for p in pages] == [3, 3, 3, 1]
    assert sum((told(p) for p in pages), []) == TOLD
    assert [p.first_position for p in pages] == [1, 4, 7, 10] and {p.total for p in pages} == {len(TOLD)}
    assert len({p.tree_size for p in pages}) == 1
    fresh = await replay.page(DECISION, None, 0, "")  # a new chain sees it, second
    assert told(fresh)[:2] == ["received", "?"] and len(told(fresh)) == len(TOLD) + 1


@pytest.mark.parametrize(
    "subject, as_of, size, token, field",
    [
        ("", None, 0, "", "subject"),
        ("person-P-77", None, 0, "", "subject"),
        (f"clue-timers-{uuid.UUID(int=1)}", None, 0, "", "subject"),
        (CLUE, None, 1001, "", "page_size"),
        (CLUE, None, 0, "garbage", "page_token"),
        (
            CLUE,
            None,
            0,
            base64.urlsafe_b64encode(
                json.dumps(
                    {  # well formed, but naive times
                        "s": CLUE,
                        "a": "2026-03-02T09:00:00",
                        "p": 1,
                        "k": ["2026-03-02T09:00:00", "2026-03-02T09:00:00", CLUE, 1],
                    }
                ).encode()
            ).decode(),
            "page_token",
        ),
    ],
)
async def test_bad_requests_are_refused_by_field(replay, subject, as_of, size, token, field):
    with pytest.raises(Validation) as e:
        await replay.page(subject, as_of, size, token)
    assert e.value.field == field


async def test_a_token_is_for_its_own_subject_and_an_unknown_subject_is_not_found(replay):
    token = (await replay.page(CLUE, None, 2, "")).next_token
    with pytest.raises(Validation, match="another subject"):
        await replay.page(CASE, None, 2, token)
    with pytest.raises(NotFound):
        await replay.page(f"case-{uuid.UUID(int=77)}", None, 0, "")
