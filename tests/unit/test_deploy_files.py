"""deploy/ checked offline (issue 28, point 4: beyond one machine).

* yamllint over every YAML file in deploy/ (deploy/.yamllint.yaml);
* deploy/k8s/*.yaml against the Kubernetes schemas bundled with kubernetes-validate, strictly
  (an unknown field is an error);
* deploy/compose.yaml against the compose specification's schema vendored in check-jsonschema
  (`--builtin-schema vendor.compose-spec`), and a broken copy refused (the check checks);
* what the files must say: a 3-broker KRaft Kafka with replication factor 3, min.insync.replicas 2
  and no automatic topic creation, the republish control topic made replicated; every service of
  the platform file run by its module with its ports; the settings the services read
  (kernel.runtime.settings.from_env) from exactly the environment compose and the manifests give
  them, each key file under a mounted secret; probes and resources; replicas only where the
  README says they are safe.

Nothing here reaches the network: every schema is in an installed wheel.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

from kernel.runtime.platform import load_platform
from kernel.runtime.settings import from_env, republish_topic

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = sorted((DEPLOY / "k8s").glob("*.yaml"))
COMPOSE = DEPLOY / "compose.yaml"
KUBERNETES_VERSION = "1.33.0"  # a version bundled with kubernetes-validate, a current cluster's
PLATFORM = load_platform()
SERVICES = PLATFORM.names
# relay and partner-feed publisher locks, consumer groups, inboxes (audit: availability, one tree)
REPLICATED = ("clues", "cases", "sanctions", "audit")
SINGLE = ()


def docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def k8s_objects() -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d for path in K8S for d in docs(path)}


def compose() -> dict:
    [doc] = docs(COMPOSE)
    return doc


# -- the validators ----------------------------------------------------------------------------


def test_every_yaml_file_in_deploy_passes_yamllint():
    config = YamlLintConfig(file=str(DEPLOY / ".yamllint.yaml"))
    files = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))
    assert COMPOSE in files and set(K8S) <= set(files)
    problems = [
        f"{path.relative_to(ROOT)}:{p.line}:{p.column}: {p.level}: {p.desc} ({p.rule})"
        for path in files
        for p in linter.run(path.read_text(encoding="utf-8"), config, str(path))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", K8S, ids=lambda p: p.name)
def test_kubernetes_manifests_are_valid_against_the_bundled_schemas_strictly(path):
    for doc in docs(path):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)  # raises naming the field


def check_compose_schema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_compose_file_is_valid_against_the_compose_specification(tmp_path):
    result = check_compose_schema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text(encoding="utf-8").replace("    healthcheck: *kafka-health", "    healthz: 1"))
    refused = check_compose_schema(broken)
    assert refused.returncode != 0 and "healthz" in refused.stdout + refused.stderr


def test_a_manifest_with_an_unknown_field_is_refused():
    deployment = k8s_objects()[("Deployment", "jjjc-clues")]
    wrong = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, KUBERNETES_VERSION, strict=True)


# -- compose: Kafka as the relays require ------------------------------------------------------


def test_compose_runs_a_three_broker_kraft_kafka_replicating_every_record_to_two():
    services = compose()["services"]
    brokers = {name: s for name, s in services.items() if name.startswith("kafka-") and name != "kafka-topics"}
    assert sorted(brokers) == ["kafka-1", "kafka-2", "kafka-3"]
    envs = [s["environment"] for s in brokers.values()]
    assert all(s["image"].startswith("apache/kafka:") for s in brokers.values())
    assert sorted(e["KAFKA_NODE_ID"] for e in envs) == ["1", "2", "3"]
    assert len({e["CLUSTER_ID"] for e in envs}) == 1
    for name, env in zip(brokers, envs, strict=True):
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft: no ZooKeeper
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"PLAINTEXT://{name}:9092"
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
        assert env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"


def test_compose_makes_the_republish_control_topic_replicated_before_any_service():
    services = compose()["services"]
    job = services["kafka-topics"]
    args = job["command"]
    value = dict(zip(args, args[1:]))
    assert "--create" in args and "--if-not-exists" in args
    assert value["--topic"] == republish_topic("")
    assert value["--replication-factor"] == "3" and value["--partitions"] == "1"
    assert set(job["depends_on"]) == {"kafka-1", "kafka-2", "kafka-3"}
    for name in SERVICES:
        depends = services[name]["depends_on"]
        assert depends["kafka-topics"] == {"condition": "service_completed_successfully"}
        assert depends["postgres"] == {"condition": "service_healthy"}


@pytest.mark.parametrize("name", SERVICES)
def test_compose_runs_each_service_from_the_image_with_the_settings_it_reads(name):
    service = compose()["services"][name]
    entry = PLATFORM.service(name)
    assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert service["command"] == ["python", "-m", entry.module]
    env = {k: str(v) for k, v in service["environment"].items()}
    settings = from_env(name, env)
    assert settings.database_url.endswith("@postgres:5432/jjjc")
    assert settings.kafka_bootstrap == "kafka-1:9092,kafka-2:9092,kafka-3:9092"
    assert settings.replication_factor == 3 and settings.topic_partitions >= 3
    assert settings.grpc_host == "0.0.0.0" and settings.allow_plaintext
    published = {p.rsplit(":", 1)[1] for p in service["ports"]}
    assert published == {str(entry.port), str(settings.metrics_port)}
    assert all(p.startswith("127.0.0.1:") for p in service["ports"]), "plaintext gRPC beyond the host's loopback"
    assert any(v.endswith(f":{settings.data_dir}") for v in service["volumes"])  # one key folder for all four


def test_dockerfile_installs_the_runtime_and_copies_what_the_services_read():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for folder in ("kernel/", "services/", "gen/", "deploy/config/", "tools/"):
        assert f"COPY {folder} {folder}" in text
    assert "PYTHONPATH=/app:/app/gen" in text  # gen/'s contracts as top-level packages
    assert "pip install -r /tmp/runtime.txt" in text and "USER 10001" in text


# -- Kubernetes: the operator's Kafka and PostgreSQL -------------------------------------------


def deployment_env(name: str) -> tuple[dict, dict]:
    """The environment the manifests give a service's container (ConfigMap, a stand-in for the
    Secret the operator creates, the container's own env) and the container."""
    objects = k8s_objects()
    config = objects[("ConfigMap", "jjjc-platform")]["data"]
    [container] = objects[("Deployment", f"jjjc-{name}")]["spec"]["template"]["spec"]["containers"]
    refs = [next(iter(r.values()))["name"] for r in container["envFrom"]]
    assert refs == ["jjjc-platform", "jjjc-platform"]  # the ConfigMap and the Secret
    own = {e["name"]: e["value"] for e in container.get("env", [])}
    return {**config, "DATABASE_URL": "postgresql://jjjc:secret@db.example:5432/jjjc", **own}, container


