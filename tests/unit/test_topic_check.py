"""Topic checks against recorded admin answers (pure: no broker).

Shapes are what kafka-python 3.0.12's `KafkaAdminClient.describe_configs(..., config_filter="all")`
returns: {"topic": {name: {key: {"value", "read_only", "config_source", ...}}}}.

* TANSU_* answers were captured from the embedded tansu 0.6.0 broker (broker resource 111 is its
  node id: it answers an empty config set for a broker).
* KAFKA_* answers stand for an Apache Kafka 3.x broker. No real Kafka is reachable offline, so
  they are not captures: they follow the protocol's DescribeConfigs v4 shape with Kafka's
  documented defaults (7-day retention, delete policy, 1 GiB segments) for keys the topic did
  not set. Replace them with captures when a real cluster is available.
"""

import pytest
from kafka.admin import KafkaAdminClient
from kafka.protocol.admin import DescribeConfigsResponse

from kernel.messaging.topics import (
    TopicSpec,
    check_message_limit,
    check_topic_config,
    parse_broker_limit,
    parse_describe_configs,
    unverifiable,
)

SPEC = TopicSpec("events.clues", partitions=3)


def _entry(value, source="DYNAMIC_TOPIC_CONFIG", type_="LONG"):
    return {
        "value": value,
        "read_only": False,
        "config_source": source,
        "is_sensitive": False,
        "synonyms": [],
        "config_type": type_,
        "documentation": None,
    }


def _kafka(**overrides):
    """A real Kafka's answer for a topic created with `SPEC.configs`, with some keys replaced."""
    configs = {
        "cleanup.policy": _entry("delete", type_="LIST"),
        "compression.type": _entry("producer", "DEFAULT_CONFIG", "STRING"),
        "max.message.bytes": _entry("1048588", "DEFAULT_CONFIG", "INT"),
        "min.insync.replicas": _entry("1", "DEFAULT_CONFIG", "INT"),
        "retention.bytes": _entry("-1"),
        "retention.ms": _entry("-1"),
        "segment.bytes": _entry("1073741824", "DEFAULT_CONFIG", "INT"),
        "segment.ms": _entry("604800000", "DEFAULT_CONFIG"),
    }
    configs.update(overrides)
    return {"topic": {"events.clues": configs}}


KAFKA_CORRECT = _kafka()
KAFKA_COMPACTED = _kafka(**{"cleanup.policy": _entry("compact", type_="LIST")})
KAFKA_COMPACT_DELETE = _kafka(**{"cleanup.policy": _entry("compact,delete", type_="LIST")})
# Created without our configs: retention falls back to the broker default of 7 days.
KAFKA_SEVEN_DAYS = _kafka(**{"retention.ms": _entry("604800000", "DEFAULT_CONFIG")})
# 3.0.12 ignores the per-resource error (UNKNOWN_TOPIC_OR_PARTITION) and returns no configs.
KAFKA_MISSING = {"topic": {"events.clues": {}}}

# tansu, topic created with SPEC.configs: it echoes them, each labelled DEFAULT_CONFIG.
TANSU_CREATED_WITH_CONFIGS = {
    "topic": {
        "events.clues": {
            key: {
                "value": value,
                "read_only": False,
                "config_source": "DEFAULT_CONFIG",
                "is_sensitive": False,
                "synonyms": [],
                "config_type": "STRING",
                "documentation": "",
            }
            for key, value in SPEC.configs.items()
        }
    }
}
# tansu, topic created without configs (or auto-created on produce), and missing topics.
TANSU_EMPTY = {"topic": {"events.clues": {}}}

# Body of tansu's DescribeConfigsResponse v4 for "events.clues" created with SPEC.configs
# (decoded by kafka-python 3.0.12 and re-encoded; no header, no frame).
TANSU_V4_BODY = bytes.fromhex(
    "000000000200000a4e6f206572726f722e020d6576656e74732e636c756573040d726574656e74696f6e2e6d73"
    "032d310005000102010010726574656e74696f6e2e6279746573032d31000500010201000f636c65616e7570"
    "2e706f6c6963790764656c657465000500010201000000"
)


def _check(answer, partitions=3):
    configs = parse_describe_configs(answer, "events.clues")
    return check_topic_config(SPEC, partitions, configs), unverifiable(configs)


def test_correct_topic_on_kafka_has_no_problem_and_is_verified():
    assert parse_describe_configs(KAFKA_CORRECT, "events.clues")["segment.bytes"] == "1073741824"
    assert _check(KAFKA_CORRECT) == ([], False)


