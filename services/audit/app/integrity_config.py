"""Loads `deploy/config/integrity.toml` (INTEGRITY_FILE for your own) into `IntegrityRules`: the local
practice of the integrity-opinion workflow (domain.md §5, seed 004): when a reply is due, the fast
track's lead, which period checks object to which use, whether an impact period objects, the
liaison offices and the reply's words. Every mistake is an IntegrityConfigError naming the file and
the key ("integrity.toml: uses.OTHER: ..."), so a bad file stops the audit service at start."""

from __future__ import annotations

import string
from collections.abc import Iterable
from pathlib import Path

from kernel.runtime.config import read_toml, top_tables
from services.audit.domain.integrity import (
    CHECKS,
    COMMENT,
    OBJECTION,
    PERIOD_CHECKS,
    PROMOTION,
    USES,
    IntegrityRules,
    ReplyTexts,
)

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "integrity.toml"
SCHEMA_VERSION = 1
TABLES = ("request", "fast_track", "uses", "impacts", "liaison", "texts")
TEXTS = ("no_objection", "pending", "objection", "comment")
PLACES = {"no_objection": {"name"}, "pending": {"name", "findings"}, "objection": {"name", "findings"}}
PLACES["comment"] = {"findings"}
MAX_DUE_HOURS, MAX_LEAD_DAYS = 24 * 90, 90


class IntegrityConfigError(ValueError):
    """integrity.toml is unreadable or wrong; the message names the file and the key."""


def load_integrity_rules(
    path: Path | None = None, offices: Iterable[str] | None = None, agencies: Iterable[str] | None = None
) -> IntegrityRules:
    """The rules of `path` (default deploy/config/integrity.toml); `offices` and `agencies`: the
    catalogue's codes the liaison offices and the asking agency must be among (None: not checked)."""
    path = Path(path or DEFAULT_FILE)
    return parse_integrity_rules(read_toml(path, IntegrityConfigError), path.name, offices, agencies)


def parse_integrity_rules(
    data: dict,
    source: str = "integrity.toml",
    offices: Iterable[str] | None = None,
    agencies: Iterable[str] | None = None,
) -> IntegrityRules:
    def fail(key: str, problem: str):
        raise IntegrityConfigError(f"{source}: {key}: {problem}")

    tables = top_tables(data, source, list(TABLES), IntegrityConfigError, SCHEMA_VERSION)

    def only(table: str, keys: Iterable[str]) -> None:
        extra = sorted(set(tables[table]) - set(keys))
        if extra:
            fail(f"{table}.{extra[0]}", f"unknown key (one of {', '.join(keys)})")

    def number(table: str, key: str, most: int) -> int:
        value = tables[table].get(key)
        if value is None:
            fail(f"{table}.{key}", "required")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
            fail(f"{table}.{key}", f"must be a whole number from 0 to {most}")
        return value

    only("request", ["agency", "due_hours"])
    agency = tables["request"].get("agency")
    if not isinstance(agency, str) or not agency.strip():
        fail("request.agency", "required: the agency code of the organisation department")
    if agencies is not None and agency not in set(agencies):
        fail("request.agency", f"{agency!r} is no agency of the catalogue")
    due_hours = number("request", "due_hours", MAX_DUE_HOURS)
    if due_hours == 0:
        fail("request.due_hours", "must be at least 1")
    only("fast_track", ["lead_days"])
    lead_days = number("fast_track", "lead_days", MAX_LEAD_DAYS)

    other_uses = [u for u in USES if u != PROMOTION]
    only("uses", other_uses)
    objecting = {}
    for use in other_uses:
        checks = tables["uses"].get(use)
        if checks is None:
            fail(f"uses.{use}", f"required: a list of the checks that object ({', '.join(PERIOD_CHECKS)})")
        if not isinstance(checks, list) or any(c not in PERIOD_CHECKS for c in checks):
            fail(f"uses.{use}", f"must be a list of {', '.join(PERIOD_CHECKS)}")
        objecting[use] = frozenset(checks)

    only("impacts", ["answer"])
    impact_answer = tables["impacts"].get("answer")
    if impact_answer not in (OBJECTION, COMMENT):
        fail("impacts.answer", f'must be "{OBJECTION}" or "{COMMENT}"')

    known = set(offices) if offices is not None else None

    def office(key: str, value) -> str:
        if not isinstance(value, str) or not value.strip():
            fail(key, "must be an office code of the catalogue")
        if known is not None and value not in known:
            fail(key, f"{value!r} is no office of the catalogue")
        return value

    only("liaison", ["default", "units"])
    if "default" not in tables["liaison"]:
        fail("liaison.default", "required")
    default = office("liaison.default", tables["liaison"]["default"])
    units = tables["liaison"].get("units", {})
    if not isinstance(units, dict):
        fail("liaison.units", "must be a table of unit = office")
    liaison_units = {str(u).strip(): office(f"liaison.units.{u}", o) for u, o in units.items()}

    only("texts", [*TEXTS, "checks"])
    texts = {}
    for key in TEXTS:
        value = tables["texts"].get(key)
        if not isinstance(value, str) or not value.strip():
            fail(f"texts.{key}", "required: the reply's words")
        places = {p for _, p, _, _ in string.Formatter().parse(value) if p is not None}
        if not places <= PLACES[key]:
            fail(f"texts.{key}", f"may only use {', '.join('{' + p + '}' for p in sorted(PLACES[key]))}")
        texts[key] = value
    checks = tables["texts"].get("checks")
    if not isinstance(checks, dict):
        fail("texts.checks", f"must be a table with {', '.join(CHECKS)}")
    for key in checks:
        if key not in CHECKS:
            fail(f"texts.checks.{key}", f"unknown check (one of {', '.join(CHECKS)})")
    for key in CHECKS:
        if not isinstance(checks.get(key), str) or not checks[key].strip():
            fail(f"texts.checks.{key}", "required: the check's phrase")

    return IntegrityRules(
        agency=agency,
        due_hours=due_hours,
        lead_days=lead_days,
        objecting=objecting,
        impact_answer=impact_answer,
        liaison_units=liaison_units,
        liaison_default=default,
        texts=ReplyTexts(**texts, checks=dict(checks)),
    )
