"""services.sanctions.domain.government against domain.md §4a (G1-G14): one table row per rule and
worked example, each citing its id and article."""

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from kernel.domain import facts as f, sanctions as s
from kernel.domain.calendar import WorkingCalendar
from kernel.domain.errors import IllegalState, Validation
from services.sanctions.domain import government as g

AT = datetime(2026, 3, 1, tzinfo=timezone.utc)
SRC = f.FactSource("organisation_department", AT)
GW, GD, GMD, GDM, GRM, GDS = s.GOVERNMENT_SANCTIONS
CAL = WorkingCalendar()  # weekends only: the rules' arithmetic, not a year's holidays
ROUTE = g.ReviewRoute("the county commission (复审)", "the city commission (复核)")


def post(**kw) -> f.Post:
    flags = dict(party_post=False, party_congress_delegate=False, congress_deputy=False, cppcc_member=False)
    flags.update(kw)
    return f.Post("deputy director", elected_or_appointed=flags.pop("elected_or_appointed", False), source=SRC, **flags)


def person(category=f.CIVIL_SERVANT, status=f.SERVING, posts=(), pid="P-1") -> f.PersonFacts:
    return f.PersonFacts(
        pid,
        party=f.PartyMembership(True, SRC),
        official=None if category is None else f.PublicOfficial(category, False, SRC),
        service=None if status is None else f.Service(status, AT, SRC),
        posts=tuple(posts),
    )


# --- effects that take hold: G1, G3, G4, G5, G7, G8, G11 (notify), G12 -------------------------------


@pytest.mark.parametrize(
    "rule, sanction, decided_on, kw, end, locks",
    [
        ("G1 (PSL 7, 8): 警告 6 m", GW, date(2026, 3, 10), {}, date(2026, 9, 10), (g.PROMOTION_LOCK,)),
        (
            "G1 (PSL 7, 8): 记过 2026-03-10 → ends 2027-03-10",
            GD,
            date(2026, 3, 10),
            {},
            date(2027, 3, 10),
            (g.PROMOTION_LOCK, g.PAY_STEP_LOCK),
        ),
        (
            "G1 (PSL 7, 8): 记大过 18 m",
            GMD,
            date(2026, 3, 10),
            {},
            date(2027, 9, 10),
            (g.PROMOTION_LOCK, g.PAY_STEP_LOCK),
        ),
        (
            "G1 (PSL 7, 8): 降级 24 m, month end clamped",
            GDM,
            date(2026, 2, 28),
            {},
            date(2028, 2, 28),
            (g.PROMOTION_LOCK, g.PAY_STEP_LOCK, g.RANK_PAY_LOWERED),
        ),
        (
            "G7 (PSL 19-21): 撤职 lowers post, rank and pay",
            GRM,
            date(2026, 4, 15),
            {},
            date(2028, 4, 15),
            (g.PROMOTION_LOCK, g.PAY_STEP_LOCK, g.POST_RANK_PAY_LOWERED),
        ),
        (
            "G3 (PSL 15): 3 × 记大过 at 36 m accepted",
            GMD,
            date(2026, 3, 10),
            {"decided_months": 36},
            date(2029, 3, 10),
            (g.PROMOTION_LOCK, g.PAY_STEP_LOCK),
        ),
    ],
)
def test_effect_period_and_locks(rule, sanction, decided_on, kw, end, locks):
    e = g.effect(sanction, decided_on, person(), **kw)
    assert (e.start, e.end, e.locks) == (decided_on, end, locks), rule
    assert e.in_force(decided_on) and not e.in_force(end), rule
    assert e.employment_ends is None and not e.permanent_bar, rule


def test_g7_psl_19_warning_locks_promotion_demerit_adds_the_pay_step():
    assert g.locks(GW) == (g.PROMOTION_LOCK,)
    assert g.locks(GD) == (g.PROMOTION_LOCK, g.PAY_STEP_LOCK)


def test_g8_psl_24_26_dismissal_ends_employment_on_the_effective_date_with_a_permanent_bar():
    e = g.effect(GDS, date(2026, 5, 1), person())
    assert (e.end, e.months, e.locks) == (None, None, ())
    assert e.employment_ends == date(2026, 5, 1) and e.permanent_bar
    assert e.in_force(date(2099, 1, 1))


