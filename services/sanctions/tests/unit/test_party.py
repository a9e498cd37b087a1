"""Party sanctions once decided (domain.md §4b): one row per rule ID, citing its article, with the
table's worked examples."""

from datetime import date, datetime

import pytest

from kernel.domain import facts as f
from kernel.domain.calendar import WorkingCalendar
from kernel.domain.errors import IllegalState, Validation
from kernel.domain.sanctions import Violation
from services.sanctions.domain import items as it, party as p

SRC = f.FactSource("unit", datetime(2026, 1, 5))


def post(*, party_post=False, delegate=False) -> f.Post:
    return f.Post("secretary" if party_post else "clerk", party_post, delegate, False, False, True, SRC)


def member(*posts: f.Post, is_member=True) -> f.PersonFacts:
    return f.PersonFacts("P-1", f.PartyMembership(is_member, SRC), posts=posts)


WITH_POST = member(post(party_post=True))
DELEGATE = member(post(party_post=True, delegate=True))


def lock(decided: p.PartySanction, kind: str) -> date | None:
    return next(x.until for x in decided.locks if x.kind == kind)


def kinds(items) -> dict[str, it.ExecutionItem]:
    return {i.kind: i for i in items}


def d(s: str) -> date:
    return date.fromisoformat(s)


# (id, call, check): each check returns True when the rule holds.
def _p2():
    x = p.decide(p.SERIOUS_WARNING, d("2026-02-28"), WITH_POST, heard_on=p.SERIOUS_WARNING)
    return x.end == d("2027-08-28") and lock(x, p.NO_PARTY_PROMOTION) == lock(x, p.NO_HIGHER_NON_PARTY_POST) == x.end


def _p2_periods():
    on = d("2026-03-01")
    ends = {
        s: p.decide(s, on, WITH_POST, heard_on=s, probation_months=12 if s == p.PROBATION else None).end
        for s in (p.WARNING, p.SERIOUS_WARNING, p.REMOVAL, p.PROBATION, p.EXPULSION)
    }
    never = p.decide(p.EXPULSION, on, WITH_POST, heard_on=p.EXPULSION, rules=p.PartyRules(expulsion_rejoin_months=None))
    return (
        ends
        == {
            p.WARNING: d("2027-03-01"),
            p.SERIOUS_WARNING: d("2027-09-01"),
            p.REMOVAL: d("2028-03-01"),
            p.PROBATION: d("2027-03-01"),
            p.EXPULSION: d("2031-03-01"),
        }
        and lock(never, p.NO_REJOINING) is None
    )


def _p3():
    x = p.decide(
        p.SERIOUS_WARNING, d("2026-02-28"), member(post()), heard_on=p.SERIOUS_WARNING, in_lieu_of_removal=True
    )
    return x.in_lieu_of_removal and lock(x, p.NO_EQUAL_OR_HIGHER_POST) == d("2028-02-28")


def _p4_items():
    x = p.decide(p.PROBATION, d("2026-01-10"), WITH_POST, heard_on=p.PROBATION, probation_months=12)
    review = kinds(x.party_items)[p.PROBATION_REVIEW]
    return x.end == d("2027-01-10") and review.due == d("2027-01-10") and lock(x, p.NO_VOTE_OR_ELECTION) == x.end


PROBATION = p.Probation(d("2026-01-10"), d("2027-01-10"))


def _p4_restore():
    r = p.decide_probation_end(PROBATION, p.RESTORE, d("2027-01-10"), WITH_POST)
    return r.locks[0].kind == p.NO_EQUAL_OR_HIGHER_POST and r.locks[0].until == d("2029-01-10")


def _p4_extend():
    r = p.decide_probation_end(PROBATION, p.EXTEND, d("2027-01-10"), WITH_POST)
    return r.probation.end == d("2028-01-10") and r.probation.extended


def _p4_expel():
    r = p.decide_probation_end(PROBATION, p.EXPEL, d("2027-01-10"), WITH_POST)
    return r.expulsion.sanction == p.EXPULSION


def _p5():
    x = p.decide(p.PROBATION, d("2026-06-30"), DELEGATE, heard_on=p.PROBATION, probation_months=24)
    warned = p.decide(p.SERIOUS_WARNING, d("2026-06-30"), DELEGATE, heard_on=p.SERIOUS_WARNING)
    return p.END_MANDATE in kinds(x.party_items) and p.END_MANDATE not in kinds(warned.party_items)


def _p6():
    vs = [Violation("Regs 28", p.SERIOUS_WARNING), Violation("Regs 30", p.WARNING)]
    x = p.decide(p.REMOVAL, d("2026-06-30"), WITH_POST, heard_on=p.REMOVAL, violations=vs)
    return x.sanction == p.REMOVAL


def _p8():
    x = p.decide(p.SERIOUS_WARNING, d("2026-02-28"), WITH_POST, heard_on=p.SERIOUS_WARNING)
    ended = p.period_ended(x, d("2027-08-28"))
    return (
        p.period_ended(x, d("2027-08-27")) is None
        and ended == p.EffectPeriodEnded("P-1", p.SERIOUS_WARNING, d("2027-08-28"))
        and x.locks == p.decide(p.SERIOUS_WARNING, d("2026-02-28"), WITH_POST, heard_on=p.SERIOUS_WARNING).locks
    )


