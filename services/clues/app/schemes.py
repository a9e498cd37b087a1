"""Loads the warning schemes (`deploy/config/clue_warnings.toml`; CLUE_WARNINGS_FILE for your own)."""

from __future__ import annotations

from pathlib import Path

from kernel.runtime.config import read_toml
from services.clues.domain.state import STATUSES
from services.clues.domain.warnings import Duration, Rule, Scheme

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "clue_warnings.toml"


class SchemeError(ValueError):
    """The warning configuration is wrong; the message names the file and the key."""


def load_scheme(path: Path | str | None = None, name: str | None = None) -> Scheme:
    """The scheme in force (or the one named) from the configuration file (default: the shipped one)."""
    path = Path(path or DEFAULT_FILE)
    data = read_toml(path, SchemeError)
    schemes = parse_schemes(data, str(path))
    chosen = name or data.get("scheme")
    if chosen not in schemes:
        raise SchemeError(f"{path}: scheme: {chosen!r} is not one of {', '.join(sorted(schemes))}")
    return schemes[chosen]


def parse_schemes(data: dict, source: str) -> dict[str, Scheme]:
    out = {}
    for name, spec in (data.get("schemes") or {}).items():
        rules = []
        for i, r in enumerate(spec.get("rules") or []):
            key = f"schemes.{name}.rules[{i}]"
            try:
                rules.append(_rule(r))
            except (ValueError, KeyError, TypeError) as e:
                raise SchemeError(f"{source}: {key}: {e}") from e
        if not rules:
            raise SchemeError(f"{source}: schemes.{name}.rules: at least one rule")
        out[name] = Scheme(name, spec.get("description", ""), tuple(rules))
    if not out:
        raise SchemeError(f"{source}: schemes: none configured")
    return out


def _rule(r: dict) -> Rule:
    stages = frozenset(r["stages"])
    unknown = stages - set(STATUSES)
    if unknown or not stages:
        raise ValueError(f"stages: unknown or empty {sorted(unknown)}; states are {', '.join(STATUSES)}")
    if r.get("from") not in ("stage", "receipt"):
        raise ValueError("from: 'stage' or 'receipt'")
    yellow = Duration.parse(r["yellow"]) if "yellow" in r else None
    before = Duration.parse(r["yellow_before_red"]) if "yellow_before_red" in r else None
    if before and before.unit != "days":
        raise ValueError("yellow_before_red: calendar days only")
    return Rule(str(r["name"]), stages, r["from"], Duration.parse(r["red"]), yellow, before)
