"""The clue (问题线索) aggregate: pure state, decide and evolve. No I/O, no clock, no ids.

This slice covers registration (RECEIVED); the full lifecycle of domain.md §2 follows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kernel.errors import IllegalState, Validation
from kernel.principal import Principal

SOURCES = ("PETITION", "INSPECTION_TOUR", "SUPERIOR_ASSIGNMENT", "REPORTING_PLATFORM", "AUDIT",
           "OTHER_AGENCY", "SELF_DISCOVERED")
MAX_SUMMARY = 4000


@dataclass(frozen=True)
class Subject:
    """A person the clue is about; `person_id` is the personnel system's id (one across services)."""
    person_id: str
    name: str
    post: str = ""
    unit: str = ""


# -- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegisterClue:
    clue_id: str
    source: str
    subjects: tuple[Subject, ...]
    summary: str
    received_at: datetime
    has_informant: bool
    by: Principal


# -- events -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClueRegistered:
    clue_id: str
    source: str
    subjects: tuple[Subject, ...]
    summary: str
    receiving_agency: str
    receiving_office: str
    received_at: datetime
    has_sealed_informant: bool


# -- state ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NoClue:
    status: str = "NONE"


@dataclass(frozen=True)
class Received:
    registered: ClueRegistered
    status: str = "RECEIVED"


Clue = NoClue | Received


def validate(cmd: RegisterClue) -> None:
    if cmd.source not in SOURCES:
        raise Validation("source", f"must be one of {', '.join(SOURCES)}")
    if not cmd.subjects:
        raise Validation("subjects", "at least one subject is required")
    for i, s in enumerate(cmd.subjects):
        if not s.person_id.strip():
            raise Validation(f"subjects[{i}].person_id", "must not be empty")
        if not s.name.strip():
            raise Validation(f"subjects[{i}].name", "must not be empty")
    if not cmd.summary.strip():
        raise Validation("summary", "must not be empty")
    if len(cmd.summary) > MAX_SUMMARY:
        raise Validation("summary", f"longer than {MAX_SUMMARY} characters")


def decide(cmd: RegisterClue, state: Clue) -> list[ClueRegistered]:
    if not isinstance(state, NoClue):
        raise IllegalState(state.status, "register a clue that exists")
    validate(cmd)
    return [ClueRegistered(cmd.clue_id, cmd.source, cmd.subjects, cmd.summary.strip(), cmd.by.agency,
                           cmd.by.office, cmd.received_at, cmd.has_informant)]


def evolve(state: Clue, event: ClueRegistered) -> Clue:
    if isinstance(event, ClueRegistered):
        return Received(event)
    return state


def fold(events) -> Clue:
    state: Clue = NoClue()
    for e in events:
        state = evolve(state, e)
    return state
