"""Settings from the environment: per-service variables win, schema names are checked."""

from datetime import datetime, timedelta, timezone

import pytest

from kernel.runtime.settings import from_env

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


def test_the_contracts_limits_are_read_from_the_environment():
    s = from_env(
        "clues",
        {
            **BASE,
            "REQUEST_EARLIEST_DATE": "2010-06-01",
            "REQUEST_MAX_PAGE": "50",
            "REQUEST_CLOCK_SKEW_SECONDS": "60",
            "REQUEST_MAX_BYTES": "1048576",
        },
    )
    assert s.request_limits.earliest == datetime(2010, 6, 1, tzinfo=timezone.utc)
    assert s.request_limits.max_page == 50 and s.request_limits.clock_skew == timedelta(seconds=60)
    assert s.request_max_bytes == 1 << 20


@pytest.mark.parametrize(
    "name, value",
    [("REQUEST_EARLIEST_DATE", "yesterday"), ("REQUEST_MAX_PAGE", "5000"), ("REQUEST_HORIZON_DAYS", "-1")],
)
def test_a_malformed_limit_stops_the_service_naming_it(name, value):
    with pytest.raises(SystemExit, match=name):
        from_env("clues", {**BASE, name: value})
