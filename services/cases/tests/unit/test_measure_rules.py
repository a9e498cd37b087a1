"""The measure rules file (deploy/config/measures.toml): the shipped defaults are domain.md §3, and
every mistake in a local copy is refused with the file and the key named."""

import copy
import tomllib

import pytest

from services.cases.app.measure_rules import (
    DEFAULT_FILE,
    MeasureRulesError,
    load_measure_rules,
    parse_measure_rules,
    span,
)
from services.cases.domain.measures import KINDS, Span
from services.cases.main import CasesSettings

SHIPPED = tomllib.loads(DEFAULT_FILE.read_text(encoding="utf-8"))


def test_the_shipped_file_configures_every_kind_at_every_level():
    """Its rules by level are domain.md §3's: services/cases/tests/unit/test_measure_levels.py."""
    for level in ("COUNTY", "CITY", "PROVINCIAL", "NATIONAL"):
        rules = load_measure_rules(level=level)
        assert (set(rules.kinds), rules.level, rules.quorum) == (set(KINDS), level, {"LEADERSHIP": 3})


def test_a_local_copy_is_found_by_path_or_environment(tmp_path):
    local = tmp_path / "measures.toml"
    local.write_text(
        DEFAULT_FILE.read_text(encoding="utf-8").replace('warn_before = "14 days"', 'warn_before = "10 days"'),
        encoding="utf-8",
    )
    assert load_measure_rules(local).of("DETENTION").warn_before == Span(days=10)
    settings = CasesSettings.from_env(
        {"DATABASE_URL": "postgresql://db/x", "KAFKA_BOOTSTRAP_SERVERS": "k:1", "CASES_MEASURE_RULES_FILE": str(local)}
    )
    assert load_measure_rules(settings.measure_rules_file).of("DETENTION").warn_before == Span(days=10)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3 months", Span(months=3)),
        ("1 month", Span(months=1)),
        ("7 days", Span(days=7)),
        ("1 day", Span(days=1)),
        ("24 hours", Span(hours=24)),
        (" 12 hours ", Span(hours=12)),
    ],
)
def test_durations(text, expected):
    assert span(text) == expected


@pytest.mark.parametrize("text", ["0 days", "3", "three months", "3 weeks", "-1 days", "1.5 months", 3])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        span(text)


