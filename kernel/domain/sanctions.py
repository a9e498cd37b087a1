"""Sanctions (处分) by the law: their families and grades, combining several violations, who may
receive which, and when a person must be heard (again). Pure: no I/O. Applied by the cases service
at disposal and by the sanctions service at issue, so the two never drift (domain.md §3, §4a, §4b).

Each family is listed lightest first, so a sanction's index is its grade within its family; the two
families are never compared with each other (a person may receive one of each).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kernel.domain import facts as f
from kernel.domain.checks import text
from kernel.domain.errors import Validation

# P1 (Regs 8): 警告 < 严重警告 < 撤销党内职务 < 留党察看 < 开除党籍.
PARTY_SANCTIONS = (
    "PARTY_WARNING",
    "PARTY_SERIOUS_WARNING",
    "PARTY_REMOVAL_FROM_POSTS",
    "PARTY_PROBATION",
    "PARTY_EXPULSION",
)
# G2 (PSL 7): 警告 < 记过 < 记大过 < 降级 < 撤职 < 开除.
GOVERNMENT_SANCTIONS = (
    "GOVERNMENT_WARNING",
    "GOVERNMENT_DEMERIT",
    "GOVERNMENT_MAJOR_DEMERIT",
    "GOVERNMENT_DEMOTION",
    "GOVERNMENT_REMOVAL",
    "GOVERNMENT_DISMISSAL",
)
PARTY, GOVERNMENT = "PARTY_SANCTION", "GOVERNMENT_SANCTION"  # the two families (= case outcome kinds)
FAMILIES = {PARTY: PARTY_SANCTIONS, GOVERNMENT: GOVERNMENT_SANCTIONS}

# G1 (PSL 8): the period of each government sanction, in months; 开除 has none.
GOVERNMENT_PERIOD_MONTHS: dict[str, int | None] = {
    "GOVERNMENT_WARNING": 6,
    "GOVERNMENT_DEMERIT": 12,
    "GOVERNMENT_MAJOR_DEMERIT": 18,
    "GOVERNMENT_DEMOTION": 24,
    "GOVERNMENT_REMOVAL": 24,
    "GOVERNMENT_DISMISSAL": None,
}
MAX_COMBINED_MONTHS = 48  # G3 (PSL 15): several identical sanctions, at most 48 months in all
# G4 (PSL 22), G5 (PSL 23): the only government sanctions for those persons.
LIMITED_SANCTIONS = ("GOVERNMENT_WARNING", "GOVERNMENT_DEMERIT", "GOVERNMENT_MAJOR_DEMERIT")
# G6 (PSL 27): a finding at this grade or heavier, for a person no longer serving, adjusts benefits.
BENEFIT_ADJUSTMENT_FROM = "GOVERNMENT_DEMOTION"
NOT_SERVING = (f.RETIRED, f.LEFT, f.DECEASED)
_IS = {f.RETIRED: "is retired", f.LEFT: "has left office", f.DECEASED: "is deceased"}

# Consequences a sanction brings (execution items, domain.md §4d).
ALLOWANCE_CUT = "ALLOWANCE_CUT"  # G4: the county or township government cuts allowances
UNIT_RECOMMENDATION = "UNIT_RECOMMENDATION"  # G5: if serious, the unit cuts pay, reassigns or dismisses
BENEFIT_ADJUSTMENT = "BENEFIT_ADJUSTMENT"  # G6: benefits adjusted for a person no longer serving

SINGLE, G2, G3, P6 = "SINGLE", "G2", "G3", "P6"


def family_of(sanction: str) -> str:
    """PARTY or GOVERNMENT; Validation("sanction") for a word of neither."""
    for family, words in FAMILIES.items():
        if sanction in words:
            return family
    raise Validation(
        "sanction", f"{sanction!r} is no sanction; one of {', '.join(PARTY_SANCTIONS + GOVERNMENT_SANCTIONS)}"
    )


def rank(sanction: str) -> int:
    """The sanction's grade within its family, 0 the lightest."""
    return FAMILIES[family_of(sanction)].index(sanction)


