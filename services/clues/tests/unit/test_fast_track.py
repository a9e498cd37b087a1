"""The fast track of seed 004 (domain.md §5): a candidate of an integrity-opinion request (党风廉政意见
回复) has an open clue, so audit's answer is PENDING (正在核实) and the clue is handled first
(快查快处快结): top priority and a supervision notice (督办) to conclude it before the intended date.
Once per request and clue however often audit's event is delivered; a concluded clue untouched."""

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from kernel.domain.calendar import load_calendar
from kernel.domain.decider_spec import DeciderSpec
from kernel.domain.errors import Validation
from services.clues.app.schemes import load_scheme
from services.clues.domain import commands as c, events as ev
from services.clues.domain.awaiting import Roles, awaiting, fast_track_due
from services.clues.domain.decide import decide, fast_track_notice
from services.clues.domain.state import FAST_TRACK, fold
from services.clues.tests.unit.test_lifecycle import AT, CASE_MANAGER, HEAD, ID, INSPECTOR, SITUATIONS, SUBJECT

spec = DeciderSpec(decide, fold)
REQUEST = "integrity-00000000-0000-4000-8000-000000000026"
OTHER_REQUEST = "integrity-00000000-0000-4000-8000-000000000027"
NOTICE = "integrity:00000000-0000-4000-8000-000000000026"
INTENDED = date(2026, 6, 20)
DUE = datetime(2026, 6, 15, 9, 0, tzinfo=timezone.utc)
FAST = c.FastTrackClue(ID, REQUEST, "P-1", INTENDED, DUE)
TALK = SITUATIONS["TALK_OR_LETTER"]


def fast_tracked(office: str, previous: str = "", request: str = REQUEST, notice: str = NOTICE) -> list:
    return [
        ev.ClueFastTracked(ID, request, "P-1", INTENDED, previous, notice),
        ev.SupervisionNoticeIssued(ID, notice, office, DUE, "CONCLUDED", "system:clues-fast-track"),
    ]


# situation -> the office the notice goes to, or None: the clue is left alone (domain.md §5: open
# means not FORWARDED, CLOSED or CASE_FILED; an unknown clue has nothing to fast-track)
ROWS = {
    "NONE": None,
    "RECEIVED": "complaints",  # not yet registered: the receiving office holds it
    "RECEIVED+proposed": "complaints",
    "RECEIVED routed upward": "complaints",
    "FORWARDED": None,
    "REGISTERED": "supervision_1",
    "REGISTERED+escalation proposed": "supervision_1",
    "DISPOSAL_PROPOSED": "supervision_1",
    "TALK_OR_LETTER": "supervision_1",  # seed 004's clue: a talk or letter inquiry under way
    "TALK_OR_LETTER+reported": "supervision_1",
    "SHELVED": "supervision_1",  # 暂存待查 is still open
    "SHELVED+clearing proposed": "supervision_1",
    "CLOSED": None,
    "PRELIM_CHECK": "supervision_1",
    "PRELIM_CHECK+plan": "supervision_1",
    "PRELIM_CHECK+plan approved": "supervision_1",
    "REPORTED": "supervision_1",
    "AWAITING_FILING": "supervision_1",
    "REPORTED after refused filing": "supervision_1",
    "CASE_FILED": None,
}


def test_every_situation_has_a_row():
    assert set(ROWS) == set(SITUATIONS)


@pytest.mark.parametrize("situation", ROWS)
def test_a_fast_track_in_every_situation_domain_md_5(situation):
    office = ROWS[situation]
    spec.given(SITUATIONS[situation]).when(FAST).then(fast_tracked(office) if office else [])


def test_once_per_request_and_clue_however_often_delivered_seed_004():
    once = TALK + spec.given(TALK).when(FAST).run()
    spec.given(once).when(FAST).then([])
    # the notice id taken by other means (issued by hand under the request's id) counts as done
    by_hand = TALK + [ev.SupervisionNoticeIssued(ID, NOTICE, "supervision_1", DUE, "CONCLUDED", "u-cm")]
    spec.given(by_hand).when(FAST).then([])
    # another request about the same candidate: a notice of its own; already fast-tracked before
    again = replace(FAST, request_id=OTHER_REQUEST)
    other = fast_track_notice(OTHER_REQUEST)
    spec.given(once).when(again).then(fast_tracked("supervision_1", FAST_TRACK, OTHER_REQUEST, other))


