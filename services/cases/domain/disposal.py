"""Hearing, deliberation and disposal (domain.md §3; `kernel.domain.sanctions` for the law). Pure.

| From | To | Rule |
|---|---|---|
| DELIBERATION, REHEARING | same (or DELIBERATION when the last re-hearing is done) | the person is heard on the proposals before **any** sanction, Party (PC 43) or government (PSL 43); never heavier because of the defence |
| DELIBERATION | DISPOSED | the standing committee's collective decision (Rules 56; SL 51, 52; PSL 44), at its quorum (configured); per person the violations and the combined sanction per family (G2, G3, P6), eligible by the person's facts (P1, G4-G6) |
| DELIBERATION | REHEARING | the decision is heavier, on other grounds, than what a person was heard on (PSL 43): nothing is disposed, the person is heard again |

Who records the meeting's decision: the head or case management (the minutes), not one person's
approval.
"""

from __future__ import annotations

import re
from dataclasses import replace

from kernel.domain import sanctions as s
from kernel.domain.checks import moment, require
from kernel.domain.errors import Forbidden, IllegalState, Validation
from kernel.domain.facts import PersonFacts, facts_of
from kernel.domain.meetings import (
    ORG_DEPARTMENT,
    PARTY_COMMITTEE,
    STANDING_COMMITTEE,
    check_consultations,
    check_meeting,
)
from services.cases.domain import commands as c, events as ev
from services.cases.domain.outcomes import text, validate_outcomes
from services.cases.domain.person_facts import check_reason
from services.cases.domain.sanctioning import person_sanctions, sanction_map, sanction_outcomes
from services.cases.domain.state import DELIBERATION, REHEARING, Case

HEAD, CASE_MANAGER, COMMITTEE_HEAD = "commission_head", "case_manager", "party_committee_head"
RECORDERS = (HEAD, CASE_MANAGER)  # who records the standing committee's decision (its minutes)
_SHA256 = re.compile(r"[0-9a-f]{64}")


def hear(cmd: c.HearSubject, state: Case) -> list:
    """PC 43, PSL 43: the person heard on the facts and the proposed sanctions; the proposals after
    hearing (all persons') are never heavier than before it."""
    require(state, (DELIBERATION, REHEARING), "hear a subject")
    person_id = text(cmd.person_id, "person_id")
    if person_id not in {p.person_id for p in state.subjects}:
        raise Validation("person_id", f"{person_id} is not a subject of the case")
    statement = text(cmd.statement, "statement")
    sanctions = person_sanctions(cmd.sanctions, state.subjects, "sanctions")
    others = validate_outcomes(cmd.proposals, state.subjects, "proposals", required=not sanctions)
    worse = s.heavier(sanction_map(state.proposed_sanctions), sanction_map(sanctions))
    if worse:  # PSL 43: never heavier because of the defence
        raise Validation("sanctions", "heavier than the current proposals: " + "; ".join(worse))
    return [
        ev.SubjectHeard(
            state.case_id, person_id, statement, cmd.by.user, sanction_outcomes(sanctions) + others, sanctions
        )
    ]


def _eligible(
    entries: tuple[ev.PersonSanctions, ...], facts: tuple[PersonFacts, ...]
) -> tuple[ev.PersonSanctions, ...]:
    """Each combined sanction checked against the person's facts (P1, G4-G6), with its consequences."""
    out = []
    for i, e in enumerate(entries):
        consequences = []
        for j, k in enumerate(e.combined):
            try:
                consequences += s.check_eligible(k.sanction, facts_of(facts, e.person_id), serious=e.serious)
            except Validation as err:
                raise err.within(f"sanctions[{i}].combined[{j}]") from None
        out.append(replace(e, consequences=tuple(dict.fromkeys(consequences))))
    return tuple(out)


def _facts(facts, state: Case) -> tuple[PersonFacts, ...]:
    persons = {p.person_id for p in state.subjects}
    for i, f in enumerate(facts or ()):
        if f.person_id not in persons:
            raise Validation(f"person_facts[{i}].person_id", f"{f.person_id} is not a subject of the case")
    return tuple(facts or ())


def _transfer(documents, transferring: bool) -> tuple[ev.Document, ...]:
    if transferring and not documents:
        raise Validation("transfer", "a TRANSFER_FOR_PROSECUTION outcome needs the package manifest")
    if documents and not transferring:
        raise Validation("transfer", "a manifest is given only with a TRANSFER_FOR_PROSECUTION outcome")
    for i, d in enumerate(documents):
        if not _SHA256.fullmatch(d.sha256 or ""):
            raise Validation(f"transfer[{i}].sha256", "must be 64 lowercase hex digits (SHA-256)")
    return tuple(ev.Document(text(d.title, f"transfer[{i}].title"), d.sha256) for i, d in enumerate(documents))


def _consultations(items, meeting, state: Case):
    """Rules 56: where the same-level Party committee approved the filing (it manages the person),
    the organisation department and the person's Party committee are consulted before the
    standing committee deliberates."""
    consulted = check_consultations(items, meeting, "consultations")
    if COMMITTEE_HEAD in {a.approver_role for a in state.approvals}:
        missing = [b for b in (ORG_DEPARTMENT, PARTY_COMMITTEE) if b not in {c.body for c in consulted}]
        if missing:
            raise IllegalState(
                f"{state.status} (the Party committee approved the filing: {missing[0]} not yet consulted, Rules 56)",
                "dispose of the case",
            )
    return consulted


def dispose(cmd: c.DisposeCase, state: Case, quorum) -> list:
    """The standing committee's decision, recorded: disposed, or back to a new hearing when it is
    heavier than what a person was heard on (PSL 43)."""
    operation = "dispose of the case"
    require(state, (DELIBERATION,), operation)
    if cmd.by.role not in RECORDERS:  # Rules 56, SL 51: the committee decides; the head or case management records it
        raise Forbidden(
            f"only {' or '.join(RECORDERS)} may record the standing committee's decision, not {cmd.by.role}"
        )
    meeting = check_meeting(cmd.deliberation, STANDING_COMMITTEE, quorum, "deliberation")
    consulted = _consultations(cmd.consultations, meeting, state)
    at = moment(cmd.at, "at")
    facts = _facts(cmd.facts, state)
    sanctions = _eligible(person_sanctions(cmd.sanctions, state.subjects, "sanctions"), facts)
    others = validate_outcomes(cmd.outcomes, state.subjects, "outcomes", required=not sanctions)
    unheard = sorted({e.person_id for e in sanctions} - set(state.heard))
    if unheard:  # PC 43 (P7), PSL 43: the right to defend comes before any sanction
        raise IllegalState(f"{state.status} ({', '.join(unheard)} not yet heard)", "decide a sanction")
    again = s.to_hear_again(sanction_map(state.heard_on), sanction_map(sanctions))
    if again:  # heavier on other grounds than what they were heard on: hear them again (PSL 43)
        return [ev.RehearingRequired(state.case_id, again, sanctions, meeting, cmd.by.user, at)]
    transfer = _transfer(cmd.transfer or (), any(o.kind == "TRANSFER_FOR_PROSECUTION" for o in others))
    outcomes = sanction_outcomes(sanctions) + others
    reason = check_reason(cmd.facts_reason)  # issue 24: why stated facts differ from the reported
    return [
        ev.CaseDisposed(
            state.case_id, outcomes, cmd.by.user, at, transfer, sanctions, facts, meeting, consulted, reason
        )
    ]
