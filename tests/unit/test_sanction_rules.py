"""kernel.domain.sanctions against domain.md §4a (G1-G6) and §4b (P1, P6, P7): one table row per
rule and worked example, each citing its id and article."""

from datetime import datetime, timezone

import pytest

from kernel.domain import facts as f, sanctions as s
from kernel.domain.errors import IllegalState, Validation
from kernel.domain.facts import FactMissing

AT = datetime(2026, 3, 1, tzinfo=timezone.utc)
SRC = f.FactSource("organisation_department", AT)

W, SW, RM, PR, EX = s.PARTY_SANCTIONS
GW, GD, GMD, GDM, GRM, GDS = s.GOVERNMENT_SANCTIONS


def v(sanction: str, article: str = "Regs 28") -> s.Violation:
    return s.Violation(article, sanction)


def person(member=True, category=f.CIVIL_SERVANT, state_post=False, status=f.SERVING, pid="P-1") -> f.PersonFacts:
    return f.PersonFacts(
        pid,
        party=None if member is None else f.PartyMembership(member, SRC),
        official=None if category is None else f.PublicOfficial(category, state_post, SRC),
        service=None if status is None else f.Service(status, AT, SRC),
    )


# --- the families and G1 ------------------------------------------------------------------------------


def test_families_are_graded_lightest_first_p1_regs_8_and_g2_psl_7():
    assert [s.rank(x) for x in s.PARTY_SANCTIONS] == [0, 1, 2, 3, 4]
    assert [s.rank(x) for x in s.GOVERNMENT_SANCTIONS] == [0, 1, 2, 3, 4, 5]
    assert s.family_of(RM) == s.PARTY == "PARTY_SANCTION" and s.family_of(GDM) == s.GOVERNMENT
    assert s.FAMILIES == {s.PARTY: s.PARTY_SANCTIONS, s.GOVERNMENT: s.GOVERNMENT_SANCTIONS}
    with pytest.raises(Validation, match=r"^sanction: 'REPRIMAND' is no sanction"):
        s.family_of("REPRIMAND")
    with pytest.raises(Validation, match=r"^sanction:"):
        s.rank("")


@pytest.mark.parametrize(
    "rule, sanction, months",
    [
        ("G1 PSL 8: 警告 6 m", GW, 6),
        ("G1 PSL 8: 记过 12 m", GD, 12),
        ("G1 PSL 8: 记大过 18 m", GMD, 18),
        ("G1 PSL 8: 降级 24 m", GDM, 24),
        ("G1 PSL 8: 撤职 24 m", GRM, 24),
        ("G1 PSL 8: 开除 none", GDS, None),
    ],
)
def test_government_periods(rule, sanction, months):
    assert s.GOVERNMENT_PERIOD_MONTHS[sanction] == months, rule


# --- G2, G3, P6: several violations --------------------------------------------------------------------

G, P = s.GOVERNMENT, s.PARTY


@pytest.mark.parametrize(
    "rule, family, violations, decided, period, mitigation, expected",
    [
        ("SINGLE: one violation brings its own", G, [GD], GD, None, "", s.Combined(GD, None, "SINGLE")),
        ("SINGLE: one Party violation", P, [SW], SW, None, "", s.Combined(SW, None, "SINGLE")),
        ("G2 PSL 15: 记过 + 降级 → 降级", G, [GD, GDM], GDM, None, "", s.Combined(GDM, None, "G2")),
        ("G2 PSL 15: 开除 + 记过 → 开除", G, [GDS, GD], GDS, None, "", s.Combined(GDS, None, "G2")),
        ("G2 PSL 15: 2 × 开除 → 开除, no period", G, [GDS, GDS], GDS, None, "", s.Combined(GDS, None, "G2")),
        ("G3 PSL 15: 3 × 记大过 at 18 m (one period)", G, [GMD] * 3, GMD, 18, "", s.Combined(GMD, 18, "G3")),
        ("G3 PSL 15: 3 × 记大过 at 48 m (the cap)", G, [GMD] * 3, GMD, 48, "", s.Combined(GMD, 48, "G3")),
        ("G3 PSL 15: 2 × 警告 at 12 m (their sum)", G, [GW, GW], GW, 12, "", s.Combined(GW, 12, "G3")),
        ("G3 PSL 15: 2 × 撤职 at 30 m", G, [GRM, GRM], GRM, 30, "", s.Combined(GRM, 30, "G3")),
        ("G2+G3 PSL 15: 2 × 记大过 + 记过 → 记大过, 36 m", G, [GMD, GD, GMD], GMD, 36, "", s.Combined(GMD, 36, "G3")),
        ("P6 Regs 24: 严重警告 + 警告 → 撤销", P, [SW, W], RM, None, "", s.Combined(RM, None, "P6")),
        ("P6 Regs 24: 警告 + 警告 → 严重警告", P, [W, W], SW, None, "", s.Combined(SW, None, "P6")),
        ("P6 Regs 24: 留党察看 + 警告 → 开除党籍", P, [PR, W], EX, None, "", s.Combined(EX, None, "P6")),
        ("P6 Regs 24: 开除党籍 + 警告 → 开除党籍", P, [W, EX], EX, None, "", s.Combined(EX, None, "P6")),
        (
            "P6 Regs 24: 严重警告 + 警告 → 严重警告 with a recorded mitigation",
            P,
            [SW, W],
            SW,
            None,
            "  surrendered and returned the money  ",
            s.Combined(SW, None, "P6", "surrendered and returned the money"),
        ),
    ],
)
def test_lawful_combinations_are_accepted(rule, family, violations, decided, period, mitigation, expected):
    vs = [v(x) for x in violations]
    assert s.combine(family, vs, decided, period_months=period, mitigation=mitigation) == expected, rule
    assert expected.mitigation or s.lawful_combinations(family, vs) == (decided,), rule


