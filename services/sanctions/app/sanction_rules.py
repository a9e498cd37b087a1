"""Loads the sanctions' numbers (`deploy/config/sanctions.toml`) into `SanctionRules`: the effect
periods, locks and item deadlines of domain.md §4 that are local practice or unverified (G13's
delivery, P2-P5's Party periods, §4d's local item deadlines), with the statutory months beside
them. Every mistake is a SanctionRulesError naming the file and the key
("sanctions.toml: party.probation_months: ..."), so a bad file stops the service at start.

`[delivery] working_days` (G13, PSL 46; local) is one number for both `GovernmentRules` and
`ItemRules.delivery_working_days`, so the government's delivery due and the §4d DELIVER_* items
never drift.

`[issue]` (local: which cadre levels the same-level Party committee approves, how many witnesses
complete a refusal to sign), `[impacts]` (§5's impact periods, local and unverified) and `[owners]`
(§4d's owner → "<agency>/<office>" of the catalogue; every owner an item can carry is required)
build `IssueRules`, `ImpactRules` and `Owners` (`services.sanctions.domain.issuing`). `[visits]`
(issue 22: follow-up visits, seed 000; local and unverified: the least number of visitors, the
agencies the result is sent to, each the agency of an [owners] entry) builds `VisitRules`;
`[appeals] compensation_months` (A5, local) is when the compensating items of a revoked or
changed decision fall due.

The shape of the file (schema_version, tables whose every key is required, no unknown key) is the
kernel's `parse_tables`, as for the cases service's rule files."""

from __future__ import annotations

from pathlib import Path

from kernel.domain import facts as f
from kernel.domain.errors import Validation
from kernel.runtime.config import parse_tables, read_toml
from services.sanctions.domain.appeals import AppealRules
from services.sanctions.domain.government import GovernmentRules
from services.sanctions.domain.issuing import IMPACT_KINDS, OWNER_CODES, ImpactRules, IssueRules, Owners, VisitRules
from services.sanctions.domain.items import ItemRules
from services.sanctions.domain.party import PartyRules
from services.sanctions.domain.rules import SanctionRules

DEFAULT_FILE = Path(__file__).resolve().parents[3] / "deploy" / "config" / "sanctions.toml"
SCHEMA_VERSION = 1
DELIVERY = "delivery"  # the one key that sets GovernmentRules' and ItemRules' delivery_working_days
NEVER = "never"  # party.expulsion_rejoin_months: never readmitted (P2, Regs 13)
PARTS = {"government": GovernmentRules, "party": PartyRules, "appeals": AppealRules, "items": ItemRules}
# table -> key -> ("part.field" of SanctionRules, parser name); every key is required.
KEYS = {
    "delivery": {"working_days": (DELIVERY, "days")},
    "government": {
        "post_pay_months": ("government.post_pay_months", "months"),
        "post_pay_max_months": ("government.post_pay_max_months", "months"),
    },
    "party": {
        "warning_months": ("party.warning_months", "months"),
        "serious_warning_months": ("party.serious_warning_months", "months"),
        "removal_bar_months": ("party.removal_bar_months", "months"),
        "probation_months": ("party.probation_months", "month_choices"),
        "probation_extension_months": ("party.probation_extension_months", "months"),
        "probation_max_months": ("party.probation_max_months", "months"),
        "restored_bar_months": ("party.restored_bar_months", "months"),
        "expulsion_rejoin_months": ("party.expulsion_rejoin_months", "months_or_never"),
        "end_mandate_months": ("party.end_mandate_months", "months"),
    },
    "appeals": {key: (f"appeals.{key}", "months") for key in vars(AppealRules())},
    "items": {
        "party_months": ("items.party_months", "months"),
        "post_pay_max_months": ("items.post_pay_max_months", "months"),
        "government_personnel_file_months": ("items.government_personnel_file_months", "months"),
        "government_post_pay_months": ("items.government_post_pay_months", "months"),
        "non_party_post_removal_months": ("items.non_party_post_removal_months", "months"),
        "allowance_benefit_months": ("items.allowance_benefit_months", "months"),
        "confiscation_months": ("items.confiscation_months", "months"),
        "appraisal_days_after": ("items.appraisal_days_after", "days"),
        "execution_report_months": ("items.execution_report_months", "months"),
        "government_execution_report": ("items.government_execution_report", "flag"),
    },
    "issue": {
        "committee_approves": ("issue.committee_approves", "levels"),
        "refusal_witnesses": ("issue.refusal_witnesses", "witnesses"),
    },
    "impacts": {kind: (f"impacts.{kind}", "months") for kind in IMPACT_KINDS},
    "visits": {
        "min_visitors": ("visits.min_visitors", "visitors"),
        "send_to": ("visits.send_to", "agencies"),
    },
    "owners": {owner: (f"owners.{owner}", "place") for owner in OWNER_CODES},
}
# Rules across keys: (key, key it must not exceed, rule).
AT_MOST = (
    ("government.post_pay_months", "government.post_pay_max_months", "G14 (PSL 54)"),
    ("items.party_months", "items.post_pay_max_months", "P9 (Regs 44)"),
    ("items.government_post_pay_months", "items.post_pay_max_months", "G14 (PSL 54)"),
)


class SanctionRulesError(ValueError):
    """The sanctions' configuration is wrong; the message names the file and the key."""


