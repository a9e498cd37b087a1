"""Partner feeds leak nothing (issue 23 point 5): canaries in every field of every event type,
then every partner topic and every agency's Subscribe stream scanned for what it must not see.

Every event type a feed may name (the clues, cases and sanctions contracts and the reads) is
planted with every field filled: each string a canary (`CNRY000123`, remembered with its event
type, field path and the agency owning the element it sits in), enums at a value the selectors
act on (a transfer for prosecution, a cadre level), numbers, flags, times and nested messages set,
repeated messages twice (once owned by the agency of the variant, once by another). Each type is
planted once naming no partner and once naming each agency its feed configuration sends it to
(the `agency`/`to_agency` fields), so every selector (domain/feeds.py) has events to select.

The events go the platform's way: appended to the producers' event stores, published by their
outbox relays to their topics, recorded by the audit service into its ledger, indexed into the
feeds at ingest, published by audit's feed publisher to `partner.<agency>.v1` and served by
`PartnerFeedService.Subscribe`. Then, for every configured agency, both are read to the end and
every entry checked:

* it is the agency's (its `agency`, and the `agency` header on the topic);
* its view holds only allowed field paths of its event type (the allow-list, at every depth);
* every canary in its bytes comes from a field path the agency is allowed for that event type,
  and, where its feed narrows `items` to the agency's own (`item_owner`), from its own items;
* the topic and the stream carry the same entries, byte for byte, once each by position.

And it is not vacuous: every agency's feed received entries, and allowed canaries did arrive.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import tomllib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import grpc
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from audit.v1 import feeds_pb2 as fpb, feeds_pb2_grpc
from kernel.domain.clock import FixedClock
from kernel.domain.principal import Principal
from kernel.eventstore.envelope import NewEvent
from kernel.eventstore.store import EventStore
from kernel.messaging import topics
from kernel.messaging.relay import OutboxRelay
from kernel.runtime.settings import topic_name
from services.audit.app import feeds as audit_feeds
from services.audit.app.feed_config import event_types
from tests.e2e.platforms import start_service
from tests.factories import ALICE, call_metadata, wait_until

CANARY = re.compile(r"CNRY[0-9]{6}")
PRODUCERS = ("clues", "cases", "sanctions")
CATALOGUE = Path(__file__).resolve().parents[2] / "deploy" / "config" / "catalogue.toml"
NOBODY = "commission"  # names no partner: the variant no `names_agency`/`item_owner` feed selects
OTHER = "employer_unit"  # the owner of the second element of repeated messages (another agency's)
PREFERRED = ("TRANSFER_FOR_PROSECUTION", "CUSTODY_TRANSFERRED")  # enum values the selectors act on
NOT_SET = ("UNSPECIFIED", "NONE")
MAX_DEPTH = 4
AT = datetime(2026, 5, 4, 3, 2, 1, tzinfo=timezone.utc)
PARTITIONS = 3


@dataclass
class Planted:
    """Every canary planted: canary -> (event type, field path, the agency owning its element)."""

    where: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    def canary(self, event_type: str, path: str, owner: str) -> str:
        c = f"CNRY{len(self.where):06d}"
        self.where[c] = (event_type, path, owner)
        return c


def _enum_value(fd: FieldDescriptor) -> int:
    values = fd.enum_type.values
    for wanted in PREFERRED:
        for v in values:
            if v.name.endswith(wanted):
                return v.number
    usable = [v for v in values if not v.name.endswith(NOT_SET)]
    return (usable or values)[-1].number


def fill(msg: Message, event_type: str, planted: Planted, agency: str, path: str = "", depth: int = 0) -> None:
    """Set every field of `msg` (see the module notes); `agency` owns what is planted here."""
    for fd in msg.DESCRIPTOR.fields:
        p = f"{path}{fd.name}"
        repeated = fd.is_repeated
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            continue  # no map fields in the events' contracts
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            name = fd.message_type.full_name
            if name == "google.protobuf.Timestamp":
                (getattr(msg, fd.name).add() if repeated else getattr(msg, fd.name)).FromDatetime(AT)
            elif name.startswith("google.protobuf.") or depth >= MAX_DEPTH:
                continue
            elif repeated:
                for owner in (agency, OTHER):
                    fill(getattr(msg, fd.name).add(), event_type, planted, owner, f"{p}.", depth + 1)
            else:
                fill(getattr(msg, fd.name), event_type, planted, agency, f"{p}.", depth + 1)
            continue
        if fd.type == FieldDescriptor.TYPE_STRING:
            value = agency if fd.name in ("agency", "to_agency") else planted.canary(event_type, p, agency)
        elif fd.type == FieldDescriptor.TYPE_BYTES:
            value = planted.canary(event_type, p, agency).encode()
        elif fd.type == FieldDescriptor.TYPE_ENUM:
            value = _enum_value(fd)
        elif fd.type == FieldDescriptor.TYPE_BOOL:
            value = True
        elif fd.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            value = 1.5
        else:
            value = 7
        if repeated:
            getattr(msg, fd.name).append(value)
        else:
            setattr(msg, fd.name, value)


def allowed(tree: dict | None, path: list[str]) -> bool:
    """Whether the allow-tree (domain/feeds.py: name -> subtree, None = whole) covers `path`."""
    node = tree
    for name in path:
        if node is None:
            return True
        if name not in node:
            return False
        node = node[name]
    return True


def view_paths(value, prefix: tuple[str, ...] = ()):
    """Every key path of a JSON view (lists entered element by element)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from view_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for v in value:
            yield from view_paths(v, prefix)


