"""The republish control topic is created as replicated as the platform's own topics
(TOPIC_REPLICATION_FACTOR; issue 28 point 4): on a cluster with min.insync.replicas 2, a control
topic of one replica would refuse every request."""

from types import SimpleNamespace

from kernel.messaging.republish import RepublishRequester, RepublishServer


def test_the_requester_and_the_server_create_the_control_topic_with_the_platform_s_replication_factor():
    requester = RepublishRequester("b:9092", "p.republish.v1", "g-ledger", replication_factor=3)
    server = RepublishServer(
        SimpleNamespace(spec=SimpleNamespace(name="p.clues.events.v1")),
        "b:9092",
        "p.republish.v1",
        replication_factor=3,
    )
    for spec in (requester.control_spec, server.control_spec):
        assert (spec.name, spec.partitions, spec.replication_factor) == ("p.republish.v1", 1, 3)


def test_one_replica_by_default_as_on_the_embedded_broker():
    assert RepublishRequester("b:9092", "p.republish.v1", "g").control_spec.replication_factor == 1
