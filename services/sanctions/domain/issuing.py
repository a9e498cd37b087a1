"""What the issue of a decision needs beyond the rules of §4a/§4b (domain.md §4, §4d, §5): who
approves before the issue (the same-level Party committee, local), how many witnesses complete a
refused delivery (G13, local), the impact periods of the other outcomes (§5, local and
unverified), and which catalogue agency and office each §4d owner is. All configuration
(`deploy/config/sanctions.toml` [issue], [impacts], [owners]); these defaults are the shipped
file's, so rules built in tests without the file mean the same. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from kernel.domain import facts as f
from kernel.domain.calendar import add_months
from kernel.domain.errors import Validation
from services.sanctions.domain import appeals as a, events as ev, items as it, party as p

# §5's other outcomes with an impact period (诫勉, organisational handling, 问责).
ADMONISHMENT, ORGANISATIONAL_HANDLING, ACCOUNTABILITY = "ADMONISHMENT", "ORGANISATIONAL_HANDLING", "ACCOUNTABILITY"
IMPACT_KINDS = (ADMONISHMENT, ORGANISATIONAL_HANDLING, ACCOUNTABILITY)

# Every owner code an execution item can carry: §4d's (items.py), P5's (party.py) and A5's
# DECIDING_BODY (appeals.py: a revoked decision's reputation notice); P4's PROBATION_REVIEW is the
# Party organisation's.
OWNER_CODES = (
    it.CASE_MANAGEMENT,
    it.PARTY_ORGANISATION,
    it.ARCHIVES,
    it.ORG_DEPT,
    it.HR,
    it.FINANCE,
    it.TOWNSHIP,
    it.UNIT,
    it.UNIT_PARTY_ORGANISATION,
    p.CONGRESS_BODY,
    a.DECIDING_BODY,
)


@dataclass(frozen=True)
class IssueRules:
    """`committee_approves`: the cadre management levels (facts.cadre.level) whose decisions the
    same-level Party committee approves before the issue (local). `refusal_witnesses`: the
    witnesses a refusal to sign needs to complete the delivery (G13, PSL 46; local: 2)."""

    committee_approves: tuple[str, ...] = (f.COUNTY,)
    refusal_witnesses: int = 2

    def __post_init__(self):
        for level in self.committee_approves:
            if level not in f.LEVELS or level == f.NONE:
                levels = ", ".join(x for x in f.LEVELS if x != f.NONE)
                raise Validation("committee_approves", f"{level!r} is no cadre level; one of {levels}")
        if len(set(self.committee_approves)) != len(self.committee_approves):
            raise Validation("committee_approves", "lists a level twice")
        if isinstance(self.refusal_witnesses, bool) or self.refusal_witnesses < 1:
            raise Validation("refusal_witnesses", "G13 (PSL 46): at least 1 witness")

    def committee_needed(self, facts: f.PersonFacts | None) -> bool:
        """Whether the same-level Party committee approves this person's decision: their cadre
        level is listed (no cadre fact: not a managed cadre, not needed)."""
        return bool(facts and facts.cadre and facts.cadre.level in self.committee_approves)


DEFAULT_IMPACT_MONTHS = ((ADMONISHMENT, 6), (ORGANISATIONAL_HANDLING, 12), (ACCOUNTABILITY, 12))


@dataclass(frozen=True)
class ImpactRules:
    """§5: the impact period in months of each other outcome (local, unverified)."""

    months: tuple[tuple[str, int], ...] = DEFAULT_IMPACT_MONTHS

    def __post_init__(self):
        kinds = [k for k, _ in self.months]
        if sorted(kinds) != sorted(IMPACT_KINDS):
            raise Validation("impacts", f"must give the months of each of {', '.join(IMPACT_KINDS)}")
        for kind, n in self.months:
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise Validation(kind, "must be a whole number of months, at least 1")

    def period(self, kind: str, start: date) -> date:
        """The impact period's end (exclusive) of `kind` starting on `start` (§5)."""
        if kind not in IMPACT_KINDS:
            raise Validation("kind", f"must be one of {', '.join(IMPACT_KINDS)}")
        return add_months(start, dict(self.months)[kind])