@pytest.mark.parametrize("answer,policy", [(KAFKA_COMPACTED, "compact"), (KAFKA_COMPACT_DELETE, "compact,delete")])
def test_any_compaction_is_a_problem(answer, policy):
    problems, unverified = _check(answer)
    assert len(problems) == 1 and "cleanup.policy" in problems[0] and repr(policy) in problems[0]
    assert not unverified


def test_seven_day_retention_is_a_problem():
    problems, _ = _check(KAFKA_SEVEN_DAYS)
    assert len(problems) == 1 and "retention.ms='604800000'" in problems[0]


def test_wrong_retention_bytes_is_a_problem():
    problems, _ = _check(_kafka(**{"retention.bytes": _entry("1073741824")}))
    assert len(problems) == 1 and "retention.bytes" in problems[0]


def test_wrong_partition_count_is_fatal_even_with_right_configs():
    problems, _ = _check(KAFKA_CORRECT, partitions=4)
    assert len(problems) == 1 and "4 partitions, expected 3" in problems[0]


def test_every_problem_is_listed():
    problems, _ = _check(
        _kafka(
            **{"cleanup.policy": _entry("compact", type_="LIST"), "retention.ms": _entry("604800000", "DEFAULT_CONFIG")}
        ),
        partitions=1,
    )
    assert len(problems) == 3


def test_missing_topic_is_the_only_problem():
    assert parse_describe_configs(KAFKA_MISSING, "events.clues") is None
    assert check_topic_config(SPEC, None, None) == ["topic 'events.clues' is missing"]


def test_tansu_empty_answer_gives_no_problem_but_is_unverifiable():
    assert parse_describe_configs(TANSU_EMPTY, "events.clues") is None
    assert _check(TANSU_EMPTY) == ([], True)
    assert unverifiable(None) and unverifiable({})


def test_tansu_echoes_creation_configs_so_they_are_verified():
    assert parse_describe_configs(TANSU_CREATED_WITH_CONFIGS, "events.clues") == SPEC.configs
    assert _check(TANSU_CREATED_WITH_CONFIGS) == ([], False)


def test_only_reported_configs_are_judged():
    partial = {"topic": {"events.clues": {"cleanup.policy": _entry("delete", type_="LIST")}}}
    assert _check(partial) == ([], False)


@pytest.mark.parametrize(
    "answer",
    [
        None,
        [],
        "nonsense",
        {"topic": {"other.topic": KAFKA_CORRECT["topic"]["events.clues"]}},
        {"topic": {"events.clues": {"retention.ms": _entry(None)}}},  # null values are "not reported"
    ],
)
def test_unusable_answers_parse_to_none(answer):
    assert parse_describe_configs(answer, "events.clues") is None


# Raw protocol responses, run through the same conversion `describe_configs` applies in 3.0.12.

_Result = DescribeConfigsResponse.DescribeConfigsResult
_Config = _Result.DescribeConfigsResourceResult


def _raw(configs, error_code=0, name="events.clues"):
    return DescribeConfigsResponse(
        version=4,
        throttle_time_ms=0,
        results=[
            _Result(
                error_code=error_code,
                error_message=None,
                resource_type=2,
                resource_name=name,
                configs=[
                    _Config(
                        name=k,
                        value=v,
                        read_only=False,
                        config_source=source,
                        is_sensitive=False,
                        synonyms=[],
                        config_type=0,
                        documentation=None,
                    )
                    for k, v, source in configs
                ],
            )
        ],
    )


def _as_admin_client_returns(raw, config_filter="all"):
    return KafkaAdminClient._describe_configs_process_responses([raw], config_filter)


def test_raw_tansu_wire_response_parses_through_the_client_conversion():
    raw = DescribeConfigsResponse.decode(TANSU_V4_BODY, version=4)
    configs = parse_describe_configs(_as_admin_client_returns(raw), "events.clues")
    assert configs == SPEC.configs
    assert check_topic_config(SPEC, 3, configs) == []


def test_default_modified_filter_hides_everything_tansu_reports():
    """Why describe_topic_configs asks for config_filter="all": tansu says DEFAULT_CONFIG."""
    raw = DescribeConfigsResponse.decode(TANSU_V4_BODY, version=4)
    assert parse_describe_configs(_as_admin_client_returns(raw, "modified"), "events.clues") is None


