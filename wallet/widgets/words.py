"""People words for what the wallet shows: claim names as labels ("Age 18 or over", not
``age_equal_or_over.18``), values as words ("yes", "10 Dec 1990"), decisions ("Not
eligible") and times as people read them, in local time ("6 Dec 2026, 09:14").

Labels come first from the credential type's metadata (SD-JWT VC §5.6.2 claim display,
which the holder keeps per claim path); a claim the metadata does not label is worded
from its name. The wire keeps RFC 3339 and claim names; only the screen uses these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Final

from civicid import words as words_kernel

# Claim names whose words are not their name's: the kernel's (``birthdate`` as "Date of
# birth", one source for every front end), and the SD-JWT VC age predicates
# (``age_equal_or_over.18``) under their heading "Age".
AGE_OVER: Final = "age_equal_or_over"
NAMED: Final[dict[str, str]] = {AGE_OVER: "Age", **words_kernel.NAMED}
DECISIONS: Final[dict[str, str]] = {"eligible": "Eligible", "not_eligible": "Not eligible"}
# A claim value of this shape is a calendar date (RFC 3339 full-date, as ``birthdate``).
FULL_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
NOTHING: Final = "—"
SEPARATOR: Final = words_kernel.SEPARATOR


def from_name(key: str) -> str:
    """``street_address`` as "Street address": what a name says, without its underscores."""
    if key in NAMED:
        return NAMED[key]
    words = key.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def claim_words(name: str, labels: Mapping[str, str] | None = None) -> str:
    """The label of claim ``name`` (``address.locality``) for one line: the type metadata's
    label when it has one, else words made from the name, a nested claim after its parent's
    ("Address / Town", joined as the kernel joins them: the desk's page and the command
    line say the same)."""
    labels = labels or {}
    if name in labels:
        return labels[name]
    parts = name.split(".")
    if len(parts) == 2 and parts[0] == AGE_OVER and parts[1].isdigit():
        return f"Age {parts[1]} or over"
    words = [
        labels.get(".".join(parts[: i + 1])) or from_name(part) for i, part in enumerate(parts)
    ]
    return SEPARATOR.join(words)


def child_words(parent: str, key: str, labels: Mapping[str, str] | None = None) -> str:
    """The label of ``key`` inside the claim ``parent``, shown under the parent's heading."""
    labels = labels or {}
    name = f"{parent}.{key}"
    if name in labels:
        # "Age 18 or over" under its heading "Age" reads "18 or over": the label stands
        # alone elsewhere (a list of claims shared), here the heading already says it.
        heading = labels.get(parent) or from_name(parent.rsplit(".", 1)[-1])
        return labels[name].removeprefix(heading + " ").strip() or labels[name]
    if parent == AGE_OVER and key.isdigit():
        return f"{key} or over"
    return from_name(key)


def day(value: date | int) -> str:
    """A date as "10 Dec 1990" (seconds since the epoch are read in local time)."""
    if isinstance(value, int):
        value = datetime.fromtimestamp(value).astimezone().date()
    return f"{value.day} {value:%b %Y}"


def when(ts: int) -> str:
    """A moment in local time as "6 Dec 2026, 09:14"."""
    moment = datetime.fromtimestamp(ts).astimezone()
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def value_words(value: Any) -> str:
    """A claim value on one line: yes/no, dates as people write them, lists joined."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return NOTHING
    if isinstance(value, str) and FULL_DATE.fullmatch(value):
        try:
            return day(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return "; ".join(f"{from_name(str(k))}: {value_words(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(value_words(v) for v in value)
    return str(value)


def decision_words(decision: str | None) -> str:
    """A desk's decision as people say it: "Eligible", "Not eligible"."""
    if not decision:
        return "No decision"
    return DECISIONS.get(decision, from_name(decision))
