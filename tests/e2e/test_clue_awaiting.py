"""What waits for the caller on the clues service (待办, issue 20), over gRPC on a real PostgreSQL
and broker: the head, an officer of the holding office and an officer of another office each see
their own items (need to know, domain.md §1), ordered by due and paged; GetClue names the same
items; every read is on the record; and the merged view's command shows them."""

import asyncio
import os
import subprocess
import sys
import uuid
from asyncio.subprocess import PIPE
from pathlib import Path

import grpc
import pytest

from cases.v1 import events_pb2 as cev
from clues.v1 import events_pb2 as ev_pb2
from common.v1 import reads_pb2
from kernel.eventstore.envelope import parse, unpack
from services.cases.main import build as build_cases
from services.clues.main import build as build_clues
from tests.e2e import test_need_to_know_cases as nk_cases
from tests.e2e.platforms import e2e_settings
from tests.e2e.test_case_story import Cases, subject
from tests.e2e.test_clue_lifecycle import COMMITTEE, HEAD, INSPECTOR, Client
from tests.e2e.test_need_to_know_clues import OTHER, PURPOSE, received, registered
from tests.factories import ALICE, service_settings, token_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """One topic prefix and one data folder (one signing key) for the services under test."""
    return f"aw{uuid.uuid4().hex[:8]}", tmp_path_factory.mktemp("awaiting")


@pytest.fixture(scope="module")
async def clues(database_url, bootstrap, place):
    prefix, data = place
    settings = e2e_settings("clues", database_url, bootstrap, prefix, data)
    host = await build_clues(settings).start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{host.port}") as ch:
        yield Client(host, ch)
    await host.stop()


async def awaiting(client, who, **fields) -> list:
    """Every page of the caller's list."""
    items, token = [], ""
    while True:
        page = await client("ListAwaitingMe", who, purpose=PURPOSE, page_token=token, **fields)
        items += page.items
        if not (token := page.next_page_token):
            return items


def steps(items, clue_id) -> set[tuple[str, str]]:
    return {(i.step, i.role) for i in items if i.file_id == clue_id}


async def proposed(client, who=INSPECTOR, office="supervision_1", person="P-1") -> str:
    cid = await received(client, who, person)
    await client("ProposeRegistration", clue_id=cid, handling_office=office)
    return cid


async def test_the_head_the_holding_office_and_another_office_each_see_their_own_items(clues):
    """Rules 23: the head approves registration; SL 40: the handling office proposes the disposal."""
    held = await registered(clues, "supervision_1", person="P-H")  # supervision_1 proposes a disposal
    waiting = await proposed(clues, person="P-W")  # the head approves its registration
    head = await awaiting(clues, HEAD)
    assert steps(head, waiting) == {("ApproveRegistration", "commission_head")}
    assert steps(head, held) == set()  # not the head's act (yet)
    officer = await awaiting(clues, INSPECTOR)
    assert steps(officer, held) == {("ProposeDisposal", "supervisor")}
    assert steps(officer, waiting) == set()  # the head's act, not the office's
    assert not {i.file_id for i in await awaiting(clues, OTHER)} & {held, waiting}  # another office
    item = next(i for i in officer if i.file_id == held)
    assert (item.service, item.office, item.colour) == ("clues", "supervision_1", "GREEN")
    assert item.reference.startswith("case_management-") and item.HasField("due") and item.HasField("since")
    # case management numbers every received clue wherever it came in (Rules 23)
    fresh = await received(clues, OTHER, person="P-F")
    assert steps(await awaiting(clues, ALICE), fresh) == {("ProposeRegistration", "case_manager")}
    # the step done, the item is gone; the next one waits for the head
    await clues("ProposeDisposal", INSPECTOR, clue_id=held, method=ev_pb2.DISPOSAL_METHOD_PRELIM_CHECK, reason="r")
    assert steps(await awaiting(clues, INSPECTOR), held) == set()
    assert steps(await awaiting(clues, HEAD), held) == {("ApproveDisposal", "commission_head")}


