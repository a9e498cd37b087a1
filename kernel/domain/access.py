"""Need to know (domain.md §1): who may read or act on a clue, case or measure. Pure.

A file (案卷: a clue, a case, a measure) is held (承办) by one office and supervised as liaison
(联系) by another; some offices have a step on it (the trial review office while it reviews the
case, the office a supervision notice is addressed to, the complaints office that received it);
its pending and past approvals name the roles that approve. Whether a principal may know the file
at all is one rule, `may_know`, used by every service and by audit alike. A principal who may
not know a file is told it does not exist (NOT_FOUND, the same words as for an unknown id).

Every event on a file carries its holding after that event as links (`holding_links`), so a
consumer that sees only envelopes (audit) derives the same holding (`holding_of_links`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kernel.domain.principal import Principal

HOLDER, LIAISON, STEP, APPROVER = "holder", "liaison", "step", "approver"


@dataclass(frozen=True)
class Holding:
    """Who a file belongs to: office codes (`holder`, `liaison`, `steps`) and role codes
    (`approvers`: roles named by a pending or past approval on it)."""

    holder: str
    liaison: str = ""
    steps: frozenset[str] = frozenset()
    approvers: frozenset[str] = frozenset()

    @property
    def offices(self) -> frozenset[str]:
        return frozenset({self.holder, self.liaison} | self.steps) - {""}

    def with_steps(self, *offices: str) -> Holding:
        return Holding(self.holder, self.liaison, self.steps | {o for o in offices if o}, self.approvers)

    def with_approvers(self, roles: Iterable[str]) -> Holding:
        return Holding(self.holder, self.liaison, self.steps, self.approvers | frozenset(r for r in roles if r))


@dataclass(frozen=True)
class Organisation:
    """What the catalogue says about who sees what (`kernel.edge.catalogue` builds it):
    the office each office is supervised by as liaison, the offices that see every file (case
    management), the offices each leadership office oversees (分管) for its leader roles, and the
    system roles (processes acting on their own)."""

    liaison: Mapping[str, str] = field(default_factory=dict)
    sees_all: frozenset[str] = frozenset()
    oversees: Mapping[str, frozenset[str]] = field(default_factory=dict)
    leaders: frozenset[str] = frozenset()
    system: frozenset[str] = frozenset({"system"})

    def holding(self, holder: str, liaison: str = "") -> Holding:
        """A file held by `holder`; its liaison is the one given (kept from an earlier holder),
        else the one the catalogue names for the holder, else the holder itself."""
        return Holding(holder, liaison or self.liaison.get(holder, "") or holder)

    def overseen_by(self, p: Principal) -> frozenset[str]:
        """The offices whose files `p` sees as the leader overseeing them."""
        return self.oversees.get(p.office, frozenset()) if p.role in self.leaders else frozenset()

    def sees_everything(self, p: Principal) -> bool:
        return p.role in self.system or p.office in self.sees_all


def may_know(p: Principal, holding: Holding | None, org: Organisation) -> bool:
    """Whether `p` may read or act on a file held as `holding` (None: a file whose holding is not
    known, open only to those who see everything). Domain.md §1; issue 17's list, in order:
    holder or liaison, a step, an approval naming the role, case management or an overseeing
    leader, a system component."""
    if org.sees_everything(p):
        return True
    if holding is None:
        return False
    return (
        p.office in holding.offices
        or p.role in holding.approvers
        or holding.holder in org.overseen_by(p)
        or holding.liaison in org.overseen_by(p)
    )


def visible_offices(p: Principal, org: Organisation) -> frozenset[str] | None:
    """For list queries: the offices whose held or liaised files `p` sees (None: all of them)."""
    return None if org.sees_everything(p) else frozenset({p.office}) | org.overseen_by(p)


def holding_links(h: Holding) -> list[tuple[str, str, str]]:
    """(kind, id, relation) links stating a holding, in a fixed order."""
    links = [("office", h.holder, HOLDER), ("office", h.liaison, LIAISON)]
    links += [("office", o, STEP) for o in sorted(h.steps)]
    links += [("role", r, APPROVER) for r in sorted(h.approvers)]
    return [link for link in links if link[1]]


def holding_of_links(links: Iterable[tuple[str, str, str]]) -> Holding | None:
    """The holding an event's links state; None when they state none (an event recorded before
    holdings were stamped, or one not on a file)."""
    holder, liaison, steps, approvers = "", "", set(), set()
    for kind, ident, relation in links:
        if kind == "office" and relation == HOLDER:
            holder = ident
        elif kind == "office" and relation == LIAISON:
            liaison = ident
        elif kind == "office" and relation == STEP:
            steps.add(ident)
        elif kind == "role" and relation == APPROVER:
            approvers.add(ident)
    return Holding(holder, liaison, frozenset(steps), frozenset(approvers)) if holder else None
