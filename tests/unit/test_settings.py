"""Settings from the environment: per-service variables win, schema names are checked."""
import pytest

from kernel.settings import from_env

BASE = {"DATABASE_URL": "postgresql://db/jjjc", "KAFKA_BOOTSTRAP_SERVERS": "k:9092"}


def test_a_service_keeps_its_tables_in_a_schema_named_after_it_unless_told():
    assert from_env("clues", BASE).schema == "clues"
    assert from_env("clues", BASE | {"CLUES_DATABASE_SCHEMA": "clues_staging"}).schema == "clues_staging"
    assert from_env("cases", BASE | {"CLUES_DATABASE_SCHEMA": "clues_staging"}).schema == "cases"


@pytest.mark.parametrize("name", ["Clues", "clues;drop", "1clues", "x" * 64, "clues-staging"])
def test_a_schema_name_that_is_not_a_plain_identifier_is_refused(name):
    with pytest.raises(ValueError, match="database schema"):
        from_env("clues", BASE | {"CLUES_DATABASE_SCHEMA": name})


def test_per_service_database_url_wins():
    env = BASE | {"AUDIT_DATABASE_URL": "postgresql://audit-db/ledger"}
    assert from_env("audit", env).database_url == "postgresql://audit-db/ledger"
    assert from_env("clues", env).database_url == "postgresql://db/jjjc"