async def test_rules_33_the_party_committee_head_is_awaited_when_the_subject_heads_the_lower_committee(clues):
    cid = await registered(clues, "supervision_1", person="P-33")
    await clues("ProposeDisposal", INSPECTOR, clue_id=cid, method=ev_pb2.DISPOSAL_METHOD_PRELIM_CHECK, reason="r")
    await clues("ApproveDisposal", HEAD, clue_id=cid)
    assert steps(await awaiting(clues, INSPECTOR), cid) == {("SubmitPrelimCheckPlan", "supervisor")}
    plan = dict(clue_id=cid, work_plan="p", team=["u-a", "u-b"], subject_heads_lower_committee=True)
    await clues("SubmitPrelimCheckPlan", INSPECTOR, **plan)
    assert steps(await awaiting(clues, COMMITTEE), cid) == {("ApprovePrelimCheckPlan", "party_committee_head")}
    assert steps(await awaiting(clues, HEAD), cid) == {("ApprovePrelimCheckPlan", "commission_head")}
    await clues("ApprovePrelimCheckPlan", COMMITTEE, clue_id=cid)
    assert steps(await awaiting(clues, COMMITTEE), cid) == set()
    assert steps(await awaiting(clues, HEAD), cid) == {("ApprovePrelimCheckPlan", "commission_head")}


async def test_nobody_is_shown_a_clue_about_themselves_or_one_they_are_recused_from(clues):
    """SL 67: a subject is never shown the clue; a declared recusal takes it off the person's list."""
    about_them = await registered(clues, "supervision_1", person=INSPECTOR.person_id)
    recused = await registered(clues, "supervision_1", person="P-kin")
    assert steps(await awaiting(clues, INSPECTOR), recused) == {("ProposeDisposal", "supervisor")}
    await clues(
        "DeclareRecusal",
        ALICE,
        clue_id=recused,
        person_id=INSPECTOR.person_id,
        ground=ev_pb2.RECUSAL_GROUND_NEAR_RELATIVE,
        reason="the subject's cousin",
    )
    mine = {i.file_id for i in await awaiting(clues, INSPECTOR)}
    assert not {about_them, recused} & mine


async def test_get_clue_names_what_is_still_needed_by_whom_and_by_when(clues):
    cid = await proposed(clues, person="P-G")
    got = await clues("GetClue", INSPECTOR, clue_id=cid, purpose=PURPOSE)
    assert [(i.step, i.role, i.office) for i in got.awaiting] == [
        ("ApproveRegistration", "commission_head", "supervision_1")  # held by the office that received it
    ]
    assert got.awaiting[0].due == got.deadline  # the stage deadline of the warning scheme
    listed = next(i for i in await awaiting(clues, HEAD) if i.file_id == cid)
    assert listed == got.awaiting[0]  # the same item either way


async def test_pages_follow_the_order_and_a_token_is_the_callers_own(clues):
    for k in range(3):
        await proposed(clues, person=f"P-page-{k}")
    whole = await awaiting(clues, HEAD)
    assert len(whole) >= 3
    keys = [(i.due.ToNanoseconds(), i.since.ToNanoseconds(), i.file_id) for i in whole]
    assert keys == sorted(keys)
    first = await clues("ListAwaitingMe", HEAD, purpose=PURPOSE, page_size=2)
    assert len(first.items) == 2 and first.next_page_token
    assert await awaiting(clues, HEAD, page_size=2) == whole
    err = await clues.refused("ListAwaitingMe", INSPECTOR, purpose=PURPOSE, page_token=first.next_page_token)
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in err.details()
    err = await clues.refused("ListAwaitingMe", HEAD, purpose=PURPOSE, page_token="bm90LWEtdG9rZW4=")
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "page_token" in err.details()
    err = await clues.refused("ListAwaitingMe", HEAD, purpose=" ")
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "purpose" in err.details()


