"""Times as the transparency page says them: in UTC, and how long ago."""

from __future__ import annotations

import time

from ledger.transparency.numbers import count


def when(ts: int | None) -> str:
    """A time as a person reads it, in UTC."""
    if ts is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def age(seconds: int) -> str:
    """How long ago, in words."""
    seconds = max(seconds, 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            many = seconds // size
            return f"{count(many)} {unit}{'s' if many != 1 else ''} ago"
    return f"{seconds} second{'s' if seconds != 1 else ''} ago"
