"""The investigation stage's limits (deploy/config/investigation.toml; local practice, unverified;
issue 20): the shipped file loads, and every mistake names the file and the key."""

import pytest

from services.cases.app.investigation_rules import (
    DEFAULT_FILE,
    InvestigationRulesError,
    load_investigation_rules,
    parse_investigation_rules,
)
from services.cases.domain import measures as m
from services.cases.domain.awaiting import STAGES


def good() -> dict:
    return {"schema_version": 1, "stages": {s: {"yellow": "2 months", "red": "3 months"} for s in STAGES}}


def test_the_shipped_file_loads():
    limits = load_investigation_rules(DEFAULT_FILE)
    assert set(limits.stages) == set(STAGES)
    assert limits.stages["INVESTIGATING"].red == m.Span(months=6)


def broken(change) -> dict:
    data = good()
    change(data)
    return data


MISTAKES = {
    "schema_version": broken(lambda d: d.update(schema_version=2)),
    "stages.REINVESTIGATE": broken(lambda d: d["stages"].pop("REINVESTIGATE")),
    "stages.INVESTIGATING.red": broken(lambda d: d["stages"]["INVESTIGATING"].pop("red")),
    "stages.INVESTIGATING.yellow": broken(lambda d: d["stages"]["INVESTIGATING"].update(yellow="soon")),
    "stages.SUPPLEMENTARY_INVESTIGATION.red": broken(
        lambda d: d["stages"]["SUPPLEMENTARY_INVESTIGATION"].update(yellow="2 months", red="1 month")
    ),
    "stages.INVESTIGATING.orange": broken(lambda d: d["stages"]["INVESTIGATING"].update(orange="1 month")),
    "stages.TRIAL": broken(lambda d: d["stages"].update(TRIAL={"yellow": "1 month", "red": "2 months"})),
    "colours": broken(lambda d: d.update(colours=3)),
}


@pytest.mark.parametrize("key", MISTAKES)
def test_every_mistake_names_the_file_and_the_key(key):
    with pytest.raises(InvestigationRulesError, match=f"^inv.toml: {key}: "):
        parse_investigation_rules(MISTAKES[key], "inv.toml")
