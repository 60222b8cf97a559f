"""``prove_entry`` against a scripted ledger that answers as the real one does (without
``treeSize``, a proof in its latest tree): the proof is asked for in the checkpoint's own
tree, so an entry is proven in a checkpoint older than the ledger's latest; an answer that
is no inclusion proof is ``ledger_answer_malformed``; a proof of another leaf is refused."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from civicid.merkle import MerkleTree, leaf_hash

ORIGIN = "ledger.example/inclusion"
SIGNER = NoteSigner.generate(ORIGIN)
LEAVES = [f"entry-{i}".encode() for i in range(9)]
TREE = MerkleTree.from_leaf_hashes(b"".join(leaf_hash(leaf) for leaf in LEAVES))
LATEST = len(LEAVES)


class Ledger:
    def __init__(self, body: Any = None) -> None:
        self.asked: list[dict[str, str]] = []
        self.body = body

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "GET" and request.url.path == "/proofs/inclusion"
        params = dict(request.url.params)
        self.asked.append(params)
        if self.body is not None:
            return httpx.Response(200, json=self.body)
        seq = int(params["seq"])
        size = int(params.get("treeSize", LATEST))  # the ledger's default: its latest tree
        path = [base64.b64encode(h).decode() for h in TREE.inclusion_proof(seq, size)]
        digest = leaf_hash(LEAVES[seq]).hex()
        return httpx.Response(
            200, json={"seq": seq, "treeSize": size, "leafHash": digest, "inclusion": path}
        )

    def client(self) -> LedgerClient:
        transport = httpx.MockTransport(self.handle)
        return LedgerClient("http://ledger.test", SIGNER.vkey(), transport=transport)


def test_an_entry_is_proven_in_the_checkpoints_own_tree() -> None:
    ledger = Ledger()
    client = ledger.client()
    for size in (5, LATEST):
        client.prove_entry(3, LEAVES[3], Checkpoint(ORIGIN, size, TREE.root(size)))
    assert ledger.asked == [{"seq": "3", "treeSize": "5"}, {"seq": "3", "treeSize": "9"}]
    with pytest.raises(Error) as exc:
        client.prove_entry(3, LEAVES[4], Checkpoint(ORIGIN, 5, TREE.root(5)))
    assert exc.value.code == "inclusion_proof_invalid"
    client.close()


@pytest.mark.parametrize(
    "body",
    [{"seq": 3}, {"seq": 3, "treeSize": 5, "leafHash": "00" * 32, "inclusion": "no list"}],
    ids=repr,
)
def test_an_answer_that_is_no_inclusion_proof_is_malformed(body: Any) -> None:
    client = Ledger(body).client()
    with pytest.raises(Error) as exc:
        client.prove_entry(3, LEAVES[3], Checkpoint(ORIGIN, 5, TREE.root(5)))
    assert exc.value.code == "ledger_answer_malformed"
    client.close()


@pytest.mark.parametrize("body", [{"seq": 0}, {"seq": 0, "transaction": 5}], ids=repr)
def test_an_entry_answer_that_is_no_entry_is_malformed(body: Any) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET" and request.url.path == "/transactions/0"
        return httpx.Response(200, json=body)

    transport = httpx.MockTransport(answer)
    client = LedgerClient("http://ledger.test", SIGNER.vkey(), transport=transport)
    with pytest.raises(Error) as exc:
        client.entry(0)
    assert exc.value.code == "ledger_answer_malformed"
    client.close()
