"""The safeguards' configuration file (deploy/config/measure_safeguards.toml): the shipped file
holds the values of domain.md §3 (SL 26, 27, 28, 50 ¶4, 69), and every mistake in a local copy is
refused with the file and the key named."""

import copy
import tomllib
from datetime import timedelta

import pytest

from services.cases.app.measure_safeguard_rules import (
    DEFAULT_FILE,
    MeasureSafeguardRulesError,
    load_safeguard_rules,
    parse_safeguard_rules,
)
from services.cases.domain.measure_safeguards import SafeguardRules
from services.cases.main import CasesSettings

SHIPPED = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


def test_the_shipped_file_holds_the_values_of_domain_md():
    rules = load_safeguard_rules()
    assert rules == SafeguardRules()
    assert rules.release_within == timedelta(days=3)  # SL 26, 28
    assert rules.min_witnesses == 1  # SL 27


def test_a_local_copy_is_found_by_environment(tmp_path):
    local = tmp_path / "safeguards.toml"
    local.write_text(DEFAULT_FILE.read_text(encoding="utf-8").replace('"WHOLE"', '"NONE"'), encoding="utf-8")
    env = {
        "DATABASE_URL": "postgresql://db/x",
        "KAFKA_BOOTSTRAP_SERVERS": "k:1",
        "CASES_MEASURE_SAFEGUARDS_FILE": str(local),
    }
    assert load_safeguard_rules(CasesSettings.from_env(env).measure_safeguards_file).part_day == "NONE"


def _with(table: str, key: str, value):
    data = copy.deepcopy(SHIPPED)
    if value is None:
        del data[table][key]
    else:
        data[table][key] = value
    return data


@pytest.mark.parametrize(
    "table, key, value",
    [
        ("property", "released_within", "soon"),
        ("property", "kinds", ["FREEZE"]),
        ("search", "min_witnesses", 0),
        ("complaints", "deciders", []),
        ("complaints", "review_deciders", None),
        ("offset", "part_day", "HALF"),
        ("offset", "rounding", "x"),
    ],
)
def test_every_mistake_names_the_file_and_the_key(table, key, value):
    with pytest.raises(MeasureSafeguardRulesError, match=f"safeguards.toml: {table}.{key}: "):
        parse_safeguard_rules(_with(table, key, value), "safeguards.toml")


def test_schema_version_and_unknown_tables_are_named():
    with pytest.raises(MeasureSafeguardRulesError, match="schema_version"):
        parse_safeguard_rules({**SHIPPED, "schema_version": 2}, "f")
    with pytest.raises(MeasureSafeguardRulesError, match="x: unknown key"):
        parse_safeguard_rules({**SHIPPED, "x": {}}, "f")
