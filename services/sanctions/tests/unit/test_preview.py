"""services.sanctions.domain.preview (issue 21 point 2, PreviewDecision): one row per rule ID,
citing its article, with domain.md's worked examples (§4a, §4b, §4d)."""

from datetime import date, datetime, timezone

import pytest

from kernel.domain import facts as f, sanctions as s
from kernel.domain.calendar import WorkingCalendar
from kernel.domain.errors import IllegalState, Validation
from services.sanctions.domain import preview as pv

AT = datetime(2026, 1, 5, tzinfo=timezone.utc)
SRC = f.FactSource("organisation_department", AT)
CAL = WorkingCalendar()  # weekends only
GW, GD, GMD, GDM, GRM, GDS = s.GOVERNMENT_SANCTIONS
PW, PSW, PRM, PPR, PEX = s.PARTY_SANCTIONS
GOV, PARTY = s.GOVERNMENT, s.PARTY


def person(category=f.CIVIL_SERVANT, posts=()) -> f.PersonFacts:
    return f.PersonFacts(
        "P-1",
        party=f.PartyMembership(True, SRC),
        official=f.PublicOfficial(category, False, SRC),
        service=f.Service(f.SERVING, AT, SRC),
        posts=tuple(posts),
    )


def v(*sanctions: str) -> tuple[s.Violation, ...]:
    return tuple(s.Violation(f"art. {i}", x) for i, x in enumerate(sanctions, 1))


def kinds(p: pv.Preview) -> dict[str, tuple]:
    return {i.kind: (i.owner, i.due, i.latest_due, i.rule) for i in p.items}


def test_g1_demerit_worked_example_runs_twelve_months_with_g7_locks_and_4d_items():
    """G1 (PSL 8), G7 (PSL 19-21), §4d: 记过 decided 2026-03-10 → in force until 2027-03-10."""
    p = pv.preview(GOV, person(), v(GD), GD, date(2026, 3, 10), CAL)
    assert (p.sanction, p.rule, p.start, p.end, p.period_months) == (
        GD,
        "SINGLE",
        date(2026, 3, 10),
        date(2027, 3, 10),
        12,
    )
    assert [(x.kind, x.until, x.rule) for x in p.locks] == [
        ("PROMOTION_LOCK", date(2027, 3, 10), "G7 (PSL 19-21)"),
        ("PAY_STEP_LOCK", date(2027, 3, 10), "G7 (PSL 19-21)"),
    ]
    k = kinds(p)
    assert k["DELIVER_PERSON"][1:] == (date(2026, 3, 17), date(2026, 3, 17), "G13 (PSL 46)")  # 5 working days
    assert k["PERSONNEL_FILE"][1:] == (date(2026, 4, 10), date(2026, 4, 10), "G14 (PSL 54)")
    assert "POST_PAY_CHANGE" not in k  # 记过 changes neither post nor pay (G7)
    assert k["PROMOTION_LOCK"][1] == date(2027, 3, 10)


def test_p2_serious_warning_worked_example_runs_eighteen_months():
    """P2 (Regs 10): 严重警告 approved 2026-02-28 → 2027-08-28; P9 (Regs 44) items within a month."""
    p = pv.preview(PARTY, person(), v(PSW), PSW, date(2026, 2, 28), CAL)
    assert (p.sanction, p.end, p.period_months) == (PSW, date(2027, 8, 28), 18)
    assert {x.kind for x in p.locks} == {"NO_PARTY_PROMOTION", "NO_HIGHER_NON_PARTY_POST"}
    assert kinds(p)["ANNOUNCE"][1:] == (date(2026, 3, 28), date(2026, 3, 28), "P9 (Regs 44)")


def test_g3_identical_sanctions_take_the_decided_period():
    """G3 (PSL 15): two 记过, 20 months decided → in force 20 months."""
    p = pv.preview(GOV, person(), v(GD, GD), GD, date(2026, 3, 10), CAL, period_months=20)
    assert (p.rule, p.period_months, p.end) == ("G3", 20, date(2027, 11, 10))


def test_g2_heaviest_type_applies():
    """G2 (PSL 15): 警告 + 记大过 → 记大过 (18 months)."""
    p = pv.preview(GOV, person(), v(GW, GMD), GMD, date(2026, 3, 10), CAL)
    assert (p.sanction, p.rule, p.period_months) == (GMD, "G2", 18)


