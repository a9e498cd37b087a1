"""Seed 004's integrity request (党风廉政意见回复): the organisation department asks about the
candidates of an election; one has a talk or letter inquiry under way, so audit proposes PENDING
for that one and the clues service fast-tracks the clue (快查快处快结); the clue is concluded
(cleared), the liaison offices sign off (the pending one changed to no objection, saying why) and
the head signs the reply, which reaches the organisation department's feed."""

from __future__ import annotations

from datetime import timedelta

from audit.v1 import integrity_pb2 as ipb
from clues.v1 import events_pb2 as ev
from tools.demo.cast import CASE_MANAGER, HEAD, INSPECTOR, LIAISONS, ORG_DEPT
from tools.demo.plan import Plan
from tools.demo.session import Session
from tools.demo.steps import PURPOSE, disposed, ref, registered

PENDING, NO_OBJECTION = ipb.INTEGRITY_ANSWER_PENDING, ipb.INTEGRITY_ANSWER_NO_OBJECTION


async def integrity(s: Session, plan: Plan) -> tuple[str, bool]:
    """The request's id and whether it was already replied."""
    the_one = plan.candidates[min(5, len(plan.candidates) - 1)]
    clue_id = await registered(
        s, "i0", the_one, "supervision_1", ev.CLUE_SOURCE_PETITION, f"信访举报：反映{the_one.name}违规收受礼金", 5
    )
    await disposed(s, "i0", clue_id, ev.DISPOSAL_METHOD_TALK_OR_LETTER)

    async def in_dossier():
        items = (
            await s.read("IntegrityService.GetDossier", CASE_MANAGER, person_id=the_one.person_id, purpose=PURPOSE)
        ).items
        return any(i.ref == clue_id for i in items)

    await s.wait(in_dossier, f"audit's dossier of {the_one.person_id} showing {clue_id}")
    asked = dict(
        reference=f"县组干函〔{s.anchor.year}〕{plan.seed}号",
        intended_use=ipb.INTENDED_USE_PROMOTION,
        intended_date=(s.anchor + timedelta(days=10)).date().isoformat(),
        candidates=[ipb.Candidate(person=ref(p)) for p in plan.candidates],
    )
    request = (await s.do("IntegrityService.SubmitIntegrityRequest", ORG_DEPT, "integrity", **asked)).request
    rid = request.request_id
    now = (await s.read("IntegrityService.GetIntegrityRequest", CASE_MANAGER, request_id=rid)).request
    if now.state == "REPLIED":
        return rid, True
    if any(c.proposed == PENDING for c in request.candidates):
        await concluded(s, clue_id)
    for office in sorted({c.liaison_office for c in request.candidates}):
        mine = [c for c in request.candidates if c.liaison_office == office]
        changed = [
            ipb.CandidateSignOff(person_id=c.person.person_id, answer=NO_OBJECTION, comment="线索已快查快结，经核查未发现所反映问题")
            if c.proposed == PENDING else ipb.CandidateSignOff(person_id=c.person.person_id)
            for c in mine
        ]  # fmt: skip
        await s.do(
            "IntegrityService.SignOffCandidates",
            LIAISONS[office],
            f"integrity-{office}",
            request_id=rid,
            candidates=changed,
        )
    await s.do("IntegrityService.SignIntegrityReply", HEAD, "integrity-reply", request_id=rid)
    return rid, False


async def concluded(s: Session, clue_id: str) -> None:
    """The fast-tracked talk concluded: the cadre cleared (经核查，未发现所反映问题)."""

    async def fast_tracked():
        got = await s.read("ClueService.GetClue", CASE_MANAGER, clue_id=clue_id, purpose=PURPOSE)
        return got.priority == ev.CLUE_PRIORITY_FAST_TRACK

    await s.wait(fast_tracked, f"the clues service fast-tracking {clue_id}")
    talk = dict(clue_id=clue_id, outcome=ev.TALK_OUTCOME_CLEARED, summary="经核查，未发现所反映问题")
    await s.do("ClueService.ConcludeTalkOrLetter", INSPECTOR, "i0-talk", **talk)
    await s.do("ClueService.ApproveTalkOrLetterConclusion", HEAD, "i0-talk-ok", clue_id=clue_id)
