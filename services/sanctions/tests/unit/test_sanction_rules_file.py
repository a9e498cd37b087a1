"""The sanctions' configuration file (deploy/config/sanctions.toml, domain.md §4): the shipped file
holds the defaults of `SanctionRules` (domain.md's values: G13 5 working days, G14 1/6 months, P2
12/18/24/60 months, P4 12 or 24 months, A1-A3, P9, P10), a local copy changes a number, and every
mistake is refused with the file and the key named."""

import copy
import tomllib
from datetime import date

import pytest

from kernel.domain.calendar import add_months
from services.sanctions.app.sanction_rules import (
    DEFAULT_FILE,
    SanctionRulesError,
    load_sanction_rules,
    parse_sanction_rules,
)
from services.sanctions.domain import party as p
from services.sanctions.domain.rules import SanctionRules

SHIPPED = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


def test_the_shipped_file_holds_the_defaults_of_domain_md():
    rules = load_sanction_rules()
    assert rules == SanctionRules()
    assert rules.government.delivery_working_days == rules.items.delivery_working_days == 5  # G13 (PSL 46)
    assert (rules.government.post_pay_months, rules.government.post_pay_max_months) == (1, 6)  # G14 (PSL 54)
    assert rules.party.probation_months == (12, 24)  # P2, P4 (Regs 12)
    assert rules.party.expulsion_rejoin_months == 60  # P2 (Regs 13)
    assert rules.appeals.recheck_decide_months == 2  # A3 (SL 56)
    assert rules.items.government_execution_report is False  # P10 (local)


def test_the_shipped_file_holds_the_issue_impacts_and_owners_of_the_design():
    """[issue] (local): COUNTY cadres' decisions approved by the same-level Party committee, two
    witnesses of a refusal (G13, PSL 46); [impacts] §5 (local, unverified); [owners] §4d."""
    rules = load_sanction_rules()
    assert (rules.issue.committee_approves, rules.issue.refusal_witnesses) == (("COUNTY",), 2)
    assert dict(rules.impacts.months) == {"ADMONISHMENT": 6, "ORGANISATIONAL_HANDLING": 12, "ACCOUNTABILITY": 12}
    assert rules.owners.place("ARCHIVES") == ("archives", "personnel_files")
    assert rules.owners.place("UNIT_PARTY_ORGANISATION") == ("party_organisation", "party_branch")
    assert rules.owners.place("CONGRESS_BODY") == ("organisation_department", "cadre_management")


def test_no_committee_approval_is_an_empty_list():
    """[issue] committee_approves = [] (local): no decision waits for the Party committee."""
    data = copy.deepcopy(SHIPPED)
    data["issue"]["committee_approves"] = []
    assert parse_sanction_rules(data, "f.toml").issue.committee_approves == ()


def test_a_local_copy_changes_a_number(tmp_path):
    """P2 (Regs 12, unverified): a commission reading 留党察看 as 6 or 12 months says so in its copy."""
    local = tmp_path / "sanctions.toml"
    text = DEFAULT_FILE.read_text(encoding="utf-8").replace("probation_months = [12, 24]", "probation_months = [6, 12]")
    local.write_text(text, encoding="utf-8")
    rules = load_sanction_rules(str(local))
    assert rules.party.probation_months == (6, 12)
    assert rules.party.period_months(p.PROBATION, 6) == 6
    assert rules.government == SanctionRules().government


def test_one_key_sets_the_delivery_of_both_government_and_items():
    """G13 (PSL 46; local): [delivery] working_days is the government's delivery due and §4d's DELIVER_*."""
    data = copy.deepcopy(SHIPPED)
    data["delivery"]["working_days"] = 3
    rules = parse_sanction_rules(data, "f.toml")
    assert rules.government.delivery_working_days == rules.items.delivery_working_days == 3


def test_never_rejoining_is_written_never():
    """P2 (Regs 13, unverified): 开除党籍 "60 months before rejoining (or never)"."""
    data = copy.deepcopy(SHIPPED)
    data["party"]["expulsion_rejoin_months"] = "never"
    rules = parse_sanction_rules(data, "f.toml")
    assert rules.party.period_months(p.EXPULSION) is None
    assert add_months(date(2026, 1, 1), rules.party.removal_bar_months) == date(2028, 1, 1)  # P3 unchanged


def test_a_file_that_cannot_be_read_names_the_file(tmp_path):
    bad = tmp_path / "sanctions.toml"
    bad.write_text("schema_version = \n", encoding="utf-8")
    with pytest.raises(SanctionRulesError, match="sanctions.toml"):
        load_sanction_rules(bad)
    with pytest.raises(SanctionRulesError, match="missing.toml"):
        load_sanction_rules(tmp_path / "missing.toml")


def _with(path: tuple, value):
    data = copy.deepcopy(SHIPPED)
    *tables, key = path
    target = data
    for t in tables:
        target = target[t]
    if value is None:
        del target[key]
    else:
        target[key] = value
    return data


