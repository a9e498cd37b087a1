"""Collective decisions (集体决策, `common.v1.CollectiveDecision`): what a meeting decided. Pure.

SL 42 and Rules 39 (the filing's topic meeting on plan and measures), Rules 56 and SL 51 (the
standing committee deliberates a disposal), SL 47 (detention): these are decided by a body, not
approved by one person, so the record is the meeting — when, which body, who attended and who
recused, the outcome, who kept the minutes — checked against the body's quorum (local practice:
configuration).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from kernel.domain.checks import moment, one_of, text
from kernel.domain.errors import Validation

TOPIC_MEETING, STANDING_COMMITTEE = "TOPIC_MEETING", "STANDING_COMMITTEE"
LEADERSHIP = "LEADERSHIP"  # the commission's leadership deciding collectively (领导人员集体研究, SL 47)
ORG_DEPARTMENT, PARTY_COMMITTEE = "ORG_DEPARTMENT", "PARTY_COMMITTEE"  # bodies consulted (Rules 56)
BODIES = (TOPIC_MEETING, STANDING_COMMITTEE, LEADERSHIP)


@dataclass(frozen=True)
class CollectiveDecision:
    body: str
    held_at: datetime
    attendees: tuple[str, ...]
    recused: tuple[str, ...]
    outcome: str
    minutes_by: str


def check_meeting(
    m: CollectiveDecision | None,
    body: str,
    quorum: Mapping[str, int],
    field: str,
    *,
    not_before: datetime | None = None,
) -> CollectiveDecision:
    """`m`, if it is a meeting of `body` that reached its quorum (`quorum[body]` attendees, none
    recused) and kept minutes; else Validation naming `field` and what is wrong."""
    if m is None:
        raise Validation(field, f"the {body} meeting's decision is required (who met, when, the outcome)")
    try:
        one_of(m.body, (body,), "body")
        moment(m.held_at, "held_at", not_before, "the case's last step")
        attendees = tuple(dict.fromkeys(a.strip() for a in m.attendees if a.strip()))
        recused = tuple(dict.fromkeys(r.strip() for r in m.recused if r.strip()))
        both = sorted(set(attendees) & set(recused))
        if both:
            raise Validation("recused", f"{', '.join(both)} recused and cannot also attend")
        least = quorum.get(body, 1)
        if len(attendees) < least:
            raise Validation("attendees", f"{len(attendees)} attended; the {body} needs at least {least} (its quorum)")
        return CollectiveDecision(
            m.body,
            m.held_at,
            attendees,
            recused,
            text(m.outcome, "outcome", 4000),
            text(m.minutes_by, "minutes_by", 64),
        )
    except Validation as e:
        raise e.within(field) from None


@dataclass(frozen=True)
class Consultation:
    """A body consulted before a collective decision (征求意见, Rules 56): which, when, the
    reference of its answer."""

    body: str
    consulted_at: datetime
    reference: str


def check_consultations(items, meeting: CollectiveDecision, field: str) -> tuple[Consultation, ...]:
    """The consultations, each of a known body, once, at or before the meeting (Validation naming
    the field otherwise). Which bodies a decision needs is its rule's to say."""
    out: dict[str, Consultation] = {}
    for i, c in enumerate(items or ()):
        try:
            body = one_of(c.body, (ORG_DEPARTMENT, PARTY_COMMITTEE), "body")
            if body in out:
                raise Validation("body", f"{body} consulted twice; one entry per body")
            at = moment(c.consulted_at, "consulted_at")
            if at > meeting.held_at:
                raise Validation("consulted_at", "after the meeting it must precede")
            out[body] = Consultation(body, at, text(c.reference, "reference", 100))
        except Validation as e:
            raise e.within(f"{field}[{i}]") from None
    return tuple(out.values())
