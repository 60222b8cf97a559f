"""Times as input: RFC 3339 or NumericDate, within the range every answer can write back."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from civicid.times import MAX_TIMESTAMP, parse_time


def test_rfc3339_and_numeric_date_are_read_alike() -> None:
    assert parse_time("2026-11-25T10:00:00Z") == parse_time("1795600800") == 1795600800
    assert parse_time("1970-01-01T01:00:00+01:00") == 0


@pytest.mark.parametrize(
    "text", ["1969-12-31T23:59:59Z", "1970-01-01T00:59:59+01:00", str(MAX_TIMESTAMP + 1)]
)
def test_a_time_outside_the_range_is_refused(text: str) -> None:
    """A time before 1970 was read, then broke the answer that echoed it (a 500 the
    ledger's schemathesis run found on /accreditations?at=1969-…)."""
    with pytest.raises(Error) as caught:
        parse_time(text)
    assert caught.value.code == "time_invalid"