@pytest.mark.parametrize(
    "rule, family, violations, decided, period, mitigation, error",
    [
        ("SINGLE: another sanction than assessed", G, [GD], GMD, None, "", r"^sanction: one violation \(Regs 28\)"),
        ("G1 PSL 8: one sanction's period is statutory", G, [GD], GD, 10, "", r"^period_months: G1 \(PSL 8\)"),
        ("SINGLE: nothing to mitigate", P, [SW], SW, None, "why", r"^mitigation:"),
        (
            "G2 PSL 15: 记过 + 降级 → not 记过",
            G,
            [GD, GDM],
            GD,
            None,
            "",
            r"^sanction: G2 \(PSL 15\).*GOVERNMENT_DEMOTION",
        ),
        ("G2 PSL 15: 开除 + 记过 → not 撤职", G, [GDS, GD], GRM, None, "", r"^sanction: G2 \(PSL 15\)"),
        ("G2 PSL 15: a period only under G3", G, [GD, GDM], GDM, 30, "", r"^period_months: G1 \(PSL 8\)"),
        ("G2 PSL 15: 2 × 开除 has no period", G, [GDS, GDS], GDS, 12, "", r"^period_months: G1"),
        ("G2 PSL 15: no mitigation", G, [GD, GDM], GDM, None, "why", r"^mitigation: G2 \(PSL 15\)"),
        ("G3 PSL 15: 3 × 记大过 at 54 m refused", G, [GMD] * 3, GMD, 54, "", r"^period_months: G3 \(PSL 15\).*18-48"),
        ("G3 PSL 15: 3 × 记大过 at 17 m refused", G, [GMD] * 3, GMD, 17, "", r"^period_months: G3 \(PSL 15\): 17"),
        ("G3 PSL 15: 2 × 警告 beyond their sum", G, [GW, GW], GW, 13, "", r"^period_months: G3 .*6-12"),
        (
            "G3 PSL 15: the period is required",
            G,
            [GMD] * 3,
            GMD,
            None,
            "",
            r"^period_months: G3 .*decide a period of 18-48",
        ),
        ("P6 Regs 24: 严重警告 + 警告, 严重警告 unmitigated", P, [SW, W], SW, None, "", r"^mitigation: P6 \(Regs 24\)"),
        ("P6 Regs 24: never lighter than the heaviest", P, [SW, W], W, None, "why", r"^sanction: P6 .*never lighter"),
        ("P6 Regs 24: one grade, not two", P, [SW, W], PR, None, "", r"^sanction: P6 .*PARTY_REMOVAL_FROM_POSTS"),
        ("P6 Regs 24: expulsion-level → expulsion", P, [EX, W], PR, None, "why", r"^sanction: P6 .*PARTY_EXPULSION"),
        ("P6 Regs 24: nothing to mitigate at the lawful one", P, [SW, W], RM, None, "why", r"^mitigation: P6"),
        ("Regs: a Party sanction has no decided period", P, [SW, W], RM, 12, "", r"^period_months:"),
        ("family: a sanction of the other family", P, [SW, W], GDM, None, "", r"^sanction: a PARTY_SANCTION must be"),
        ("violations: of the other family", G, [GD, SW], GD, None, "", r"^violations\[1\]\.sanction:"),
        ("violations: at least one", G, [], GD, None, "", r"^violations: at least one"),
    ],
)
def test_unlawful_combinations_are_refused(rule, family, violations, decided, period, mitigation, error):
    with pytest.raises(Validation, match=error):
        s.combine(family, [v(x) for x in violations], decided, period_months=period, mitigation=mitigation)


