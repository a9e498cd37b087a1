"""Recusal (回避, SL 67): nobody acts on a clue or case about themselves, nor on one they are recused
from (a near relative of a subject, a witness, an interest...). Pure; one rule for every service.

The acting user is known by their personnel-system person id, `Principal.person_id` (the token's
`user` claim: the same id as `common.v1.PersonRef.person_id`), and compared with the file's
subjects and its declared recusals. The kernel's command runner applies it to every command and
every read of an aggregate (`kernel.eventstore.aggregate`), so each service gets it by giving its
state's `subjects` (and `recused`, when it records declared recusals).

* A subject is told the file does not exist (NOT_FOUND, the words of an unknown id): the person a
  clue is about must not learn of it from the system (the head of a commission a clue is about
  never sees it, CR 15).
* A declared recusal refuses commands (PERMISSION_DENIED naming SL 67) and hides the file from
  reads (NOT_FOUND).
* A system component (`system:<component>`) is never recused: it acts for the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kernel.domain.errors import Forbidden, NotFound
from kernel.domain.principal import Principal


@dataclass(frozen=True)
class Concerned:
    """Who may not handle a file: its subjects' and its recused persons' ids."""

    subjects: frozenset[str] = frozenset()
    recused: frozenset[str] = frozenset()

    @classmethod
    def of(cls, state) -> Concerned:
        """From a state with `subjects` (objects with a `person_id`) and, optionally, `recused`
        (person ids): a clue's, a case's."""
        subjects = frozenset(getattr(s, "person_id", s) for s in (getattr(state, "subjects", None) or ()))
        return cls(subjects, frozenset(getattr(state, "recused", None) or ()))


def recused(p: Principal, concerned: Concerned) -> str:
    """Why `p` may not handle the file ("" when they may): "subject" or "recused"."""
    if p.user.startswith("system:"):
        return ""
    if p.person_id in concerned.subjects:
        return "subject"
    return "recused" if p.person_id in concerned.recused else ""


def check_act(p: Principal, concerned: Concerned, kind: str, ident: str) -> None:
    """Before a command: NOT_FOUND for a subject, PERMISSION_DENIED for a declared recusal (SL 67)."""
    why = recused(p, concerned)
    if why == "subject":
        raise NotFound(kind, ident)
    if why:
        raise Forbidden(f"{p.user} is recused from {kind} {ident} (回避, SL 67)")


def check_read(p: Principal, concerned: Concerned, kind: str, ident: str) -> None:
    """Before a read: NOT_FOUND for a subject and for a recused person alike."""
    if recused(p, concerned):
        raise NotFound(kind, ident)


def visible(p: Principal, subject_ids: Iterable[str]) -> bool:
    """For list queries over rows that carry their subjects' ids: whether `p` may see the row."""
    return p.user.startswith("system:") or p.person_id not in set(subject_ids)
