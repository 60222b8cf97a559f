"""Issuance rules as the transparency page shows them: each agency's rules by name, the
version in force (or its withdrawal), what it issues and on which conditions, read from the
rule's entry in the log once and kept, worded by the labels its types give their claims as
the page is drawn."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from civicid import words
from civicid.console import inert
from civicid.errors import Error
from civicid.issuance_rules import parse_publish
from civicid.policy import Policy
from civicid.transaction import Transaction
from ledger.issuance import RULES
from ledger.state import State
from ledger.transparency.type_names import TypeShown, claim_labels, type_shown

# Rules listed on the page (the JSON at /issuance-rules lists them all).
MAX_RULES: Final = 200


@dataclass(frozen=True, slots=True)
class RuleRow:
    issuer: str
    issuer_name: str
    name: str
    version: int
    since: str
    withdrawn: str | None  # when, once withdrawn
    issues: TypeShown | None  # the type it issues (None: its entry cannot be read here)
    title: str
    purpose: str
    accepts: tuple[TypeShown, ...]  # the credential types it takes, any one of them
    needs: tuple[str, ...]  # the claims and conditions it asks for, in words


@dataclass(frozen=True, slots=True)
class _Published:
    vct: str
    title: str
    purpose: str
    policy: Policy | None  # None when it cannot be read


_UNREAD: Final = _Published("", "", "", None)


def _when(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def _published(state: State, seq: int) -> _Published:
    if state.reader is None:
        return _UNREAD
    try:
        body: dict[str, Any] = Transaction.parse(state.reader(seq)).body
        _, _, vct, policy, _, _ = parse_publish(body)
    except Error:  # the ledger logged it valid; a reader of a newer format shows what it can
        return _UNREAD
    return _Published(vct, inert(policy.title), inert(policy.purpose), policy)


def _accepts(state: State, size: int, policy: Policy | None) -> tuple[TypeShown, ...]:
    if policy is None:
        return ()
    return tuple(type_shown(state, size, vct) for vct in policy.credential_types)


def _needs(state: State, size: int, policy: Policy | None) -> tuple[str, ...]:
    """What ``policy`` asks for as the desk and the wallet word it (``civicid.words``: "Given
    name", "Resident must be yes", "Age 65 or over"), not as the policy writes it; a claim
    by the label its credential types give it on this ledger (the first type's wins), as the
    desk's page shows it."""
    if policy is None:
        return ()
    labels = claim_labels(state, size, policy.credential_types)
    needs = [inert(words.claim(c, labels)) for c in policy.required_claims]
    needs += [inert(words.condition(p, labels)) for p in policy.predicates]
    return tuple(needs)


def issuance_rules(
    state: State, size: int, name_of: Callable[[str], str], cache: dict[int, Any]
) -> tuple[RuleRow, ...]:
    """The latest version of each rule logged before ``size``, oldest rule first."""
    rows = []
    for ident, versions in list(state.extensions.get(RULES, {}).items()):
        seen = [v for v in list(versions) if v[1] < size]
        if not seen:
            continue
        issuer, name = ident.rsplit("/", 1)
        number, _, _, iat, withdrawn = seen[-1]
        published = next((v for v in reversed(seen) if not v[4]), None)
        text = _UNREAD
        if published is not None:
            if published[1] not in cache:
                cache[published[1]] = _published(state, published[1])
            text = cache[published[1]]
        first = published[3] if published is not None else iat
        row = RuleRow(
            issuer=issuer,
            issuer_name=name_of(issuer),
            name=inert(name),
            version=number,
            since=_when(first),
            withdrawn=_when(iat) if withdrawn else None,
            issues=type_shown(state, size, text.vct) if text.vct else None,
            title=text.title,
            purpose=text.purpose,
            accepts=_accepts(state, size, text.policy),
            needs=_needs(state, size, text.policy),
        )
        rows.append((seen[0][1], row))
    rows.sort(key=lambda row: row[0])
    return tuple(row for _, row in rows[:MAX_RULES])
