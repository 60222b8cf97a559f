"""Time on the wire: RFC 3339 UTC strings in every JSON answer, file and ``--json`` output,
and a clock passed in (never a silent ``time.time()`` deep in the code) so tests can freeze
it. JWT claims (``iat``, ``exp``, ``nbf``) stay NumericDate integers, as RFC 7519 §2 says."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from civicid.errors import InvalidInput, declare

# A clock answers "now" in whole seconds since the epoch (NumericDate, RFC 7519 §2).
Clock = Callable[[], int]

# Far enough for any credential or accreditation, near enough to refuse nonsense input.
MAX_TIMESTAMP: Final = 253402300799  # 9999-12-31T23:59:59Z

TIME_INVALID = declare("time_invalid", InvalidInput, "not an RFC 3339 time")


def system_clock() -> int:
    return int(time.time())


# The same second is written again and again (a request's expiry when it is made and at each
# poll, a decision's time in its JSON and its audit record): the last ones written are kept.
# A string of ~20 characters each: at most ~0.1 MB.
REMEMBERED_TIMES: Final = 1024


@functools.lru_cache(maxsize=REMEMBERED_TIMES)
def rfc3339(ts: int) -> str:
    """``ts`` (seconds since the epoch) as an RFC 3339 UTC string, e.g. 2026-11-25T10:00:00Z."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | int) -> int:
    """An RFC 3339 time (any offset; converted to UTC) or, for callers that still send one,
    a NumericDate integer; seconds since the epoch."""
    if isinstance(value, bool):
        raise TIME_INVALID(f"{value!r} is not a time")
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        number = int(value)
        if not 0 <= number <= MAX_TIMESTAMP:
            raise TIME_INVALID(f"{value!r} is out of range")
        return number
    if not isinstance(value, str) or len(value) > 64:
        raise TIME_INVALID(f"{value!r} is not a time")
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise TIME_INVALID(f"{value!r} is not an RFC 3339 time") from exc
    if parsed.tzinfo is None:
        raise TIME_INVALID(f"{value!r} has no UTC offset (RFC 3339 §5.6 requires one)")
    number = int(parsed.timestamp())
    # The range a NumericDate has here: every time we hold is one we can write back.
    if not 0 <= number <= MAX_TIMESTAMP:
        raise TIME_INVALID(f"{value!r} is out of range")
    return number
