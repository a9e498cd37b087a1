"""Events keep their meaning (issue 20) on a real PostgreSQL: a clue whose talk or letter was
concluded, and one reopened, before conclusions and re-disposals needed approval read back as
they took effect, and the clue goes on under the new rules (a later conclusion needs approval);
a clue recorded before routing was kept is handled here. Also: the runner keeps a subject and a
recused person from a clue (SL 67) and a refused command leaves nothing."""

import pytest

from kernel.domain.errors import Forbidden, NotFound
from kernel.domain.principal import Principal
from services.clues.adapters import mapping
from services.clues.domain import commands as c, events as ev
from tests.integration.test_clue_reconciliation import (  # noqa: F401 - `app`, the clues handlers on a store
    CM,
    HEAD,
    app,
    ctx,
    registered,
    step,
)

RES = Principal("commission", "resident_group_1", "resident_officer", "u-res")


async def append_as_before(handlers, clock, clue_id, event):
    """An event as the previous code recorded it (no approval), appended as it stood."""
    async with handlers.store.unit_of_work() as uow:
        before = await handlers.load(uow, clue_id)
        await uow.append(clue_id, before.version, [ctx().new_event(0, mapping.CODEC.to_pb(event), clock.now())])


async def as_(handlers, clock, clue_id, command):
    """`command` on the clue with its own principal acting (as the servicer calls it)."""
    return await handlers.handle(ctx(command.by), clue_id, 0, clock.now(), command)


async def disposed(handlers, clock, method, n):
    cid, _ = await registered(handlers, clock, n=n)
    await step(handlers, clock, cid, c.ProposeDisposal(cid, method, "specific", CM))
    await step(handlers, clock, cid, c.ApproveDisposal(cid, HEAD))
    return cid


async def test_a_talk_concluded_and_a_clue_reopened_before_issue_20_read_as_they_took_effect(app):
    handlers, _, clock = app
    repeat = await disposed(handlers, clock, "TALK_OR_LETTER", 1)
    await append_as_before(handlers, clock, repeat, ev.TalkOrLetterConcluded(repeat, "REPEAT", "denied", "u-res"))
    state, _, _ = await handlers.get(repeat, CM)
    assert (state.status, state.outcome, state.pending) == ("TALK_OR_LETTER", "REPEAT", None)
    # from now on a conclusion needs its approval
    await step(handlers, clock, repeat, c.ConcludeTalkOrLetter(repeat, "CLEARED", "explained", RES))
    assert (await handlers.get(repeat, CM))[0].status == "TALK_OR_LETTER"
    await step(handlers, clock, repeat, c.ApproveTalkOrLetterConclusion(repeat, HEAD))
    assert (await handlers.get(repeat, CM))[0].status == "CLOSED"

    reopened = await disposed(handlers, clock, "SHELVED", 2)
    await append_as_before(handlers, clock, reopened, ev.ClueReopened(reopened, "a new report", "u-cm"))
    assert (await handlers.get(reopened, CM))[0].status == "PRELIM_CHECK"
    assert (await handlers.get(reopened, CM))[0].registered.routing == ""  # handled here


async def test_sl67_the_runner_keeps_subjects_and_the_recused_from_a_clue(app):
    handlers, _, clock = app
    cid, _ = await registered(handlers, clock, n=3)  # about P-3
    subject = Principal("commission", "leadership", "commission_head", "P-3")
    await step(handlers, clock, cid, c.ProposeDisposal(cid, "CLOSED", "nothing in it", CM))
    with pytest.raises(NotFound):
        await as_(handlers, clock, cid, c.ApproveDisposal(cid, subject))
    with pytest.raises(NotFound):
        await handlers.get(cid, subject)
    await step(handlers, clock, cid, c.DeclareRecusal(cid, "u-head", "NEAR_RELATIVE", "the subject's cousin", CM))
    version = (await handlers.get(cid, CM))[1]
    with pytest.raises(Forbidden, match="SL 67"):
        await as_(handlers, clock, cid, c.ApproveDisposal(cid, HEAD))
    with pytest.raises(NotFound):
        await handlers.get(cid, HEAD)
    assert (await handlers.get(cid, CM))[1] == version  # nothing written