@pytest.mark.parametrize("name", SERVICES)
def test_each_deployment_takes_the_operators_kafka_and_postgresql(name):
    env, container = deployment_env(name)
    entry = PLATFORM.service(name)
    settings = from_env(name, env)
    assert settings.kafka_bootstrap == env["KAFKA_BOOTSTRAP_SERVERS"] and "," in settings.kafka_bootstrap
    assert settings.database_url == env["DATABASE_URL"]
    assert settings.replication_factor == 3 and settings.grpc_host == "0.0.0.0"
    assert settings.tls_cert_file and settings.tls_key_file and not settings.allow_plaintext
    assert settings.token_public_keys  # no private signing key in a service's pod
    assert container["command"] == ["python", "-m", entry.module]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": entry.port, "metrics": settings.metrics_port}
    service = k8s_objects()[("Service", f"jjjc-{name}")]
    assert {p["port"] for p in service["spec"]["ports"]} == {entry.port, settings.metrics_port}


@pytest.mark.parametrize("name", SERVICES)
def test_each_file_a_service_reads_is_mounted(name):
    env, container = deployment_env(name)
    mounts = [m["mountPath"] for m in container["volumeMounts"]]
    files = [env[k] for k in env if k.endswith(("_FILE", "_FILES", "_DIR")) and k != "DATA_DIR"]
    assert files, "no key or certificate file named"
    for path in (p.strip() for value in files for p in value.split(",")):
        assert any(path == m or path.startswith(m + "/") for m in mounts), f"{path} is on no mounted volume"
    assert env["DATA_DIR"] in mounts  # writable: the root filesystem is read-only


@pytest.mark.parametrize("name", SERVICES)
def test_each_deployment_has_probes_and_resources(name):
    _, container = deployment_env(name)
    assert container["readinessProbe"]["httpGet"]["port"] == "metrics"
    assert container["startupProbe"]["httpGet"]["port"] == "metrics"
    assert container["livenessProbe"]["tcpSocket"]["port"] == "grpc"  # TLS-only: the kubelet cannot speak it
    resources = container["resources"]
    assert resources["requests"]["cpu"] and resources["requests"]["memory"] and resources["limits"]["memory"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_replicas_only_where_they_are_safe():
    objects = k8s_objects()
    for name in REPLICATED:
        assert objects[("Deployment", f"jjjc-{name}")]["spec"]["replicas"] >= 2
        assert ("PodDisruptionBudget", f"jjjc-{name}") in objects
    for name in SINGLE:
        spec = objects[("Deployment", f"jjjc-{name}")]["spec"]
        assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}  # never two, even rolling
    assert set(REPLICATED + SINGLE) == set(SERVICES)


def test_kubernetes_makes_the_republish_control_topic_replicated():
    [container] = k8s_objects()[("Job", "jjjc-topics")]["spec"]["template"]["spec"]["containers"]
    script = container["command"][-1]
    assert '--topic "${TOPIC_PREFIX}' + republish_topic("") + '"' in script
    assert '--replication-factor "$TOPIC_REPLICATION_FACTOR"' in script and "--if-not-exists" in script
