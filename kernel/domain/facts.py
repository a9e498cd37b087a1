"""Person facts (domain.md §1, `common.v1.PersonFacts`): dated, sourced facts about a person that
the law's rules turn on. Pure.

The officer states them on the command that needs them (until partner agencies report them); the
event records them as of the decision, and rules read them from there. A rule asks for a fact with
`FactsOf.party()`, `.official()`, `.cadre()` or `.service()`: a fact the command did not state is
FAILED_PRECONDITION naming it, never a guess. Field names mirror the proto (one mapping).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from kernel.domain.errors import IllegalState, PlatformError

# Public-official categories of SL 15 (via PSL 2); NONE: not a public official.
NONE = "NONE"
CIVIL_SERVANT, PUBLIC_AFFAIRS, SOE_MANAGER = "CIVIL_SERVANT", "PUBLIC_AFFAIRS", "SOE_MANAGER"
PUBLIC_SERVICE_MANAGER, GRASSROOTS_MANAGER = "PUBLIC_SERVICE_MANAGER", "GRASSROOTS_MANAGER"
OTHER_PUBLIC_DUTY = "OTHER_PUBLIC_DUTY"
CATEGORIES = (
    NONE,
    CIVIL_SERVANT,
    PUBLIC_AFFAIRS,
    SOE_MANAGER,
    PUBLIC_SERVICE_MANAGER,
    GRASSROOTS_MANAGER,
    OTHER_PUBLIC_DUTY,
)
# Cadre management levels (干部管理权限); NONE: not a managed cadre.
CENTRAL, PROVINCIAL, CITY, COUNTY = "CENTRAL", "PROVINCIAL", "CITY", "COUNTY"
LEVELS = (NONE, CENTRAL, PROVINCIAL, CITY, COUNTY)
# Whether the person still serves (PSL 27).
SERVING, RETIRED, LEFT, DECEASED = "SERVING", "RETIRED", "LEFT", "DECEASED"


class FactMissing(IllegalState):
    """A rule needs a fact the command did not state (FAILED_PRECONDITION, naming it)."""

    def __init__(self, person_id: str, fact: str, what: str):
        self.current_state, self.fact = "facts not stated", fact
        PlatformError.__init__(
            self,
            f"facts.{fact}: the {what} of {person_id} is not stated; state it on this command "
            f"(person_facts) with its source and date",
        )


@dataclass(frozen=True)
class FactSource:
    """Who says so (a catalogue agency code, "unit" or "commission") and when it was true."""

    source: str
    as_of: datetime


@dataclass(frozen=True)
class PartyMembership:
    member: bool
    source: FactSource


@dataclass(frozen=True)
class PublicOfficial:
    """`holds_state_post`: an SL 15(2) person who also holds a civil-service, public-institution or
    SOE post (PSL 23 then does not limit the sanctions)."""

    category: str
    holds_state_post: bool
    source: FactSource


@dataclass(frozen=True)
class Cadre:
    level: str
    heads_lower_committee: bool
    source: FactSource


@dataclass(frozen=True)
class Post:
    title: str
    party_post: bool
    party_congress_delegate: bool
    congress_deputy: bool
    cppcc_member: bool
    elected_or_appointed: bool
    source: FactSource


@dataclass(frozen=True)
class Service:
    status: str
    since: datetime | None
    source: FactSource


@dataclass(frozen=True)
class PersonFacts:
    """What a command states about one person; each part optional."""

    person_id: str
    party: PartyMembership | None = None
    official: PublicOfficial | None = None
    cadre: Cadre | None = None
    posts: tuple[Post, ...] = ()
    service: Service | None = None

    def need_party(self) -> PartyMembership:
        return _need(self.party, self.person_id, "party", "Party membership")

    def need_official(self) -> PublicOfficial:
        return _need(self.official, self.person_id, "official", "public-official category (SL 15)")

    def need_cadre(self) -> Cadre:
        return _need(self.cadre, self.person_id, "cadre", "cadre management level")

    def need_service(self) -> Service:
        return _need(self.service, self.person_id, "service", "service status (serving, retired, left)")

    @property
    def is_member(self) -> bool:
        return self.need_party().member

    @property
    def is_official(self) -> bool:
        return self.need_official().category != NONE


def _need(value, person_id: str, fact: str, what: str):
    if value is None:
        raise FactMissing(person_id, fact, what)
    return value


def facts_of(facts: Iterable[PersonFacts], person_id: str) -> PersonFacts:
    """The facts a command states about `person_id` (none stated: an empty set, whose every
    needed fact is then named missing)."""
    return next((f for f in facts if f.person_id == person_id), PersonFacts(person_id))


# For a service's EventMapping: the nested messages of `common.v1.PersonFacts` and their dataclasses.
NESTED = {
    "common.v1.FactSource": FactSource,
    "common.v1.PartyMembership": PartyMembership,
    "common.v1.PublicOfficial": PublicOfficial,
    "common.v1.Cadre": Cadre,
    "common.v1.Post": Post,
    "common.v1.Service": Service,
    "common.v1.PersonFacts": PersonFacts,
}