def test_raw_kafka_compacted_response_is_a_problem():
    raw = _raw(
        [
            ("cleanup.policy", "compact", 1),
            ("retention.ms", "-1", 1),
            ("retention.bytes", "-1", 1),
            ("segment.bytes", "1073741824", 5),
        ]
    )
    configs = parse_describe_configs(_as_admin_client_returns(raw), "events.clues")
    assert configs["segment.bytes"] == "1073741824"
    [problem] = check_topic_config(SPEC, 3, configs)
    assert "cleanup.policy='compact'" in problem


def test_raw_kafka_unknown_topic_response_parses_to_none():
    raw = _raw([], error_code=3)
    assert parse_describe_configs(_as_admin_client_returns(raw), "events.clues") is None


def test_raw_response_object_itself_is_not_the_3_0_12_shape():
    assert parse_describe_configs(_raw([("retention.ms", "-1", 1)]), "events.clues") is None


def test_spec_configs_and_validation():
    spec = TopicSpec("t", 2)
    assert spec.replication_factor == 1
    spec.configs["cleanup.policy"] = "compact"
    assert spec.configs["cleanup.policy"] == "delete"
    with pytest.raises(ValueError):
        TopicSpec("t", 0)


# -- message limit: topic max.message.bytes, else broker message.max.bytes ----------------------

NEEDED = 327_680
LIMITED = TopicSpec("events.clues", partitions=3, max_message_bytes=NEEDED)
TANSU_BROKER = {"broker": {"111": {}}}


def _broker(*limits):
    """A real Kafka's BROKER answer (one entry per broker), with message.max.bytes as given."""
    return {
        "broker": {
            str(i): {
                "message.max.bytes": _entry(str(n), "STATIC_BROKER_CONFIG", "INT"),
                "num.io.threads": _entry("8", "DEFAULT_CONFIG", "INT"),
            }
            for i, n in enumerate(limits, start=1)
        }
    }


def _limit_check(topic_answer, broker_answer, spec=LIMITED):
    return check_message_limit(
        spec, parse_describe_configs(topic_answer, "events.clues"), parse_broker_limit(broker_answer)
    )


def test_limited_spec_creates_the_topic_with_its_limit():
    assert LIMITED.configs == {**SPEC.configs, "max.message.bytes": str(NEEDED)}
    assert "max.message.bytes" not in SPEC.configs
    with pytest.raises(ValueError):
        TopicSpec("t", 1, max_message_bytes=0)


def test_kafka_default_limit_is_enough():
    assert _limit_check(KAFKA_CORRECT, _broker(1048588)) is None


def test_topic_reporting_a_smaller_limit_is_refused_naming_found_needed_and_remedy():
    refusal = _limit_check(_kafka(**{"max.message.bytes": _entry("100000", type_="INT")}), _broker(1048588))
    assert "topic 'events.clues' reports max.message.bytes=100000" in refusal
    assert f"{NEEDED} bytes" in refusal and f"max.message.bytes={NEEDED}" in refusal
    assert "nothing is published" in refusal


def test_broker_limit_applies_where_the_topic_reports_none():
    refusal = _limit_check(TANSU_EMPTY, _broker(1048588, 200000))
    assert "the broker reports message.max.bytes=200000" in refusal and f"at least {NEEDED}" in refusal
    assert _limit_check(TANSU_EMPTY, _broker(NEEDED)) is None


def test_a_topic_setting_overrides_a_smaller_broker_default():
    assert _limit_check(KAFKA_CORRECT, _broker(200000)) is None


def test_tansu_reports_no_broker_limit_and_echoes_the_topic_limit():
    assert parse_broker_limit(TANSU_BROKER) is None
    echoed = {
        "topic": {
            "events.clues": {
                key: {"value": value, "config_source": "DEFAULT_CONFIG"} for key, value in LIMITED.configs.items()
            }
        }
    }
    assert _limit_check(echoed, TANSU_BROKER) is None
    assert _limit_check(TANSU_EMPTY, TANSU_BROKER) is None  # nothing reported: not verified, not refused


def test_a_larger_topic_limit_is_not_a_config_problem():
    configs = parse_describe_configs(KAFKA_CORRECT, "events.clues")  # 1048588 > NEEDED
    assert check_topic_config(LIMITED, 3, configs) == []


def test_spec_without_a_limit_checks_none():
    assert _limit_check(_kafka(**{"max.message.bytes": _entry("10", type_="INT")}), _broker(10), SPEC) is None


@pytest.mark.parametrize(
    "answer",
    [None, [], {"broker": {}}, {"broker": {"1": None}}, {"broker": {"1": {"message.max.bytes": _entry("many")}}}],
)
def test_unusable_broker_answers_give_no_limit(answer):
    assert parse_broker_limit(answer) is None
