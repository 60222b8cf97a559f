"""The ledger client's questions about issuance rules and redemptions, each answer re-derived
from proven entries: every entry included in an accepted checkpoint and signed by its signer
with a key of its DID as it stood when logged; the entries of a name numbered 1..N without a
gap and the N-th proven the latest by the state map (or nothing proven to exist), so no
version, withdrawal or redemption can be withheld. The trust package asks these
(``civicid.trust``); nothing else decides them. Each is asked of the ledger's servers in turn
(``LedgerClient.in_turn``): an answer that fails its proofs, or a refusal without proof, is
asked again of the next server, as every other question of the client is.
"""

from __future__ import annotations

from civicid import statemap
from civicid.entitlements import (
    MAX_REDEMPTIONS_PER_LIST,
    ProvenRedemptions,
    Redemption,
    redemption_of,
)
from civicid.errors import Error, VerificationError
from civicid.issuance_rules import (
    MAX_RULE_VERSIONS,
    ProvenRule,
    RuleVersion,
    rule_id,
    version_of,
)
from civicid.proven import LEDGER_ANSWER_MISMATCH, ProvenEntry
from civicid.registry_client import ProvingReader, RegistryClient, check_latest
from civicid.status_uri import normalize_uri


def _numbered(entries: list[ProvenEntry], limit: int, what: str) -> list[ProvenEntry]:
    ordered = sorted(entries, key=lambda e: e.seq)
    if len(ordered) > limit:
        raise LEDGER_ANSWER_MISMATCH(f"more than {limit} entries about {what}")
    return ordered


def issuance_rule(client: ProvingReader, issuer: str, name: str) -> ProvenRule:
    """Every version of ``issuer``'s rule ``name``, proven (a "not found" only with the proof
    that the state map holds nothing for it)."""
    return client.in_turn(lambda: _issuance_rule(client, issuer, name))


def _issuance_rule(client: ProvingReader, issuer: str, name: str) -> ProvenRule:
    ident = rule_id(issuer, name)
    answer = client.get_json(
        "/issuance-rules",
        {"issuer": issuer, "rule": name},
        absent=(statemap.ISSUANCE_RULE, ident),
    )
    checkpoint, entries = RegistryClient(client).proven_entries(answer)
    versions: list[RuleVersion] = []
    for number, entry in enumerate(_numbered(entries, MAX_RULE_VERSIONS, ident), 1):
        if entry.tx.signer != issuer or entry.tx.body.get("rule") != name:
            raise LEDGER_ANSWER_MISMATCH(f"entry {entry.seq} is not about {ident}")
        try:
            version = version_of(entry.tx, entry.seq, entry.leaf_hash)
        except VerificationError:
            raise
        except Error as exc:
            raise LEDGER_ANSWER_MISMATCH(f"entry {entry.seq}: {exc.message}") from exc
        if version.version != number:
            raise LEDGER_ANSWER_MISMATCH(f"version {number} of {ident} is missing from the answer")
        versions.append(version)
    if not versions:
        raise LEDGER_ANSWER_MISMATCH(f"the answer about {ident} holds no version")
    latest = versions[-1]
    check_latest(answer, checkpoint, statemap.ISSUANCE_RULE, ident, (latest.seq, latest.leaf_hash))
    return ProvenRule(versions[0].issuer, name, tuple(versions), checkpoint)


def redemptions(client: ProvingReader, uri: str) -> ProvenRedemptions:
    """Every redemption of the credentials of the status list at ``uri``, proven."""
    uri = normalize_uri(uri)
    return client.in_turn(lambda: _redemptions(client, uri))


def _redemptions(client: ProvingReader, uri: str) -> ProvenRedemptions:
    answer = client.get_json("/redemptions", {"uri": uri})
    checkpoint, entries = RegistryClient(client).proven_entries(answer)
    redeemed: dict[int, Redemption] = {}
    last = None
    for number, entry in enumerate(_numbered(entries, MAX_REDEMPTIONS_PER_LIST, uri), 1):
        try:
            found = redemption_of(entry.tx, entry.seq, entry.leaf_hash)
        except VerificationError:
            raise
        except Error as exc:
            raise LEDGER_ANSWER_MISMATCH(f"entry {entry.seq}: {exc.message}") from exc
        if found.uri != uri:
            raise LEDGER_ANSWER_MISMATCH(f"entry {entry.seq} redeems from another list")
        if found.number != number:
            raise LEDGER_ANSWER_MISMATCH(f"redemption {number} of {uri} is missing")
        if found.idx in redeemed:
            raise LEDGER_ANSWER_MISMATCH(f"entry {found.idx} of {uri} is redeemed twice")
        redeemed[found.idx] = found
        last = found
    check_latest(
        answer,
        checkpoint,
        statemap.REDEMPTIONS,
        uri,
        None if last is None else (last.seq, last.leaf_hash),
    )
    if answer.get("count") != len(redeemed):
        raise LEDGER_ANSWER_MISMATCH("the answer's count differs from its proven entries")
    return ProvenRedemptions(uri, redeemed, checkpoint)


def rule_names(client: ProvingReader, issuer: str) -> tuple[str, ...]:
    """The names of ``issuer``'s rules, from the ledger's list (each rule is then believed
    only through ``issuance_rule``, which proves none of its versions is withheld)."""
    return client.in_turn(lambda: _rule_names(client, issuer))


def _rule_names(client: ProvingReader, issuer: str) -> tuple[str, ...]:
    answer = client.get_json("/issuance-rules", {"issuer": issuer})
    _, entries = RegistryClient(client).proven_entries(answer)
    names = []
    for entry in entries:
        name = entry.tx.body.get("rule")
        if entry.tx.signer != issuer or not isinstance(name, str):
            raise LEDGER_ANSWER_MISMATCH(f"entry {entry.seq} is not one of {issuer}'s rules")
        names.append(name)
    return tuple(dict.fromkeys(names))
