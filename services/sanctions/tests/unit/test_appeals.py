"""Appeals and reviews (domain.md §4c): one row per rule ID, citing its article, with the table's
worked examples."""

from datetime import date

import pytest

from kernel.domain.errors import Validation
from services.sanctions.domain import appeals as a, items as it


def d(s: str) -> date:
    return date.fromisoformat(s)


def _a1():
    x = a.accept_appeal(d("2026-09-01"), ["R-7", "R-8"], ["I-1", "V-2"])
    return x.decide_by == d("2026-12-01")


def _a2():
    on_time = a.apply_for_review(d("2026-04-10"), d("2026-05-08"))
    late = a.apply_for_review(d("2026-04-10"), d("2026-05-11"))
    last_day = a.apply_for_review(d("2026-04-10"), d("2026-05-10"))
    return (
        on_time.apply_by == d("2026-05-10")
        and not on_time.late
        and on_time.decide_by == d("2026-06-08")
        and late.late
        and not last_day.late
    )


def _a3():
    x = a.apply_for_recheck(d("2026-06-05"), d("2026-07-01"))
    return x.apply_by == d("2026-07-05") and not x.late and x.decide_by == d("2026-09-01")


def _a4():
    a.check_not_heavier("GOVERNMENT_MAJOR_DEMERIT", "GOVERNMENT_DEMERIT")
    return a.EXECUTION_SUSPENDED is False


def _a5_revoke():
    x = a.decide_review("GOVERNMENT_REMOVAL", a.REVOKE, "EVIDENCE", d("2026-10-01"))
    owners = {i.kind: i.owner for i in x.items}
    return (
        x.sanction is None
        and {
            a.RESTORE_GRADE_AND_PAY: it.HR,
            a.RESTORE_POST: it.ORG_DEPT,
            a.REPUTATION_NOTICE: a.DECIDING_BODY,
            a.COMPENSATION: it.FINANCE,
        }.items()
        <= owners.items()
    )


def _a5_change():
    x = a.decide_review(
        "GOVERNMENT_DEMOTION", a.CHANGE, "CIRCUMSTANCES", d("2026-10-01"), changed_to="GOVERNMENT_DEMERIT"
    )
    return x.sanction == "GOVERNMENT_DEMERIT" and [i.kind for i in x.items] == [a.ADJUST_POST_AND_PAY]


def _a5_uphold():
    x = a.decide_review("GOVERNMENT_DEMERIT", a.UPHOLD, "LAWFUL", d("2026-10-01"))
    return x.sanction == "GOVERNMENT_DEMERIT" and x.items == ()


HOLDS = [
    pytest.param(_a1, id="A1 (Rules 59): appeal accepted 2026-09-01 → decided by 12-01"),
    pytest.param(
        _a2, id="A2 (SL 56): received 04-10 → apply by 05-10 (05-11 late, flagged); applied 05-08 → due 06-08"
    ),
    pytest.param(_a3, id="A3 (SL 56): 复审 received 06-05 → 复核 by 07-05; applied 07-01 → due 09-01"),
    pytest.param(_a4, id="A4 (SL 56; PSL 55): lighter on review accepted; execution not suspended"),
    pytest.param(
        _a5_revoke, id="A5 (PSL 57, 59): 撤职 revoked → pay (HR), post, reputation notice, compensation (finance)"
    ),
    pytest.param(_a5_change, id="A5 (PSL 58): changed → adjust post and pay"),
    pytest.param(_a5_uphold, id="A5 (PSL 57-60): upheld with its ground → nothing to execute"),
]


@pytest.mark.parametrize("holds", HOLDS)
def test_rule_holds(holds):
    assert holds()


REFUSED = [
    pytest.param(
        lambda: a.accept_appeal(d("2026-09-01"), ["R-7", "I-1"], ["I-1", "V-2"]),
        "refused by A1 (Rules 59)",
        id="A1 (Rules 59): an original investigator on the team → refused",
    ),
    pytest.param(
        lambda: a.apply_for_review(d("2026-04-10"), d("2026-04-09")),
        "refused by A2 (SL 56)",
        id="A2 (SL 56): applied before receipt → refused",
    ),
    pytest.param(
        lambda: a.check_not_heavier("GOVERNMENT_DEMERIT", "GOVERNMENT_MAJOR_DEMERIT"),
        "refused by A4 (SL 56; PSL 55, 56)",
        id="A4 (SL 56; PSL 55, 56): 复审 raising 记过 to 记大过 → refused",
    ),
    pytest.param(
        lambda: a.decide_review(
            "GOVERNMENT_DEMERIT", a.CHANGE, "LAW", d("2026-10-01"), changed_to="GOVERNMENT_MAJOR_DEMERIT"
        ),
        "refused by A4",
        id="A4 (PSL 55): a change to a heavier sanction → refused",
    ),
    pytest.param(
        lambda: a.decide_review("GOVERNMENT_REMOVAL", a.REVOKE, "LAW", d("2026-10-01")),
        "refused by A5 (PSL 57-60)",
        id="A5 (PSL 57): revoked on a change ground → refused",
    ),
]


@pytest.mark.parametrize("call, message", REFUSED)
def test_refused(call, message):
    with pytest.raises(Validation) as e:
        call()
    assert message in str(e.value)
