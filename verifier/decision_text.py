"""A desk's decision as ``civicid verifier request`` and ``check`` print it, in the words the
desk's page uses (``civicid.words``): claims by name in words ("Age 18 or over"), the
policy's conditions as "Resident: yes", and " — " between a step's title and its detail."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from civicid import words
from civicid.policy import Policy
from verifier.errors import RESPONSE_ERROR

MARKS: Final = {"passed": "✓", "failed": "✗", "skipped": "·"}
# The details that name claims or conditions, as the checks write them (the page's
# ``detailWords`` reads the same).
NOT_DISCLOSED: Final = re.compile(r"^(\S+) was not disclosed$")
NOT_MET: Final = "not met: "


class Said:
    """What ``policy`` (if this desk's files hold it) calls its claims and conditions."""

    def __init__(self, policy: Policy | None) -> None:
        self.asked = policy.requested if policy is not None else ()
        self.conditions: Mapping[str, str] = (
            {p.describe(): words.condition(p) for p in policy.predicates} if policy else {}
        )

    def claims(self, names: list[str]) -> str:
        """``names`` in words, in the order the policy asks for them (as the page lists)."""
        asked = list(self.asked)
        ranked = sorted(
            enumerate(names),
            key=lambda item: (asked.index(item[1]) if item[1] in asked else len(asked), item[0]),
        )
        return ", ".join(words.claim(name) for _, name in ranked)

    def condition_list(self, text: str) -> str:
        """Conditions as a decision describes them ("resident: yes; …"), each in words;
        one the policy does not know (changed since, or not here) as sent."""
        return "; ".join(self.conditions.get(one, one) for one in text.split("; "))

    def detail(self, step: dict[str, Any]) -> str:
        detail = str(step.get("detail") or "")
        if step.get("step") == "claims":
            missing = NOT_DISCLOSED.match(detail)
            if missing:
                return f"{words.claim(missing[1])} was not shared"
            return self.claims(detail.split(", ")) if step.get("status") == "passed" else detail
        if step.get("step") == "predicates" and detail:
            if detail.startswith(NOT_MET):
                return NOT_MET + self.condition_list(detail.removeprefix(NOT_MET))
            return self.condition_list(detail)
        return detail


def text_of(decision: Mapping[str, Any], policy: Policy | None = None) -> str:
    """``decision`` (its JSON) as lines a person reads; ``policy``, where known here, words
    its conditions."""
    said = Said(policy)
    # A wallet that answered with an error sent nothing: no check ran on the citizen (the
    # desk's page says "Nothing was shared" for it too).
    nothing = not decision["eligible"] and decision.get("code") == RESPONSE_ERROR.name
    head = "ELIGIBLE" if decision["eligible"] else "NOTHING SHARED" if nothing else "NOT ELIGIBLE"
    lines = [f"{head} for {decision['policy']} ({decision['decided_at']})"]
    if not decision["eligible"]:
        lines.append(f"  {decision['reason']} [{decision['code']}]")
    if decision.get("issuer"):
        lines.append(f"  credential {decision['vct']} from {decision['issuer']}")
    if decision.get("received_claims"):
        lines.append(f"  claims received: {said.claims(list(decision['received_claims']))}")
    if decision.get("offline"):
        lines.append("  checked offline, against the last synced snapshot")
    for step in decision["steps"]:
        code = f" [{step['code']}]" if step.get("code") else ""
        detail = said.detail(step)
        said_detail = f" — {detail}" if detail else ""
        lines.append(f"  {MARKS[step['status']]} {step['title']}{code}{said_detail}")
    return "\n".join(line.rstrip() for line in lines)
