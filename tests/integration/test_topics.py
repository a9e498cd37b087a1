"""Topic administration against the session broker (embedded tansu, or KAFKA_BOOTSTRAP_SERVERS).

What tansu 0.6.0 did here (kafka-python 3.0.12):
* create_topics with configs works; a second create raises TopicAlreadyExistsError.
* describe_configs (config_filter="all", no keys named) reports exactly the configs given at
  creation, and nothing for a topic created without configs. So on tansu the check is real for
  topics `ensure_topic` created, and unverifiable only for topics created by anyone else.
* delete_topics works: metadata forgets the topic at once, its records are gone, and the name
  can be created again with another partition count.
"""

import os

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient
from structlog.testing import capture_logs

from kernel.messaging import topics
from kernel.messaging.topics import TopicSpec

ON_TANSU = not os.environ.get("KAFKA_BOOTSTRAP_SERVERS")


@pytest.fixture
def spec(unique):
    return TopicSpec(f"t-topics-{unique}", partitions=3)


def _create_raw(bootstrap, name, configs):
    with KafkaAdminClient(bootstrap_servers=bootstrap) as admin:
        admin.create_topics({name: {"num_partitions": 1, "replication_factor": 1, "configs": configs}})
        admin.wait_for_topics([name])


def _values(bootstrap, name):
    """Every record value of partition 0, from the earliest offset."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        tp = TopicPartition(name, 0)
        consumer.assign([tp])
        consumer.seek_to_beginning(tp)
        return [r.value for r in consumer.poll(timeout_ms=2000).get(tp, [])]
    finally:
        consumer.close()


def test_ensure_creates_once_with_the_spec_partitions(bootstrap, spec):
    assert topics.partition_count(bootstrap, spec.name) is None
    assert topics.ensure_topic(bootstrap, spec) is True
    assert topics.partition_count(bootstrap, spec.name) == 3
    assert topics.ensure_topic(bootstrap, spec) is False
    assert topics.partition_count(bootstrap, spec.name) == 3


def test_created_topic_verifies_and_its_configs_are_reported(bootstrap, spec):
    topics.ensure_topic(bootstrap, spec)
    configs = topics.describe_topic_configs(bootstrap, spec.name)
    # Finding: not the empty answer the stack notes expected; tansu echoes the creation configs.
    assert configs is not None and spec.configs.items() <= configs.items()
    assert not topics.unverifiable(configs)
    with capture_logs() as logs:
        assert topics.verify_topic(bootstrap, spec) == topics.TopicCheck()
    assert logs == []


@pytest.mark.skipif(not ON_TANSU, reason="a real Kafka reports its defaults for every topic")
def test_topic_created_without_configs_is_unverifiable_on_tansu(bootstrap, spec):
    _create_raw(bootstrap, spec.name, {})
    assert topics.describe_topic_configs(bootstrap, spec.name) is None
    with capture_logs() as logs:
        check = topics.verify_topic(bootstrap, TopicSpec(spec.name, 1))
    assert check == topics.TopicCheck()
    assert [(e["log_level"], e["event"]) for e in logs] == [("warning", topics.UNVERIFIABLE_WARNING)]


def test_compacted_short_retention_topic_is_reported(bootstrap, spec):
    _create_raw(bootstrap, spec.name, {"cleanup.policy": "compact", "retention.ms": "604800000"})
    problems = topics.verify_topic(bootstrap, spec).problems
    assert len(problems) == 3, problems  # partitions 1 != 3, compaction, 7-day retention
    assert any("cleanup.policy='compact'" in p for p in problems)
    assert any("retention.ms='604800000'" in p for p in problems)


def test_missing_topic(bootstrap, spec):
    assert topics.verify_topic(bootstrap, spec).problems == [f"topic {spec.name!r} is missing"]
    assert topics.describe_topic_configs(bootstrap, spec.name) is None


def test_delete_then_ensure_recreates_empty_with_new_partitioning(bootstrap, spec):
    topics.ensure_topic(bootstrap, spec)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    producer.send(spec.name, b"before", partition=0).get(timeout=10)
    producer.close()
    assert _values(bootstrap, spec.name) == [b"before"]

    topics.delete_topic(bootstrap, spec.name)
    assert topics.partition_count(bootstrap, spec.name) is None
    smaller = TopicSpec(spec.name, partitions=2)
    assert topics.ensure_topic(bootstrap, smaller) is True
    assert topics.partition_count(bootstrap, spec.name) == 2
    assert _values(bootstrap, spec.name) == []
    assert topics.verify_topic(bootstrap, smaller) == topics.TopicCheck()


def test_delete_is_best_effort(bootstrap, unique):
    topics.delete_topic(bootstrap, f"t-never-{unique}")  # UnknownTopicOrPartition: tolerated
    assert topics.partition_count(bootstrap, f"t-never-{unique}") is None


def test_limited_topic_is_created_with_its_limit_and_the_broker_limit_is_checked(bootstrap, spec):
    limited = TopicSpec(spec.name, 3, max_message_bytes=327_680)
    topics.ensure_topic(bootstrap, limited)
    assert topics.describe_topic_configs(bootstrap, spec.name)["max.message.bytes"] == "327680"
    with capture_logs() as logs:
        check = topics.verify_topic(bootstrap, limited)
    assert check == topics.TopicCheck()
    unverified = [e for e in logs if e["event"] == topics.LIMIT_UNVERIFIED]
    if ON_TANSU:  # tansu reports no broker configs: said, never silently passed
        assert unverified == [
            {
                "event": "limit not verified",
                "log_level": "warning",
                "topic": spec.name,
                "needed": 327_680,
                "topic_reports": "327680",
                "reason": "the broker reports no message.max.bytes",
            }
        ]
    else:
        assert unverified == [] and topics.describe_broker_limit(bootstrap) is not None


def test_topic_with_a_smaller_limit_is_refused(bootstrap, spec):
    _create_raw(bootstrap, spec.name, {"max.message.bytes": "4096"})
    check = topics.verify_topic(bootstrap, TopicSpec(spec.name, 1, max_message_bytes=327_680))
    assert check.refusal and "max.message.bytes=4096" in check.refusal and "327680" in check.refusal
