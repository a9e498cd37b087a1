"""The duties' configuration file (deploy/config/measure_duties.toml): the shipped file holds the
values of domain.md §3 (SL 44, 50 ¶2, 74(7); IR2025 134), and every mistake in a local copy is
refused with the file and the key named."""

import copy
import tomllib
from datetime import timedelta

import pytest

from services.cases.app.measure_duty_rules import (
    DEFAULT_FILE,
    MeasureDutyRulesError,
    load_duty_rules,
    parse_duty_rules,
)
from services.cases.domain.measure_duties import DutyRules
from services.cases.main import CasesSettings

SHIPPED = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


def test_the_shipped_file_holds_the_values_of_domain_md():
    rules = load_duty_rules()
    assert rules == DutyRules()
    assert rules.change_within == timedelta(days=3)  # SL 50 ¶2
    assert rules.min_staff == 2  # SL 44
    assert rules.recorded_kinds == ("SEARCH", "SEIZURE", "SEALING")  # SL 44 ¶2
    assert rules.custody_kinds == ("DETENTION",)  # IR2025 134


def test_a_local_copy_is_found_by_path_or_environment(tmp_path):
    local = tmp_path / "duties.toml"
    text = DEFAULT_FILE.read_text(encoding="utf-8").replace('decided_within = "3 days"', 'decided_within = "72 hours"')
    local.write_text(text, encoding="utf-8")
    assert load_duty_rules(local).change_within == timedelta(hours=72)
    env = {
        "DATABASE_URL": "postgresql://db/x",
        "KAFKA_BOOTSTRAP_SERVERS": "k:1",
        "CASES_MEASURE_DUTIES_FILE": str(local),
    }
    settings = CasesSettings.from_env(env)
    assert load_duty_rules(settings.measure_duties_file).change_within == timedelta(hours=72)


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
        (("extra",), {}, "extra"),
        (("notice",), None, "notice"),
        (("notice", "deferral_approvers"), [], "notice.deferral_approvers"),
        (("notice", "who"), ["x"], "notice.who"),
        (("change_requests", "decided_within"), "3 weeks", "change_requests.decided_within"),
        (("change_requests", "decided_within"), "0 days", "change_requests.decided_within"),
        (("change_requests", "deciders"), None, "change_requests.deciders"),
        (("execution", "min_staff"), 0, "execution.min_staff"),
        (("execution", "min_staff"), True, "execution.min_staff"),
        (("recordings", "kinds"), ["SEARCH", "VIDEO"], "recordings.kinds"),
        (("custody", "kinds"), "DETENTION", "custody.kinds"),
        (("expiry", "alert_roles"), [""], "expiry.alert_roles"),
    ],
)
def test_every_mistake_names_the_file_and_the_key(path, value, key):
    with pytest.raises(MeasureDutyRulesError, match=rf"^f\.toml: {key}: "):
        parse_duty_rules(_with(path, value), "f.toml")
