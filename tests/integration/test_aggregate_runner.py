"""A new aggregate needs only its decider, its mapping and a registration line: a small one on
the kernel's one command path (`kernel.eventstore.aggregate`), against a real PostgreSQL."""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import pytest
from google.protobuf import empty_pb2, wrappers_pb2

from kernel.domain.access import holding_of_links
from kernel.domain.errors import Concurrency, IllegalState, NotFound
from kernel.domain.ids import timer_stream_id
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.edge.mapping import Codec
from kernel.eventstore import commands
from kernel.eventstore.aggregate import Aggregate, CommandRunner
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import parse
from tests.factories import ALICE

NOW = datetime(2026, 12, 7, 9, tzinfo=timezone.utc)


# -- the decider (what a service's domain/ holds) ----------------------------------------------
@dataclass(frozen=True)
class Opened:
    title: str


@dataclass(frozen=True)
class Closed:
    pass


@dataclass(frozen=True)
class Open:
    title: str


@dataclass(frozen=True)
class Close:
    pass


@dataclass(frozen=True)
class Note:
    status: str = "NONE"
    title: str = ""


def evolve(state: Note, event) -> Note:
    return (
        replace(state, status="OPEN", title=event.title)
        if isinstance(event, Opened)
        else replace(state, status="CLOSED")
    )


def decide(command, state: Note) -> list:
    wanted = "NONE" if isinstance(command, Open) else "OPEN"
    if state.status != wanted:
        raise IllegalState(state.status, type(command).__name__.lower())
    return [Opened(command.title)] if isinstance(command, Open) else [Closed()]


# -- its mapping (what a service's adapters/ hold) ----------------------------------------------
CODEC = Codec(
    to_pb=lambda e: wrappers_pb2.StringValue(value=e.title) if isinstance(e, Opened) else empty_pb2.Empty(),
    from_pb=lambda m: Opened(m.value) if isinstance(m, wrappers_pb2.StringValue) else Closed(),
    pb_of_name={"google.protobuf.StringValue": wrappers_pb2.StringValue, "google.protobuf.Empty": empty_pb2.Empty},
)


class NoteAggregate(Aggregate[Note]):
    kind = "note"
    initial = staticmethod(Note)
    evolve = staticmethod(evolve)
    decide = staticmethod(decide)


@pytest.fixture
async def notes(store):
    async with store.pool.acquire() as conn:
        await commands.migrate(conn, store.schema)
    return CommandRunner(store, NoteAggregate(), CODEC)  # the registration line


def ctx(request_id: str | None = None) -> CommandContext:
    rid = request_id or str(uuid.uuid4())
    return CommandContext(ALICE, "corr", "notes.test", rid, rid.encode())


async def requests(store) -> int:
    return await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.requests")


async def test_commands_run_on_the_folded_state_and_answer_id_version_and_state(notes, store):
    note = f"note-{uuid.uuid4()}"
    assert await notes.run(ctx(), note, Open("minutes"), NOW, new=True) == {
        "note_id": note,
        "version": 1,
        "state": "OPEN",
    }
    assert (await notes.run(ctx(), note, Close(), NOW))["state"] == "CLOSED"
    history = await notes.load(store, note)
    assert history.state == Note("CLOSED", "minutes") and history.version == 2
    assert [r.event for r in history.records] == [Opened("minutes"), Closed()] and history.records[0].at == NOW


async def test_a_retry_answers_the_first_result_and_appends_nothing(notes, store):
    note, first = f"note-{uuid.uuid4()}", ctx()
    once = await notes.run(first, note, Open("a"), NOW, new=True)
    assert await notes.run(first, note, Open("a"), NOW, new=True) == once
    assert len(await store.read_stream(note)) == 1


async def test_refusals_leave_nothing(notes, store):
    note = f"note-{uuid.uuid4()}"
    with pytest.raises(NotFound, match="note"):
        await notes.run(ctx(), note, Close(), NOW)
    await notes.run(ctx(), note, Open("a"), NOW, new=True)
    with pytest.raises(IllegalState):
        await notes.run(ctx(), note, Open("again"), NOW)
    with pytest.raises(Concurrency):
        await notes.run(ctx(), note, Close(), NOW, expected_version=7)
    assert len(await store.read_stream(note)) == 1 and await requests(store) == 1


