"""Attack: an operator who can sign checkpoints logs DID versions its own rules would refuse,
proves them included, and serves them; or a mirror replays one genuine entry twice in a
history. The client re-checks every version by the rule that logged it: the pre-rotation
commitment carried from version to version, a document that is the DID's own, entries in
log order. The ledger holds the same commitments itself."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from civicid import transaction as tx
from civicid.authority import Head
from civicid.did import Document
from civicid.encoding import b64_encode
from civicid.errors import Error
from civicid.identity import Identity
from ledger import rules
from tests.ledger.conftest import World
from tests.ledger.mirror import mirrored
from tests.ledger.trust import refused


def rotated_twice_committed(world: World) -> tuple[Identity, Identity]:
    """A DID created with a pre-rotation commitment and rotated once by the committed key
    (which committed to a next one in turn): the original identity and its successor."""
    first = world.register(prerotate=True)
    successor, update = first.rotate(world.head(first), ledger=world.origin, now=world.clock.now)
    world.ledger.submit(update)
    assert successor.next_key is not None
    return first, successor


def current_key_update(world: World, successor: Identity) -> str:
    """An update signed by the key now in force, which the DID did not commit to next."""
    body = {
        "did": successor.did,
        "prev": world.head(successor),
        "document": successor.document,
        "nextKeyHashes": [],
    }
    return world.sign(successor, tx.DID_UPDATE, body)


def test_the_commitment_holds_after_each_rotation(world: World) -> None:
    """A stolen current key cannot rotate the DID after a pre-rotated rotation either."""
    _, successor = rotated_twice_committed(world)
    refused(world, current_key_update(world, successor), "prerotation_key_mismatch")


def log_unchecked(world: World, text: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Log ``text`` as an operator who skips the rule of succession would."""

    def anything_goes(
        tx_: tx.Transaction, head: Head, **_: Any
    ) -> tuple[Document, tuple[str, ...]]:
        return Document.validate(head.did, tx_.body["document"], full=False), ()

    with monkeypatch.context() as patch:
        patch.setattr(rules, "check_successor", anything_goes)
        return world.ledger.submit(text).seq


def test_an_update_past_the_commitment_logged_by_the_operator(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, successor = rotated_twice_committed(world)
    log_unchecked(world, current_key_update(world, successor), monkeypatch)
    with mirrored(world) as mirror:
        client = mirror.client(world)
        with pytest.raises(Error) as info:
            client.resolve(successor.did)
        assert info.value.code == "prerotation_key_mismatch"
        client.close()


def test_a_document_of_another_did_logged_by_the_operator(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new version names another DID as its id; only a full check of the document sees it."""
    agency, other = world.register(), Identity.create()
    document = json.loads(json.dumps(agency.document))
    document["id"] = other.did
    body = {"did": agency.did, "prev": world.head(agency), "document": document}
    log_unchecked(world, world.sign(agency, tx.DID_UPDATE, body), monkeypatch)
    with mirrored(world) as mirror:
        client = mirror.client(world)
        with pytest.raises(Error) as info:
            client.resolve(agency.did)
        assert info.value.code == "did_document_invalid"
        client.close()


def proven_entry(world: World, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "transaction": world.ledger.entry(seq).decode("ascii"),
        "inclusion": [b64_encode(h) for h in world.ledger.inclusion_proof(seq, world.ledger.size)],
    }


def test_one_entry_served_twice_in_a_history(world: World) -> None:
    agency = world.register()
    successor, update = agency.rotate(world.head(agency), ledger=world.origin, now=world.clock.now)
    rotation = world.ledger.submit(update).seq

    def repeat(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        proof = answer["didResolutionMetadata"]["proof"]
        proof["versions"] = [*proof["versions"], proven_entry(world, rotation)]
        return answer

    with mirrored(world) as mirror:
        mirror.rewrites[f"/1.0/identifiers/{agency.did}"] = repeat
        client = mirror.client(world)
        with pytest.raises(Error) as info:
            client.resolve(agency.did)
        assert info.value.code == "did_history_invalid"
        client.close()
    assert successor.did == agency.did
