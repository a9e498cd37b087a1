"""A loss anywhere is found and repaired without waiting for a later event (issue 14).

A producer's relay drops one event on its way to the broker (as a broker losing a partition
would): a new stream's first and only event. The ledger finds it from the relay's watermark alone,
signs checkpoints saying it is incomplete meanwhile, asks for the range, records it, and says the
gap is repaired. Real PostgreSQL, real broker, real relay and republish server.
"""

import asyncio
import uuid

import pytest

from kernel.domain.clock import FixedClock
from kernel.edge.status import DEGRADED, OK, StatusBoard
from kernel.eventstore.store import EventStore
from kernel.messaging import topics
from kernel.messaging.consumer import Consumer
from kernel.messaging.relay import OutboxRelay
from kernel.messaging.republish import RepublishServer
from kernel.runtime.settings import republish_topic
from services.audit.app.checkpoints import Checkpointer
from services.audit.app.recorder import Recorder
from services.audit.domain.checkpoint import NoteSigner, parse_checkpoint
from tests.factories import clue_event, service_settings, wait_until

PARTITIONS = 3


def until(predicate):
    return wait_until(predicate, 60)


class LossyRelay(OutboxRelay):
    """Loses the events of `lose` once, after the store handed them over: the cursor and the
    published count move past them, as when a broker loses what it acknowledged."""

    def __init__(self, *args, lose: set[str], **kw):
        super().__init__(*args, **kw)
        self.lose = lose

    async def _send(self, producer, events):
        kept = [e for e in events if e.stream_id not in self.lose]
        self.lose -= {e.stream_id for e in events}
        if kept:
            await super()._send(producer, kept)


@pytest.fixture
async def producer(pool, unique):
    store = EventStore(pool, f"p_{unique}", FixedClock())
    await store.migrate()
    return store


async def append(store: EventStore, stream_id: str, n: int = 1) -> None:
    async with store.unit_of_work() as uow:
        await uow.append(stream_id, await uow.stream_version(stream_id), [clue_event(stream_id) for _ in range(n)])


async def test_a_lost_first_event_is_found_from_the_watermark_and_repaired(
    store, producer, bootstrap, unique, tmp_path, capsys
):
    settings = service_settings(
        "audit",
        "postgresql://unused",
        bootstrap,
        f"cm{unique}",
        tmp_path,
        database_schema=store.schema,
        topic_partitions=PARTITIONS,
    )
    topic = settings.topic_of("clues")
    lost = f"clue-{uuid.uuid4()}"
    relay = LossyRelay(
        producer,
        bootstrap,
        topics.TopicSpec(topic, PARTITIONS),
        lose={lost},
        watermark_seconds=0.3,
        marker_check_seconds=1.0,
    )
    server = RepublishServer(relay, bootstrap, republish_topic(settings.topic_prefix))
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(server.run())]
    recorder = Recorder(store, consumer="ledger")
    await recorder.migrate()
    board = StatusBoard("audit")
    consumer = await Consumer(settings, store.pool, ["clues"], "ledger", recorder, status=board).start()
    board.register(recorder.completeness.status)  # as services/audit/main.py does
    requester, recorder.requester = recorder.requester, None  # hold the repair back: look at the gap first
    checkpoints = Checkpointer(store.pool, store.schema, _signer(), "test/ledger", completeness=recorder.completeness)
    await checkpoints.migrate()
    try:
        for _i in range(4):
            await append(producer, f"clue-{uuid.uuid4()}", 2)
        await append(producer, lost)  # a new stream's first and only event, lost
        await append(producer, f"clue-{uuid.uuid4()}")
        row = lambda: store.pool.fetchrow(f"SELECT * FROM {store.schema}.completeness")  # noqa: E731
        await until(lambda: _holds(row, lambda r: r["missing"] == 1))
        assert await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.recorded_events") == 9

        signed = await checkpoints.sign()  # signed during the gap: it says so
        body = parse_checkpoint(signed.note.split(b"\n\n")[0] + b"\n")
        [extension] = body.extensions  # complete through the last watermark before the loss: timing decides which
        prefix = f"incomplete {topic} missing 1 complete-through "
        assert extension.startswith(prefix) and int(extension.removeprefix(prefix).split(":")[1]) <= 8
        status = {c.name: c for c in await board.read()}
        assert status["ledger completeness"].state == DEGRADED
        assert "1 event(s) missing" in status["ledger completeness"].problems[0]

        recorder.requester = requester  # the repair goes ahead at the next watermark
        await relay.publish_watermark()
        await until(lambda: _holds(row, lambda r: r["missing"] == 0 and r["verified_count"] == 10))
        assert (
            await store.pool.fetchval(f"SELECT count(*) FROM {store.schema}.recorded_events WHERE stream_id = $1", lost)
            == 1
        )
        status = {c.name: c for c in await board.read()}
        assert status["ledger completeness"].state == OK
        [repaired] = [line for line in capsys.readouterr().out.splitlines() if "audit.gap_repaired" in line]
        assert f"{lost} v1" in repaired and "missing=1" in repaired
        await append(producer, f"clue-{uuid.uuid4()}")
        await asyncio.sleep(1)
        assert not (await checkpoints.sign()).note.count(b"incomplete")
    finally:
        await consumer.stop()
        await server.stop()
        await relay.stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _holds(read, test) -> bool:
    row = await read()
    return row is not None and test(row)


def _signer() -> NoteSigner:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return NoteSigner("test/ledger", Ed25519PrivateKey.generate())
