from datetime import datetime, timezone

import pytest

from kernel.errors import IllegalState, Validation
from services.clues.domain import model
from tests.factories import ALICE

AT = datetime(2026, 3, 1, tzinfo=timezone.utc)


def cmd(**kw):
    base = dict(clue_id="clue-1", source="PETITION", subjects=(model.Subject("p-1", "Zhang San"),),
                summary="allegation", received_at=AT, has_informant=True, by=ALICE)
    return model.RegisterClue(**{**base, **kw})


def test_register_emits_clue_registered_in_receiving_office():
    [event] = model.decide(cmd(), model.NoClue())
    assert event.receiving_office == ALICE.office and event.has_sealed_informant
    assert isinstance(model.evolve(model.NoClue(), event), model.Received)


@pytest.mark.parametrize("kw,field", [
    (dict(source=""), "source"), (dict(source="RUMOUR"), "source"), (dict(subjects=()), "subjects"),
    (dict(subjects=(model.Subject(" ", "x"),)), "subjects[0].person_id"),
    (dict(subjects=(model.Subject("p", ""),)), "subjects[0].name"),
    (dict(summary="  "), "summary"), (dict(summary="x" * 4001), "summary")])
def test_bad_registration_names_the_field(kw, field):
    with pytest.raises(Validation) as err:
        model.decide(cmd(**kw), model.NoClue())
    assert err.value.field == field


def test_registering_twice_is_illegal_and_names_the_state():
    state = model.fold(model.decide(cmd(), model.NoClue()))
    with pytest.raises(IllegalState) as err:
        model.decide(cmd(), state)
    assert err.value.current_state == "RECEIVED"
