"""Loads the measure rules (`deploy/config/measures.toml`; CASES_MEASURE_RULES_FILE for your own).
Every mistake is a MeasureRulesError naming the file and the key, so a bad file stops the service
at start rather than a measure at approval.

Schema version 2 (issue 19): a kind's approval keys may differ by the commission's level, in
`[kinds.<KIND>.levels.<LEVEL>]` (COUNTY, CITY, PROVINCIAL, NATIONAL), over the kind's own; every
level is resolved and checked at load, and the rules kept are those of the deployment's level
(the platform file's [commission] level). `[leadership] quorum`: the least attendees of the
leadership's collective decision (SL 47; local practice)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from kernel.domain.meetings import LEADERSHIP
from kernel.runtime.config import read_toml
from services.cases.domain.filing import LEVELS
from services.cases.domain.measures import KINDS, Extension, KindRule, MeasureRules, Span

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "measures.toml"
SCHEMA_VERSION = 2
_SPAN = re.compile(r"\s*(\d+)\s+(months?|days?|hours?)\s*")
# The approval keys, which a level's table may set for that level (SL 33, 46-48).
_LEVEL_KEYS = {
    "approvers",
    "collective",
    "upper",
    "upper_collective",
    "national_filing",
    "committee_head",
    "extensions",
    "renewal",
    "recount",
}
_RULE_KEYS = _LEVEL_KEYS | {
    "limit",
    "notice_within",
    "warn_before",
    "before_filing",
    "followed_limit",
    "min_gap",
    "levels",
}
_EXTENSION_KEYS = {"length", "approver", "special", "stated"}
_REFERENCE = datetime(2001, 2, 28, tzinfo=timezone.utc)  # a short month: the tightest case for month spans


class MeasureRulesError(ValueError):
    """The measure configuration is wrong; the message names the file and the key."""


def load_measure_rules(path: Path | str | None = None, level: str = "COUNTY") -> MeasureRules:
    """The rules at the commission's `level` (the platform file's [commission] level)."""
    path = Path(path or DEFAULT_FILE)
    return parse_measure_rules(read_toml(path, MeasureRulesError), str(path), level)


def _quorum(data: dict, source: str) -> dict[str, int]:
    table = data.get("leadership")
    if not isinstance(table, dict):
        raise MeasureRulesError(f"{source}: leadership: a table [leadership] with quorum is required (SL 47)")
    unknown = sorted(set(table) - {"quorum"})
    if unknown:
        raise MeasureRulesError(f"{source}: leadership.{unknown[0]}: unknown key (quorum)")
    quorum = table.get("quorum")
    if not isinstance(quorum, int) or isinstance(quorum, bool) or quorum < 1:
        raise MeasureRulesError(f"{source}: leadership.quorum: a whole number of attendees, at least 1")
    return {LEADERSHIP: quorum}


def parse_measure_rules(data: dict, source: str, level: str = "COUNTY") -> MeasureRules:
    if level not in LEVELS:
        raise MeasureRulesError(f"{source}: the commission's level {level!r} is not one of {', '.join(LEVELS)}")
    unknown = sorted(set(data) - {"schema_version", "kinds", "leadership"})
    if unknown:
        raise MeasureRulesError(f"{source}: {unknown[0]}: unknown key (schema_version, [leadership], [kinds.<KIND>])")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise MeasureRulesError(f"{source}: schema_version: must be {SCHEMA_VERSION}")
    quorum = _quorum(data, source)
    kinds = data.get("kinds")
    if not isinstance(kinds, dict):
        raise MeasureRulesError(f"{source}: kinds: must be tables [kinds.<KIND>]")
    missing = [k for k in KINDS if k not in kinds]
    if missing:
        raise MeasureRulesError(f"{source}: kinds.{missing[0]}: missing (every kind is configured: {', '.join(KINDS)})")
    out = {}
    for kind, spec in kinds.items():
        if kind not in KINDS:
            raise MeasureRulesError(f"{source}: kinds.{kind}: not a measure kind ({', '.join(KINDS)})")
        try:
            levels = _by_level(spec)
            _lawful(kind, levels)
            out[kind] = levels[level]
        except _Bad as e:
            raise MeasureRulesError(f"{source}: {e.under(f'kinds.{kind}')}") from None
    return MeasureRules(out, level, quorum)


class _Bad(ValueError):
    """A problem at a key path inside one kind's table; `under` prefixes the enclosing key."""

    def __init__(self, problem: str, key: str = ""):
        self.problem, self.key = problem, key
        super().__init__(f"{key}: {problem}" if key else problem)

    def under(self, key: str) -> _Bad:
        return _Bad(self.problem, key + ("" if not self.key or self.key.startswith("[") else ".") + self.key)


def span(value) -> Span:
    """'3 months', '7 days', '24 hours' (positive whole numbers)."""
    m = _SPAN.fullmatch(value) if isinstance(value, str) else None
    if not m or int(m.group(1)) <= 0:
        raise _Bad(f"{value!r} is not a duration like '3 months', '7 days' or '24 hours'")
    return Span(**{m.group(2).rstrip("s") + "s": int(m.group(1))})


def _at(spec: dict, key: str, parse):
    """`parse(spec[key])` (None when absent), its problem named at `key`."""
    try:
        return parse(spec[key]) if key in spec else None
    except _Bad as e:
        raise e.under(key) from None


