"""Words for people: times, ages, claim names and decisions as a citizen or a clerk reads
them, for every front end (command lines, the wallet app, the desk page). Wire formats keep
their RFC 3339 times and claim paths; only what is shown goes through here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Protocol

from civicid.dcql import claim_name_or_repr

# Ages told in the largest unit that fits: "just now" under a minute (clocks drift by
# seconds, and a person does not need them), then minutes, hours, days.
MINUTE: Final = 60
HOUR: Final = 60 * MINUTE
DAY: Final = 24 * HOUR
JUST_NOW: Final = MINUTE
# Claims whose last step is a number, named as a person says them (SD-JWT VC and ISO
# 18013-5 use "age_equal_or_over": {"18": true}).
_NUMBERED: Final = {
    "age_equal_or_over": "Age {n} or over",
    "age_over": "Age over {n}",
    "age_under": "Age under {n}",
}
# Claim names the standards define (EU PID, SD-JWT VC, ISO 3166 / 18013) worded as a
# citizen says them when the credential type gives no label: "Date of birth", not
# "Birthdate"; "Town", not "Locality". Every front end words them from here, so the desk
# and the wallet never word one claim two ways.
NAMED: Final[dict[str, str]] = {
    "birthdate": "Date of birth",
    "given_name": "Given name",
    "family_name": "Family name",
    "street_address": "Street",
    "locality": "Town",
    "postal_code": "Postcode",
}
# Between the steps of a nested claim's name ("Address / Town"), wherever one is shown.
SEPARATOR: Final = " / "
# Which of a type's labels a person reads when it has several (SD-JWT VC §5.6.2 display
# entries by locale): British English first, as the registered types write them, then any
# English, then the first the type gives.
PREFERRED_LOCALES: Final = ("en-GB", "en", "en-US")
_SNAKE: Final = re.compile(r"[-_\s]+")  # given_name, place-of-birth: words
_STEP: Final = re.compile(r"\[\d*\]|[^.\[\]]+")  # a claim name's keys and [i] / [] steps


def moment(ts: int) -> str:
    """A time as a person reads it, in UTC: ``6 Dec 2026, 09:31 UTC``."""
    when = datetime.fromtimestamp(ts, UTC)
    return f"{when.day} {when:%b %Y, %H:%M} UTC"


def day(ts: int) -> str:
    """A date alone (issued, expires): ``6 Dec 2026``."""
    when = datetime.fromtimestamp(ts, UTC)
    return f"{when.day} {when:%b %Y}"


def ago(ts: int, now: int) -> str:
    """How long ago ``ts`` was (or how far ahead): ``just now``, ``5 minutes ago``,
    ``3 hours ago``, ``2 days ago``, ``in 4 days``."""
    delta = now - ts
    span = abs(delta)
    if span < JUST_NOW:
        return "just now"
    for size, unit in ((DAY, "day"), (HOUR, "hour"), (MINUTE, "minute")):
        if span >= size:
            count = span // size
            amount = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"{amount} ago" if delta > 0 else f"in {amount}"
    raise AssertionError("unreachable: a span of a minute or more has a unit")


def words(name: str) -> str:
    """``given_name`` as ``Given name``; ``not_eligible`` as ``Not eligible``; a name in
    ``NAMED`` as it says (``locality`` as ``Town``)."""
    if name in NAMED:
        return NAMED[name]
    text = _SNAKE.sub(" ", str(name)).strip()
    return text[:1].upper() + text[1:]


def labels(metadata: Mapping[str, Any]) -> dict[str, str]:
    """Claim name -> label from a credential type's metadata (SD-JWT VC §5.6.2 claim
    display), in ``PREFERRED_LOCALES`` order: what ``claim`` shows before a claim's own name,
    so the wallet and the desk word a type's claims alike. Entries it cannot read are left
    out (the claim is then worded from its name)."""
    found: dict[str, str] = {}
    claims = metadata.get("claims")
    for entry in claims if isinstance(claims, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("display"), list):
            continue
        shown = [d for d in entry["display"] if isinstance(d, Mapping) and "label" in d]
        chosen = next(
            (d for locale in PREFERRED_LOCALES for d in shown if d.get("locale") == locale),
            shown[0] if shown else None,
        )
        path = entry.get("path")
        if chosen is None or not isinstance(path, list) or not path:
            continue
        found[claim_name_or_repr(tuple(path))] = str(chosen["label"])
    return found


def claim(name: str | Sequence[Any], labels: Mapping[str, str] | None = None) -> str:
    """A claim as a person reads it: the label its type metadata gives (``labels``: claim
    name -> label, names as ``civicid.dcql.claim_name`` writes them), else its name in
    words. ``age_equal_or_over.18`` -> ``Age 18 or over``; ``address.locality`` ->
    ``Address / Town``; ``degrees[].type`` -> ``Degrees / any / Type``."""
    text = name if isinstance(name, str) else claim_name_or_repr(tuple(name))
    if labels and text in labels:
        return labels[text]
    steps = _STEP.findall(text)
    if len(steps) == 2 and steps[0] in _NUMBERED and steps[1].isdigit():
        return _NUMBERED[steps[0]].format(n=steps[1])
    shown, prefix = [], ""
    for step in steps:
        prefix += step if step.startswith("[") or not prefix else f".{step}"
        if labels and prefix in labels:
            shown.append(labels[prefix])
        elif step == "[]":
            shown.append("any")
        elif step.startswith("["):
            shown.append(f"#{int(step[1:-1]) + 1}")
        else:
            shown.append(words(step))
    return SEPARATOR.join(shown)


def value(item: Any) -> str:
    """A claim value on one line: ``yes``/``no`` for booleans, lists and objects joined."""
    if isinstance(item, bool):
        return "yes" if item else "no"
    if item is None:
        return "—"
    if isinstance(item, Mapping):
        return ", ".join(f"{words(str(k))}: {value(v)}" for k, v in item.items())
    if isinstance(item, list | tuple):
        return ", ".join(value(v) for v in item)
    return str(item)


class Condition(Protocol):
    """A policy's condition as ``civicid.policy.Predicate`` holds it, named by its shape:
    the policy module words its conditions with this module, which so does not import it."""

    @property
    def claim(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> Any: ...


def condition(predicate: Condition, labels: Mapping[str, str] | None = None) -> str:
    """A policy's condition as a person reads it, worded as a condition, never as a value
    received (the desk's page says the same): ``age is at least 65`` -> ``Age 65 or over``;
    ``resident is True`` -> ``Resident must be yes``; ``one_of`` -> ``Nationality must be one
    of FR, BE``; ``date_in_future`` -> ``Expiry date must be a date still to come``."""
    if predicate.kind == "age_at_least":
        return f"Age {predicate.value} or over"
    name = claim(predicate.claim, labels)
    if predicate.kind == "one_of":
        return f"{name} must be one of {value(list(predicate.value))}"
    if predicate.kind == "date_in_future":
        return f"{name} must be a date still to come"
    return f"{name} must be {value(predicate.value)}"


def decision(word: str | None) -> str:
    """A desk's decision: ``eligible`` -> ``Eligible``, ``not_eligible`` -> ``Not eligible``,
    none -> ``No decision``."""
    return words(word) if word else "No decision"


def counted(n: int, one: str, many: str) -> str:
    """``n`` things in words people read: "1 copy", "4 copies" (never "copy(ies)")."""
    return f"{n} {one if n == 1 else many}"
