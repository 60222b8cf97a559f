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
# A claim value of this shape is a calendar date (RFC 3339 full-date, as ``birthdate``).
FULL_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def from_name(key: str) -> str:
    """``street_address`` as "Street address": the kernel's words for a name, the age
    predicates' heading "Age" (their group holds "18 or over")."""
    return NAMED.get(key) or words_kernel.words(key)


def claim_words(name: str, labels: Mapping[str, str] | None = None) -> str:
    """The label of claim ``name`` (``address.locality``) for one line, as the kernel words
    it: the type metadata's label when it has one, else words made from the name, a nested
    claim after its parent's ("Address / Town"): the desk's page and the command line say
    the same."""
    return words_kernel.claim(name, labels)


def heading_words(name: str, labels: Mapping[str, str] | None = None) -> str:
    """The heading of claim ``name`` shown above the claims it holds: as ``claim_words``
    says it, but the age predicates read "Age" above their "18 or over"."""
    if name == AGE_OVER and not (labels and name in labels):
        return NAMED[AGE_OVER]
    return claim_words(name, labels)


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
    """A claim value on one line, as the kernel words it (yes/no, lists and objects
    joined), with its calendar dates as people write them ("10 Dec 1990")."""
    return words_kernel.value(dated(value))


def dated(value: Any) -> Any:
    """``value`` with every calendar date in it as ``day`` writes it (not a date, such as
    2026-13-45: as it is)."""
    if isinstance(value, str) and FULL_DATE.fullmatch(value):
        try:
            return day(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, Mapping):
        return {key: dated(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [dated(item) for item in value]
    return value


def decision_words(decision: str | None) -> str:
    """A desk's decision as the kernel words it: "Eligible", "Not eligible"."""
    return words_kernel.decision(decision)