def partner_office(agency: str) -> str | None:
    doc = tomllib.loads(CATALOGUE.read_text())
    for code, office in doc["offices"].items():
        if office.get("agency") == agency and "partner_system" in office.get("roles", ()):
            return code
    return None


@pytest.fixture(scope="module")
async def platform(database_url, bootstrap, tmp_path_factory):
    prefix, data = f"pf{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("partner-feeds")
    audit = await start_service("audit", database_url, bootstrap, prefix, data, checkpoint_seconds=3600)
    stores, relays, tasks = {}, [], []
    for service in PRODUCERS:
        store = EventStore(audit.pool, f"{service}_{prefix}", FixedClock())
        await store.migrate()
        relay = OutboxRelay(store, bootstrap, topics.TopicSpec(topic_name(service, f"{prefix}."), PARTITIONS))
        stores[service] = store
        relays.append(relay)
        tasks.append(asyncio.create_task(relay.run()))
    yield audit, stores
    for relay in relays:
        await relay.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await audit.stop()


async def plant(stores: dict[str, EventStore], config) -> tuple[Planted, int]:
    """Every event type a feed may name (`feed_config.event_types`: the producers' contracts),
    on its producer's topic (a read, `common.v1`, on the clues service's), once naming nobody and
    once naming each agency its feed goes to."""
    planted, count = Planted(), 0
    for event_type, descriptor in sorted(event_types().items()):
        service = event_type.split(".")[0] if event_type.split(".")[0] in stores else "clues"
        pb = message_factory.GetMessageClass(descriptor)
        for agency in [NOBODY, *sorted(a for a, _ in config.by_type.get(event_type, ()))]:
            payload = pb()
            fill(payload, event_type, planted, agency)
            # the envelope's user and correlation id are canaries too: an entry never carries them
            user = Principal(ALICE.agency, ALICE.office, ALICE.role, planted.canary(event_type, "(user)", agency))
            correlation = planted.canary(event_type, "(correlation_id)", agency)
            event = NewEvent(str(uuid.uuid4()), payload, AT, user, correlation_id=correlation)
            await stores[service].append(f"{service}-canary-{uuid.uuid4().hex[:12]}", 0, [event])
            count += 1
    return planted, count


async def read_topic(bootstrap: str, topic: str, expect: int, timeout: float = 60.0) -> dict[int, list]:
    """position -> every record at it (a repeat is allowed: consumers dedupe by position)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest",
        max_partition_fetch_bytes=1 << 20,
    )  # fmt: skip
    await consumer.start()
    found: dict[int, list] = defaultdict(list)
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline, last_new = time.monotonic() + timeout, time.monotonic()
        while not (len(found) >= expect and time.monotonic() - last_new >= 1.0):
            assert time.monotonic() < deadline, f"{topic}: {len(found)} of {expect} positions after {timeout} s"
            for msgs in (await consumer.getmany(*tps, timeout_ms=200)).values():
                for m in msgs:
                    found[int(dict(m.headers)["position"])].append(m)
                    last_new = time.monotonic()
    finally:
        await consumer.stop()
    return found


async def subscribe(audit, agency: str, office: str) -> dict[int, bytes]:
    """The agency's feed from position 0 until the stream says it caught up."""
    principal = Principal(agency, office, "partner_system", f"u-{agency}")
    entries: dict[int, bytes] = {}
    async with grpc.aio.insecure_channel(f"127.0.0.1:{audit.port}") as ch:
        stream = feeds_pb2_grpc.PartnerFeedServiceStub(ch).Subscribe(
            fpb.SubscribeRequest(from_position=0), metadata=call_metadata(audit.settings, principal)
        )
        async for message in stream:
            if message.HasField("caught_up"):
                assert message.caught_up.size == len(entries)
                stream.cancel()
                break
            assert message.entry.position == len(entries), "the stream is the feed, in order, once"
            entries[message.entry.position] = message.entry.entry
    return entries


