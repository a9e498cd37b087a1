"""Topic administration for the outbox relay (kafka-python KafkaAdminClient, blocking).

Every function here blocks; async callers wrap them in `asyncio.to_thread`. Each call opens and
closes its own admin client: nothing connects at import time.

An event topic is a publication of the event store: partitioned by stream id (so the partition
count must never change under a topic), kept forever and never compacted (consumers rebuild
from the earliest offset). `verify_topic` checks what the broker reports against that.

Broker facts (kafka-python 3.0.12 against the embedded tansu 0.6.0, measured):
* `describe_configs` must be asked with `config_filter="all"`: tansu labels every config it
  reports DEFAULT_CONFIG, so the client's default filter ("modified") drops them all and the
  answer looks empty. With "all", tansu reports exactly the configs given at creation, and
  nothing for a topic created without configs (e.g. auto-created on first produce).
* Naming config keys in the request makes tansu drop the connection: never name them.
* tansu accepts a topic with 0 partitions, hence the check in `TopicSpec`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from kafka.errors import KafkaError, TopicAlreadyExistsError

from kernel import log as klog

REQUIRED_CONFIGS = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}
UNVERIFIABLE_WARNING = "broker reports no topic configuration; retention and cleanup policy not verified"
READY_TIMEOUT_S = 10.0
_UNKNOWN_TOPIC = 3  # UNKNOWN_TOPIC_OR_PARTITION


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1

    def __post_init__(self) -> None:
        # A broker may accept 0 partitions (tansu does); such a topic can never take an event.
        if self.partitions < 1 or self.replication_factor < 1:
            raise ValueError(f"topic {self.name!r}: partitions and replication factor must be >= 1")

    @property
    def configs(self) -> dict[str, str]:
        """Retention forever, never compacted: the topic must keep every event of every stream."""
        return dict(REQUIRED_CONFIGS)


def _admin(bootstrap: str) -> KafkaAdminClient:
    """A fresh client; bounded so an unreachable broker fails in 10 s, not the default 30 s."""
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kernel-topics",
                            request_timeout_ms=10_000, bootstrap_timeout_ms=10_000)


def _describe(admin: KafkaAdminClient, name: str) -> dict[str, Any]:
    """The topic's metadata; the admin client never auto-creates topics on this request."""
    return admin.describe_topics([name])[0]


def _ready(topic: dict[str, Any], expected: int | None) -> bool:
    """Present, with `expected` partitions (any number if None), every one led by a broker."""
    parts = topic.get("partitions") or []
    return (topic.get("error_code") == 0 and bool(parts)
            and (expected is None or len(parts) == expected)
            and all(p.get("error_code") == 0 and p.get("leader_id", -1) >= 0 for p in parts))


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
            admin.create_topics({spec.name: {"num_partitions": spec.partitions,
                                             "replication_factor": spec.replication_factor,
                                             "configs": spec.configs}})
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
    configs = {key: entry["value"] for key, entry in entries.items()
               if isinstance(entry, dict) and entry.get("value") is not None}
    return configs or None


def describe_topic_configs(bootstrap: str, name: str) -> dict[str, str] | None:
    """The topic's configs as the broker reports them, or None (empty answer or any error).

    Asks for all configs without naming keys (naming keys drops the connection on tansu) and
    with filter "all" (the default "modified" hides every config tansu reports). Logs nothing:
    the caller decides, via `unverifiable`, how to report it.
    """
    try:
        with _admin(bootstrap) as admin:
            response = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)],
                                              config_filter="all")
    except Exception:  # noqa: BLE001 - by contract: any failure means "not reported"
        return None
    return parse_describe_configs(response, name)


def check_topic_config(spec: TopicSpec, partitions_reported: int | None,
                       reported_configs: dict[str, str] | None) -> list[str]:
    """Problems with the topic as reported; [] if none. Pure.

    Only configs the broker reports are judged: a broker that reports none (tansu for topics
    created without configs) yields no config problem here, see `unverifiable`.
    """
    if partitions_reported is None:
        return [f"topic {spec.name!r} is missing"]
    problems = []
    if partitions_reported != spec.partitions:
        problems.append(f"topic {spec.name!r} has {partitions_reported} partitions, expected "
                        f"{spec.partitions}: partitioning by stream id must never change under a topic")
    for key, wanted in spec.configs.items():
        found = (reported_configs or {}).get(key)
        if found is not None and found != wanted:
            problems.append(f"topic {spec.name!r} has {key}={found!r}, expected {wanted!r}")
    return problems


def unverifiable(reported_configs: dict[str, str] | None) -> bool:
    """True when the broker reported no configs: callers log UNVERIFIABLE_WARNING."""
    return not reported_configs


def verify_topic(bootstrap: str, spec: TopicSpec) -> list[str]:
    """Problems with the live topic ([] if none) for the caller to report.

    Logs UNVERIFIABLE_WARNING itself when the topic exists but the broker reports no configs,
    so that an empty list is never silently read as "retention and cleanup policy checked".
    """
    count = partition_count(bootstrap, spec.name)
    if count is None:
        return check_topic_config(spec, None, None)
    configs = describe_topic_configs(bootstrap, spec.name)
    if unverifiable(configs):
        klog.get("topics").warning(UNVERIFIABLE_WARNING, topic=spec.name)
    return check_topic_config(spec, count, configs)
