"""Measures before filing (立案前): what the cases service knows of a clue, and when a measure may
be taken on it. Pure.

Domain.md §2: "Before filing: 管护 (§3); in a preliminary check, approved inquiries, document
requests, appraisal, inspection, and via other agencies technical investigation and exit ban (SL 41,
official explainer; unverified against IR2025)". §3: 管护 for one who confesses in a talk, a letter
inquiry or an inquiry, "clue stage too" (SL 25). So a measure is taken on a clue only while it is
under preliminary check (初步核实): stage PRELIM_CHECK, on a work plan approved by everyone it needs
(the head, and the same-level Party committee head when the subject heads the next-lower committee,
Rules 33): the check is carried out on that plan. Which kinds may be taken then is configuration
(`before_filing` in deploy/config/measures.toml). 管护 also while a talk or letter inquiry is under
way (TALK_OR_LETTER): SL 25 names one who confesses in a talk or a letter inquiry (law, so a rule
here, not configuration); its grounds are the measure's (SL 25, `measure_conditions`).

The entry is folded from the clue's events on `clues.events.v1` as the inbound translator reads them
(`ClueNews`: the only shape of a clue event this service knows), and from this service's own filing:
once a case is filed from the clue, `case_id` names it and no new measure is taken on the clue.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kernel.domain.errors import IllegalState, Validation

PRELIM_CHECK, TALK_OR_LETTER, CASE_FILED = "PRELIM_CHECK", "TALK_OR_LETTER", "CASE_FILED"
# SL 25: 管护 for one who confesses in a talk or letter inquiry (谈话、函询) as well as in a check
DURING_TALK = frozenset({"PROTECTIVE_CUSTODY"})
CONCLUDED = ("FORWARDED", "CLOSED")  # nothing more is done on the clue (domain.md §2)


_WHEN = {
    "": "only under preliminary check, SL 41",
    "PROTECTIVE_CUSTODY": "only in a talk or letter inquiry or under preliminary check, SL 25",
}


@dataclass(frozen=True)
class ClueNews:
    """What one clue event tells the cases service (the inbound translator makes it). Empty or
    None fields: unchanged."""

    clue_id: str
    version: int  # of the clue's stream
    stage: str = ""  # the clue's stage after the event (domain.md §2 names)
    subjects: tuple[str, ...] | None = None  # person ids, at receipt
    holder: str = ""  # the holding office the event states (its holding links, or the event itself)
    liaison: str = ""  # the liaison its holding links state
    proposed_office: str = ""  # a registration proposal's handling office
    registration_approved: bool = False  # the proposed office now holds the clue
    plan_needs: frozenset[str] | None = None  # a work plan submitted: the roles that must approve it
    plan_approved_by: str = ""  # the role of a plan approval
    plan_dropped: bool = False  # the plan no longer stands (a reopened clue needs a new one)
    case_id: str = ""  # the case filed from the clue


@dataclass(frozen=True)
class ClueEntry:
    """The clue directory's line: who holds the clue, about whom, and at which stage."""

    clue_id: str
    stage: str = ""
    holder: str = ""
    liaison: str = ""  # "" : the catalogue's liaison of the holder
    subjects: tuple[str, ...] = ()
    proposed_office: str = ""
    plan_needs: frozenset[str] = frozenset()
    plan_approved: frozenset[str] = frozenset()
    case_id: str = ""
    version: int = 0

    @property
    def plan_complete(self) -> bool:
        return bool(self.plan_needs) and self.plan_needs <= self.plan_approved

    @property
    def under_check(self) -> bool:
        """Under preliminary check on an approved plan, no case filed from it: measures allowed."""
        return self.stage == PRELIM_CHECK and self.plan_complete and not self.case_id

    def allows(self, kind: str) -> bool:
        """Whether a measure of `kind` (one configured before filing) may be taken on the clue now."""
        return self.under_check or (kind in DURING_TALK and self.stage == TALK_OR_LETTER and not self.case_id)

    def state(self) -> str:
        """The stage as a refusal names it."""
        if self.case_id:
            return f"clue {CASE_FILED} (filed as {self.case_id}: request the measure on the case)"
        if self.stage == PRELIM_CHECK and not self.plan_complete:
            return f"clue {PRELIM_CHECK} (work plan not approved)"
        return f"clue {self.stage or 'unknown stage'}"


def apply(entry: ClueEntry, news: ClueNews) -> ClueEntry:
    """The entry after one clue event. An event older than the entry changes nothing."""
    if news.version and news.version <= entry.version:
        return entry
    e = replace(entry, version=news.version or entry.version)
    if news.subjects is not None:
        e = replace(e, subjects=news.subjects)
    if news.proposed_office:
        e = replace(e, proposed_office=news.proposed_office)
    if news.registration_approved and e.proposed_office:
        e = replace(e, holder=e.proposed_office)
    if news.holder:
        e = replace(e, holder=news.holder, liaison=news.liaison or e.liaison)
    if news.plan_dropped:
        e = replace(e, plan_needs=frozenset(), plan_approved=frozenset())
    if news.plan_needs is not None:
        e = replace(e, plan_needs=news.plan_needs, plan_approved=frozenset())
    if news.plan_approved_by:
        e = replace(e, plan_approved=e.plan_approved | {news.plan_approved_by})
    if news.stage:
        e = replace(e, stage=news.stage)
    if news.case_id:
        e = replace(e, case_id=news.case_id)
    return e


def check_request(entry: ClueEntry, person_id: str, kind: str) -> None:
    """A measure on the clue (SL 25, 41): only under preliminary check on an approved plan (a 管护
    during a talk or letter inquiry too), and only on one of its subjects. Whether the kind is taken
    before filing at all is the measure rules' (`measures.request`)."""
    if not entry.allows(kind):
        raise IllegalState(entry.state(), f"take a {kind} before filing ({_WHEN.get(kind, _WHEN[''])})")
    if person_id not in entry.subjects:
        raise Validation("person_id", f"must be one of the clue's subjects: {person_id!r} is not")


def check_approval(entry: ClueEntry, kind: str) -> None:
    """A measure requested on the clue is approved only while the stage it was requested in still
    runs (SL 25, 41)."""
    if not entry.allows(kind):
        raise IllegalState(entry.state(), f"approve a {kind} before filing ({_WHEN.get(kind, _WHEN[''])})")


def check_extension(entry: ClueEntry) -> None:
    """A measure on a clue is extended while the clue is open (not forwarded or closed)."""
    if entry.stage in CONCLUDED:
        raise IllegalState(f"clue {entry.stage}", "extend a measure taken before filing (the clue is concluded)")
