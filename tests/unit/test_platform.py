"""The platform file: the services, their ports, who produces and who consumes whom."""

import pytest

from kernel.runtime.platform import PlatformError, load_platform
from kernel.runtime.settings import ServiceSettings, from_env

BASE = {"DATABASE_URL": "postgresql://db/jjjc", "KAFKA_BOOTSTRAP_SERVERS": "k:9092"}


def test_the_shipped_platform():
    p = load_platform()
    assert p.names == ("clues", "cases", "sanctions", "audit")
    assert p.producers == ("clues", "cases", "sanctions", "audit")  # audit: the reads it serves
    assert p.service("audit").consumes == p.producers and p.service("clues").consumes == ("cases", "audit")
    assert p.service("cases").module == "services.cases.main"


def test_settings_take_ports_and_consumers_from_it():
    assert from_env("cases", BASE).grpc_port == 50052
    assert from_env("cases", BASE | {"CASES_GRPC_PORT": "6000"}).grpc_port == 6000
    assert ServiceSettings(service="audit", database_url="-", kafka_bootstrap="-").consumes == (
        "clues",
        "cases",
        "sanctions",
        "audit",
    )


def write(tmp_path, text: str):
    path = tmp_path / "platform.toml"
    path.write_text("schema_version = 1\n" + text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, key",
    [
        ("[services.a]\nport = 1\n", "services.a.module"),
        ('[services.a]\nmodule = "m"\nport = "x"\n', "services.a.port"),
        ('[services.a]\nmodule = "m"\nport = 1\nconsumes = ["b"]\n', "services.a.consumes"),
        (
            '[services.a]\nmodule = "m"\nport = 1\n[services.b]\nmodule = "n"\nport = 2\nconsumes = ["a"]\n',
            "services.b.consumes",
        ),  # a is not a producer
        ('[services.a]\nmodule = "m"\nport = 1\nproduces = "yes"\n', "services.a.produces"),
    ],
)
def test_a_mistake_names_the_key(tmp_path, text, key):
    with pytest.raises(PlatformError, match=key.replace(".", r"\.")):
        load_platform(write(tmp_path, text))


def test_an_unknown_service_is_named():
    with pytest.raises(PlatformError, match="no service 'tours'"):
        from_env("tours", BASE)
