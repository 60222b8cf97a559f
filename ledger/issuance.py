"""Issuance rules and redemptions on the ledger: who may write each, as rules the rule table
(``ledger/ruleset.py``) lists, and the registry's answers about them.

An issuance rule is published by an agency accredited for the type it issues, and its policy
may name only registered types; a withdrawal by the rule's agency. A redemption is logged by
a service desk accredited to check the single-use type (a distribution point), once per
credential status reference. Every rule and every redemption is numbered per name
(``civicid/issuance_rules.py``, ``civicid/entitlements.py``): an entry states the number it
takes, so an entry racing another for the same number is refused and signed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from civicid import statemap
from civicid import transaction as tx_types
from civicid.accreditation import VERIFIER, judge
from civicid.did import DID
from civicid.entitlements import (
    ENTITLEMENT_ALREADY_REDEEMED,
    ENTITLEMENT_NOT_SINGLE_USE,
    ENTITLEMENT_NUMBER_CONFLICT,
    parse_redeem,
    single_use,
)
from civicid.issuance_rules import (
    ISSUANCE_RULE_NOT_FOUND,
    ISSUANCE_RULE_TYPE_UNKNOWN,
    ISSUANCE_RULE_VERSION_CONFLICT,
    ISSUANCE_RULE_WITHDRAWN,
    parse_publish,
    parse_withdraw,
    rule_id,
)
from civicid.proven import STATUS_LIST_NOT_FOUND
from civicid.transaction import Transaction
from ledger.governance import ASSERTION, accreditations_of, require_writer
from ledger.registry import Answer
from ledger.rules import Context, Rule, moments, signer_key
from ledger.state import State

# State.extensions members (plain data, kept by state snapshots as they are):
# per rule id, its versions as (number, seq, leaf hash, iat, withdrawn) in log order;
RULES: Final = "issuanceRules"
# per status list URI, {"entries": [(number, seq, leaf hash, idx, desk, vct)],
# "indexes": {idx: seq}}.
REDEMPTIONS: Final = "redemptions"


@dataclass(frozen=True, slots=True)
class Entry:
    """A numbered entry about a name: what ``latest`` and the answers read."""

    number: int
    seq: int
    leaf_hash: bytes


def rule_entries(state: State, ident: str, size: int | None = None) -> list[Entry]:
    held = state.extensions.get(RULES, {}).get(ident, [])
    found = [Entry(n, seq, leaf) for n, seq, leaf, *_ in held]
    return found if size is None else [e for e in found if e.seq < size]


def redemption_entries(state: State, uri: str, size: int | None = None) -> list[Entry]:
    held = state.extensions.get(REDEMPTIONS, {}).get(uri)
    found = [Entry(n, seq, leaf) for n, seq, leaf, *_ in held["entries"]] if held else []
    return found if size is None else [e for e in found if e.seq < size]


def latest_names(state: State) -> list[tuple[str, str, int, bytes]]:
    """(kind, name, seq, leaf hash) of the latest entry about every rule and list of
    redemptions: what the state map holds for them (state snapshots check it)."""
    found = [
        (statemap.ISSUANCE_RULE, ident, versions[-1][1], versions[-1][2])
        for ident, versions in state.extensions.get(RULES, {}).items()
    ]
    found += [
        (statemap.REDEMPTIONS, uri, held["entries"][-1][1], held["entries"][-1][2])
        for uri, held in state.extensions.get(REDEMPTIONS, {}).items()
    ]
    return found


# -- issuance rules -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleChange:
    ident: str
    number: int
    withdrawn: bool
    iat: int
    tx_id: str

    def apply(self, state: State, seq: int, leaf_hash: bytes) -> None:
        versions = state.extensions.setdefault(RULES, {}).setdefault(self.ident, [])
        versions.append((self.number, seq, leaf_hash, self.iat, self.withdrawn))
        state.tx_ids.add(self.tx_id)
        state.note_latest(statemap.ISSUANCE_RULE, self.ident, seq, leaf_hash)


def _follows(state: State, ident: str, number: int, iat: int) -> list[Any]:
    """The entry takes the rule's next number, and is not older than the version it follows
    (so "the version in force at a time" is the last one logged before it)."""
    versions: list[Any] = state.extensions.get(RULES, {}).get(ident, [])
    if number != len(versions) + 1:
        raise ISSUANCE_RULE_VERSION_CONFLICT(
            f"{ident} is at version {len(versions)}; this entry states version {number}"
        )
    if versions and iat < versions[-1][3]:
        raise ISSUANCE_RULE_VERSION_CONFLICT("the entry is older than the version it follows")
    return versions


def check_rule_publish(state: State, tx: Transaction, ctx: Context) -> RuleChange:
    signer_key(state, tx, ASSERTION, ctx)
    name, number, vct, policy, _, _ = parse_publish(tx.body)
    # The agency is accredited to issue what the rule issues, now and at the iat it claims.
    require_writer(state, tx, ctx, vct)
    for wanted in (vct, *policy.credential_types):
        if not state.credential_types.get(wanted):
            raise ISSUANCE_RULE_TYPE_UNKNOWN(f"{wanted} is not a registered credential type")
    ident = rule_id(tx.signer, name)
    _follows(state, ident, number, tx.iat)
    return RuleChange(ident, number, False, tx.iat, tx.id)


def check_rule_withdraw(state: State, tx: Transaction, ctx: Context) -> RuleChange:
    # Only the rule's agency (its entries are under its DID); an agency whose accreditation
    # has ended may still withdraw: a withdrawal only takes a promise away.
    signer_key(state, tx, ASSERTION, ctx)
    name, number, _ = parse_withdraw(tx.body)
    ident = rule_id(tx.signer, name)
    versions = state.extensions.get(RULES, {}).get(ident)
    if not versions:
        raise ISSUANCE_RULE_NOT_FOUND(f"{tx.signer} has no rule {name!r}")
    if versions[-1][4]:
        raise ISSUANCE_RULE_WITHDRAWN(f"{name} is already withdrawn")
    _follows(state, ident, number, tx.iat)
    return RuleChange(ident, number, True, tx.iat, tx.id)


def rule_answer(state: State, issuer: str, name: str, size: int) -> Answer:
    """Every version of the rule logged before ``size``; the latest's map proof."""
    ident = rule_id(issuer, name)
    entries = rule_entries(state, ident, size)
    if not entries:
        raise ISSUANCE_RULE_NOT_FOUND(f"{issuer} has no rule {name!r}")
    body = {"issuer": issuer, "rule": name, "versions": len(entries)}
    return Answer(body, tuple(e.seq for e in entries), ((statemap.ISSUANCE_RULE, ident),))


