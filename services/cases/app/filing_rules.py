"""Loads what filing takes from configuration (`services.cases.domain.filing.FilingRules`): the
commission's level from the platform file's [commission] (deploy/config/platform.toml), the topic
meeting's quorum from deploy/config/filing.toml (CASES_FILING_RULES_FILE for your own). Every
mistake is a FilingRulesError naming the file and the key, so a bad file stops the service at start."""

from __future__ import annotations

from pathlib import Path

from kernel.domain.meetings import TOPIC_MEETING
from kernel.runtime.config import read_toml
from kernel.runtime.platform import CommissionEntry
from services.cases.domain.filing import Commission, FilingRules

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "filing.toml"
SCHEMA_VERSION = 1


class FilingRulesError(ValueError):
    """The filing configuration is wrong; the message names the file and the key."""


def load_filing_rules(
    commission: CommissionEntry | None, path: Path | str | None = None, platform_file: Path | str = "platform.toml"
) -> FilingRules:
    path = Path(path or DEFAULT_FILE)
    return parse_filing_rules(read_toml(path, FilingRulesError), str(path), commission, str(platform_file))


def parse_filing_rules(
    data: dict, source: str, commission: CommissionEntry | None, platform_file: str = "platform.toml"
) -> FilingRules:
    if commission is None:
        raise FilingRulesError(
            f"{platform_file}: commission.level: required by the cases service (COUNTY, CITY, PROVINCIAL, NATIONAL)"
        )
    unknown = sorted(set(data) - {"schema_version", "topic_meeting", "resident_group"})
    if unknown:
        raise FilingRulesError(
            f"{source}: {unknown[0]}: unknown key (schema_version, [topic_meeting], [resident_group])"
        )
    if data.get("schema_version") != SCHEMA_VERSION:
        raise FilingRulesError(f"{source}: schema_version: must be {SCHEMA_VERSION}")
    meeting = data.get("topic_meeting")
    if not isinstance(meeting, dict):
        raise FilingRulesError(f"{source}: topic_meeting: a table [topic_meeting] with quorum is required")
    unknown = sorted(set(meeting) - {"quorum"})
    if unknown:
        raise FilingRulesError(f"{source}: topic_meeting.{unknown[0]}: unknown key (quorum)")
    quorum = meeting.get("quorum")
    if not isinstance(quorum, int) or isinstance(quorum, bool) or quorum < 1:
        raise FilingRulesError(f"{source}: topic_meeting.quorum: a whole number of attendees, at least 1")
    escalate_to = _escalation(data.get("resident_group", {}), source) if commission.resident_group else ""
    return FilingRules(Commission(commission.level, commission.resident_group, escalate_to), {TOPIC_MEETING: quorum})


def _escalation(table, source: str) -> str:
    """[resident_group] escalate_to: the dispatching commission head's role (提级审批, seed 003)."""
    if not isinstance(table, dict) or set(table) - {"escalate_to"}:
        raise FilingRulesError(f"{source}: resident_group: a table with escalate_to only")
    role = table.get("escalate_to")
    if not isinstance(role, str) or not role.strip():
        raise FilingRulesError(
            f"{source}: resident_group.escalate_to: the role of the dispatching commission's head is required "
            "for a resident group (platform.toml [commission] resident_group = true)"
        )
    return role.strip()