def _table(spec, keys: set[str], required: tuple[str, ...]) -> dict:
    if not isinstance(spec, dict):
        raise _Bad(f"must be a table with {', '.join(sorted(keys))}")
    unknown = sorted(set(spec) - keys)
    if unknown:
        raise _Bad(f"unknown key (one of {', '.join(sorted(keys))})", unknown[0])
    for key in required:
        if key not in spec:
            raise _Bad("required", key)
    return spec


def _role(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"{value!r} is not a role code")
    return value.strip()


def _optional_role(value) -> str:
    return "" if value == "" else _role(value)


def _roles(value) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _Bad("must be a non-empty list of role codes")
    return tuple(_role(r) for r in value)


def _special(value) -> bool:
    if not isinstance(value, bool):
        raise _Bad("must be true or false")
    return value


def _extension(spec) -> Extension:
    spec = _table(spec, _EXTENSION_KEYS, ("length", "approver"))
    return Extension(
        _at(spec, "length", span),
        _at(spec, "approver", _role),
        bool(_at(spec, "special", _special)),
        bool(_at(spec, "stated", _special)),
    )


def _extensions(value) -> tuple[Extension, ...]:
    if not isinstance(value, list):
        raise _Bad("must be a list of tables { length, approver, special }")
    out = []
    for i, item in enumerate(value):
        try:
            out.append(_extension(item))
        except _Bad as e:
            raise e.under(f"[{i}]") from None
    return tuple(out)


def _by_level(spec) -> dict[str, KindRule]:
    """The kind's rule at every level: its own keys, with a level's table over them."""
    spec = _table(spec, _RULE_KEYS, ())
    levels = spec.get("levels", {})
    if not isinstance(levels, dict):
        raise _Bad(f"must be tables [levels.<LEVEL>] ({', '.join(LEVELS)})", "levels")
    for name, table in levels.items():
        if name not in LEVELS:
            raise _Bad(f"not a commission level ({', '.join(LEVELS)})", f"levels.{name}")
        try:
            _table(table, _LEVEL_KEYS, ())
        except _Bad as e:
            raise e.under(f"levels.{name}") from None
    out = {}
    for level in LEVELS:
        own = {k: v for k, v in spec.items() if k != "levels"}
        over = levels.get(level, {})
        try:
            out[level] = _rule({**own, **over})
        except _Bad as e:  # a level's key is named under it; the kind's own, at the kind
            raise (e.under(f"levels.{level}") if e.key.split(".")[0].split("[")[0] in over else e) from None
    return out


def _lawful(kind: str, levels: dict[str, KindRule]) -> None:
    """What the law fixes, whatever local practice says: a detention is the leadership's collective
    decision at every level (SL 47) and is the only measure recounted (SL 48 ¶3); below provincial
    level a detention and an exit ban go to a higher commission (SL 47, 33)."""
    for level, rule in levels.items():
        where = f"levels.{level}."
        if kind == "DETENTION" and not rule.collective:
            raise _Bad(
                "must be true: a detention is the leadership's collective decision (SL 47)", where + "collective"
            )
        if kind != "DETENTION" and rule.recount:
            raise _Bad("only a detention is recounted (SL 48 ¶3)", where + "recount")
        if kind in ("DETENTION", "EXIT_BAN") and level in ("COUNTY", "CITY") and not rule.upper:
            raise _Bad(
                f"required: below provincial level a {kind} goes to a higher commission (SL 47, 33)", where + "upper"
            )


def _rule(spec) -> KindRule:
    spec = _table(spec, _RULE_KEYS - {"levels"}, ("approvers",))
    limit = _at(spec, "limit", span)
    for key in ("extensions", "renewal", "warn_before"):
        if key in spec and limit is None:
            raise _Bad("needs a limit (a measure without an end has nothing to extend or warn of)", key)
    rule = KindRule(
        _at(spec, "approvers", _roles),
        limit,
        _at(spec, "extensions", _extensions) or (),
        _at(spec, "renewal", _extension),
        _at(spec, "notice_within", span),
        _at(spec, "warn_before", span),
        before_filing=bool(_at(spec, "before_filing", _special)),  # SL 25, 41: on a clue under preliminary check
        collective=bool(_at(spec, "collective", _special)),  # SL 47
        upper=_at(spec, "upper", _optional_role) or "",  # SL 47 (detention), SL 33 (exit ban); "": none
        upper_collective=bool(_at(spec, "upper_collective", _special)),
        national_filing=bool(_at(spec, "national_filing", _special)),
        committee_head=bool(_at(spec, "committee_head", _special)),  # unverified: off by default
        recount=_at(spec, "recount", _extension),  # SL 48 ¶3
        followed_limit=_at(spec, "followed_limit", span),  # SL 46
        min_gap=_at(spec, "min_gap", span),  # SL 46 ¶2
    )
    if rule.upper_collective and not rule.upper:
        raise _Bad("needs upper (the role entering the upper level's decision)", "upper_collective")
    for key in ("recount", "followed_limit", "min_gap"):
        if key in spec and limit is None:
            raise _Bad("needs a limit", key)
    if rule.followed_limit and rule.followed_limit.after(_REFERENCE) <= limit.after(_REFERENCE):
        raise _Bad("must be longer than the limit", "followed_limit")
    if rule.followed_limit and (rule.extensions or rule.renewal):
        raise _Bad(
            "a measure with followed_limit has no extensions (SL 46: a condition, not an extension)", "followed_limit"
        )
    if rule.warn_before and rule.warn_before.before(limit.after(_REFERENCE)) <= _REFERENCE:
        raise _Bad("must be shorter than the limit", "warn_before")
    return rule