async def test_the_read_is_on_the_record_with_its_purpose(clues):
    cid = await proposed(clues, person="P-R")
    await clues("ListAwaitingMe", HEAD, purpose="morning review")
    host = clues.host
    row = await host.pool.fetchrow(
        f"SELECT envelope FROM {host.store.schema}.events WHERE event_type = 'common.v1.FileRead' "
        f"ORDER BY position DESC LIMIT 1"
    )
    env = parse(row["envelope"])
    fr = unpack(env, reads_pb2.FileRead)
    assert (fr.operation, fr.purpose, env.principal.user) == ("clues.read/ListAwaitingMe", "morning review", "u-head")
    assert ("clue", cid) in {(f.kind, f.id) for f in fr.files}
    assert ("person", "P-R", "read") in {(link.kind, link.id, link.relation) for link in env.links}


async def cli(env, *args) -> subprocess.CompletedProcess:
    """`python -m kernel.edge.awaiting_cli` in a process of its own (the service answers meanwhile)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kernel.edge.awaiting_cli", *args, env=env, cwd=ROOT, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


async def test_the_merged_view_command_shows_the_callers_items(clues):
    cid = await proposed(clues, person="P-CLI")
    reference = (await clues("GetClue", HEAD, clue_id=cid, purpose=PURPOSE)).clue_number
    env = {**os.environ, "AWAITING_TOKEN": token_for(clues.host.settings, HEAD)}
    target = f"clues=127.0.0.1:{clues.host.port}"
    run = await cli(env, "--service", "clues", "--target", target)
    assert run.returncode == 0, run.stderr
    header, *lines = run.stdout.splitlines()
    assert header.split() == ["due", "colour", "service", "reference", "step", "summary"]
    mine = [line for line in lines if reference in line]
    assert len(mine) == 1 and "ApproveRegistration (commission_head)" in mine[0] and "clues" in mine[0]
    assert "item(s) from clues" in run.stderr
    refused = await cli(env, "--service", "clues", "--target", target, "--token", "x")
    assert refused.returncode == 1 and "clues did not answer: UNAUTHENTICATED" in refused.stderr


@pytest.fixture(scope="module")
async def cases(database_url, bootstrap, place):
    prefix, data = place
    settings = e2e_settings("cases", database_url, bootstrap, prefix, data)
    host = await build_cases(settings).start()
    yield host
    await host.stop()


async def test_the_merged_view_takes_in_every_service_with_the_rpc_in_due_order(clues, cases):
    """A person's one list across the services (issue 20): the clue's registration and the case's
    filing, both waiting for the head (Rules 23; Rules 38, SL 42)."""
    cid = await proposed(clues, person="P-M")
    reference = (await clues("GetClue", HEAD, clue_id=cid, purpose=PURPOSE)).clue_number
    case_id = await nk_cases.open_filing(cases, "supervision_1")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{cases.port}") as channel:
        api = Cases(cases, channel)
        await api("PrepareFiling", nk_cases.SUP1, case_id=case_id, subjects=[subject(cev.AT_ISSUE_BOTH)])
        heads = await api("ListAwaitingMe", HEAD, purpose=PURPOSE)
    assert case_id in {i.file_id for i in heads.items}
    env = {**os.environ, "AWAITING_TOKEN": token_for(clues.host.settings, HEAD)}
    targets = ["--target", f"clues=127.0.0.1:{clues.host.port}", "--target", f"cases=127.0.0.1:{cases.port}"]
    run = await cli(env, "--service", "clues", "--service", "cases", *targets)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()[1:]
    assert {s for s in ("clues", "cases") if any(f" {s} " in line for line in lines)} == {"clues", "cases"}
    assert any(reference in line and "ApproveRegistration" in line for line in lines)
    assert any("ApproveFiling" in line and "cases" in line for line in lines)
    dues = [" ".join(line.split()[:2]) for line in lines if line.split()[0] != "-"]
    assert dues == sorted(dues)  # by due date (dated items first), whichever service
    assert "item(s) from clues, cases" in run.stderr
