"""Loads the measure rules (`deploy/config/measures.toml`; CASES_MEASURE_RULES_FILE for your own).
Every mistake is a MeasureRulesError naming the file and the key, so a bad file stops the service
at start rather than a measure at approval."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from kernel.runtime.config import read_toml
from services.cases.domain.measures import KINDS, Extension, KindRule, MeasureRules, Span

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "measures.toml"
SCHEMA_VERSION = 1
_SPAN = re.compile(r"\s*(\d+)\s+(months?|days?|hours?)\s*")
_RULE_KEYS = {"approvers", "limit", "extensions", "renewal", "notice_within", "warn_before"}
_EXTENSION_KEYS = {"length", "approver", "special"}
_REFERENCE = datetime(2001, 2, 28, tzinfo=timezone.utc)  # a short month: the tightest case for month spans


class MeasureRulesError(ValueError):
    """The measure configuration is wrong; the message names the file and the key."""


def load_measure_rules(path: Path | str | None = None) -> MeasureRules:
    path = Path(path or DEFAULT_FILE)
    return parse_measure_rules(read_toml(path, MeasureRulesError), str(path))


def parse_measure_rules(data: dict, source: str) -> MeasureRules:
    unknown = sorted(set(data) - {"schema_version", "kinds"})
    if unknown:
        raise MeasureRulesError(f"{source}: {unknown[0]}: unknown key (schema_version, [kinds.<KIND>])")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise MeasureRulesError(f"{source}: schema_version: must be {SCHEMA_VERSION}")
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
            out[kind] = _rule(spec)
        except _Bad as e:
            raise MeasureRulesError(f"{source}: {e.under(f'kinds.{kind}')}") from None
    return MeasureRules(out)


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
    return Extension(_at(spec, "length", span), _at(spec, "approver", _role), bool(_at(spec, "special", _special)))


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


def _rule(spec) -> KindRule:
    spec = _table(spec, _RULE_KEYS, ("approvers",))
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
    )
    if rule.warn_before and rule.warn_before.before(limit.after(_REFERENCE)) <= _REFERENCE:
        raise _Bad("must be shorter than the limit", "warn_before")
    return rule
