"""kernel.edge.mapping's request times: an out-of-range Timestamp is bad input naming its field."""

from datetime import datetime, timezone

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from kernel.domain.errors import Validation
from kernel.edge.mapping import datetime_of


def test_a_request_time_is_aware_and_an_impossible_one_names_its_field():
    assert datetime_of(Timestamp(seconds=1_780_000_000), "at") == datetime.fromtimestamp(1_780_000_000, timezone.utc)
    with pytest.raises(Validation, match="starts_at"):
        datetime_of(Timestamp(seconds=253_402_300_800), "starts_at")  # year 10000
