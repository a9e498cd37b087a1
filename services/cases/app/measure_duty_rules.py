"""Loads the configuration of the duties common to measures (`deploy/config/measure_duties.toml`;
CASES_MEASURE_DUTIES_FILE for your own) into `measure_duties.DutyRules`. Every mistake is a
MeasureDutyRulesError naming the file and the key, so a bad file stops the service at start."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from kernel.runtime.config import parse_tables, read_toml
from services.cases.domain.measure_duties import DutyRules
from services.cases.domain.measures import KINDS

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "measure_duties.toml"
SCHEMA_VERSION = 1
_SPAN = re.compile(r"\s*(\d+)\s+(days?|hours?)\s*")
# table -> key -> (DutyRules field, parser name)
KEYS = {
    "notice": {"deferral_approvers": ("deferral_approvers", "roles")},
    "change_requests": {"decided_within": ("change_within", "span"), "deciders": ("change_deciders", "roles")},
    "execution": {"min_staff": ("min_staff", "count")},
    "recordings": {"kinds": ("recorded_kinds", "kinds")},
    "custody": {"kinds": ("custody_kinds", "kinds")},
    "expiry": {"alert_roles": ("alert_roles", "roles")},
}


class MeasureDutyRulesError(ValueError):
    """The duties' configuration is wrong; the message names the file and the key."""


def load_duty_rules(path: Path | str | None = None) -> DutyRules:
    path = Path(path or DEFAULT_FILE)
    return parse_duty_rules(read_toml(path, MeasureDutyRulesError), str(path))


def parse_duty_rules(data: dict, source: str) -> DutyRules:
    return DutyRules(**parse_tables(data, source, KEYS, _PARSERS, MeasureDutyRulesError, SCHEMA_VERSION))


def _roles(value):
    if not isinstance(value, list) or not value or not all(isinstance(r, str) and r.strip() for r in value):
        return "must be a non-empty list of role codes", None
    return "", tuple(r.strip() for r in value)


def _kinds(value):
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        return "must be a list of measure kinds", None
    wrong = [k for k in value if k not in KINDS]
    return (f"{wrong[0]!r} is not a measure kind ({', '.join(KINDS)})", None) if wrong else ("", tuple(value))


def _span(value):
    m = _SPAN.fullmatch(value) if isinstance(value, str) else None
    if not m or int(m.group(1)) <= 0:
        return f"{value!r} is not a duration like '3 days' or '72 hours'", None
    return "", timedelta(**{m.group(2).rstrip("s") + "s": int(m.group(1))})


def _count(value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        return "must be a whole number of at least 1", None
    return "", value


_PARSERS = {"roles": _roles, "kinds": _kinds, "span": _span, "count": _count}