DEFAULT_OWNERS = (
    (it.CASE_MANAGEMENT, "commission", "case_management"),
    (it.PARTY_ORGANISATION, "party_organisation", "party_branch"),
    (it.ARCHIVES, "archives", "personnel_files"),
    (it.ORG_DEPT, "organisation_department", "cadre_management"),
    (it.HR, "personnel_bureau", "personnel_records"),
    (it.FINANCE, "finance_bureau", "treasury"),
    (it.TOWNSHIP, "township_government", "township_office"),
    (it.UNIT, "employer_unit", "unit_office"),
    (it.UNIT_PARTY_ORGANISATION, "party_organisation", "party_branch"),
    (p.CONGRESS_BODY, "organisation_department", "cadre_management"),  # P5: a partner office that can report
    (a.DECIDING_BODY, "commission", "case_management"),  # A5 (PSL 57): the reputation notice
)


@dataclass(frozen=True)
class Owners:
    """§4d's owner column in the catalogue: owner code → (agency, office)."""

    places: tuple[tuple[str, str, str], ...] = DEFAULT_OWNERS

    def __post_init__(self):
        given = [o for o, _, _ in self.places]
        missing = [o for o in OWNER_CODES if o not in given]
        if missing:
            raise Validation(missing[0], "every owner an execution item can carry needs its agency and office")
        unknown = [o for o in given if o not in OWNER_CODES]
        if unknown:
            raise Validation(unknown[0], f"unknown owner (one of {', '.join(OWNER_CODES)})")
        for owner, agency, office in self.places:
            if not agency.strip() or not office.strip():
                raise Validation(owner, 'must be "<agency>/<office>", catalogue codes')

    def place(self, owner: str) -> tuple[str, str]:
        for o, agency, office in self.places:
            if o == owner:
                return agency, office
        raise Validation("owner", f"{owner!r} has no agency and office ([owners])")


GOOD, AVERAGE, POOR = "GOOD", "AVERAGE", "POOR"
GRADES = (GOOD, AVERAGE, POOR)  # a follow-up visit's grade (seed 000; local, unverified)
DEFAULT_SEND_TO = ("organisation_department", "personnel_bureau")


@dataclass(frozen=True)
class VisitRules:
    """Follow-up visits (回访教育, seed 000; §4d FOLLOW_UP_VISIT): at least `min_visitors` visitors
    (local, unverified: 2), the result sent to the agencies `send_to` (catalogue codes; local: the
    organisation department and HR), who then know the decision (their [owners] offices)."""

    min_visitors: int = 2
    send_to: tuple[str, ...] = DEFAULT_SEND_TO

    def __post_init__(self):
        if isinstance(self.min_visitors, bool) or not isinstance(self.min_visitors, int) or self.min_visitors < 1:
            raise Validation("min_visitors", "seed 000 (local): at least 1 visitor")
        if not self.send_to or any(not isinstance(x, str) or not x.strip() for x in self.send_to):
            raise Validation("send_to", "seed 000 (local): at least one agency (catalogue codes)")
        if len(set(self.send_to)) != len(self.send_to):
            raise Validation("send_to", "lists an agency twice")


def number_items(items: Sequence[it.ExecutionItem], owners: Owners) -> tuple[ev.ExecutionItem, ...]:
    """The items as issued: `item_id` = the kind, `<kind>:<n>` from the second of a kind
    (APPRAISAL, APPRAISAL:2), each with its owner's catalogue agency and office (§4d)."""
    seen: dict[str, int] = {}
    out = []
    for i in items:
        seen[i.kind] = n = seen.get(i.kind, 0) + 1
        agency, office = owners.place(i.owner)
        item_id = i.kind if n == 1 else f"{i.kind}:{n}"
        out.append(ev.ExecutionItem(i.kind, i.owner, i.due, i.latest_due, i.rule, item_id, agency, office))
    return tuple(out)


def owner_offices(items: Iterable[ev.ExecutionItem]) -> tuple[str, ...]:
    """The offices owning `items`, each once, in order (the decision's need-to-know steps)."""
    return tuple(dict.fromkeys(i.office for i in items))


def offices_of(agencies: Iterable[str], owners: Owners) -> tuple[str, ...]:
    """The [owners] offices of `agencies` (catalogue codes), each once, in order: the offices a
    follow-up visit's result was sent to (they know the decision from then on)."""
    wanted = set(agencies)
    return tuple(dict.fromkeys(office for _, agency, office in owners.places if agency in wanted))
