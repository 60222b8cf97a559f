"""Status refresh: each copy's status read from the status list tokens on the ledger (proven
included, signed by the list's owner, fresh), never from the issuer, who would learn when
and how often the citizen's wallet looks."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from civicid.errors import Error
from civicid.proven import ProvenStatusList
from wallet.holder.credentials import UNKNOWN, Credential
from wallet.holder.intake import STATUS_NAMES

if TYPE_CHECKING:
    from wallet.holder.holding import Holding


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a refresh found: the credentials as now stored, and lists it could not read."""

    credentials: tuple[Credential, ...]
    failures: dict[str, str] = field(default_factory=dict)  # list URI -> error code
    changed: tuple[str, ...] = ()  # ids of credentials whose status changed
    reasons: dict[str, str] = field(default_factory=dict)  # list URI -> the error's message


def refresh(
    wallet: Holding, only: Collection[str] | None = None, *, keep_unchanged: bool = True
) -> Refreshed:
    """Read every status list the wallet's copies point to (each once) and store the result
    in one sealed write. A list the ledger cannot prove leaves its copies as they were.
    ``only``: just these credentials (ids), e.g. the one about to be shown;
    ``keep_unchanged=False``: store only the credentials whose status changed (a check on
    the way to something else writes only what it learned)."""
    now = wallet.clock()
    held = [c for c in wallet.credentials() if only is None or c.id in only]
    # Each list once per issuer whose copies point to it: a list counts only for its owner's.
    lists: dict[tuple[str, str], ProvenStatusList] = {}
    failures: dict[str, str] = {}
    reasons: dict[str, str] = {}
    asked = {(c.status_uri, h.issuer) for h in held for c in h.copies if c.status_uri}
    for uri, issuer in sorted(asked):
        try:
            trust = wallet.trust_for(issuer)  # the issuer's ledger: home, or a pinned one
            lists[uri, issuer] = trust.status_list(uri, issuer=issuer, now=now).value
        except Error as exc:
            failures[uri] = exc.code
            reasons[uri] = exc.message
    updated, changed = [], []
    for credential in held:
        statuses = {}
        for copy in credential.copies:
            listed = lists.get((copy.status_uri or "", credential.issuer))
            if listed is not None and copy.status_idx is not None:
                try:
                    value = listed.status(copy.status_idx)
                except Error:
                    statuses[copy.id] = UNKNOWN  # an index out of range is no "valid" (§8.3)
                    continue
                statuses[copy.id] = STATUS_NAMES.get(value, UNKNOWN)
        fresh = credential.with_statuses(statuses, now)
        if fresh.status(now) != credential.status(now):
            changed.append(credential.id)
        updated.append(fresh)
    wallet.put_many(updated if keep_unchanged else [c for c in updated if c.id in changed])
    return Refreshed(tuple(updated), failures, tuple(changed), reasons)