@pytest.mark.parametrize(
    "rule, facts, serious, consequences",
    [
        (
            "G4 (PSL 22): 记大过 for a village director → + ALLOWANCE_CUT",
            person(f.GRASSROOTS_MANAGER),
            False,
            ("ALLOWANCE_CUT",),
        ),
        (
            "G5 (PSL 23): a 15(6) person, serious → unit recommendation",
            person(f.OTHER_PUBLIC_DUTY),
            True,
            ("UNIT_RECOMMENDATION",),
        ),
    ],
)
def test_consequences_come_from_the_kernels_eligibility(rule, facts, serious, consequences):
    assert g.effect(GMD, date(2026, 3, 10), facts, serious=serious).consequences == consequences, rule


def test_g11_psl_50_deputies_and_cppcc_members_sanctions_are_notified_to_their_body():
    facts = person(posts=[post(congress_deputy=True), post(cppcc_member=True)])
    assert g.effect(GW, date(2026, 3, 10), facts).notify == (g.PEOPLES_CONGRESS, g.CPPCC)
    assert g.effect(GW, date(2026, 3, 10), person()).notify == ()


def test_g11_psl_50_removal_of_an_appointee_takes_effect_once_removal_from_office_is_recorded():
    facts = person(posts=[post(elected_or_appointed=True)])
    e = g.effect(GRM, date(2026, 4, 15), facts, removal_from_office_recorded=True)
    assert e.end == date(2028, 4, 15)
    assert g.effect(GMD, date(2026, 4, 15), facts).end == date(2027, 10, 15)  # lighter: not blocked


def test_g12_psl_14_suspended_sentence_for_an_intentional_crime_brings_dismissal():
    crime = g.Conviction(True, "SUSPENDED", "(2026) 京0105刑初1号")
    assert g.effect(GDS, date(2026, 6, 1), person(), conviction=crime).permanent_bar
    assert g.effect(GRM, date(2026, 6, 1), person(), conviction=replace(crime, intentional=False)).end


def test_g12_psl_49_a_changed_judgment_is_re_decided():
    crime = g.Conviction(True, "FIXED_TERM", "(2026) 京0105刑初1号")
    assert g.redecide(crime, replace(crime, sentence="SUSPENDED"))
    assert g.redecide(crime, None)
    assert not g.redecide(crime, crime)


# --- refusals: G1, G3, G4, G5, G6, G11, G12, G13 ----------------------------------------------------------


@pytest.mark.parametrize(
    "rule, sanction, facts, kw, error",
    [
        ("G1 (PSL 7, 8): a Party word", "PARTY_WARNING", person(), {}, r"^sanction: refused by G1 \(PSL 7, 8\)"),
        (
            "G3 (PSL 15): 3 × 记大过 at 54 m → refused",
            GMD,
            person(),
            {"decided_months": 54},
            r"^period_months: refused by G3 \(PSL 15\): 54 months is outside 18-48",
        ),
        (
            "G8 (PSL 8): 开除 has no period to decide",
            GDS,
            person(),
            {"decided_months": 24},
            r"^period_months: refused by G8",
        ),
        (
            "G4 (PSL 22): 降级 for a village director → refused",
            GDM,
            person(f.GRASSROOTS_MANAGER),
            {},
            r"^sanction: refused by G4 \(PSL 22\)",
        ),
        (
            "G5 (PSL 23): 撤职 for a 15(6) person → refused",
            GRM,
            person(f.OTHER_PUBLIC_DUTY),
            {},
            r"^sanction: refused by G5 \(PSL 23\)",
        ),
        (
            "G6 (PSL 27): 记过 for a retiree → refused",
            GD,
            person(status=f.RETIRED),
            {},
            r"^sanction: refused by G6 \(PSL 27\): P-1 is retired",
        ),
        (
            "G12 (PSL 14): 撤职 after an intentional crime → refused",
            GRM,
            person(),
            {"conviction": g.Conviction(True, "SUSPENDED", "(2026) 京0105刑初1号")},
            r"^sanction: refused by G12 \(PSL 14\).*brings GOVERNMENT_DISMISSAL, not GOVERNMENT_REMOVAL",
        ),
    ],
)
def test_refused(rule, sanction, facts, kw, error):
    with pytest.raises(Validation, match=error):
        g.effect(sanction, date(2026, 3, 10), facts, **kw)