def check_entry(agency: str, raw: bytes, config, planted: Planted, leaks: list[str], seen_allowed: set) -> None:
    doc = json.loads(raw)
    assert doc["agency"] == agency, f"{agency}'s feed holds an entry of {doc['agency']}"
    event_type = doc["event_type"]
    feed = config.agencies[agency].get(event_type)
    assert feed is not None, f"{agency} receives {event_type}, which its configuration does not send it"
    for path in view_paths(doc["view"]):
        if not allowed(feed.tree, list(path)):
            leaks.append(f"{agency} {event_type}: field {'.'.join(path)} is not on its allow-list")
    for canary in set(CANARY.findall(raw.decode())):
        planted_type, path, owner = planted.where[canary]
        if planted_type != event_type or not allowed(feed.tree, path.split(".")):
            leaks.append(f"{agency} {event_type}: canary of {planted_type} field {path}")
        elif feed.select == "item_owner" and path.startswith("items.") and owner != agency:
            leaks.append(f"{agency} {event_type}: canary of {owner}'s item ({path})")
        else:
            seen_allowed.add(canary)


async def test_no_partner_topic_or_stream_carries_a_field_its_agency_must_not_see(platform, bootstrap):
    audit, stores = platform
    config = audit_feeds.config()
    schema = audit.settings.schema
    planted, count = await plant(stores, config)

    async def recorded() -> bool:
        n = await audit.pool.fetchval(
            f"SELECT count(*) FROM {schema}.recorded_events WHERE stream_id LIKE '%-canary-%'"
        )
        return n == count

    await wait_until(recorded, 180, f"audit to record the {count} planted events")
    sizes = {
        r["agency"]: r["n"]
        for r in await audit.pool.fetch(f"SELECT agency, count(*) AS n FROM {schema}.feed_entries GROUP BY agency")
    }
    leaks: list[str] = []
    seen_allowed: set[str] = set()
    scanned: list[tuple[str, bytes]] = []
    for agency in sorted(config.agencies):
        size = sizes.get(agency, 0)
        assert size > 0, f"{agency}'s feed received nothing: the canaries did not reach it"
        on_topic = await read_topic(bootstrap, topics.partner_topic(agency, audit.settings.topic_prefix), size)
        assert sorted(on_topic) == list(range(size)), f"{agency}: the topic is the feed, deduplicated by position"
        for records in on_topic.values():
            for r in records:
                assert dict(r.headers)["agency"] == agency.encode()
                check_entry(agency, r.value, config, planted, leaks, seen_allowed)
        office = partner_office(agency)
        assert office, f"the catalogue has no partner office of {agency}"
        streamed = await subscribe(audit, agency, office)
        assert len(streamed) == size
        for position, raw in streamed.items():
            assert raw == on_topic[position][0].value, f"{agency} {position}: topic and stream differ"
            check_entry(agency, raw, config, planted, leaks, seen_allowed)
            scanned.append((agency, raw))
    # the scan sees a leak where there is one: an entry given a canary of a field not allowed
    agency, raw = next((a, r) for a, r in scanned if json.loads(r)["event_type"] in config.agencies[a])
    doc = json.loads(raw)
    feed = config.agencies[agency][doc["event_type"]]
    canary = next(
        c for c, (t, path, _) in planted.where.items()
        if t == doc["event_type"] and not allowed(feed.tree, path.split("."))
    )  # fmt: skip
    doc["view"][next(iter(doc["view"]), "x")] = canary
    probe: list[str] = []
    check_entry(agency, json.dumps(doc).encode(), config, planted, probe, set())
    assert probe, "the scan missed a planted leak"
    assert not leaks, f"{len(leaks)} leaks, e.g. " + "; ".join(sorted(set(leaks))[:10])
    assert seen_allowed, "no allowed canary arrived anywhere: the scan proved nothing"
