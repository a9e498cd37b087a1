"""Topic administration for the outbox relay (kafka-python KafkaAdminClient, blocking).

Every function here blocks; async callers wrap them in `asyncio.to_thread`. Each call opens and
closes its own admin client: nothing connects at import time.

An event topic is a publication of the event store: partitioned by stream id (so the partition
count must never change under a topic), kept forever and never compacted (consumers rebuild
from the earliest offset), and it takes every record the relay may send: `max.message.bytes`
is set at creation to the spec's limit (`ServiceSettings.kafka_message_bytes`). `verify_topic`
checks what the broker reports against that.

Broker facts (kafka-python 3.0.12 against the embedded tansu 0.6.0, measured):
* `describe_configs` must be asked with `config_filter="all"`: tansu labels every config it
  reports DEFAULT_CONFIG, so the client's default filter ("modified") drops them all and the
  answer looks empty. With "all", tansu reports exactly the configs given at creation, and
  nothing for a topic created without configs (e.g. auto-created on first produce).
* Naming config keys in the request makes tansu drop the connection: never name them.
* tansu accepts a topic with 0 partitions, hence the check in `TopicSpec`.
* tansu reports no broker configs at all (describe_configs of the BROKER resource answers an
  empty set) and does not enforce `max.message.bytes`: on tansu the limit is "not verified".

Which limit applies (Kafka semantics): a topic's `max.message.bytes` overrides the broker's
`message.max.bytes`; a real Kafka reports the topic's effective value (inherited or set). So the
topic's reported value decides, and the broker's only where the topic reports none.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from kafka.errors import KafkaError, TopicAlreadyExistsError

from kernel.runtime import log as klog

REQUIRED_CONFIGS = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}
TOPIC_LIMIT, BROKER_LIMIT = "max.message.bytes", "message.max.bytes"
UNVERIFIABLE_WARNING = "broker reports no topic configuration; retention and cleanup policy not verified"
LIMIT_UNVERIFIED = "limit not verified"
READY_TIMEOUT_S = 10.0
_UNKNOWN_TOPIC = 3  # UNKNOWN_TOPIC_OR_PARTITION


_PARTNER_AGENCY = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


def partner_topic(agency: str, prefix: str = "") -> str:
    """The topic an agency's partner feed is published to (issue 23 point 3, audit's feed
    publisher): `<prefix>partner.<agency>.v1`. `agency` is a catalogue agency code (lower case,
    digits, underscores: always a valid Kafka topic name part); anything else is refused."""
    if not _PARTNER_AGENCY.match(agency):
        raise ValueError(f"partner topic: agency {agency!r} must match {_PARTNER_AGENCY.pattern}")
    return f"{prefix}partner.{agency}.v1"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1
    # Largest record the topic must take (its max.message.bytes); None: the broker's default,
    # and nothing to check (control topics).
    max_message_bytes: int | None = None

    def __post_init__(self) -> None:
        # A broker may accept 0 partitions (tansu does); such a topic can never take an event.
        if self.partitions < 1 or self.replication_factor < 1:
            raise ValueError(f"topic {self.name!r}: partitions and replication factor must be >= 1")
        if self.max_message_bytes is not None and self.max_message_bytes < 1:
            raise ValueError(f"topic {self.name!r}: max_message_bytes must be positive")

    @property
    def configs(self) -> dict[str, str]:
        """Retention forever, never compacted: the topic must keep every event of every stream;
        and it must take the largest record the relay may send."""
        configs = dict(REQUIRED_CONFIGS)
        if self.max_message_bytes is not None:
            configs[TOPIC_LIMIT] = str(self.max_message_bytes)
        return configs


@dataclass(frozen=True)
class TopicCheck:
    """What `verify_topic` found: problems are logged as errors, the topic stays usable; a refusal
    (its message limit is too small) means nothing may be published to it until fixed."""

    problems: list[str] = field(default_factory=list)
    refusal: str | None = None


def _admin(bootstrap: str) -> KafkaAdminClient:
    """A fresh client; bounded so an unreachable broker fails in 10 s, not the default 30 s."""
    return KafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="kernel-topics", request_timeout_ms=10_000, bootstrap_timeout_ms=10_000
    )


def _describe(admin: KafkaAdminClient, name: str) -> dict[str, Any]:
    """The topic's metadata; the admin client never auto-creates topics on this request."""
    return admin.describe_topics([name])[0]


