"""Everything of §4 (domain.md) that is local practice or unverified, in one bundle: what the
sanctions service takes from configuration (`deploy/config/sanctions.toml`). Pure; the defaults
are domain.md's values, so rules built in tests without the file mean the same."""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.domain.errors import Validation
from services.sanctions.domain.appeals import AppealRules
from services.sanctions.domain.government import GovernmentRules
from services.sanctions.domain.issuing import ImpactRules, IssueRules, Owners, VisitRules
from services.sanctions.domain.items import ItemRules
from services.sanctions.domain.party import PartyRules


@dataclass(frozen=True)
class SanctionRules:
    government: GovernmentRules = field(default_factory=GovernmentRules)  # §4a
    party: PartyRules = field(default_factory=PartyRules)  # §4b
    appeals: AppealRules = field(default_factory=AppealRules)  # §4c
    items: ItemRules = field(default_factory=ItemRules)  # §4d
    issue: IssueRules = field(default_factory=IssueRules)  # committee approval, refusal witnesses (local)
    impacts: ImpactRules = field(default_factory=ImpactRules)  # §5 impact periods (local, unverified)
    owners: Owners = field(default_factory=Owners)  # §4d owner -> catalogue agency and office
    visits: VisitRules = field(default_factory=VisitRules)  # follow-up visits (seed 000; local, unverified)

    def __post_init__(self):
        known = {agency for _, agency, _ in self.owners.places}
        unknown = [x for x in self.visits.send_to if x not in known]
        if unknown:
            raise Validation("visits.send_to", f"{unknown[0]!r} is the agency of no [owners] entry")


DEFAULT_RULES = SanctionRules()
