"""The sanctions service's decisions on a real PostgreSQL (issue 21 points 1, 3, 5, 6): a disposal
(`CaseDisposed`) delivered twice, raced and again after a restart opens each person's decision of
each family once (a combination the rules refuse is logged and skipped, the rest opened); every
event links its decision, case, origin clue and person; the decision index and the execution
ledger are kept in step by each command and a rebuild makes them again equal; the ledger shows a
partner agency its own items only with the overdue counted by cause; a talk or letter concluded
with 诫勉 records an impact in force for its period (domain.md §5), known to its holding office."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from cases.v1 import events_pb2 as cases_pb2
from clues.v1 import events_pb2 as clues_pb2
from common.v1 import person_pb2
from kernel.domain import facts as f
from kernel.domain.calendar import WorkingCalendar
from kernel.domain.errors import NotFound
from kernel.domain.principal import Principal
from kernel.edge import catalogue
from kernel.eventstore import commands, envelope as env_mod
from kernel.eventstore.commands import CommandContext
from kernel.eventstore.envelope import Link, NewEvent
from kernel.eventstore.projections import Fold, rebuild
from kernel.eventstore.timers import migrate_timers
from kernel.messaging.inbox import Source
from services.sanctions.adapters.mapping import CODEC, EVENTS
from services.sanctions.adapters.translators import decision_id_for, impact_id_for, translate
from services.sanctions.app import decision_index, execution_ledger
from services.sanctions.app.access import Access
from services.sanctions.app.decision import DecisionAggregate
from services.sanctions.app.execution_ledger import LedgerFilter
from services.sanctions.app.handlers import DecisionHandlers
from services.sanctions.app.opener import DecisionOpener
from services.sanctions.app.sanction_rules import load_sanction_rules
from services.sanctions.domain import commands as c, decision as d
from services.sanctions.domain.government import ReviewRoute

CST = timezone(timedelta(hours=8))
AS_OF = datetime(2026, 1, 5, tzinfo=CST)
DISPOSED = datetime(2026, 3, 2, 10, tzinfo=CST)
CASE = f"case-{uuid.UUID(int=21)}"
CLUE = f"clue-{uuid.UUID(int=21)}"
HELD = [("office", "investigation_1", "holder"), ("office", "supervision_1", "liaison")]
CASE_MANAGER = Principal("commission", "case_management", "case_manager", "u-cm")
HEAD = Principal("commission", "leadership", "commission_head", "u-head")
HOLDER = Principal("commission", "investigation_1", "office_head", "u-inv")
OTHER = Principal("commission", "supervision_2", "office_head", "u-sup2")
ARCHIVES = Principal("archives", "personnel_files", "partner_system", "system:archives")
FINANCE = Principal("finance_bureau", "treasury", "partner_officer", "u-treasury")
SHA = "ab" * 32
ST = cases_pb2.SanctionType


@pytest.fixture
async def handlers(store):
    """The sanctions service's handlers on the test's store, its tables made, in Beijing time."""
    async with store.pool.acquire() as conn:
        for migrate in (decision_index.migrate, execution_ledger.migrate, commands.migrate, migrate_timers):
            await migrate(conn, store.schema)
    rules = load_sanction_rules()
    policy = d.DecisionPolicy(rules, WorkingCalendar(), CST)
    return DecisionHandlers(store, policy, CODEC, Access.of(catalogue.load(), rules))


def opener(handlers) -> DecisionOpener:
    return DecisionOpener(handlers, lambda env, by: translate(env, by, CST))


def _facts(person_id: str):
    src = f.FactSource("organisation_department", AS_OF)
    facts = f.PersonFacts(
        person_id,
        party=f.PartyMembership(True, src),
        official=f.PublicOfficial(f.CIVIL_SERVANT, False, src),
        service=f.Service(f.SERVING, AS_OF, src),
    )
    return EVENTS.message(person_pb2.PersonFacts, facts)


def _sanctions(person_id: str, party, government) -> cases_pb2.PersonSanctions:
    return cases_pb2.PersonSanctions(
        person_id=person_id,
        violations=[
            cases_pb2.Violation(article="Regs 28", sanction=party[0]),
            cases_pb2.Violation(article="PSL 33", sanction=government),
        ],
        combined=[
            cases_pb2.CombinedSanction(sanction=party[1], rule="SINGLE"),
            cases_pb2.CombinedSanction(sanction=government, rule="SINGLE"),
        ],
    )


def disposal(event_id: str) -> bytes:
    """P-1: a Party warning and a government 记过; P-3: a Party 严重警告 combined into a mere warning
    (refused by P6, Regs 24), beside a government warning; P-2: 诫勉."""
    msg = cases_pb2.CaseDisposed(
        case_id=CASE,
        decided_by="u-head",
        sanctions=[
            _sanctions(
                "P-1",
                (ST.SANCTION_TYPE_PARTY_WARNING, ST.SANCTION_TYPE_PARTY_WARNING),
                ST.SANCTION_TYPE_GOVERNMENT_DEMERIT,
            ),
            _sanctions(
                "P-3",
                (ST.SANCTION_TYPE_PARTY_SERIOUS_WARNING, ST.SANCTION_TYPE_PARTY_WARNING),
                ST.SANCTION_TYPE_GOVERNMENT_WARNING,
            ),
        ],
        outcomes=[cases_pb2.Outcome(kind=cases_pb2.OUTCOME_KIND_ADMONISHMENT, person_id="P-2", article="Rules 37")],
        facts=[_facts("P-1"), _facts("P-3")],
    )
    msg.decided_at.FromDatetime(DISPOSED)
    links = [("case", CASE, "case"), ("clue", CLUE, "origin"), ("person", "P-1", "subject"), *HELD]
    event = NewEvent(event_id, msg, DISPOSED, HEAD, "corr-d", links=tuple(Link(*x) for x in links))
    return env_mod.seal(env_mod.build(event, CASE, 1, DISPOSED))


def talk(event_id: str, at: datetime) -> bytes:
    msg = clues_pb2.TalkOrLetterConcluded(
        clue_id=CLUE,
        outcome=clues_pb2.TALK_OUTCOME_LIGHT_HANDLING,
        light_handling=clues_pb2.LIGHT_HANDLING_ADMONISHMENT,
    )
    links = [("clue", CLUE, "clue"), ("person", "P-9", "subject"), *HELD]
    event = NewEvent(event_id, msg, at, HEAD, "corr-t", links=tuple(Link(*x) for x in links))
    return env_mod.seal(env_mod.build(event, CLUE, 1, at))


def ctx(by: Principal) -> CommandContext:
    return CommandContext(by, "corr-s", "test", str(uuid.uuid4()))


async def streams(store, *ids) -> dict[str, list[str]]:
    return {i: [e.event_type.split(".")[-1] for e in await store.read_stream(i)] for i in ids}


async def test_a_disposal_delivered_twice_raced_and_after_a_restart_opens_each_decision_once(store, handlers):
    raw, event_id = disposal("11111111-1111-1111-1111-111111111111"), "11111111-1111-1111-1111-111111111111"
    await asyncio.gather(*(opener(handlers).record(raw, Source("cases", 0, k)) for k in range(3)))
    await opener(handlers).record(raw, Source("cases", 0, 9))  # redelivered after a restart
    party, government = (
        decision_id_for(event_id, "P-1", "PARTY_SANCTION"),
        decision_id_for(event_id, "P-1", "GOVERNMENT_SANCTION"),
    )
    impact = impact_id_for(event_id, "P-2", "ADMONISHMENT")
    refused = decision_id_for(event_id, "P-3", "PARTY_SANCTION")  # P6 (Regs 24) refuses it: logged, skipped
    kept = decision_id_for(event_id, "P-3", "GOVERNMENT_SANCTION")
    assert await streams(store, party, government, impact, refused, kept) == {
        party: ["DecisionOpened"],
        government: ["DecisionOpened"],
        impact: ["ImpactRecorded"],
        refused: [],
        kept: ["DecisionOpened"],
    }
    [stored] = await store.read_stream(government)
    links = {(x.kind, x.id, x.relation) for x in env_mod.parse(stored.envelope).links}
    assert {
        ("decision", government, "decision"),
        ("case", CASE, "case"),
        ("clue", CLUE, "origin"),
        ("person", "P-1", "subject"),
        ("office", "investigation_1", "holder"),
        ("office", "supervision_1", "liaison"),
        ("role", "commission_head", "approver"),
    } <= links
    listed = await handlers.list_decisions(CASE_MANAGER, case_id=CASE)
    assert sorted(r["decision_id"] for r in listed) == sorted([party, government, impact, kept])
    assert await handlers.list_decisions(OTHER, case_id=CASE) == []  # need to know
    state, version = await handlers.get(HOLDER, government)
    assert (state.status, state.clue_id, state.opened.disposed_at, version) == ("OPENED", CLUE, DISPOSED, 1)
    [admonished] = await handlers.list_decisions(HOLDER, person_id="P-2")
    assert (admonished["impact_kind"], admonished["start"], admonished["holder"]) == (
        "ADMONISHMENT",
        date(2026, 3, 2),
        "investigation_1",
    )


async def _issued(handlers) -> str:
    event_id = str(uuid.uuid4())
    await opener(handlers).record(disposal(event_id), Source("cases", 0, 0))
    decision_id = decision_id_for(event_id, "P-1", "GOVERNMENT_SANCTION")
    draft = c.DraftDecision(
        decision_id,
        "关于给予张某某记过处分的决定",
        ("PSL 12",),
        ReviewRoute("本委", "上级监委", 1),
        "所在单位",
        True,  # PSL 25: gains confiscated (a FINANCE item)
        (),
        None,
        0,
        CASE_MANAGER,
    )
    await handlers.handle(ctx(CASE_MANAGER), decision_id, 1, DISPOSED, draft)
    issue = c.IssueDecision(decision_id, "京纪〔2026〕12号", date(2026, 3, 10), HEAD)
    await handlers.handle(ctx(HEAD), decision_id, 2, DISPOSED + timedelta(days=8), issue)
    return decision_id


async def test_the_ledger_and_the_index_are_kept_in_step_and_a_rebuild_makes_them_again(store, handlers):
    decision_id = await _issued(handlers)
    state, version = await handlers.get(CASE_MANAGER, decision_id)
    items = {i.item.item_id: i.item for i in state.items.values()}
    archived = next(i for i in items.values() if i.agency == "archives")
    done_at = datetime(2026, 3, 20, 10, tzinfo=CST)
    report = c.ReportItem(decision_id, archived.item_id, done_at, SHA, "filed", ARCHIVES)
    await handlers.handle(ctx(ARCHIVES), decision_id, version, done_at, report)
    confiscation = next(i for i in items.values() if i.agency == "finance_bureau")
    blockage = c.RecordBlockage(decision_id, confiscation.item_id, "PERSON_UNCOOPERATIVE", "不退缴", FINANCE)
    await handlers.handle(ctx(FINANCE), decision_id, 0, done_at, blockage)

    today = date(2031, 1, 1)  # every open item past its due date
    everything, counts = await handlers.ledger(CASE_MANAGER, LedgerFilter(decision_id=decision_id), today)
    assert sorted(r["item_id"] for r in everything) == sorted(items)
    by_id = {r["item_id"]: r for r in everything}
    assert (by_id[archived.item_id]["status"], by_id[archived.item_id]["receipt"]) == ("DONE", SHA)
    assert by_id[archived.item_id]["done_at"] == done_at
    assert by_id[confiscation.item_id]["cause"] == "PERSON_UNCOOPERATIVE"
    open_items = len(items) - 1
    assert counts["PERSON_UNCOOPERATIVE"] == 1 and sum(counts.values()) == open_items
    assert [r["sort_key"] for r in everything] == sorted(r["sort_key"] for r in everything)
    # a partner agency sees its own items only; a page after the first row goes on from it
    mine, _ = await handlers.ledger(ARCHIVES, LedgerFilter(), today)
    assert {r["agency"] for r in mine} == {"archives"}
    overdue, overdue_counts = await handlers.ledger(FINANCE, LedgerFilter(status="OVERDUE"), today)
    assert [(r["item_id"], r["overdue"]) for r in overdue] == [(confiscation.item_id, True)]
    assert overdue_counts == {"PERSON_UNCOOPERATIVE": 1}
    first, _ = await handlers.ledger(CASE_MANAGER, LedgerFilter(decision_id=decision_id), today, limit=1)
    rest, _ = await handlers.ledger(CASE_MANAGER, LedgerFilter(decision_id=decision_id), today, first[0]["sort_key"])
    assert [r["item_id"] for r in first + rest] == [r["item_id"] for r in everything]
    assert await handlers.ledger(OTHER, LedgerFilter(decision_id=decision_id), today) == ([], {})
    # the index row, and what is in force on the person (G1: from the decision date; G7's lock)
    [row] = [r for r in await handlers.list_decisions(HEAD, person_id="P-1") if r["decision_id"] == decision_id]
    assert (row["status"], row["sanction"], row["start"]) == ("ISSUED", "GOVERNMENT_DEMERIT", date(2026, 3, 10))
    assert "personnel_files" in row["steps"]
    [entry] = [e for e in await handlers.in_force(HEAD, "P-1", date(2026, 6, 1)) if e.decision_id == decision_id]
    assert entry.sanction == "GOVERNMENT_DEMERIT" and entry.locks
    assert [e for e in await handlers.in_force(HEAD, "P-1", date(2026, 3, 9)) if e.decision_id == decision_id] == []
    # rebuilt from the events alone, both tables equal the live ones
    fold = Fold.of(DecisionAggregate, CODEC)
    rules = handlers.policy.rules
    async with store.pool.acquire() as conn:
        for projection in decision_index.projections(fold, rules) + execution_ledger.projections(fold):
            assert (await rebuild(conn, store.schema, projection, replace=False)).equal, projection.name


async def test_a_talk_concluded_with_admonishment_records_an_impact_in_force_for_its_period(store, handlers):
    event_id = str(uuid.uuid4())
    at = datetime(2026, 4, 1, 9, tzinfo=CST)
    await opener(handlers).record(talk(event_id, at), Source("clues", 0, 0))
    await opener(handlers).record(talk(event_id, at), Source("clues", 0, 1))  # redelivered: once
    impact = impact_id_for(event_id, "P-9", "ADMONISHMENT")
    assert await streams(store, impact) == {impact: ["ImpactRecorded"]}
    state, _ = await handlers.get(HOLDER, impact)
    months = handlers.policy.rules.impacts
    assert (state.status, state.impact.start, state.impact.end) == (
        "IMPACT_RECORDED",
        date(2026, 4, 1),
        months.period("ADMONISHMENT", date(2026, 4, 1)),
    )
    [entry] = await handlers.in_force(HOLDER, "P-9", date(2026, 5, 1))
    assert (entry.decision_id, entry.impact_kind, entry.family) == (impact, "ADMONISHMENT", "")
    assert await handlers.in_force(HOLDER, "P-9", state.impact.end) == []  # [start, end)
    assert await handlers.in_force(OTHER, "P-9", date(2026, 5, 1)) == []  # need to know
    with pytest.raises(NotFound):
        await handlers.get(OTHER, impact)
