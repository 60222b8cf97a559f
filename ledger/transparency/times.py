"""Times as the transparency page says them: in UTC, and how long ago."""

from __future__ import annotations

import time


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
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return f"{seconds} second{'s' if seconds != 1 else ''} ago"