def rules_answer(state: State, size: int, issuer: str | None = None) -> Answer:
    """The latest version of every rule (or of ``issuer``'s)."""
    latest = []
    for ident in list(state.extensions.get(RULES, {})):
        owner, name = ident.rsplit("/", 1)
        if issuer is not None and owner != issuer:
            continue
        entries = rule_entries(state, ident, size)
        if entries:
            latest.append((owner, name, entries[-1]))
    latest.sort(key=lambda found: found[2].seq)
    body = {
        "rules": [
            {"issuer": owner, "rule": name, "version": e.number, "seq": e.seq}
            for owner, name, e in latest
        ]
    }
    return Answer(body, tuple(e.seq for _, _, e in latest))


# -- redemptions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RedeemChange:
    uri: str
    idx: int
    number: int
    desk: DID
    vct: str
    tx_id: str

    def apply(self, state: State, seq: int, leaf_hash: bytes) -> None:
        held = state.extensions.setdefault(REDEMPTIONS, {}).setdefault(
            self.uri, {"entries": [], "indexes": {}}
        )
        held["entries"].append((self.number, seq, leaf_hash, self.idx, self.desk, self.vct))
        held["indexes"][self.idx] = seq
        state.tx_ids.add(self.tx_id)
        state.note_latest(statemap.REDEMPTIONS, self.uri, seq, leaf_hash)


def distribution_point(state: State, signer: DID, vct: str, tx: Transaction, ctx: Context) -> None:
    """The signer is a service desk accredited to check ``vct`` (any of its claims): the
    trust registry's verifier grant is what makes a desk a distribution point for a type."""
    grants = [(a.grant, 0 if a.revocation else None) for a in accreditations_of(state, signer)]
    for at in moments(tx, ctx):
        judge(signer, VERIFIER, grants, at, vct=vct).require()


def check_redeem(state: State, tx: Transaction, ctx: Context) -> RedeemChange:
    signer_key(state, tx, ASSERTION, ctx)
    uri, idx, vct, number = parse_redeem(tx.body)
    distribution_point(state, tx.signer, vct, tx, ctx)
    types = state.credential_types.get(vct)
    if not types or not single_use(types[-1].metadata.document):
        raise ENTITLEMENT_NOT_SINGLE_USE(f"{vct} is not a single-use credential type")
    if not state.status_lists.get(uri):
        raise STATUS_LIST_NOT_FOUND(f"no status list {uri} on the ledger")
    held = state.extensions.get(REDEMPTIONS, {}).get(uri)
    if held is not None and idx in held["indexes"]:
        raise ENTITLEMENT_ALREADY_REDEEMED(
            f"entry {idx} of {uri} was redeemed at entry {held['indexes'][idx]}",
            seq=held["indexes"][idx],
        )
    count = len(held["entries"]) if held is not None else 0
    if number != count + 1:
        raise ENTITLEMENT_NUMBER_CONFLICT(f"{uri} has {count} redemptions; this states {number}")
    return RedeemChange(uri, idx, number, tx.signer, vct, tx.id)


def redemptions_answer(state: State, uri: str, size: int) -> Answer:
    """Every redemption of the list's credentials before ``size``; the latest's map proof
    (none: the proof that there is none)."""
    entries = redemption_entries(state, uri, size)
    body = {"uri": uri, "count": len(entries)}
    return Answer(body, tuple(e.seq for e in entries), ((statemap.REDEMPTIONS, uri),))


def redemption_counts(state: State) -> dict[str, Any]:
    """How many redemptions each desk logged, per type: public counts, no credential named."""
    counts: dict[tuple[str, str], int] = {}
    for held in list(state.extensions.get(REDEMPTIONS, {}).values()):
        for *_, desk, vct in held["entries"]:
            counts[(desk, vct)] = counts.get((desk, vct), 0) + 1
    rows = [{"desk": d, "vct": v, "count": n} for (d, v), n in sorted(counts.items())]
    return {"counts": rows, "total": sum(counts.values())}


ISSUANCE_RULES: Final[dict[str, Rule]] = {
    tx_types.ISSUANCE_RULE: check_rule_publish,
    tx_types.ISSUANCE_RULE_WITHDRAW: check_rule_withdraw,
    tx_types.ENTITLEMENT_REDEEM: check_redeem,
}
