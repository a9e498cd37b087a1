"""Recusal (回避, SL 67) in the kernel: one rule for clues and cases alike, applied by the runner."""

from dataclasses import dataclass

import pytest

from kernel.domain.errors import Forbidden, NotFound
from kernel.domain.person import Subject
from kernel.domain.principal import Principal
from kernel.domain.recusal import Concerned, check_act, check_read, recused, visible
from services.cases.domain.state import fold as fold_case
from services.cases.tests.unit.test_case_lifecycle import OPENED


def who(user, role="commission_head"):
    return Principal("commission", "leadership", role, user)


@dataclass(frozen=True)
class File:
    subjects: tuple = (Subject("u-head", "the head"),)
    recused: frozenset = frozenset({"u-kin"})


CONCERNED = Concerned.of(File())


@pytest.mark.parametrize(
    "principal,why,act_error,read_error",
    [
        (who("u-head"), "subject", NotFound, NotFound),  # SL 67; CR 15: the head never sees it
        (who("u-kin", "supervisor"), "recused", Forbidden, NotFound),  # SL 67: a near relative
        (who("u-other"), "", None, None),
        (Principal("commission", "system", "system", "system:timers"), "", None, None),  # acts for the rules
    ],
)
def test_sl67_nobody_handles_a_file_about_themselves_or_one_they_are_recused_from(
    principal, why, act_error, read_error
):
    assert recused(principal, CONCERNED) == why
    for check, error in ((check_act, act_error), (check_read, read_error)):
        if error:
            with pytest.raises(error):
                check(principal, CONCERNED, "clue", "clue-1")
        else:
            check(principal, CONCERNED, "clue", "clue-1")


def test_the_acting_users_person_id_is_the_tokens_user():
    assert who("P-77").person_id == "P-77"


def test_a_state_without_subjects_concerns_nobody_and_list_rows_hide_the_subjects_own():
    assert Concerned.of(object()) == Concerned()
    assert not visible(who("P-1"), ["P-1", "P-2"]) and visible(who("P-3"), ["P-1"])


def test_sl67_a_case_is_concerned_with_its_subjects_through_the_kernels_default():
    """The cases service gets the rule with no code of its own: its state's `subjects` (the filing's)."""
    concerned = Concerned.of(fold_case(OPENED))
    assert concerned.subjects == frozenset({"P-1", "P-2"})
    with pytest.raises(NotFound):
        check_act(who("P-1", "supervisor"), concerned, "case", "case-1")