@pytest.mark.parametrize("sanction", [GRM, GDS])
def test_g11_psl_50_removal_or_dismissal_of_an_appointee_is_blocked_until_removal_from_office(sanction):
    facts = person(posts=[post(elected_or_appointed=True)])
    with pytest.raises(IllegalState, match=r"^refused by G11 \(PSL 50\): P-1 holds deputy director") as e:
        g.effect(sanction, date(2026, 4, 15), facts)
    assert e.value.current_state == "removal from office not recorded"


def test_facts_the_rules_need_are_named_missing():
    with pytest.raises(f.FactMissing, match=r"^facts\.service: "):
        g.effect(GD, date(2026, 3, 10), person(status=None))


# --- G9, G10: the lift --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, sanction, ended, kept",
    [
        ("G9 (PSL 26): G1, nothing new → Lifted 2027-03-10", GD, (g.PROMOTION_LOCK, g.PAY_STEP_LOCK), ()),
        (
            "G9 (PSL 26): 撤职's post, rank and pay are not restored",
            GRM,
            (g.PROMOTION_LOCK, g.PAY_STEP_LOCK),
            (g.POST_RANK_PAY_LOWERED,),
        ),
        (
            "G9 (PSL 26): 降级's rank and pay are not restored",
            GDM,
            (g.PROMOTION_LOCK, g.PAY_STEP_LOCK),
            (g.RANK_PAY_LOWERED,),
        ),
    ],
)
def test_lift(rule, sanction, ended, kept):
    e = g.effect(sanction, date(2026, 3, 10), person())
    lifted = g.lift(e, e.end, open_case=False)
    assert (lifted.on, lifted.locks_ended, lifted.not_restored) == (e.end, ended, kept), rule
    if sanction == GD:
        assert lifted.on == date(2027, 3, 10), rule


@pytest.mark.parametrize(
    "rule, sanction, on, open_case, error",
    [
        (
            "G10 (PSL 13, 26): case open on 2027-03-10 → no lift",
            GD,
            date(2027, 3, 10),
            True,
            r"^refused by G10 \(PSL 13, 26\)",
        ),
        (
            "G9 (PSL 26): not before the period's end",
            GD,
            date(2027, 3, 9),
            False,
            r"^refused by G9 \(PSL 26\): .* lifts on 2027-03-10",
        ),
        ("G8 (PSL 24, 26): 开除 never lifts", GDS, date(2030, 1, 1), False, r"^refused by G8 \(PSL 24, 26\)"),
    ],
)
def test_no_lift(rule, sanction, on, open_case, error):
    e = g.effect(sanction, date(2026, 3, 10), person())
    with pytest.raises(IllegalState, match=error):
        g.lift(e, on, open_case=open_case)


# --- G13, G14: the document, delivery, HR ------------------------------------------------------------


def test_g13_psl_45_the_document_states_the_review_route():
    assert g.check_document(ROUTE) is ROUTE
    for bad in (None, replace(ROUTE, review_body=" "), replace(ROUTE, recheck_body="")):
        with pytest.raises(Validation, match=r"^review_route: refused by G13 \(PSL 45\)"):
            g.check_document(bad)
    with pytest.raises(Validation, match=r"^review_route\.apply_within_months: refused by G13"):
        g.check_document(replace(ROUTE, apply_within_months=2))


def test_g13_psl_46_delivery_due_in_5_working_days_local():
    assert g.delivery_due(date(2026, 3, 10), CAL) == date(2026, 3, 17)  # Tue + 5 working days
    assert g.delivery_due(date(2026, 3, 10), CAL, g.GovernmentRules(delivery_working_days=3)) == date(2026, 3, 13)


def test_g14_psl_54_removal_2026_04_15_post_and_pay_due_05_15_at_most_10_15():
    assert g.changes_post_and_pay(GRM) and g.changes_post_and_pay(GDM) and not g.changes_post_and_pay(GMD)
    assert g.post_pay_due(date(2026, 4, 15)) == (date(2026, 5, 15), date(2026, 10, 15))


@pytest.mark.parametrize(
    "kw, field",
    [({"delivery_working_days": -1}, "delivery_working_days"), ({"post_pay_months": 7}, "post_pay_months")],
)
def test_local_rules_are_checked(kw, field):
    with pytest.raises(Validation, match=rf"^{field}: "):
        g.GovernmentRules(**kw)
