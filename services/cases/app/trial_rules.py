"""Loads the trial review's time limits and the standing committee's quorum
(`deploy/config/trial_review.toml`; CASES_TRIAL_REVIEW_FILE for your own) into the decider's
`CasePolicy`. Rules 55 (1 month; extensions with approval, count and length local) and Rules 56,
SL 51 (the committee's quorum, local). Every mistake is a TrialRulesError naming the file and the
key, so a bad file stops the service at start."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kernel.runtime.config import read_toml
from services.cases.domain.decide import CasePolicy

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "trial_review.toml"
SCHEMA_VERSION = 1
# table -> key -> (CasePolicy field, least value)
KEYS = {
    "trial_review": {
        "length_months": ("trial_review_months", 1),
        "extension_months": ("extension_months", 1),
        "max_extensions": ("max_extensions", 0),
    },
    "deliberation": {"standing_committee_quorum": ("standing_committee_quorum", 1)},
}


class TrialRulesError(ValueError):
    """The trial review configuration is wrong; the message names the file and the key."""


def load_trial_rules(path: Path | str | None = None, policy: CasePolicy | None = None) -> CasePolicy:
    """`policy` (default: CasePolicy()) with the file's trial review limits and quorum."""
    path = Path(path or DEFAULT_FILE)
    return parse_trial_rules(read_toml(path, TrialRulesError), str(path), policy or CasePolicy())


def parse_trial_rules(data: dict, source: str, policy: CasePolicy) -> CasePolicy:
    unknown = sorted(set(data) - {"schema_version", *KEYS})
    if unknown:
        raise TrialRulesError(f"{source}: {unknown[0]}: unknown key (schema_version, {', '.join(KEYS)})")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise TrialRulesError(f"{source}: schema_version: must be {SCHEMA_VERSION}")
    values = {}
    for table, keys in KEYS.items():
        spec = data.get(table)
        if not isinstance(spec, dict):
            raise TrialRulesError(f"{source}: {table}: must be a table [{table}] with {', '.join(keys)}")
        unknown = sorted(set(spec) - set(keys))
        if unknown:
            raise TrialRulesError(f"{source}: {table}.{unknown[0]}: unknown key (one of {', '.join(keys)})")
        for key, (name, least) in keys.items():
            value = spec.get(key)
            if value is None:
                raise TrialRulesError(f"{source}: {table}.{key}: required")
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise TrialRulesError(f"{source}: {table}.{key}: must be a whole number, at least {least}")
            values[name] = value
    return replace(policy, **values)
