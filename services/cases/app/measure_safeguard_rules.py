"""Loads the configuration of the person's safeguards around measures
(`deploy/config/measure_safeguards.toml`; CASES_MEASURE_SAFEGUARDS_FILE for your own) into
`measure_safeguards.SafeguardRules`. Every mistake is a MeasureSafeguardRulesError naming the file
and the key, so a bad file stops the service at start."""

from __future__ import annotations

from pathlib import Path

from kernel.runtime.config import parse_tables, read_toml
from services.cases.app import measure_duty_rules as duty_rules
from services.cases.domain.measure_safeguards import PART_DAYS, SafeguardRules

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "measure_safeguards.toml"
SCHEMA_VERSION = 1
# table -> key -> (SafeguardRules field, parser name)
KEYS = {
    "property": {"kinds": ("property_kinds", "kinds"), "released_within": ("release_within", "span")},
    "search": {"kinds": ("search_kinds", "kinds"), "min_witnesses": ("min_witnesses", "count")},
    "complaints": {"deciders": ("complaint_deciders", "roles"), "review_deciders": ("review_deciders", "roles")},
    "offset": {"part_day": ("part_day", "part_day")},
}


class MeasureSafeguardRulesError(ValueError):
    """The safeguards' configuration is wrong; the message names the file and the key."""


def load_safeguard_rules(path: Path | str | None = None) -> SafeguardRules:
    path = Path(path or DEFAULT_FILE)
    return parse_safeguard_rules(read_toml(path, MeasureSafeguardRulesError), str(path))


def parse_safeguard_rules(data: dict, source: str) -> SafeguardRules:
    values = parse_tables(data, source, KEYS, _PARSERS, MeasureSafeguardRulesError, SCHEMA_VERSION)
    return SafeguardRules(**values)


def _part_day(value):
    if value not in PART_DAYS:
        return f"{value!r} is not one of {', '.join(PART_DAYS)}", None
    return "", value


_PARSERS = {**duty_rules._PARSERS, "part_day": _part_day}