def _all_items():
    x = p.decide(p.PROBATION, d("2026-06-30"), WITH_POST, heard_on=p.PROBATION, probation_months=24)
    return kinds(p.execution_items(x, WorkingCalendar())), x


def _p9():
    items, x = _all_items()
    pay = items[it.POST_PAY_CHANGE]
    return (
        items[it.ANNOUNCE].due == items[it.PERSONNEL_FILE].due == d("2026-07-30")
        and (pay.due, pay.latest_due) == (d("2026-07-30"), d("2026-12-30"))
        and x.notify == (p.PARTY_COMMITTEE,)
        and x.copy_to == (it.ORG_DEPT,)
    )


def _p10():
    items, _ = _all_items()
    return items[it.EXECUTION_REPORT].due == d("2026-12-30")


HOLDS = [
    pytest.param(_p2, id="P2 (Regs 10): 严重警告 2026-02-28 → ends 2027-08-28, no promotion or higher post"),
    pytest.param(_p2_periods, id="P2 (Regs 10-13): 12, 18, 24, 12/24 m; 开除 60 m before rejoining (or never)"),
    pytest.param(_p3, id="P3 (Regs 11): no Party post → 严重警告 in_lieu_of_removal, bar 24 m"),
    pytest.param(_p4_items, id="P4 (Regs 12): probation ends 2027-01-10 → review task, no vote or election"),
    pytest.param(_p4_restore, id="P4 (Regs 12): restore → bar to 2029-01-10"),
    pytest.param(_p4_extend, id="P4 (Regs 12): extend → 2028-01-10"),
    pytest.param(_p4_expel, id="P4 (Regs 12): expel at the end → 开除党籍"),
    pytest.param(_p5, id="P5 (Regs 13/14): delegate with 留党察看 → END_MANDATE item; 严重警告 → none"),
    pytest.param(_p6, id="P6 (Regs 24): 严重警告 + 警告 → 撤销 accepted"),
    pytest.param(_p8, id="P8 (Regs 46): period end → EffectPeriodEnded only, nothing cancelled"),
    pytest.param(
        _p9, id="P9 (Regs 44; Rules 56): 留党察看 2026-06-30 → due 07-30; post and pay ≤12-30; committee notified"
    ),
    pytest.param(_p10, id="P10 (Regs 45): execution report 2026-06-30 → 12-30"),
]


@pytest.mark.parametrize("holds", HOLDS)
def test_rule_holds(holds):
    assert holds()


def _decide(sanction, facts=WITH_POST, **kw):
    kw.setdefault("heard_on", sanction)
    return lambda: p.decide(sanction, d("2026-06-30"), facts, **kw)


REFUSED = [
    pytest.param(
        _decide(p.WARNING, member(is_member=False)),
        Validation,
        "refused by P1 (Regs 8)",
        id="P1 (Regs 8): non-member → refused",
    ),
    pytest.param(
        _decide(p.PROBATION, probation_months=18),
        Validation,
        "refused by P2 (Regs 12)",
        id="P2 (Regs 12): 留党察看 of 18 m → refused",
    ),
    pytest.param(
        _decide(p.REMOVAL, member(post())),
        Validation,
        "refused by P3 (Regs 11)",
        id="P3 (Regs 11): 撤销 without a Party post → refused",
    ),
    pytest.param(
        _decide(p.SERIOUS_WARNING, in_lieu_of_removal=True),
        Validation,
        "refused by P3 (Regs 11)",
        id="P3 (Regs 11): in_lieu_of_removal for a Party post holder → refused",
    ),
    pytest.param(
        lambda: p.decide_probation_end(
            p.Probation(d("2026-01-10"), d("2028-01-10"), True), p.EXTEND, d("2028-01-10"), WITH_POST
        ),
        IllegalState,
        "refused by P4 (Regs 12)",
        id="P4 (Regs 12): a second extension → refused",
    ),
    pytest.param(
        lambda: p.decide_probation_end(PROBATION, p.RESTORE, d("2026-12-01"), WITH_POST),
        IllegalState,
        "refused by P4 (Regs 12)",
        id="P4 (Regs 12): restore before the end → refused",
    ),
    pytest.param(
        _decide(p.WARNING, violations=[Violation("Regs 28", p.SERIOUS_WARNING), Violation("Regs 30", p.WARNING)]),
        Validation,
        "refused by P6 (Regs 24)",
        id="P6 (Regs 24): 严重警告 + 警告 decided 警告 → refused",
    ),
    pytest.param(
        _decide(p.WARNING, heard_on=None), IllegalState, "refused by P7 (PC 43)", id="P7 (PC 43): no hearing → refused"
    ),
]


@pytest.mark.parametrize("call, error, message", REFUSED)
def test_refused(call, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()