def test_a_violation_names_its_article_and_the_family_must_be_known():
    with pytest.raises(Validation, match=r"^violations\[1\]\.article: must not be empty"):
        s.combine(G, [v(GD), s.Violation(" ", GD)], GD, period_months=12)
    with pytest.raises(Validation, match=r"^family:"):
        s.lawful_combinations("ACCOUNTABILITY", [v(GD)])


# --- P1, G4-G6: who may receive what -------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, sanction, facts, serious, consequences",
    [
        ("P1 Regs 8: a member, a Party sanction", RM, person(), False, ()),
        ("P1 Regs 8: a member, no office", EX, person(category=None, status=None), False, ()),
        ("PSL 2: a civil servant, any government sanction", GDS, person(member=None), False, ()),
        (
            "G4 PSL 22: 记大过 for a village director → ALLOWANCE_CUT",
            GMD,
            person(category=f.GRASSROOTS_MANAGER),
            False,
            ("ALLOWANCE_CUT",),
        ),
        (
            "G4 PSL 22: 警告 for a village director → ALLOWANCE_CUT",
            GW,
            person(category=f.GRASSROOTS_MANAGER),
            False,
            ("ALLOWANCE_CUT",),
        ),
        ("G5 PSL 23: 记过 for a 15(6) person", GD, person(category=f.OTHER_PUBLIC_DUTY), False, ()),
        (
            "G5 PSL 23: serious → recommendation to the unit",
            GMD,
            person(category=f.OTHER_PUBLIC_DUTY),
            True,
            ("UNIT_RECOMMENDATION",),
        ),
        (
            "G5 PSL 23: 15(2) without a state post, serious",
            GW,
            person(category=f.PUBLIC_AFFAIRS),
            True,
            ("UNIT_RECOMMENDATION",),
        ),
        (
            "G5 PSL 23: 15(2) with a state post is not limited",
            GRM,
            person(category=f.PUBLIC_AFFAIRS, state_post=True),
            True,
            (),
        ),
        ("G4/G5 do not limit an SOE manager", GDM, person(category=f.SOE_MANAGER), False, ()),
    ],
)
def test_eligible(rule, sanction, facts, serious, consequences):
    assert s.check_eligible(sanction, facts, serious=serious) == consequences, rule


@pytest.mark.parametrize(
    "rule, sanction, facts, error",
    [
        ("P1 Regs 8: non-member → refused", W, person(member=False), r"^sanction: P1 \(Regs 8\).*P-1 is not a member"),
        (
            "G4 PSL 22: 降级 for a village director → refused",
            GDM,
            person(category=f.GRASSROOTS_MANAGER),
            r"^sanction: G4 \(PSL 22\).*not GOVERNMENT_DEMOTION",
        ),
        (
            "G5 PSL 23: 撤职 for a 15(6) person → refused",
            GRM,
            person(category=f.OTHER_PUBLIC_DUTY),
            r"^sanction: G5 \(PSL 23\).*not GOVERNMENT_REMOVAL; if serious, the unit acts on a recommendation",
        ),
        (
            "G5 PSL 23: 降级 for 15(2) without a state post",
            GDM,
            person(category=f.PUBLIC_AFFAIRS),
            r"^sanction: G5 \(PSL 23\)",
        ),
        (
            "G6 PSL 27: 记过 for a retiree → refused",
            GD,
            person(status=f.RETIRED),
            r"^sanction: G6 \(PSL 27\): P-1 is retired.*BENEFIT_ADJUSTMENT",
        ),
        ("G6 PSL 27: left office", GW, person(status=f.LEFT), r"^sanction: G6 \(PSL 27\): P-1 has left office"),
        ("G6 PSL 27: deceased", GDS, person(status=f.DECEASED), r"^sanction: G6 \(PSL 27\)"),
        ("PSL 2: not a public official", GW, person(category=f.NONE), r"^sanction: PSL 2 \(SL 15\)"),
        ("unknown word", "CAUTION", person(), r"^sanction: 'CAUTION' is no sanction"),
    ],
)
def test_not_eligible(rule, sanction, facts, error):
    with pytest.raises(Validation, match=error):
        s.check_eligible(sanction, facts)