@pytest.mark.parametrize(
    "path, value, key",
    [
        (("schema_version",), 2, "schema_version"),
        (("penalties",), {}, "penalties"),
        (("party",), None, "party"),
        (("party", "probation"), 12, "party.probation"),
        (("delivery", "working_days"), -1, "delivery.working_days"),  # G13 (PSL 46)
        (("delivery", "working_days"), "5", "delivery.working_days"),
        (("government", "post_pay_months"), 7, "government.post_pay_months"),  # G14 (PSL 54): beyond 6
        (("government", "post_pay_max_months"), None, "government.post_pay_max_months"),
        (("party", "warning_months"), 0, "party.warning_months"),  # P2 (Regs 10)
        (("party", "serious_warning_months"), True, "party.serious_warning_months"),
        (("party", "probation_months"), [], "party.probation_months"),  # P2 (Regs 12)
        (("party", "probation_months"), [12, 12], "party.probation_months"),
        (("party", "probation_months"), [12, 36], "party.probation_months"),  # P4: beyond 24 in all
        (("party", "probation_months"), 12, "party.probation_months"),
        (("party", "expulsion_rejoin_months"), "forever", "party.expulsion_rejoin_months"),  # P2 (Regs 13)
        (("party", "end_mandate_months"), 1.5, "party.end_mandate_months"),  # P5
        (("appeals", "review_apply_months"), 0, "appeals.review_apply_months"),  # A2 (SL 56)
        (("appeals", "recheck_decide_months"), None, "appeals.recheck_decide_months"),  # A3 (SL 56)
        (("items", "party_months"), 9, "items.party_months"),  # P9 (Regs 44): beyond post_pay_max_months
        (("items", "appraisal_days_after"), -1, "items.appraisal_days_after"),  # (local)
        (("items", "government_execution_report"), "no", "items.government_execution_report"),  # P10 (local)
        (("items", "delivery_working_days"), 5, "items.delivery_working_days"),  # set by [delivery] only
        (("issue", "committee_approves"), ["TOWN"], "issue.committee_approves"),  # (local) a cadre level
        (("issue", "committee_approves"), ["COUNTY", "COUNTY"], "issue.committee_approves"),
        (("issue", "committee_approves"), "COUNTY", "issue.committee_approves"),
        (("issue", "refusal_witnesses"), 0, "issue.refusal_witnesses"),  # G13 (PSL 46, local)
        (("issue", "refusal_witnesses"), None, "issue.refusal_witnesses"),
        (("impacts", "ADMONISHMENT"), 0, "impacts.ADMONISHMENT"),  # §5 (local, unverified)
        (("impacts", "ACCOUNTABILITY"), None, "impacts.ACCOUNTABILITY"),
        (("impacts", "WARNING"), 6, "impacts.WARNING"),
        (("owners", "ARCHIVES"), "archives", "owners.ARCHIVES"),  # §4d: "<agency>/<office>"
        (("owners", "FINANCE"), "finance_bureau/ treasury", "owners.FINANCE"),
        (("owners", "CONGRESS_BODY"), None, "owners.CONGRESS_BODY"),  # P5's owner is required too
        (("owners", "COURT"), "court/x", "owners.COURT"),
        (("owners", "DECIDING_BODY"), None, "owners.DECIDING_BODY"),  # A5 (PSL 57): the reputation notice
        (("appeals", "compensation_months"), 0, "appeals.compensation_months"),  # A5 (local)
        (("visits", "min_visitors"), 0, "visits.min_visitors"),  # seed 000 (local, unverified)
        (("visits", "min_visitors"), None, "visits.min_visitors"),
        (("visits", "send_to"), [], "visits.send_to"),  # seed 000 (local)
        (("visits", "send_to"), ["personnel_bureau", "personnel_bureau"], "visits.send_to"),
        (("visits", "send_to"), ["tax_bureau"], "visits.send_to"),  # no [owners] entry's agency
    ],
)
def test_every_mistake_names_the_file_and_the_key(path, value, key):
    with pytest.raises(SanctionRulesError, match=rf"^f\.toml: {key}: "):
        parse_sanction_rules(_with(path, value), "f.toml")


def test_the_shipped_file_holds_the_visits_and_compensation_of_issue_22():
    """Seed 000 (local, unverified): 2 visitors, the result sent to the org dept and HR; A5: the
    compensating items due in 1 month (local); DECIDING_BODY is case management (local)."""
    rules = parse_sanction_rules(SHIPPED, "sanctions.toml")
    assert (rules.visits.min_visitors, rules.visits.send_to) == (2, ("organisation_department", "personnel_bureau"))
    assert rules.appeals.compensation_months == 1
    assert rules.owners.place("DECIDING_BODY") == ("commission", "case_management")
