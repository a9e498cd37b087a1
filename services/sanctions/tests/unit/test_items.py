"""services.sanctions.domain.items against domain.md §4d: the execution items of a decision (one
table row per item and rule, citing it) and the ledger's overdue rule (seed 000's blockages)."""

from datetime import date, datetime

import pytest

from kernel.domain import facts as f, sanctions as s
from kernel.domain.calendar import WorkingCalendar
from kernel.domain.errors import Validation
from services.sanctions.domain import government as g, items as i

CAL = WorkingCalendar()  # weekends only
W, SW, RM, PR, EX = s.PARTY_SANCTIONS
GW, GD, GMD, GDM, GRM, GDS = s.GOVERNMENT_SANCTIONS
JUNE30 = date(2026, 6, 30)  # a Tuesday


def party(sanction=PR, end=date(2027, 6, 30), **kw) -> i.Decision:
    return i.Decision(s.PARTY, sanction, JUNE30, end, **kw)


def government(sanction=GRM, on=date(2026, 4, 15), end=date(2028, 4, 15), **kw) -> i.Decision:
    return i.Decision(s.GOVERNMENT, sanction, on, end, **kw)


def item(decision: i.Decision, kind: str, rules: i.ItemRules = i.ItemRules()) -> i.ExecutionItem | None:
    found = [x for x in i.items_for(decision, CAL, rules) if x.kind == kind]
    assert len(found) <= 1 or kind == i.APPRAISAL
    return found[0] if found else None


def it(kind, owner, due, rule, latest=None) -> i.ExecutionItem:
    return i.ExecutionItem(kind, owner, due, latest or due, rule)


