"""``accept_checkpoint`` against a scripted ledger serving consistency proofs of one tree:
the first checkpoint signed by the pinned key is trusted and written to the trust file; a
larger one only once proven an extension; a smaller one is stale; another root at the same
size is a fork; the same note asked again is only aged; a checkpoint without
the state map's root, or of another origin, is refused and changes nothing trusted."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest

from civicid.checkpoint import Checkpoint, NoteSigner
from civicid.checkpoint_policy import CheckpointPolicy
from civicid.errors import Error
from civicid.ledger_client import LedgerClient
from civicid.merkle import MerkleTree, leaf_hash
from civicid.statemap import extension_line

ORIGIN = "ledger.example/checkpoints"
SIGNER = NoteSigner.generate(ORIGIN)
TREE = MerkleTree.from_leaf_hashes(b"".join(leaf_hash(bytes([i])) for i in range(12)))
MAP = extension_line(b"\x05" * 32)


def note(size: int, root: bytes | None = None, *, extensions: tuple[str, ...] = (MAP,),
         origin: str = ORIGIN, signer: NoteSigner = SIGNER) -> str:  # fmt: skip
    root = TREE.root(size) if root is None else root
    return signer.sign_checkpoint(Checkpoint(origin, size, root, extensions))


class Ledger:
    def __init__(self) -> None:
        self.asked: list[tuple[int, int]] = []
        self.lie = False
        self.garbage = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/proofs/consistency"
        old, new = int(request.url.params["from"]), int(request.url.params["to"])
        self.asked.append((old, new))
        proof = TREE.consistency_proof(old, new)
        if self.lie:
            proof = [leaf_hash(b"lie")] * len(proof)
        hashes = [base64.b64encode(h).decode() for h in proof]
        if self.garbage:
            return httpx.Response(200, json={"from": old, "to": new, "consistency": "no list"})
        return httpx.Response(200, json={"from": old, "to": new, "consistency": hashes})


def client_of(ledger: Ledger, trust_file: Path | None = None) -> LedgerClient:
    return LedgerClient(
        "http://ledger.test",
        SIGNER.vkey(),
        trust_file=trust_file,
        transport=httpx.MockTransport(ledger.handle),
    )


def code_of(client: LedgerClient, text: str) -> str:
    with pytest.raises(Error) as exc:
        client.accept_checkpoint(text)
    return exc.value.code


def test_trusted_growing_and_kept_in_the_trust_file(tmp_path: Path) -> None:
    ledger, path = Ledger(), tmp_path / "checkpoint"
    client = client_of(ledger, path)
    first = note(3)
    assert client.accept_checkpoint(first).size == 3
    assert client.trusted_note == first and path.read_text() == first and ledger.asked == []
    grown = note(7)
    assert client.accept_checkpoint(grown) == Checkpoint(ORIGIN, 7, TREE.root(7), (MAP,))
    assert ledger.asked == [(3, 7)] and path.read_text() == grown
    assert client.trusted is not None and client.trusted.size == 7
    client.close()
    again = client_of(ledger, path)  # the trust file carries it to the next run
    assert again.trusted == Checkpoint(ORIGIN, 7, TREE.root(7), (MAP,))
    assert code_of(again, note(5)) == "ledger_answer_stale"
    again.close()


def test_older_is_stale_and_another_root_a_fork(tmp_path: Path) -> None:
    ledger = Ledger()
    client = client_of(ledger, tmp_path / "checkpoint")
    client.accept_checkpoint(note(7))
    kept = (tmp_path / "checkpoint").read_text()
    assert code_of(client, note(6)) == "ledger_answer_stale"
    assert code_of(client, note(7, TREE.root(6))) == "ledger_forked"
    assert code_of(client, note(7, extensions=(extension_line(b"\x06" * 32),))) == "ledger_forked"
    assert client.trusted is not None and client.trusted.size == 7
    assert (tmp_path / "checkpoint").read_text() == kept and ledger.asked == []
    client.close()


def test_the_same_note_again_is_not_verified_again(tmp_path: Path) -> None:
    ledger, path = Ledger(), tmp_path / "checkpoint"
    client = client_of(ledger, path)
    first = note(7)
    assert client.accept_checkpoint(first).size == 7
    path.unlink()
    assert client.accept_checkpoint(first).size == 7  # only its age is checked
    assert not path.exists() and ledger.asked == []
    client.close()
    # Loaded from the trust file, the same note is verified (once) in this run.
    path.write_text(first)
    again = client_of(ledger, path)
    path.unlink()
    assert again.accept_checkpoint(first).size == 7 and path.read_text() == first
    again.close()


def test_a_larger_checkpoint_not_proven_an_extension_is_inconsistent(tmp_path: Path) -> None:
    ledger = Ledger()
    client = client_of(ledger, tmp_path / "checkpoint")
    client.accept_checkpoint(note(3))
    ledger.lie = True
    assert code_of(client, note(9)) == "ledger_inconsistent"
    ledger.lie = False
    assert code_of(client, note(9, TREE.root(10))) == "ledger_inconsistent"
    assert client.trusted is not None and client.trusted.size == 3
    assert client.accept_checkpoint(note(9)).size == 9
    assert ledger.asked == [(3, 9), (3, 9), (3, 9)]
    client.close()


def test_what_is_not_this_ledgers_checkpoint_changes_nothing(tmp_path: Path) -> None:
    ledger = Ledger()
    client = client_of(ledger, tmp_path / "checkpoint")
    assert code_of(client, note(4, extensions=())) == "map_root_missing"
    assert client.trusted is None and not (tmp_path / "checkpoint").exists()
    assert code_of(client, note(4, origin="ledger.example/other")) == "checkpoint_origin_mismatch"
    assert code_of(client, note(4, signer=NoteSigner.generate(ORIGIN))) == "note_unknown_key"
    assert client.trusted is None and client.trusted_note is None
    client.close()


def test_a_consistency_answer_that_is_no_proof_is_malformed() -> None:
    ledger = Ledger()
    client = client_of(ledger)
    client.accept_checkpoint(note(3))
    ledger.garbage = True
    assert code_of(client, note(9)) == "ledger_answer_malformed"
    assert client.trusted is not None and client.trusted.size == 3
    client.close()


def test_the_trust_policy_given_is_the_one_used() -> None:
    """A policy naming this ledger's key is taken (and asked of every checkpoint); one that
    lists only another ledger is refused when the client is made, naming this one."""
    own = CheckpointPolicy.parse(f"log {SIGNER.vkey()}\nquorum none\n", max_age=600)
    client = LedgerClient(
        "http://ledger.test",
        SIGNER.vkey(),
        transport=httpx.MockTransport(Ledger().handle),
        policy=own,
    )
    assert client.policy is own
    client.close()
    other = NoteSigner.generate("ledger.example/other")
    with pytest.raises(Error) as exc:
        LedgerClient(
            "http://ledger.test",
            SIGNER.vkey(),
            policy=CheckpointPolicy.parse(f"log {other.vkey()}\nquorum none\n"),
        )
    assert exc.value.code == "trust_policy_invalid" and ORIGIN in exc.value.message


def test_the_same_tree_head_noted_again_stays_trusted(tmp_path: Path) -> None:
    """The same checkpoint in another note (here with one more signature, by a key the
    client does not know): the fresher note is kept, the checkpoint stays trusted, and an
    older one is still stale."""
    ledger, path = Ledger(), tmp_path / "checkpoint"
    client = client_of(ledger, path)
    first = note(7)
    client.accept_checkpoint(first)
    extra = note(7, signer=NoteSigner.generate(ORIGIN)).split("\n\n", 1)[1]
    again = first + extra
    assert again != first
    assert client.accept_checkpoint(again) == Checkpoint(ORIGIN, 7, TREE.root(7), (MAP,))
    assert client.trusted == Checkpoint(ORIGIN, 7, TREE.root(7), (MAP,))
    assert client.witnessed is not None and client.witnessed.checkpoint == client.trusted
    assert client.trusted_note == again and path.read_text() == again
    assert code_of(client, note(5)) == "ledger_answer_stale"
    client.close()