def test_p6_combined_at_the_heavier_grade():
    """P6 (Regs 24): 严重警告 + 警告 → 撤销党内职务 for a member with a Party post."""
    secretary = person(posts=[f.Post("secretary", True, False, False, False, True, SRC)])
    p = pv.preview(PARTY, secretary, v(PSW, PW), PRM, date(2026, 3, 10), CAL)
    assert (p.sanction, p.rule) == (PRM, "P6")


def test_g4_allowance_cut_for_a_village_director():
    """G4 (PSL 22): 记大过 for a village director → the township cuts allowances (§4d)."""
    p = pv.preview(GOV, person(f.GRASSROOTS_MANAGER), v(GMD), GMD, date(2026, 3, 10), CAL)
    assert p.consequences == ("ALLOWANCE_CUT",)
    assert kinds(p)["ALLOWANCE_CUT"][3] == "G4 (PSL 22)"


def test_g8_dismissal_has_no_period_and_a_permanent_bar():
    """G8 (PSL 8): 开除 has no period; employment ends; a permanent bar."""
    p = pv.preview(GOV, person(), v(GDS), GDS, date(2026, 3, 10), CAL)
    assert (p.end, p.period_months) == (None, None)
    assert [(x.kind, x.until) for x in p.locks] == [("PERMANENT_BAR", None)]


@pytest.mark.parametrize(
    "rule, family, facts, violations, decided, kw, error, message",
    [
        (
            "G4 (PSL 22): 降级 for a village director",
            GOV,
            person(f.GRASSROOTS_MANAGER),
            v(GDM),
            GDM,
            {},
            Validation,
            r"^sanction: refused by G4 \(PSL 22\)",
        ),
        (
            "P6 (Regs 24): 严重警告 + 警告 decided 严重警告",
            PARTY,
            person(),
            v(PSW, PW),
            PSW,
            {},
            Validation,
            r"^mitigation: refused by P6 \(Regs 24\)",
        ),
        (
            "G2 (PSL 15): lighter than the heaviest",
            GOV,
            person(),
            v(GW, GMD),
            GD,
            {},
            Validation,
            r"^sanction: refused by G2",
        ),
        (
            "G3 (PSL 15): beyond 48 months",
            GOV,
            person(),
            v(GD, GD),
            GD,
            {"period_months": 50},
            Validation,
            r"^period_months: refused by G3",
        ),
        (
            "P1 (Regs 8): a government word in the Party family",
            PARTY,
            person(),
            v(GD),
            GD,
            {},
            Validation,
            r"^violations\[0\]\.sanction",
        ),
        (
            "P3 (Regs 11): 撤销 without a Party post",
            PARTY,
            person(),
            v(PRM),
            PRM,
            {},
            Validation,
            r"^sanction: refused by P3 \(Regs 11\)",
        ),
        (
            "P7 (PC 43): heard on a lighter sanction",
            PARTY,
            person(),
            v(PSW),
            PSW,
            {"heard_on": PW},
            IllegalState,
            r"refused by P7 \(PC 43\)",
        ),
        (
            "P2 (Regs 12): 留党察看 of 18 months",
            PARTY,
            person(),
            v(PPR),
            PPR,
            {"period_months": 18},
            Validation,
            r"^probation_months: refused by P2 \(Regs 12\)",
        ),
        ("family: neither", "OTHER", person(), v(GD), GD, {}, Validation, r"^family: "),
        ("violations: none", GOV, person(), (), GD, {}, Validation, r"^violations: "),
    ],
)
def test_refusals_name_the_rule_and_article(rule, family, facts, violations, decided, kw, error, message):
    with pytest.raises(error, match=message):
        pv.preview(family, facts, violations, decided, date(2026, 3, 10), CAL, **kw)


def test_g11_removal_from_office_not_recorded_is_failed_precondition():
    """G11 (PSL 50): 撤职 of a congress-appointed official waits for the removal from office."""
    appointed = person(posts=[f.Post("county head", False, False, False, False, True, SRC)])
    with pytest.raises(IllegalState, match=r"refused by G11 \(PSL 50\)"):
        pv.preview(GOV, appointed, v(GRM), GRM, date(2026, 3, 10), CAL)
    p = pv.preview(GOV, appointed, v(GRM), GRM, date(2026, 3, 10), CAL, removal_from_office_recorded=True)
    assert p.period_months == 24