@pytest.mark.parametrize(
    "rule, decision, kind, expected",
    [
        (
            "G13 (PSL 46): every decision delivered to the person in 5 working days (local)",
            party(),
            i.DELIVER_PERSON,
            it(i.DELIVER_PERSON, i.CASE_MANAGEMENT, date(2026, 7, 7), "G13 (PSL 46)"),
        ),
        (
            "G13 (PSL 46): and to the unit",
            government(),
            i.DELIVER_UNIT,
            it(i.DELIVER_UNIT, i.CASE_MANAGEMENT, date(2026, 4, 22), "G13 (PSL 46)"),
        ),
        (
            "P9 (Regs 44): 留党察看 2026-06-30 → announced by 07-30",
            party(),
            i.ANNOUNCE,
            it(i.ANNOUNCE, i.PARTY_ORGANISATION, date(2026, 7, 30), "P9 (Regs 44)"),
        ),
        (
            "P9 (Regs 44): a government decision is not announced to a Party organisation",
            government(),
            i.ANNOUNCE,
            None,
        ),
        (
            "P9 (Regs 44): personnel file within 1 m, archives",
            party(),
            i.PERSONNEL_FILE,
            it(i.PERSONNEL_FILE, i.ARCHIVES, date(2026, 7, 30), "P9 (Regs 44)"),
        ),
        (
            "G14 (PSL 54): personnel file always (government: local, 1 m)",
            government(GW, end=date(2026, 10, 15)),
            i.PERSONNEL_FILE,
            it(i.PERSONNEL_FILE, i.ARCHIVES, date(2026, 5, 15), "G14 (PSL 54)"),
        ),
        (
            "P9 (Regs 44): 留党察看 2026-06-30 → post and pay 07-30, at most 12-30",
            party(),
            i.POST_PAY_CHANGE,
            it(i.POST_PAY_CHANGE, i.ORG_DEPT, date(2026, 7, 30), "P9 (Regs 44)", date(2026, 12, 30)),
        ),
        ("P9 (Regs 44): 严重警告 changes no post or pay", party(SW, end=date(2027, 12, 30)), i.POST_PAY_CHANGE, None),
        (
            "G14 (PSL 54): 撤职 2026-04-15 → due 05-15, at most 10-15",
            government(),
            i.POST_PAY_CHANGE,
            it(i.POST_PAY_CHANGE, i.HR, date(2026, 5, 15), "G14 (PSL 54)", date(2026, 10, 15)),
        ),
        (
            "G14 (PSL 54): 记大过 changes no post or pay",
            government(GMD, end=date(2027, 10, 15)),
            i.POST_PAY_CHANGE,
            None,
        ),
        (
            "P2 (Regs 10): a Party period locks promotion to its end",
            party(SW, end=date(2027, 12, 30)),
            i.PROMOTION_LOCK,
            it(i.PROMOTION_LOCK, i.ORG_DEPT, date(2027, 12, 30), "P2 (Regs 10)"),
        ),
        (
            "G7 (PSL 19-21): a government period locks promotion to its end",
            government(GD, on=date(2026, 3, 10), end=date(2027, 3, 10)),
            i.PROMOTION_LOCK,
            it(i.PROMOTION_LOCK, i.HR, date(2027, 3, 10), "G7 (PSL 19-21)"),
        ),
        ("G8 (PSL 24): 开除 has no period, no lock", government(GDS, end=None), i.PROMOTION_LOCK, None),
        (
            "P4 (Regs 44): 留党察看 → non-Party posts removed (local 1 m)",
            party(),
            i.NON_PARTY_POST_REMOVAL,
            it(i.NON_PARTY_POST_REMOVAL, i.ORG_DEPT, date(2026, 7, 30), "P4 (Regs 44)"),
        ),
        ("P4 (Regs 44): not for 严重警告", party(SW, end=date(2027, 12, 30)), i.NON_PARTY_POST_REMOVAL, None),
        (
            "G4 (PSL 22): 记大过 for a village director → ALLOWANCE_CUT (township)",
            government(GMD, end=date(2027, 10, 15), consequences=(s.ALLOWANCE_CUT,)),
            i.ALLOWANCE_CUT,
            it(i.ALLOWANCE_CUT, i.TOWNSHIP, date(2026, 5, 15), "G4 (PSL 22)"),
        ),
        (
            "G6 (PSL 27): 撤职-level for a retiree → BENEFIT_ADJUSTMENT",
            government(end=None, consequences=(s.BENEFIT_ADJUSTMENT,)),
            i.BENEFIT_ADJUSTMENT,
            it(i.BENEFIT_ADJUSTMENT, i.HR, date(2026, 5, 15), "G6 (PSL 27)"),
        ),
        (
            "PSL 25: gains found → CONFISCATION (finance)",
            government(gains_found=True),
            i.CONFISCATION,
            it(i.CONFISCATION, i.FINANCE, date(2026, 5, 15), "PSL 25"),
        ),
        ("PSL 25: no gains, nothing confiscated", government(), i.CONFISCATION, None),
        (
            "(local): the annual appraisal in the period",
            government(appraisals=(date(2026, 12, 20), date(2029, 1, 5))),
            i.APPRAISAL,
            it(i.APPRAISAL, i.UNIT, date(2026, 12, 20), "(local)"),
        ),
        (
            "P10 (Regs 45): execution report 2026-06-30 → 12-30",
            party(),
            i.EXECUTION_REPORT,
            it(i.EXECUTION_REPORT, i.UNIT, date(2026, 12, 30), "P10 (Regs 45)"),
        ),
        ("P10 (Regs 45): for government decisions local, off by default", government(), i.EXECUTION_REPORT, None),
        (
            "seed 000: a follow-up visit in the period",
            party(),
            i.FOLLOW_UP_VISIT,
            it(i.FOLLOW_UP_VISIT, i.UNIT_PARTY_ORGANISATION, date(2027, 6, 30), "seed 000 (local)"),
        ),
        ("seed 000: no visit after 开除党籍", party(EX, end=date(2031, 6, 30)), i.FOLLOW_UP_VISIT, None),
    ],
)
def test_items(rule, decision, kind, expected):
    assert item(decision, kind) == expected, rule


