"""The answer to the desk page's poll (``GET /transactions/{id}``), written without the wire
model: the page asks every second or so while a wallet answers, and the model would parse the
stored decision, check it, and write it again, to send the same bytes. The bytes are the
model's (``civicid.wire.desk.Transaction``): compact JSON, members in its order, characters as
they are; a test holds the two equal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from civicid.times import rfc3339

# A decision as the store writes it now (``decision_text``) begins so; one
# stored before (spaces after separators, characters escaped) is written again.
COMPACT_DECISION: Final = '{"decision":"'


def status_of(
    expires: int, fetched: int | None, answered: int | None, decided: bool, now: int
) -> str:
    """A request's status as the desk's page shows it."""
    if decided:
        return "decided"
    if answered is not None:
        return "checking"
    if expires <= now:
        return "expired"
    return "fetched" if fetched is not None else "waiting"


@dataclass(frozen=True, slots=True)
class Polled:
    """What the desk's page polls of a request: its status columns, and its decision as the
    store keeps it (``decision_text``), not parsed: the poll sends it on as it is."""

    policy: str
    expires: int
    fetched: int | None
    answered: int | None
    decision: str | None

    def status(self, now: int) -> str:
        return status_of(self.expires, self.fetched, self.answered, self.decision is not None, now)


POLLED_COLUMNS: Final = "policy, expires, fetched, answered, decision"


def decision_text(decision: dict[str, Any]) -> str:
    """A decision as the store keeps it: compact JSON with its characters as they are, which
    is how the wire model writes it (``civicid.wire.desk.DecisionView``), so the page's poll
    sends the stored text unchanged. A lone surrogate (no UTF-8 form) is kept escaped."""
    text = json.dumps(decision, separators=(",", ":"), ensure_ascii=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(decision, separators=(",", ":"))
    return text


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def poll_answer(polled: Polled, title: str, now: int) -> bytes:
    """The poll's JSON for ``polled``, the request's policy shown as ``title``."""
    decision = polled.decision
    if decision is None:
        decision = "null"
    elif not decision.startswith(COMPACT_DECISION):
        decision = decision_text(json.loads(decision))
    text = (
        f'{{"status":"{polled.status(now)}","policy":{_string(polled.policy)},'
        f'"title":{_string(title)},"expires_at":"{rfc3339(polled.expires)}",'
        f'"decision":{decision}}}'
    )
    return text.encode("utf-8")