def test_the_clue_takes_top_priority_and_keeps_the_class_it_had():
    young = [replace(TALK[0], priority="YOUNG_RESERVE_CADRE"), *TALK[1:]]
    assert fold(young).priority == "YOUNG_RESERVE_CADRE"
    out = spec.given(young).when(FAST).run()
    assert out[0].previous_priority == "YOUNG_RESERVE_CADRE"
    assert fold(young + out).priority == FAST_TRACK
    assert fold(TALK + out).fast_tracked == {REQUEST}


def test_the_notice_goes_to_the_office_holding_the_clue_now():
    escalated = TALK + [ev.ClueEscalated(ID, "supervision_1", "supervision_2", "hard", "u-cm", "u-head")]
    spec.given(escalated).when(FAST).then(fast_tracked("supervision_2"))


def test_concluding_the_clue_meets_the_notice_seed_004():
    """The talk's conclusion approved (cleared: 经核查，未发现…问题) closes the clue: the notice is met."""
    noticed = TALK + spec.given(TALK).when(FAST).run()
    assert [n[0] for n in fold(noticed).notices] == [NOTICE]
    reported = noticed + spec.given(noticed).when(c.ConcludeTalkOrLetter(ID, "CLEARED", "no issue", INSPECTOR)).run()
    assert fold(reported).notices  # reported is not concluded
    spec.given(reported).when(c.ApproveTalkOrLetterConclusion(ID, HEAD)).then(
        [
            ev.TalkOrLetterConcluded(ID, "CLEARED", "no issue", "u-insp", "u-head"),
            ev.SupervisionNoticeSatisfied(ID, NOTICE, "CLOSED"),
        ]
    )


def test_a_fast_track_due_already_past_still_notices_and_falls_overdue():
    """Delivered late (the due date passed): the notice stands and its timer falls overdue at once."""
    late = replace(FAST, notice_due_at=AT)
    out = spec.given(TALK).when(late).run()
    assert out[1].due_at == AT
    spec.given(TALK + out).when(c.RecordNoticeOverdue(ID, NOTICE, AT)).then(
        [ev.SupervisionNoticeOverdue(ID, NOTICE, AT)]
    )


def test_registration_may_not_claim_the_fast_track_class():
    """Only an integrity-opinion request fast-tracks a clue (domain.md §5)."""
    register = c.RegisterClue(ID, "PETITION", (SUBJECT,), "x", AT, False, CASE_MANAGER, priority=FAST_TRACK)
    spec.given([]).when(register).raises(Validation, field="priority")


def test_every_step_of_a_fast_tracked_clue_is_due_by_its_notice_seed_004():
    """Queues are ordered by due (issue 20): the fast-tracked clue's steps come first, due by the
    fast-track notice (before the intended date) rather than by the stage's deadline."""
    roles = Roles({"clues.talk_or_letter": frozenset({"supervisor"}), "clues.disposal": frozenset({"supervisor"})})
    timed = [(e, AT, v) for v, e in enumerate(TALK, 1)]
    plain = awaiting(timed, roles, load_scheme(), load_calendar())
    assert [a.step for a in plain] == ["ConcludeTalkOrLetter"] and plain[0].due > DUE
    out = spec.given(TALK).when(FAST).run()
    timed += [(e, AT, len(timed) + k) for k, e in enumerate(out, 1)]
    hurried = awaiting(timed, roles, load_scheme(), load_calendar())
    assert {(a.step, a.due) for a in hurried} == {("ConcludeTalkOrLetter", DUE), ("SupervisionNotice", DUE)}
    assert fast_track_due(fold(TALK + out)) == DUE and fast_track_due(fold(TALK)) is None