def _set(path: str, value):
    """A copy of the shipped data with the dotted `path` set to `value` (or removed, if None)."""
    data = copy.deepcopy(SHIPPED)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is None:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    "data, key",
    [
        (_set("schema_version", 1), "schema_version"),  # version 1 had no levels: migrate the file
        (_set("schema_version", None), "schema_version"),
        (_set("extra", 1), "extra"),
        (_set("kinds", "all"), "kinds"),
        (_set("kinds.HOUSE_ARREST", {"approvers": ["commission_head"]}), "kinds.HOUSE_ARREST"),
        (_set("kinds.SEARCH", None), "kinds.SEARCH"),  # every kind is configured
        (_set("kinds.SEARCH", "commission_head"), "kinds.SEARCH"),
        (_set("kinds.SEARCH.approvers", None), "kinds.SEARCH.approvers"),
        (_set("kinds.SEARCH.approvers", []), "kinds.SEARCH.approvers"),
        (_set("kinds.SEARCH.approvers", "commission_head"), "kinds.SEARCH.approvers"),
        (_set("kinds.SEARCH.approvers", [""]), "kinds.SEARCH.approvers"),
        (_set("kinds.SEARCH.aprovers", ["x"]), "kinds.SEARCH.aprovers"),  # a typo is not ignored
        (_set("kinds.DETENTION.limit", "3 moons"), "kinds.DETENTION.limit"),
        (_set("kinds.DETENTION.notice_within", "a day"), "kinds.DETENTION.notice_within"),
        (_set("kinds.DETENTION.warn_before", "3 months"), "kinds.DETENTION.warn_before"),  # not before the end
        (_set("kinds.DETENTION.extensions", {"length": "3 months"}), "kinds.DETENTION.extensions"),
        (_set("kinds.DETENTION.extensions.0", "3 months"), "kinds.DETENTION.extensions[0]"),
        (_set("kinds.DETENTION.extensions.0.approver", None), "kinds.DETENTION.extensions[0].approver"),
        (_set("kinds.DETENTION.extensions.1.length", "2"), "kinds.DETENTION.extensions[1].length"),
        (_set("kinds.DETENTION.extensions.1.special", "true"), "kinds.DETENTION.extensions[1].special"),
        (_set("kinds.DETENTION.extensions.1.when", "later"), "kinds.DETENTION.extensions[1].when"),
        (_set("kinds.TECHNICAL_INVESTIGATION.renewal.approver", 7), "kinds.TECHNICAL_INVESTIGATION.renewal.approver"),
        (_set("kinds.TECHNICAL_INVESTIGATION.renewal.length", None), "kinds.TECHNICAL_INVESTIGATION.renewal.length"),
        (_set("kinds.EXIT_BAN.warn_before", "7 days"), "kinds.EXIT_BAN.warn_before"),  # no end to warn of
        (_set("kinds.EXIT_BAN.renewal", {"length": "1 month", "approver": "x"}), "kinds.EXIT_BAN.renewal"),
        (_set("kinds.DETENTION.limit", None), "kinds.DETENTION.extensions"),  # nothing to extend
        # issue 19: levels, the leadership's quorum, the new keys
        (_set("leadership", None), "leadership"),
        (_set("leadership.quorum", 0), "leadership.quorum"),
        (_set("leadership.size", 3), "leadership.size"),
        (_set("kinds.DETENTION.levels", "CITY"), "kinds.DETENTION.levels"),
        (_set("kinds.DETENTION.levels.TOWN", {}), "kinds.DETENTION.levels.TOWN"),
        (_set("kinds.DETENTION.levels.CITY.upper", 7), "kinds.DETENTION.levels.CITY.upper"),
        (_set("kinds.DETENTION.levels.CITY.limit", "1 month"), "kinds.DETENTION.levels.CITY.limit"),  # not per level
        (_set("kinds.DETENTION.levels.CITY.upper_collective", "yes"), "kinds.DETENTION.levels.CITY.upper_collective"),
        (_set("kinds.DETENTION.levels.PROVINCIAL.recount", "3 months"), "kinds.DETENTION.levels.PROVINCIAL.recount"),
        (_set("kinds.DETENTION.collective", 1), "kinds.DETENTION.collective"),
        (_set("kinds.EXIT_BAN.upper_collective", True), "kinds.EXIT_BAN.upper_collective"),  # no upper at PROVINCIAL
        (_set("kinds.COMPELLED_APPEARANCE.followed_limit", "6 hours"), "kinds.COMPELLED_APPEARANCE.followed_limit"),
        (_set("kinds.COMPELLED_APPEARANCE.min_gap", "soon"), "kinds.COMPELLED_APPEARANCE.min_gap"),
        (_set("kinds.PROTECTIVE_CUSTODY.extensions.0.stated", "y"), "kinds.PROTECTIVE_CUSTODY.extensions[0].stated"),
        # what the law fixes (SL 47, 48 ¶3, 33), whatever local practice says
        (_set("kinds.DETENTION.collective", False), "kinds.DETENTION.levels.COUNTY.collective"),
        (_set("kinds.DETENTION.levels.CITY", {}), "kinds.DETENTION.levels.CITY.upper"),
        (_set("kinds.EXIT_BAN.levels.COUNTY.upper", ""), "kinds.EXIT_BAN.levels.COUNTY.upper"),
        (
            _set("kinds.ORDERED_WAITING.recount", {"length": "3 months", "approver": "x"}),
            "kinds.ORDERED_WAITING.levels.COUNTY.recount",
        ),
    ],
)
def test_mistakes_name_the_file_and_the_key(data, key):
    with pytest.raises(MeasureRulesError) as e:
        parse_measure_rules(data, "local/measures.toml")
    assert str(e.value).startswith(f"local/measures.toml: {key}:"), str(e.value)


@pytest.mark.parametrize("content", [None, "kinds = [", "schema_version = 1\n"])
def test_an_unreadable_or_empty_file_names_the_file(tmp_path, content):
    path = tmp_path / "measures.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(MeasureRulesError, match=str(path)):
        load_measure_rules(path)