@pytest.mark.parametrize(
    "rule, sanction, facts, fact",
    [
        ("P1 Regs 8 needs Party membership", W, person(member=None), "party"),
        ("G6 PSL 27 needs the service status", GW, person(status=None), "service"),
        ("G4/G5 need the SL 15 category", GW, person(category=None), "official"),
    ],
)
def test_missing_facts_are_a_failed_precondition_naming_them(rule, sanction, facts, fact):
    with pytest.raises(FactMissing, match=rf"^facts\.{fact}: ") as e:
        s.check_eligible(sanction, facts)
    assert isinstance(e.value, IllegalState) and e.value.fact == fact, rule


@pytest.mark.parametrize(
    "rule, level, consequences",
    [
        ("G6 PSL 27: 撤职-level → BENEFIT_ADJUSTMENT", GRM, ("BENEFIT_ADJUSTMENT",)),
        ("G6 PSL 27: 降级-level → BENEFIT_ADJUSTMENT", GDM, ("BENEFIT_ADJUSTMENT",)),
        ("G6 PSL 27: 开除-level → BENEFIT_ADJUSTMENT", GDS, ("BENEFIT_ADJUSTMENT",)),
        ("G6 PSL 27: 记大过-level → nothing", GMD, ()),
    ],
)
def test_a_finding_for_a_retiree_adjusts_benefits_from_demotion_level(rule, level, consequences):
    assert s.finding_without_sanction(level, person(status=f.RETIRED)) == consequences, rule


def test_a_finding_without_sanction_is_only_for_those_no_longer_serving():
    with pytest.raises(Validation, match=r"^sanction: G6 \(PSL 27\): P-1 still serves"):
        s.finding_without_sanction(GRM, person())
    with pytest.raises(Validation, match=r"^sanction: G6 .*not PARTY_WARNING"):
        s.finding_without_sanction(W, person(status=f.RETIRED))
    with pytest.raises(FactMissing, match=r"^facts\.service"):
        s.finding_without_sanction(GRM, person(status=None))


# --- P7, PC 43, PSL 43: hearings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule, heard, decided, again, sentences",
    [
        (
            "P7 PC 43: no hearing recorded → hear",
            {},
            {("P-1", P): W},
            ("P-1",),
            ["P-1 gets PARTY_WARNING where no PARTY_SANCTION was before"],
        ),
        (
            "PSL 43: no hearing recorded → hear",
            {},
            {("P-2", G): GW},
            ("P-2",),
            ["P-2 gets GOVERNMENT_WARNING where no GOVERNMENT_SANCTION was before"],
        ),
        ("PSL 43: as heard → nobody", {("P-1", G): GD}, {("P-1", G): GD}, (), []),
        ("PC 43: lighter than heard → nobody", {("P-1", P): RM}, {("P-1", P): SW}, (), []),
        ("PSL 43: dropped → nobody", {("P-1", G): GD, ("P-1", P): W}, {("P-1", P): W}, (), []),
        (
            "PSL 43: heavier on other grounds → hear again",
            {("P-1", G): GD},
            {("P-1", G): GMD},
            ("P-1",),
            ["P-1 gets GOVERNMENT_MAJOR_DEMERIT, heavier than GOVERNMENT_DEMERIT"],
        ),
        (
            "PC 43: a family not heard on → hear again",
            {("P-1", G): GD},
            {("P-1", G): GD, ("P-1", P): W},
            ("P-1",),
            ["P-1 gets PARTY_WARNING where no PARTY_SANCTION was before"],
        ),
        (
            "PC 43, PSL 43: several persons, sorted",
            {("P-3", G): GD, ("P-1", P): SW},
            {("P-3", G): GRM, ("P-2", P): W, ("P-1", P): SW},
            ("P-2", "P-3"),
            [
                "P-2 gets PARTY_WARNING where no PARTY_SANCTION was before",
                "P-3 gets GOVERNMENT_REMOVAL, heavier than GOVERNMENT_DEMERIT",
            ],
        ),
    ],
)
def test_hearing_before_any_sanction_and_again_when_heavier(rule, heard, decided, again, sentences):
    assert s.to_hear_again(heard, decided) == again, rule
    assert s.heavier(heard, decided) == sentences, rule


def test_a_sanction_filed_under_the_other_family_is_refused():
    with pytest.raises(Validation, match=r"^sanction: GOVERNMENT_WARNING is no PARTY_SANCTION"):
        s.heavier({}, {("P-1", P): GW})