def _ready(topic: dict[str, Any], expected: int | None) -> bool:
    """Present, with `expected` partitions (any number if None), every one led by a broker."""
    parts = topic.get("partitions") or []
    return (
        topic.get("error_code") == 0
        and bool(parts)
        and (expected is None or len(parts) == expected)
        and all(p.get("error_code") == 0 and p.get("leader_id", -1) >= 0 for p in parts)
    )


def _wait_ready(admin: KafkaAdminClient, name: str, expected: int | None) -> None:
    """CreateTopics only means "accepted": producing before metadata settles can fail."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        try:
            topic = _describe(admin, name)
        except KafkaError as err:  # transient while the broker settles; retried until deadline
            topic = {"error": repr(err)}
        if _ready(topic, expected):
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"topic {name!r} not ready after {READY_TIMEOUT_S:.0f} s: {topic}")
        time.sleep(0.1)


def ensure_topic(bootstrap: str, spec: TopicSpec) -> bool:
    """Create the topic if missing (True) or leave it as found (False); then wait until usable.

    An existing topic is not altered: a wrong partition count is reported by `verify_topic`,
    and only the caller may decide to delete and rebuild it.
    """
    with _admin(bootstrap) as admin:
        try:
            admin.create_topics(
                {
                    spec.name: {
                        "num_partitions": spec.partitions,
                        "replication_factor": spec.replication_factor,
                        "configs": spec.configs,
                    }
                }
            )
            created = True
        except TopicAlreadyExistsError:
            created = False
        _wait_ready(admin, spec.name, spec.partitions if created else None)
    return created


def partition_count(bootstrap: str, name: str) -> int | None:
    """Partitions the broker reports for the topic; None if it does not exist."""
    with _admin(bootstrap) as admin:
        topic = _describe(admin, name)
    if topic["error_code"] == _UNKNOWN_TOPIC:
        return None
    if topic["error_code"]:
        raise KafkaError(f"metadata for topic {name!r} failed: error {topic['error_code']}")
    return len(topic["partitions"])


def delete_topic(bootstrap: str, name: str) -> None:
    """Best effort delete, for a topic that must be recreated (e.g. wrong partition count).

    Waits (bounded) until metadata no longer shows the topic, since a real Kafka deletes
    asynchronously and an immediate re-create would fail with TopicAlreadyExists. Failures
    (missing topic, deletion disabled, broker down) are swallowed: the caller's following
    `ensure_topic` / `verify_topic` shows whether the topic is right.
    """
    try:
        with _admin(bootstrap) as admin:
            admin.delete_topics([name], raise_errors=False)
            deadline = time.monotonic() + READY_TIMEOUT_S
            while _describe(admin, name)["error_code"] != _UNKNOWN_TOPIC and time.monotonic() < deadline:
                time.sleep(0.1)
    except KafkaError:
        pass


def parse_describe_configs(response: Any, name: str) -> dict[str, str] | None:
    """{key: value} for topic `name` from what kafka-python 3.0.12's `describe_configs` returns.

    3.0.12 returns {"topic": {name: {key: {"value": ..., "config_source": ..., ...}}}} (older
    releases returned raw response objects: anything but that dict shape gives None). None also
    for an empty answer, so `unverifiable` can tell the caller nothing was checked. 3.0.12
    ignores per-resource error codes, so a missing topic also comes back empty.
    """
    if not isinstance(response, dict):
        return None
    entries = (response.get("topic") or {}).get(name) or {}
    configs = {
        key: entry["value"]
        for key, entry in entries.items()
        if isinstance(entry, dict) and entry.get("value") is not None
    }
    return configs or None


def describe_topic_configs(bootstrap: str, name: str) -> dict[str, str] | None:
    """The topic's configs as the broker reports them, or None (empty answer or any error).

    Asks for all configs without naming keys (naming keys drops the connection on tansu) and
    with filter "all" (the default "modified" hides every config tansu reports). Logs nothing:
    the caller decides, via `unverifiable`, how to report it.
    """
    try:
        with _admin(bootstrap) as admin:
            response = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)], config_filter="all")
    except Exception:  # noqa: BLE001 - by contract: any failure means "not reported"
        return None
    return parse_describe_configs(response, name)


def parse_broker_limit(response: Any) -> int | None:
    """The smallest `message.max.bytes` any broker reports in a BROKER describe_configs answer
    ({"broker": {id: {key: {"value": ...}}}}), or None where no broker reports one (tansu)."""
    if not isinstance(response, dict):
        return None
    limits = [
        _as_int(((entries or {}).get(BROKER_LIMIT) or {}).get("value"))
        for entries in (response.get("broker") or {}).values()
        if isinstance(entries, dict)
    ]
    limits = [n for n in limits if n is not None]
    return min(limits) if limits else None


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def describe_broker_limit(bootstrap: str) -> int | None:
    """The brokers' `message.max.bytes` (smallest), or None (not reported, or any error).

    Describes every broker of the cluster with filter "all" and without naming keys (see the
    module notes on tansu).
    """
    try:
        with _admin(bootstrap) as admin:
            brokers = admin.describe_cluster()["brokers"]
            response = admin.describe_configs(
                [ConfigResource(ConfigResourceType.BROKER, str(b["broker_id"])) for b in brokers], config_filter="all"
            )
    except Exception:  # noqa: BLE001 - by contract: any failure means "not reported"
        return None
    return parse_broker_limit(response)


def check_message_limit(spec: TopicSpec, topic_configs: dict[str, str] | None, broker_limit: int | None) -> str | None:
    """A refusal sentence if the limit that applies to the topic is below the spec's; else None.
    Pure. The topic's reported `max.message.bytes` decides; the broker's `message.max.bytes`
    only where the topic reports none (a topic's setting overrides the broker's default)."""
    needed = spec.max_message_bytes
    topic_limit = _as_int((topic_configs or {}).get(TOPIC_LIMIT))
    found, key, where = (
        (topic_limit, TOPIC_LIMIT, f"topic {spec.name!r}")
        if topic_limit is not None
        else (broker_limit, BROKER_LIMIT, "the broker")
    )
    if needed is None or found is None or found >= needed:
        return None
    return (
        f"{where} reports {key}={found}, below the {needed} bytes a stored event may need: "
        f"raise {key} to at least {needed} (topic: kafka-configs --alter --entity-type topics "
        f"--entity-name {spec.name} --add-config {TOPIC_LIMIT}={needed}); "
        f"nothing is published to {spec.name!r} until then, and no event is lost"
    )


def check_topic_config(
    spec: TopicSpec, partitions_reported: int | None, reported_configs: dict[str, str] | None
) -> list[str]:
    """Problems with the topic as reported; [] if none. Pure.

    Only configs the broker reports are judged: a broker that reports none (tansu for topics
    created without configs) yields no config problem here, see `unverifiable`.
    """
    if partitions_reported is None:
        return [f"topic {spec.name!r} is missing"]
    problems = []
    if partitions_reported != spec.partitions:
        problems.append(
            f"topic {spec.name!r} has {partitions_reported} partitions, expected "
            f"{spec.partitions}: partitioning by stream id must never change under a topic"
        )
    for key, wanted in REQUIRED_CONFIGS.items():  # the message limit is a minimum: check_message_limit
        found = (reported_configs or {}).get(key)
        if found is not None and found != wanted:
            problems.append(f"topic {spec.name!r} has {key}={found!r}, expected {wanted!r}")
    return problems


def unverifiable(reported_configs: dict[str, str] | None) -> bool:
    """True when the broker reported no configs: callers log UNVERIFIABLE_WARNING."""
    return not reported_configs


def verify_topic(bootstrap: str, spec: TopicSpec) -> TopicCheck:
    """What is wrong with the live topic, for the caller to report and act on.

    Logs itself what could not be checked, so that "no problem" is never silently read as
    "checked": UNVERIFIABLE_WARNING when the broker reports no topic configs, LIMIT_UNVERIFIED
    (with the limit needed) when the broker reports no `message.max.bytes`.
    """
    count = partition_count(bootstrap, spec.name)
    if count is None:
        return TopicCheck(check_topic_config(spec, None, None))
    configs = describe_topic_configs(bootstrap, spec.name)
    log = klog.get("topics")
    if unverifiable(configs):
        log.warning(UNVERIFIABLE_WARNING, topic=spec.name)
    broker_limit = describe_broker_limit(bootstrap) if spec.max_message_bytes is not None else None
    if spec.max_message_bytes is not None and broker_limit is None:
        log.warning(
            LIMIT_UNVERIFIED,
            topic=spec.name,
            needed=spec.max_message_bytes,
            topic_reports=(configs or {}).get(TOPIC_LIMIT),
            reason=f"the broker reports no {BROKER_LIMIT}",
        )
    return TopicCheck(check_topic_config(spec, count, configs), check_message_limit(spec, configs, broker_limit))