@dataclass(frozen=True)
class Violation:
    """One violation of one person, assessed on its own (G2: PSL 15 分别确定; P6: Regs 24)."""

    article: str  # the article it breaks, e.g. "Regs 28"; required
    sanction: str  # the sanction this violation alone would bring (a word of either family)
    detail: str = ""


@dataclass(frozen=True)
class Combined:
    """The combined sanction of one family for one person."""

    sanction: str
    period_months: int | None  # G3: the period decided for several identical government sanctions
    rule: str  # "G2", "G3", "P6" or "SINGLE"
    mitigation: str = ""  # P6: why lighter than heaviest-plus-one (recorded), else ""


# --- combining several violations (G2, G3, P6) ---------------------------------------------------


def _checked(family: str, violations: Sequence[Violation]) -> tuple[Violation, ...]:
    """The violations, each with its article and a sanction of `family`; at least one."""
    if family not in FAMILIES:
        raise Validation("family", f"must be one of {', '.join(FAMILIES)}")
    if not violations:
        raise Validation("violations", f"at least one violation is required for a {family}")
    for i, v in enumerate(violations):
        text(v.article, f"violations[{i}].article", limit=200)
        if v.sanction not in FAMILIES[family]:
            raise Validation(f"violations[{i}].sanction", f"a {family} must be one of {', '.join(FAMILIES[family])}")
    return tuple(violations)


def _heaviest(violations: Sequence[Violation]) -> str:
    return max((v.sanction for v in violations), key=rank)


def lawful_combinations(family: str, violations: Sequence[Violation]) -> tuple[str, ...]:
    """The combined sanction the law prescribes for these violations of `family`, as a one-item tuple.

    One violation: its own sanction. G2 (PSL 15): the heaviest type applies. P6 (Regs 24): 合并处理,
    the heaviest plus one grade; any expulsion-level violation → expulsion. (A lighter Party
    sanction with a recorded mitigation is accepted by `combine`, not listed here.)"""
    vs = _checked(family, violations)
    heaviest = _heaviest(vs)
    if len(vs) == 1 or family == GOVERNMENT:
        return (heaviest,)
    if heaviest == "PARTY_EXPULSION":
        return (heaviest,)
    return (PARTY_SANCTIONS[rank(heaviest) + 1],)


def combine(
    family: str,
    violations: Sequence[Violation],
    decided: str,
    *,
    period_months: int | None = None,
    mitigation: str = "",
) -> Combined:
    """The decided combined sanction of one person in one family, checked against their violations.

    Validation naming "sanction", "period_months" or "mitigation", citing the rule, when unlawful.
    One violation: that sanction (SINGLE). G2 (PSL 15): the heaviest type applies. G3 (PSL 15):
    several identical sanctions of 撤职 or lighter among those executed: a period from one
    sanction's period to their sum, at most 48 months; required then. P6 (Regs 24): heaviest plus
    one grade, expulsion when any is; lighter only with a recorded mitigation, never lighter than
    the heaviest, never heavier (加重一档: one grade).

    Readings: G3 applies to the sanctions executed, so 2 × 记大过 + 记过 is 记大过 for 18-36 months;
    `period_months` is None when not decided (an edge maps a proto's 0 to None)."""
    vs = _checked(family, violations)
    if decided not in FAMILIES[family]:
        raise Validation("sanction", f"a {family} must be one of {', '.join(FAMILIES[family])}")
    if family == PARTY and period_months is not None:
        raise Validation(
            "period_months", "P2 (Regs 10): a Party sanction's period is set by the Regulations, not decided"
        )
    if len(vs) == 1:
        return _single(vs[0], decided, period_months, mitigation)
    if family == GOVERNMENT:
        return _government(vs, decided, period_months, mitigation)
    return _party(vs, decided, mitigation)


def _single(v: Violation, decided: str, period_months: int | None, mitigation: str) -> Combined:
    """One violation: the sanction it was assessed at, with its statutory period (G1)."""
    if decided != v.sanction:
        raise Validation("sanction", f"one violation ({v.article}) brings its own sanction {v.sanction}, not {decided}")
    if period_months is not None:
        raise Validation(
            "period_months", "G1 (PSL 8): one sanction has its statutory period; only G3 (PSL 15) decides one"
        )
    if (mitigation or "").strip():
        raise Validation(
            "mitigation", "a mitigation is recorded only for a combined Party sanction lighter than P6 (Regs 24)"
        )
    return Combined(decided, None, SINGLE)