def load_sanction_rules(path: Path | str | None = None) -> SanctionRules:
    path = Path(path or DEFAULT_FILE)
    return parse_sanction_rules(read_toml(path, SanctionRulesError), str(path))


def parse_sanction_rules(data: dict, source: str) -> SanctionRules:
    """The rules of the file's tables `data` (read from `source`), or the first mistake."""

    def fail(key: str, problem: str):
        raise SanctionRulesError(f"{source}: {key}: {problem}")

    if not isinstance(data, dict):
        fail("schema_version", "the file must hold tables")
    values = parse_tables(data, source, KEYS, _PARSERS, SanctionRulesError, SCHEMA_VERSION)
    for key, limit, rule in AT_MOST:
        if values[key] > values[limit]:
            fail(key, f"{rule}: {values[key]} months exceeds {limit} ({values[limit]})")
    longest = max(values["party.probation_months"])
    if longest > values["party.probation_max_months"]:
        fail(
            "party.probation_months",
            f"P4 (Regs 12): {longest} months exceeds party.probation_max_months ({values['party.probation_max_months']})",
        )
    fields: dict[str, dict] = {part: {} for part in PARTS}
    impacts, owners = [], []
    for name, value in values.items():
        if name.startswith("impacts."):
            impacts.append((name.split(".", 1)[1], value))
        elif name.startswith("owners."):
            owners.append((name.split(".", 1)[1], *value))
        elif name.startswith("issue."):
            fields.setdefault("issue", {})[name.split(".", 1)[1]] = value
        elif name.startswith("visits."):
            fields.setdefault("visits", {})[name.split(".", 1)[1]] = value
        elif name == DELIVERY:
            fields["government"]["delivery_working_days"] = fields["items"]["delivery_working_days"] = value
        else:
            part, field = name.split(".")
            fields[part][field] = value
    parts = {}
    for part, cls in PARTS.items():
        try:
            parts[part] = cls(**fields[part])
        except Validation as e:
            key = "delivery.working_days" if e.field == "delivery_working_days" else f"{part}.{e.field}"
            fail(key, e.problem)
    try:
        parts["issue"] = IssueRules(**fields["issue"])
    except Validation as e:
        fail(f"issue.{e.field}", e.problem)
    try:
        visits = VisitRules(**fields["visits"])
    except Validation as e:
        fail(f"visits.{e.field}", e.problem)
    try:
        return SanctionRules(**parts, impacts=ImpactRules(tuple(impacts)), owners=Owners(tuple(owners)), visits=visits)
    except Validation as e:  # across tables: [visits] send_to names agencies of [owners]
        fail(e.field, e.problem)


def _whole(value, least: int):
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _months(value):
    return ("", value) if _whole(value, 1) else ("must be a whole number of months, at least 1", None)


def _days(value):
    return ("", value) if _whole(value, 0) else ("must be a whole number of days, 0 or more", None)


def _month_choices(value):
    if not isinstance(value, list) or not value or not all(_whole(v, 1) for v in value):
        return "must be a non-empty list of whole numbers of months, each at least 1", None
    if len(set(value)) != len(value):
        return f"lists a length twice: {value}", None
    return "", tuple(sorted(value))


def _months_or_never(value):
    if value == NEVER:
        return "", None
    return ("", value) if _whole(value, 1) else (f'must be a whole number of months, at least 1, or "{NEVER}"', None)


def _flag(value):
    return ("", value) if isinstance(value, bool) else ("must be true or false", None)


def _levels(value):
    """[issue] committee_approves: cadre levels (kernel.domain.facts.LEVELS but NONE), each once."""
    levels = tuple(x for x in f.LEVELS if x != f.NONE)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"must be a list of cadre levels ({', '.join(levels)})", None
    unknown = [v for v in value if v not in levels]
    if unknown:
        return f"{unknown[0]!r} is no cadre level; one of {', '.join(levels)}", None
    if len(set(value)) != len(value):
        return f"lists a level twice: {value}", None
    return "", tuple(value)


def _witnesses(value):
    return ("", value) if _whole(value, 1) else ("G13 (PSL 46): must be a whole number of witnesses, at least 1", None)


def _visitors(value):
    return (
        ("", value) if _whole(value, 1) else ("seed 000 (local): must be a whole number of visitors, at least 1", None)
    )


def _agencies(value):
    """[visits] send_to: catalogue agency codes, each once (each the agency of an [owners] entry)."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() == v and v for v in value):
        return "must be a non-empty list of catalogue agency codes", None
    if len(set(value)) != len(value):
        return f"lists an agency twice: {value}", None
    return "", tuple(value)


def _place(value):
    """[owners]: "<agency>/<office>", catalogue codes."""
    parts = value.split("/") if isinstance(value, str) else []
    if len(parts) != 2 or not all(x and x == x.strip() for x in parts):
        return 'must be "<agency>/<office>", catalogue codes', None
    return "", (parts[0], parts[1])


_PARSERS = {
    "levels": _levels,
    "witnesses": _witnesses,
    "place": _place,
    "visitors": _visitors,
    "agencies": _agencies,
    "months": _months,
    "days": _days,
    "month_choices": _month_choices,
    "months_or_never": _months_or_never,
    "flag": _flag,
}
