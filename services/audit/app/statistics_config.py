"""Loads `deploy/config/statistics.toml` (STATISTICS_FILE for your own) into `StatisticsRules`: what
is local practice or unverified in the statistics (domain.md §5, issue 27): which roles may ask for
any office's figures, and the four forms' mapping and counting (seed 002; unverified). Every mistake
is a StatisticsConfigError naming the file and the key ("statistics.toml: four_forms.form2: ..."),
so a bad file stops the audit service at start."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kernel.runtime.config import read_toml, top_tables
from services.audit.domain.statistics import COUNTINGS, FORMS, FourFormRules

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "statistics.toml"
SCHEMA_VERSION = 1
TABLES = ("readers", "four_forms")


class StatisticsConfigError(ValueError):
    """statistics.toml is unreadable or wrong; the message names the file and the key."""


@dataclass(frozen=True)
class StatisticsRules:
    """`all_offices`: roles that may ask for any office's figures (beside offices that see every
    file); `four_forms`: the four forms' mapping and counting."""

    all_offices: frozenset[str] = frozenset()
    four_forms: FourFormRules = field(default_factory=FourFormRules)


def load_statistics_rules(path: Path | None = None, roles: Iterable[str] | None = None) -> StatisticsRules:
    """The rules of `path` (default deploy/config/statistics.toml); `roles`: the catalogue's role
    codes the readers must be among (None: not checked)."""
    path = Path(path or DEFAULT_FILE)
    return parse_statistics_rules(read_toml(path, StatisticsConfigError), path.name, roles)


def parse_statistics_rules(
    data: dict, source: str = "statistics.toml", roles: Iterable[str] | None = None
) -> StatisticsRules:
    def fail(key: str, problem: str):
        raise StatisticsConfigError(f"{source}: {key}: {problem}")

    tables = top_tables(data, source, list(TABLES), StatisticsConfigError, SCHEMA_VERSION)

    def codes(key: str, value) -> list[str]:
        if not isinstance(value, list) or any(not isinstance(c, str) or not c.strip() for c in value):
            fail(key, "must be a list of codes")
        return [c.strip() for c in value]

    extra = sorted(set(tables["readers"]) - {"all_offices"})
    if extra:
        fail(f"readers.{extra[0]}", "unknown key (all_offices)")
    if "all_offices" not in tables["readers"]:
        fail("readers.all_offices", "required: a list of roles (may be empty)")
    readers = codes("readers.all_offices", tables["readers"]["all_offices"])
    known = set(roles) if roles is not None else None
    for role in readers:
        if known is not None and role not in known:
            fail("readers.all_offices", f"{role!r} is no role of the catalogue")

    four = tables["four_forms"]
    extra = sorted(set(four) - {"counting", *FORMS})
    if extra:
        fail(f"four_forms.{extra[0]}", f"unknown key (counting, {', '.join(FORMS)})")
    counting = four.get("counting")
    if counting not in COUNTINGS:
        fail("four_forms.counting", f"must be one of {', '.join(repr(c) for c in COUNTINGS)}")
    forms: dict[str, int] = {}
    for n, key in enumerate(FORMS, start=1):
        if key not in four:
            fail(f"four_forms.{key}", "required: a list of outcome codes (may be empty)")
        for code in codes(f"four_forms.{key}", four[key]):
            if code in forms:
                fail(f"four_forms.{key}", f"{code!r} is already form{forms[code]}")
            forms[code] = n
    return StatisticsRules(frozenset(readers), FourFormRules(forms, counting))
