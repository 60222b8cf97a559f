"""Times as input: RFC 3339 or NumericDate, within the range every answer can write back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from civicid.errors import Error
from civicid.times import MAX_TIMESTAMP, REMEMBERED_TIMES, parse_time, rfc3339


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


@pytest.mark.parametrize("ts", [0, 951_782_400, 1_795_600_800, MAX_TIMESTAMP])
def test_a_time_written_again_reads_the_same(ts: int) -> None:
    """Times written are remembered: a second written again, or after many others, is the
    same text as the first time (the ``datetime`` formatting, not a stale entry)."""
    first = rfc3339(ts)
    assert first == datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for other in range(2 * REMEMBERED_TIMES):  # pushes it out of what is remembered
        assert rfc3339(1_800_000_000 + other * 61) == rfc3339(1_800_000_000 + other * 61)
    assert rfc3339(ts) == first and rfc3339(ts) == first
    assert rfc3339(ts - 1) != first


def test_a_time_that_cannot_be_written_fails_each_time() -> None:
    for _ in range(2):
        with pytest.raises((ValueError, OverflowError, OSError)):
            rfc3339(MAX_TIMESTAMP + 1)
