"""The set-based inbox (`receive_batch`; `receive` is a batch of one) decides as a plain model of
the rules does: the same events accepted in the same per-stream order, the same held, the same
contradictions found, whatever the batch boundaries, duplicates and disorder."""

import hashlib
import random

import pytest

from kernel.eventstore import envelope as env_mod
from kernel.messaging.inbox import Inbox, Source
from tests.integration.test_inbox import raw_event


def deliveries(seed: int) -> list[bytes]:
    """Several streams delivered shuffled, with redeliveries, impostors and a stream left gapped."""
    rnd = random.Random(seed)
    out = []
    for s in range(6):
        stream = f"clue-b{seed}-{s}"
        raws = [raw_event(stream, v, summary=f"{stream} v{v}") for v in range(1, rnd.randint(3, 9))]
        if s == 5:
            raws = raws[1:]  # version 1 never arrives
        out += raws + rnd.sample(raws, k=len(raws) // 2)  # and half of them again
        first = env_mod.parse(raws[0])
        out.append(raw_event(stream, first.version, summary="impostor", event_id=first.event_id))
        out.append(raw_event(stream, first.version, summary="usurper"))
    rnd.shuffle(out)
    return out


def split(items, rnd):
    k = 0
    while k < len(items):
        n = rnd.randint(1, 12)
        yield items[k : k + n]
        k += n


def model(items):
    """The rules, one delivery at a time, in memory: accepted ids, conflicting digests, held."""
    seen, last, held, accepted, conflicts = {}, {}, {}, [], set()
    for raw in items:
        env, digest = env_mod.parse(raw), hashlib.sha256(raw).digest()
        if env.event_id in seen:
            if seen[env.event_id] != digest:
                conflicts.add(digest)
        elif env.version <= last.get(env.stream_id, 0):
            conflicts.add(digest)
        elif env.version > last.get(env.stream_id, 0) + 1:
            if held.setdefault((env.stream_id, env.version), raw) != raw:
                conflicts.add(digest)  # another event where one is already held
        else:
            while raw is not None:  # accept, then release held successors in order
                env = env_mod.parse(raw)
                seen[env.event_id], last[env.stream_id] = hashlib.sha256(raw).digest(), env.version
                accepted.append(env.event_id)
                raw = held.pop((env.stream_id, env.version + 1), None)
    return accepted, conflicts, held


async def tables(store, consumer):
    s = store.schema
    return [
        await store.pool.fetch(q, consumer)
        for q in (
            f"SELECT event_id, stream_id, version, digest FROM {s}.inbox WHERE consumer = $1 ORDER BY event_id",
            f"SELECT stream_id, version FROM {s}.inbox_streams WHERE consumer = $1 ORDER BY stream_id",
            f"SELECT stream_id, version, envelope FROM {s}.inbox_held WHERE consumer = $1 ORDER BY stream_id, version",
        )
    ]


@pytest.mark.parametrize("seed", range(6))
async def test_batches_decide_as_single_deliveries_do(store, seed):
    items = deliveries(seed)
    one, many = Inbox(store.schema, "one"), Inbox(store.schema, "many")
    accepted_one, conflicts_one = [], set()
    for k, raw in enumerate(items):
        async with store.unit_of_work() as uow:
            out = await one.receive(uow.conn, raw, Source("t", 0, k))
        accepted_one += [a.envelope.event_id for a in out.accepted]
        if out.conflict:
            conflicts_one.add(hashlib.sha256(raw).digest())
    accepted_many, conflicts_many, offsets = [], set(), {}
    k = 0
    for batch in split(items, random.Random(seed)):
        async with store.unit_of_work() as uow:
            out = await many.receive_batch(
                uow.conn, [(env_mod.parse(r), r, Source("t", 0, k + i)) for i, r in enumerate(batch)]
            )
        k += len(batch)
        accepted_many += [a.envelope.event_id for a in out.accepted]
        offsets.update({a.envelope.event_id: a.source.offset for a in out.accepted})
        conflicts_many |= {hashlib.sha256(c.raw).digest() for c in out.conflicts}

    def per_stream(ids):
        streams = {}
        for raw in items:
            env = env_mod.parse(raw)
            streams.setdefault(env.event_id, env.stream_id)
        out = {}
        for i in ids:
            out.setdefault(streams[i], []).append(i)
        return out

    accepted_model, conflicts_model, held_model = model(items)
    assert per_stream(accepted_many) == per_stream(accepted_one) == per_stream(accepted_model)
    assert len(accepted_many) == len(set(accepted_many))  # never twice
    assert conflicts_many == conflicts_one == conflicts_model and conflicts_one
    held = await tables(store, "many")
    assert {(r["stream_id"], r["version"]): bytes(r["envelope"]) for r in held[2]} == held_model
    assert await tables(store, "many") == await tables(store, "one")
    for event_id, offset in offsets.items():  # each accepted keeps its first delivery
        assert env_mod.parse(items[offset]).event_id == event_id
