"""``proven``: an entry of an answer, given as its JSON or as its wire model, proven included
in a checkpoint; one that is not an entry, comes without its transaction, is not ASCII (no
transaction is) or is not in the tree is refused with its code."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from civicid import wire
from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.errors import Error
from civicid.identity import Identity
from civicid.ledger_client import LedgerClient
from civicid.merkle import MerkleTree, leaf_hash
from tests.civicid.ledger_client_fixtures import offline

ORIGIN = "ledger.example/proven"
SIGNER = NoteSigner.generate(ORIGIN)
NOW = 1_780_000_000


@pytest.fixture(scope="module")
def text() -> str:
    governance, who = Identity.create(), Identity.create()
    endorsement = governance.endorse(who.did, "agency", ledger=ORIGIN, now=NOW)
    return who.create_tx(role="agency", endorsement=endorsement, ledger=ORIGIN, now=NOW)


@pytest.fixture
def client() -> Iterator[LedgerClient]:
    with offline(SIGNER.vkey()) as made:
        yield made


def tree_with(text: str) -> tuple[MerkleTree, Checkpoint]:
    tree = MerkleTree()
    for h in (leaf_hash(b"genesis"), leaf_hash(text.encode()), leaf_hash(b"later")):
        tree.append(h)
    return tree, Checkpoint(ORIGIN, 3, tree.root())


def test_an_entry_as_json_or_as_its_model(client: LedgerClient, text: str) -> None:
    tree, checkpoint = tree_with(text)
    model = wire.IncludedEntry.model_validate(
        {"seq": 1, "transaction": text, "inclusion": tree.inclusion_proof(1, 3)}
    )
    for item in (model, model.to_json()):
        entry = client.proven(item, checkpoint)
        assert entry.seq == 1 and entry.leaf_hash == leaf_hash(text.encode())
        assert entry.tx.kid.startswith(entry.tx.body["did"])


def test_what_is_no_proven_entry(client: LedgerClient, text: str) -> None:
    tree, checkpoint = tree_with(text)
    good = {"seq": 1, "transaction": text, "inclusion": tree.inclusion_proof(1, 3)}
    json = wire.IncludedEntry.model_validate(good).to_json()
    for bad, code in [
        ({"seq": 1}, "ledger_answer_malformed"),
        ([json], "ledger_answer_malformed"),
        ({**json, "seq": "one"}, "ledger_answer_malformed"),
        ({k: v for k, v in json.items() if k != "transaction"}, "ledger_answer_malformed"),
        ({**json, "seq": 2}, "inclusion_proof_invalid"),
    ]:
        with pytest.raises(Error) as exc:
            client.proven(bad, checkpoint)
        assert exc.value.code == code, bad


def test_an_entry_that_is_not_ascii_is_unreadable(client: LedgerClient, text: str) -> None:
    tree, checkpoint = tree_with(text)
    item = {"seq": 1, "transaction": text + "\u00e9", "inclusion": tree.inclusion_proof(1, 3)}
    with pytest.raises(Error) as exc:
        client.proven(item, checkpoint)
    assert exc.value.code == "ledger_answer_malformed"
    assert exc.value.message.startswith("unreadable entry: ")