def test_g4_psl_22_a_village_directors_effect_feeds_the_allowance_cut():
    src = f.FactSource("unit", datetime(2026, 3, 1))
    facts = f.PersonFacts(
        "P-1",
        official=f.PublicOfficial(f.GRASSROOTS_MANAGER, False, src),
        service=f.Service(f.SERVING, None, src),
    )
    e = g.effect(GMD, date(2026, 4, 15), facts)
    found = i.items_for(i.government_decision(e), CAL)
    assert it(i.ALLOWANCE_CUT, i.TOWNSHIP, date(2026, 5, 15), "G4 (PSL 22)") in found
    assert it(i.PROMOTION_LOCK, i.HR, date(2027, 10, 15), "G7 (PSL 19-21)") in found


def test_p10_regs_45_government_execution_report_when_configured_local():
    rules = i.ItemRules(government_execution_report=True)
    assert item(government(), i.EXECUTION_REPORT, rules).due == date(2026, 10, 15)


def test_all_items_of_a_party_probation_in_the_tables_order():
    kinds = [x.kind for x in i.items_for(party(gains_found=True), CAL)]
    assert kinds == [
        i.DELIVER_PERSON,
        i.DELIVER_UNIT,
        i.ANNOUNCE,
        i.PERSONNEL_FILE,
        i.POST_PAY_CHANGE,
        i.PROMOTION_LOCK,
        i.NON_PARTY_POST_REMOVAL,
        i.CONFISCATION,
        i.EXECUTION_REPORT,
        i.FOLLOW_UP_VISIT,
    ]


@pytest.mark.parametrize(
    "decision, field",
    [
        (i.Decision(s.PARTY, GW, JUNE30), "sanction"),
        (i.Decision(s.GOVERNMENT, GD, JUNE30, JUNE30), "period_end"),
    ],
)
def test_bad_decisions_are_refused(decision, field):
    with pytest.raises(Validation, match=rf"^{field}: "):
        i.items_for(decision, CAL)


# --- the ledger (执行工作台账) -------------------------------------------------------------------------


def test_ledger_decision_2026_06_30_no_personnel_file_receipt_on_07_31_is_overdue_owner_archives():
    items = i.items_for(party(), CAL)
    done = {i.DELIVER_PERSON, i.DELIVER_UNIT, i.ANNOUNCE}
    rows = i.overdue(items, date(2026, 7, 31), done)
    assert [(r.item.kind, r.owner, r.days_over, r.cause) for r in rows] == [
        (i.NON_PARTY_POST_REMOVAL, i.ORG_DEPT, 1, None),
        (i.PERSONNEL_FILE, i.ARCHIVES, 1, None),
        (i.POST_PAY_CHANGE, i.ORG_DEPT, 1, None),
    ]
    assert not i.overdue(items, date(2026, 7, 30), done)  # due on 07-30, inclusive


@pytest.mark.parametrize("cause", i.CAUSES)
def test_ledger_overdue_items_carry_one_of_seed_000s_four_blockages(cause):
    items = i.items_for(party(), CAL)
    rows = i.overdue(items, date(2026, 7, 31), {i.DELIVER_PERSON, i.DELIVER_UNIT}, {i.PERSONNEL_FILE: cause})
    assert {r.item.kind: r.cause for r in rows}[i.PERSONNEL_FILE] == cause
    counts = i.count_by_cause(rows)
    assert counts[cause] == 1 and counts[""] == len(rows) - 1


@pytest.mark.parametrize(
    "causes, error",
    [
        ({i.PERSONNEL_FILE: "WEATHER"}, r"^cause: must be one of RULES_MISSING"),
        ({"LUNCH": i.RULES_MISSING}, r"^kind: "),
    ],
)
def test_ledger_refuses_unknown_causes_and_kinds(causes, error):
    with pytest.raises(Validation, match=error):
        i.overdue(i.items_for(party(), CAL), date(2026, 7, 31), (), causes)


def test_is_overdue_only_after_the_due_day_and_without_receipt():
    x = it(i.PERSONNEL_FILE, i.ARCHIVES, date(2026, 7, 30), "P9 (Regs 44)")
    assert i.is_overdue(x, date(2026, 7, 31), done=False)
    assert not i.is_overdue(x, date(2026, 7, 31), done=True)
    assert not i.is_overdue(x, date(2026, 7, 30), done=False)
