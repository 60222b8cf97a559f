"""A DID's history checked version by version from its creation, as a client does it."""

from __future__ import annotations

import pytest

from civicid.authority import Chain, Entry, verify_chain
from civicid.did import DID, build_document
from civicid.errors import Error
from civicid.identity import Identity
from civicid.jose import PublicKey
from civicid.merkle import leaf_hash
from civicid.transaction import DID_UPDATE, Transaction, build_tx

ORIGIN = "civicid.test/ledger"
NOW = 1_780_000_000


class History:
    """Entries of a little log: governance's genesis, then whatever a test appends."""

    def __init__(self) -> None:
        self.governance = Identity.create()
        self.entries: list[Entry] = []
        self.add(self.governance.genesis(origin=ORIGIN, checkpoint_key="k+00000000+AQ", now=NOW))

    def add(self, text: str) -> Entry:
        entry = Entry(len(self.entries), leaf_hash(text.encode()), Transaction.parse(text))
        self.entries.append(entry)
        return entry

    def governance_key(self, kid: str, seq: int) -> PublicKey:
        chain = self.verify(self.governance.did, [self.entries[0]])
        return chain.key(chain.before(seq), kid, "assertionMethod")

    def verify(self, did: DID, entries: list[Entry], known: Chain | None = None) -> Chain:
        return verify_chain(
            did,
            entries,
            origin=ORIGIN,
            governance=self.governance.did,
            governance_key=self.governance_key,
            known=known,
        )

    def create(self, who: Identity, role: str = "agency", now: int = NOW) -> Entry:
        endorsement = self.governance.endorse(who.did, role, ledger=ORIGIN, now=now)
        return self.add(who.create_tx(role=role, endorsement=endorsement, ledger=ORIGIN, now=now))


def version_id(entry: Entry, number: int) -> str:
    return f"{number}-{entry.leaf_hash.hex()}"


def refused(history: History, did: DID, entries: list[Entry], code: str) -> None:
    with pytest.raises(Error) as info:
        history.verify(did, entries)
    assert info.value.code == code, info.value


def test_a_rotated_and_deactivated_history_verifies() -> None:
    history = History()
    who = Identity.create(prerotate=True)
    first = history.create(who)
    successor, update = who.rotate(version_id(first, 1), ledger=ORIGIN, now=NOW + 10)
    second = history.add(update)
    third = history.add(successor.deactivate_tx(version_id(second, 2), ledger=ORIGIN, now=NOW + 20))
    chain = history.verify(who.did, [first, second, third])
    assert [v.number for v in chain.versions] == [1, 2, 3]
    assert chain.latest.deactivated and chain.role == "agency"
    assert chain.before(second.seq).seq == first.seq  # in force when the update was logged
    assert chain.at_time(NOW + 15).seq == second.seq
    assert chain.select("2", None).seq == second.seq
    assert chain.key(chain.before(third.seq), successor.kid, "assertionMethod") == (
        successor.key.public
    )
    with pytest.raises(Error) as info:
        chain.key(chain.latest, successor.kid, "assertionMethod")
    assert info.value.code == "signer_deactivated"
    with pytest.raises(Error) as info:
        chain.before(first.seq)
    assert info.value.code == "signer_unknown"


def test_a_known_prefix_is_not_verified_again_but_must_match() -> None:
    history = History()
    who = Identity.create()
    first = history.create(who)
    chain = history.verify(who.did, [first])
    _, update = who.rotate(version_id(first, 1), ledger=ORIGIN, now=NOW + 1)
    second = history.add(update)
    longer = history.verify(who.did, [first, second], known=chain)
    assert longer.versions[0] is chain.versions[0]
    other = history.create(Identity.create())
    with pytest.raises(Error) as info:
        history.verify(who.did, [other, second], known=chain)
    assert info.value.code == "did_history_invalid"


def test_pre_rotation_takeover_without_the_private_key_is_refused() -> None:
    """Knowing the committed next *public* key is not enough: the update must be signed by
    it, and signed by the current key it is refused too (the commitment binds)."""
    history = History()
    who = Identity.create(prerotate=True)
    first = history.create(who)
    assert who.next_key is not None
    attacker = Identity.create()
    document = build_document([("key-2", who.next_key.public)], did=who.did)
    body = {"did": who.did, "prev": version_id(first, 1), "document": document}
    forged = build_tx(attacker.key, f"{who.did}#key-2", DID_UPDATE, body, ledger=ORIGIN, now=NOW)
    refused(history, who.did, [first, history.add(forged)], "jws_signature_invalid")
    # The current key, which the commitment no longer lets rotate, keeps itself in control:
    keep = build_document([("key-1", who.key.public), ("key-2", attacker.key.public)], did=who.did)
    body = {"did": who.did, "prev": version_id(first, 1), "document": keep}
    unbound = build_tx(who.key, who.kid, DID_UPDATE, body, ledger=ORIGIN, now=NOW)
    refused(history, who.did, [first, history.add(unbound)], "prerotation_key_mismatch")


def test_each_broken_rule_is_refused_with_its_code() -> None:
    history = History()
    who = Identity.create()
    first = history.create(who)
    # prev naming something else, an update predating its predecessor, after deactivation
    _, stale = who.rotate("1-" + "00" * 32, ledger=ORIGIN, now=NOW + 1)
    refused(history, who.did, [first, history.add(stale)], "did_prev_mismatch")
    _, early = who.rotate(version_id(first, 1), ledger=ORIGIN, now=NOW - 1)
    refused(history, who.did, [first, history.add(early)], "tx_time_regression")
    gone = history.add(who.deactivate_tx(version_id(first, 1), ledger=ORIGIN, now=NOW + 2))
    _, after = who.rotate(version_id(gone, 2), ledger=ORIGIN, now=NOW + 3)
    refused(history, who.did, [first, gone, history.add(after)], "did_deactivated")
    # a creation endorsed by someone other than governance, or for another role
    rogue = Identity.create()
    outsider = Identity.create()
    endorsement = rogue.endorse(outsider.did, "agency", ledger=ORIGIN, now=NOW)
    create = history.add(
        outsider.create_tx(role="agency", endorsement=endorsement, ledger=ORIGIN, now=NOW)
    )
    refused(history, outsider.did, [create], "endorsement_invalid")
    # the genesis is governance's creation only; someone else's creation is not this DID's
    refused(history, who.did, [history.entries[0]], "did_history_invalid")
    refused(history, outsider.did, [first], "did_history_invalid")
    refused(history, who.did, [], "did_history_invalid")
    # versions out of log order
    _, update = who.rotate(version_id(first, 1), ledger=ORIGIN, now=NOW + 1)
    late = history.add(update)
    swapped = Entry(first.seq - 1 if first.seq else 0, late.leaf_hash, late.tx)
    refused(history, who.did, [first, swapped], "did_history_invalid")


def test_a_history_for_another_ledger_is_refused() -> None:
    history = History()
    who = Identity.create()
    endorsement = history.governance.endorse(who.did, "agency", ledger="elsewhere", now=NOW)
    create = history.add(
        who.create_tx(role="agency", endorsement=endorsement, ledger="elsewhere", now=NOW)
    )
    refused(history, who.did, [create], "did_history_invalid")
