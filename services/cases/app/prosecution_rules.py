"""Loads the rules after a transfer for prosecution (`deploy/config/prosecution.toml`;
CASES_PROSECUTION_FILE for your own; issue 24) into `prosecution.ProsecutionRules`: SL 54 (1 month,
at most twice), the warning's lead (local, unverified), CPL 172 (1 month + 15 days, unverified),
the partner agencies and roles. Every mistake is a ProsecutionRulesError naming the file and the
key, so a bad file stops the service at start."""

from __future__ import annotations

from pathlib import Path

from kernel.runtime.config import read_toml
from services.cases.app.measure_rules import _Bad, span
from services.cases.domain.prosecution import ProsecutionRules, Span

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "prosecution.toml"
SCHEMA_VERSION = 1
TABLES = {
    "supplementary": ("length", "max_returns", "warning_before"),
    "charge_decision": ("length",),
    "partners": ("agencies", "roles"),
}


class ProsecutionRulesError(ValueError):
    """The prosecution configuration is wrong; the message names the file and the key."""


def load_prosecution_rules(path: Path | str | None = None) -> ProsecutionRules:
    path = Path(path or DEFAULT_FILE)
    return parse_prosecution_rules(read_toml(path, ProsecutionRulesError), str(path))


def parse_prosecution_rules(data: dict, source: str) -> ProsecutionRules:
    def bad(key: str, problem: str) -> ProsecutionRulesError:
        return ProsecutionRulesError(f"{source}: {key}: {problem}")

    unknown = sorted(set(data) - {"schema_version", *TABLES})
    if unknown:
        raise bad(unknown[0], f"unknown key (schema_version, {', '.join(TABLES)})")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise bad("schema_version", f"must be {SCHEMA_VERSION}")
    for table, keys in TABLES.items():
        spec = data.get(table)
        if not isinstance(spec, dict):
            raise bad(table, f"must be a table [{table}] with {', '.join(keys)}")
        for key in sorted(set(spec) - set(keys)):
            raise bad(f"{table}.{key}", f"unknown key (one of {', '.join(keys)})")
        for key in keys:
            if key not in spec:
                raise bad(f"{table}.{key}", "required")

    def duration(key: str, value) -> Span:
        parts = value if isinstance(value, list) else [value]
        total = Span()
        try:
            for part in parts:
                s = span(part)
                total = Span(total.months + s.months, total.days + s.days, total.hours + s.hours)
        except _Bad as e:
            raise bad(key, e.problem) from None
        if not parts:
            raise bad(key, "must name a duration")
        return total

    def words(key: str, value) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(w, str) and w.strip() for w in value):
            raise bad(key, "must be a list of catalogue codes, at least one")
        return tuple(w.strip() for w in value)

    sup, charge, partners = data["supplementary"], data["charge_decision"], data["partners"]
    most = sup["max_returns"]
    if not isinstance(most, int) or isinstance(most, bool) or most < 0:
        raise bad("supplementary.max_returns", "must be a whole number, at least 0")
    return ProsecutionRules(
        supplementary=duration("supplementary.length", sup["length"]),
        max_returns=most,
        warning_before=duration("supplementary.warning_before", sup["warning_before"]),
        charge_decision=duration("charge_decision.length", charge["length"]),
        partner_agencies=words("partners.agencies", partners["agencies"]),
        partner_roles=words("partners.roles", partners["roles"]),
    )