def _government(vs: tuple[Violation, ...], decided: str, period_months: int | None, mitigation: str) -> Combined:
    """G2 (PSL 15): the heaviest type; G3 when several of it, 撤职 or lighter: a decided period."""
    heaviest = _heaviest(vs)
    if decided != heaviest:
        raise Validation("sanction", f"G2 (PSL 15): several violations bring the heaviest, {heaviest}, not {decided}")
    if (mitigation or "").strip():
        raise Validation("mitigation", "G2 (PSL 15): government sanctions are not combined with a mitigation")
    same = [GOVERNMENT_PERIOD_MONTHS[v.sanction] for v in vs if v.sanction == heaviest]
    if len(same) < 2 or same[0] is None:
        if period_months is not None:
            raise Validation("period_months", f"G1 (PSL 8): {heaviest} has its statutory period; only G3 decides one")
        return Combined(decided, None, G2)
    return Combined(decided, _period(same, period_months), G3)


def _period(periods: list[int], period_months: int | None) -> int:
    """G3 (PSL 15): from one sanction's period to their sum, at most 48 months."""
    low, high = periods[0], min(sum(periods), MAX_COMBINED_MONTHS)
    if period_months is None:
        raise Validation(
            "period_months", f"G3 (PSL 15): {len(periods)} identical sanctions: decide a period of {low}-{high} months"
        )
    if not low <= period_months <= high:
        raise Validation(
            "period_months",
            f"G3 (PSL 15): {period_months} months is outside {low}-{high} "
            f"(one period to their sum {sum(periods)}, at most {MAX_COMBINED_MONTHS})",
        )
    return period_months


def _party(vs: tuple[Violation, ...], decided: str, mitigation: str) -> Combined:
    """P6 (Regs 24): heaviest plus one grade; expulsion when any is; lighter only if mitigated."""
    heaviest, (lawful,) = _heaviest(vs), lawful_combinations(PARTY, vs)
    if decided == lawful:
        if (mitigation or "").strip():
            raise Validation(
                "mitigation", f"P6 (Regs 24): {decided} is the combined sanction itself; nothing is mitigated"
            )
        return Combined(decided, None, P6)
    if rank(decided) > rank(lawful):
        raise Validation(
            "sanction", f"P6 (Regs 24): several violations bring {lawful} (the heaviest plus one grade), not {decided}"
        )
    if heaviest == "PARTY_EXPULSION":
        raise Validation("sanction", "P6 (Regs 24): a violation that brings expulsion brings PARTY_EXPULSION")
    if rank(decided) < rank(heaviest):
        raise Validation("sanction", f"P6 (Regs 24): never lighter than the heaviest violation's {heaviest}")
    if not (mitigation or "").strip():
        raise Validation("mitigation", f"P6 (Regs 24): {decided} is lighter than {lawful}; record the mitigation")
    return Combined(decided, None, P6, text(mitigation, "mitigation"))


# --- who may receive what (P1, G4-G6) --------------------------------------------------------------


def check_eligible(sanction: str, facts: f.PersonFacts, *, serious: bool = False) -> tuple[str, ...]:
    """Whether this person may receive `sanction`, and the consequences it brings.

    P1 (Regs 8): Party sanctions for members only. A government sanction (PSL 2, SL 15) for a public
    official who still serves (G6, PSL 27); G4 (PSL 22) village or residents' committee managers:
    警告, 记过, 记大过 only, and ALLOWANCE_CUT; G5 (PSL 23) SL 15(6) persons and 15(2) persons with
    no state post: the same three, and if `serious` UNIT_RECOMMENDATION. Refusals are
    Validation("sanction"); facts the rule needs and `facts` lacks raise FactMissing."""
    if family_of(sanction) == PARTY:
        if not facts.is_member:
            raise Validation(
                "sanction",
                f"P1 (Regs 8): Party sanctions are for Party members only; {facts.person_id} is not a member",
            )
        return ()
    service = facts.need_service()
    if service.status in NOT_SERVING:
        raise Validation(
            "sanction",
            f"G6 (PSL 27): {facts.person_id} {_IS[service.status]}: no government sanction; they may be investigated, "
            f"and a finding at {BENEFIT_ADJUSTMENT_FROM} level or heavier is recorded as {BENEFIT_ADJUSTMENT}",
        )
    official = facts.need_official()
    if official.category == f.NONE:
        raise Validation(
            "sanction", f"PSL 2 (SL 15): government sanctions are for public officials; {facts.person_id} is none"
        )
    return _limited(sanction, facts.person_id, official, serious)