async def test_what_is_kept_in_step_commits_with_the_events_or_not_at_all(store, notes):
    class Failing(NoteAggregate):
        async def keep_in_step(self, uow, ctx_, change):
            assert change.state.status == "OPEN" and change.version == 1
            raise IllegalState("a projection refused", "keep in step")

    failing = CommandRunner(store, Failing(), CODEC)
    note = f"note-{uuid.uuid4()}"
    with pytest.raises(IllegalState):
        await failing.run(ctx(), note, Open("a"), NOW, new=True)
    assert await store.read_stream(note) == [] and await requests(store) == 0


async def test_a_builder_makes_the_command_inside_the_transaction(notes):
    note = f"note-{uuid.uuid4()}"
    await notes.run(ctx(), note, Open("a"), NOW, new=True)

    async def close_if_open(uow, state: Note):
        assert uow.conn is not None and state.status == "OPEN"
        return Close()

    assert (await notes.run(ctx(), note, close_if_open, NOW))["version"] == 2


async def test_an_aggregate_that_folds_its_timer_stream_sees_what_a_timer_raised(store):
    class TimedNote(NoteAggregate):
        folds_timer_stream = True

    timed = CommandRunner(store, TimedNote(), CODEC)
    async with store.pool.acquire() as conn:
        await commands.migrate(conn, store.schema)
    note = f"note-{uuid.uuid4()}"
    await timed.run(ctx(), note, Open("a"), NOW, new=True)
    async with store.unit_of_work() as uow:  # a timer closes it (as the scheduler would append)
        await uow.append(timer_stream_id(note), 0, [ctx().new_event(0, empty_pb2.Empty(), NOW)])
    history = await timed.load(store, note)
    assert history.state.status == "CLOSED" and history.version == 1  # the own stream's version
    with pytest.raises(IllegalState):
        await timed.run(ctx(), note, Close(), NOW)


async def test_a_file_is_not_found_by_who_may_not_know_it_and_its_events_state_its_holding(store):
    """Need to know (kernel.domain.access) on the one command path: an office that neither holds
    nor liaises refuses as an unknown id would, nothing is appended; every event states its holding."""

    class HeldNote(NoteAggregate):
        organisation = catalogue.load().organisation

        def holding(self, state: Note):
            return self.organisation.holding("resident_group_1") if state.status != "NONE" else None

    held = CommandRunner(store, HeldNote(), CODEC)
    async with store.pool.acquire() as conn:
        await commands.migrate(conn, store.schema)
    note, unknown = f"note-{uuid.uuid4()}", f"note-{uuid.uuid4()}"
    await held.run(ctx(), note, Open("a"), NOW, new=True)
    stranger = Principal("commission", "supervision_2", "supervisor", "u-s2")
    liaison = Principal("commission", "supervision_1", "supervisor", "u-s1")
    refused = [CommandContext(stranger, "corr", "notes.test", r, r.encode()) for r in ("r1", "r2")]
    with pytest.raises(NotFound) as not_known:
        await held.run(refused[0], note, Close(), NOW)
    with pytest.raises(NotFound) as not_there:
        await held.run(refused[1], unknown, Close(), NOW)
    assert str(not_known.value) == str(not_there.value).replace(unknown, note)
    with pytest.raises(NotFound):
        await held.read(store, stranger, note)
    assert len(await store.read_stream(note)) == 1
    assert (await held.read(store, liaison, note)).state.status == "OPEN"
    await held.run(CommandContext(liaison, "corr", "notes.test", "r3", b"r3"), note, Close(), NOW)
    stamped = [
        holding_of_links((k.kind, k.id, k.relation) for k in parse(e.envelope).links)
        for e in await store.read_stream(note)
    ]
    assert [(h.holder, h.liaison) for h in stamped] == [("resident_group_1", "supervision_1")] * 2
