import uuid

import pytest

from kernel.domain.errors import Validation
from kernel.domain.ids import check_stream_id, stream_id, timer_stream_id

U = uuid.UUID("0f6c2b0e-5a4d-4e43-9d53-2f0a8a1b9c01")


def test_stream_ids_are_context_dash_uuid():
    assert stream_id("clue", U) == f"clue-{U}"
    assert check_stream_id(f"  clue-{U} ", "clue", "clue_id") == f"clue-{U}"
    assert timer_stream_id(f"case-{U}") == f"case-timers-{U}"


@pytest.mark.parametrize("value", ["", "clue-", f"case-{U}", f"clue-{str(U).upper()}", "clue-x", f"clue-{U}x"])
def test_bad_stream_ids_name_the_field(value):
    with pytest.raises(Validation) as err:
        check_stream_id(value, "clue", "clue_id")
    assert err.value.field == "clue_id"
