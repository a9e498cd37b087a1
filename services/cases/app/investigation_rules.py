"""Loads the investigation stage's time limits and warnings (`deploy/config/investigation.toml`;
CASES_INVESTIGATION_FILE for your own; issue 20; local practice, unverified) into
`awaiting.InvestigationLimits`. Every mistake is an InvestigationRulesError naming the file and the
key, so a bad file stops the service at start."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from kernel.runtime.config import read_toml
from services.cases.app.measure_rules import _Bad, span
from services.cases.domain.awaiting import STAGES, InvestigationLimits, StageLimit

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "investigation.toml"
SCHEMA_VERSION = 1


class InvestigationRulesError(ValueError):
    """The investigation limits' configuration is wrong; the message names the file and the key."""


def load_investigation_rules(path: Path | str | None = None) -> InvestigationLimits:
    path = Path(path or DEFAULT_FILE)
    return parse_investigation_rules(read_toml(path, InvestigationRulesError), str(path))


def parse_investigation_rules(data: dict, source: str) -> InvestigationLimits:
    def bad(key: str, problem: str) -> InvestigationRulesError:
        return InvestigationRulesError(f"{source}: {key}: {problem}")

    unknown = sorted(set(data) - {"schema_version", "stages"})
    if unknown:
        raise bad(unknown[0], "unknown key (schema_version, stages)")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise bad("schema_version", f"must be {SCHEMA_VERSION}")
    stages = data.get("stages")
    if not isinstance(stages, dict):
        raise bad("stages", f"must be a table with one table per stage ({', '.join(STAGES)})")
    out = {}
    for stage in STAGES:
        key = f"stages.{stage}"
        spec = stages.get(stage)
        if not isinstance(spec, dict):
            raise bad(key, "required: a table with yellow and red")
        extra = sorted(set(spec) - {"yellow", "red"})
        if extra:
            raise bad(f"{key}.{extra[0]}", "unknown key (yellow, red)")
        limits = {}
        for name in ("yellow", "red"):
            if name not in spec:
                raise bad(f"{key}.{name}", "required")
            try:
                limits[name] = span(spec[name])
            except _Bad as e:
                raise bad(f"{key}.{name}", e.problem) from None
        at = limits["yellow"].after(_EPOCH), limits["red"].after(_EPOCH)
        if at[1] <= at[0]:
            raise bad(f"{key}.red", "must come after yellow")
        out[stage] = StageLimit(limits["yellow"], limits["red"])
    extra = sorted(set(stages) - set(STAGES))
    if extra:
        raise bad(f"stages.{extra[0]}", f"unknown stage (one of {', '.join(STAGES)})")
    return InvestigationLimits(out)


_EPOCH = datetime(2001, 1, 31, tzinfo=timezone.utc)  # a month end: months compare at their shortest