def _limited(sanction: str, person_id: str, official: f.PublicOfficial, serious: bool) -> tuple[str, ...]:
    """G4 (PSL 22) and G5 (PSL 23): only 警告, 记过, 记大过, with what comes with them."""
    if official.category == f.GRASSROOTS_MANAGER:
        rule, consequences, instead = "G4 (PSL 22): a village or residents' committee manager", (ALLOWANCE_CUT,), ""
    elif official.category == f.OTHER_PUBLIC_DUTY or (
        official.category == f.PUBLIC_AFFAIRS and not official.holds_state_post
    ):
        rule = "G5 (PSL 23): an SL 15(2) person without a state post, or an SL 15(6) person,"
        consequences = (UNIT_RECOMMENDATION,) if serious else ()
        instead = f"; if serious, the unit acts on a recommendation ({UNIT_RECOMMENDATION})"
    else:
        return ()
    if sanction not in LIMITED_SANCTIONS:
        raise Validation(
            "sanction", f"{rule} ({person_id}) may receive only {', '.join(LIMITED_SANCTIONS)}, not {sanction}{instead}"
        )
    return consequences


def finding_without_sanction(level: str, facts: f.PersonFacts) -> tuple[str, ...]:
    """G6 (PSL 27): what a finding at government-sanction `level` brings for a person who no longer
    serves: BENEFIT_ADJUSTMENT at 降级 or heavier, else nothing. Validation("sanction") if the
    person still serves (then sanction them)."""
    if family_of(level) != GOVERNMENT:
        raise Validation("sanction", f"G6 (PSL 27) is about government sanctions, not {level}")
    service = facts.need_service()
    if service.status not in NOT_SERVING:
        raise Validation("sanction", f"G6 (PSL 27): {facts.person_id} still serves; decide the sanction itself")
    return (BENEFIT_ADJUSTMENT,) if rank(level) >= rank(BENEFIT_ADJUSTMENT_FROM) else ()


# --- hearings (PC 43, PSL 43; P7) ---------------------------------------------------------------------


def _heavier(before: Mapping[tuple[str, str], str], after: Mapping[tuple[str, str], str]) -> list[tuple[str, str]]:
    """(person_id, sentence) for each family in `after` heavier than in `before`."""
    worse = []
    for (person, family), sanction in sorted(after.items()):
        if family_of(sanction) != family:
            raise Validation("sanction", f"{sanction} is no {family}")
        was = before.get((person, family))
        if was is None:
            worse.append((person, f"{person} gets {sanction} where no {family} was before"))
        elif rank(sanction) > rank(was):
            worse.append((person, f"{person} gets {sanction}, heavier than {was}"))
    return worse


def heavier(before: Mapping[tuple[str, str], str], after: Mapping[tuple[str, str], str]) -> list[str]:
    """(person_id, family) -> sanction maps; what in `after` is heavier than `before`: a family the
    person did not face, or a heavier sanction within one; each a sentence naming the person.
    Lighter or dropped sanctions are not listed."""
    return [sentence for _, sentence in _heavier(before, after)]


def to_hear_again(heard: Mapping[tuple[str, str], str], decided: Mapping[tuple[str, str], str]) -> tuple[str, ...]:
    """The person ids to hear (again), sorted. PC 43 (P7), PSL 43: a hearing before any sanction,
    Party or government; never heavier because of the defence, and a decision heavier on other
    grounds than what the person was heard on sends them back to a new hearing. Persons with a
    sanction in `decided` and none in `heard` are included."""
    return tuple(sorted({person for person, _ in _heavier(heard, decided)}))
