"""What filing takes from configuration: the commission's level (platform.toml [commission]) and the
topic meeting's quorum (deploy/config/filing.toml); every mistake names the file and the key."""

import pytest

from kernel.domain.meetings import TOPIC_MEETING
from kernel.runtime.platform import CommissionEntry, PlatformError, load_platform
from services.cases.app.filing_rules import FilingRulesError, load_filing_rules, parse_filing_rules
from services.cases.domain import filing
from services.cases.domain.filing import Commission


def test_the_shipped_files():
    commission = load_platform().commission
    assert commission == CommissionEntry("COUNTY", False)
    rules = load_filing_rules(commission)
    assert (rules.commission, rules.quorum) == (Commission("COUNTY"), {TOPIC_MEETING: 3})


@pytest.mark.parametrize(
    "level, manages",
    [("COUNTY", "COUNTY"), ("CITY", "CITY"), ("PROVINCIAL", "PROVINCIAL"), ("NATIONAL", "CENTRAL")],
)
def test_the_same_level_committee_manages_the_cadres_of_its_level(level, manages):
    """Rules 38 (同级党委管理的): a county committee manages 县管, ... the Centre 中管 cadres."""
    assert Commission(level).manages == manages == filing.MANAGES[level]


@pytest.mark.parametrize(
    "text, key",
    [
        ('[commission]\nlevel = "TOWN"\n', "commission.level"),
        ("[commission]\nresident_group = true\n", "commission.level"),
        ('[commission]\nlevel = "CITY"\nresident_group = "no"\n', "commission.resident_group"),
        ('[commission]\nlevel = "CITY"\nrank = 2\n', "commission.rank"),
    ],
)
def test_a_wrong_commission_names_the_key(tmp_path, text, key):
    path = tmp_path / "platform.toml"
    path.write_text('schema_version = 1\n[services.a]\nmodule = "m"\nport = 1\n' + text, encoding="utf-8")
    with pytest.raises(PlatformError, match=key.replace(".", r"\.")):
        load_platform(path)


@pytest.mark.parametrize(
    "data, key",
    [
        ({"schema_version": 2, "topic_meeting": {"quorum": 3}}, "schema_version"),
        ({"schema_version": 1}, "topic_meeting"),
        ({"schema_version": 1, "topic_meeting": {"quorum": 0}}, "topic_meeting.quorum"),
        ({"schema_version": 1, "topic_meeting": {"quorum": "3"}}, "topic_meeting.quorum"),
        ({"schema_version": 1, "topic_meeting": {"quorum": 3, "chair": "x"}}, "topic_meeting.chair"),
        ({"schema_version": 1, "topic_meeting": {"quorum": 3}, "levels": {}}, "levels"),
    ],
)
def test_a_wrong_filing_file_names_the_key(data, key):
    with pytest.raises(FilingRulesError, match=f"f.toml: {key}:"):
        parse_filing_rules(data, "f.toml", CommissionEntry("CITY"))


def test_the_cases_service_needs_the_commission_level():
    with pytest.raises(FilingRulesError, match=r"platform\.toml: commission\.level: required"):
        parse_filing_rules({"schema_version": 1, "topic_meeting": {"quorum": 3}}, "f.toml", None)
    data = {"schema_version": 1, "topic_meeting": {"quorum": 5}, "resident_group": {"escalate_to": "superior_head"}}
    rules = parse_filing_rules(data, "f.toml", CommissionEntry("CITY", True))
    assert (rules.commission, rules.quorum) == (Commission("CITY", True, "superior_head"), {TOPIC_MEETING: 5})
    assert parse_filing_rules(data, "f.toml", CommissionEntry("CITY")).commission == Commission("CITY")


@pytest.mark.parametrize("table", [{}, {"escalate_to": " "}, {"escalate_to": "x", "also": 1}])
def test_a_resident_group_needs_the_dispatching_heads_role(table):
    """提级审批 (seed 003) is local practice: the role comes from the file, named when wrong."""
    data = {"schema_version": 1, "topic_meeting": {"quorum": 3}, "resident_group": table}
    with pytest.raises(FilingRulesError, match=r"f\.toml: resident_group"):
        parse_filing_rules(data, "f.toml", CommissionEntry("COUNTY", True))
