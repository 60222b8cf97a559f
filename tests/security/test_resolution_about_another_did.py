"""Attack: a rogue mirror answers a resolution of the victim's DID with entries about
another DID (the attacker's own creation, whose key it holds), each with a valid inclusion
proof under a genuine checkpoint. Every entry of a DID's history must be about that DID:
the client refuses with ``resolution_mismatch`` before believing any key of it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from civicid.encoding import b64_encode
from civicid.errors import Error
from civicid.identity import Identity
from tests.ledger.conftest import World
from tests.ledger.mirror import mirrored


def proven_entry(world: World, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "transaction": world.ledger.entry(seq).decode("ascii"),
        "inclusion": [b64_encode(h) for h in world.ledger.inclusion_proof(seq, world.ledger.size)],
    }


def creation_of(world: World, who: Identity) -> int:
    return world.ledger.state.record(who.did).versions[0].seq


@pytest.mark.parametrize("placement", ["instead of its history", "as its latest version"])
def test_another_dids_entry_in_a_resolution(world: World, placement: str) -> None:
    victim, attacker = world.register(), world.register()
    _, update = attacker.rotate(world.head(attacker), ledger=world.origin, now=world.clock.now)
    rotation = world.ledger.submit(update).seq

    def rewrite(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        proof = answer["didResolutionMetadata"]["proof"]
        if placement == "instead of its history":
            proof["versions"] = [proven_entry(world, creation_of(world, attacker))]
            answer["didDocument"] = attacker.document
        else:
            proof["versions"] = [*proof["versions"], proven_entry(world, rotation)]
        return answer

    with mirrored(world) as mirror:
        client = mirror.client(world)
        assert client.resolve(victim.did).document == victim.document  # honest until now
        mirror.rewrites[f"/1.0/identifiers/{victim.did}"] = rewrite
        fresh = mirror.client(world)
        with pytest.raises(Error) as info:
            fresh.resolve(victim.did)
        assert info.value.code == "resolution_mismatch"
        assert "about another DID" in info.value.message
        with pytest.raises(Error) as info:
            fresh.key_in_force(victim.kid, world.clock.now)
        assert info.value.code == "resolution_mismatch"
        client.close()
        fresh.close()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda proof: proof.pop("versions"), "ledger_answer_malformed"),
        (lambda proof: proof["versions"][0].update(inclusion="AAAA"), "ledger_answer_malformed"),
        (lambda proof: proof.update(checkpoint=7), "ledger_answer_malformed"),
        (lambda proof: proof.update(treeSize=0), "ledger_answer_malformed"),
        (lambda proof: proof.pop("stateMap"), "ledger_answer_malformed"),
    ],
)
def test_a_resolution_proof_is_read_through_its_model(world: World, change: Any, code: str) -> None:
    """The proof of a resolution is civicid.wire.ResolutionProof, as the ledger serves it:
    a member missing or of the wrong form is refused before anything in it is used."""
    victim = world.register()

    def rewrite(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        change(answer["didResolutionMetadata"]["proof"])
        return answer

    with mirrored(world) as mirror:
        mirror.rewrites[f"/1.0/identifiers/{victim.did}"] = rewrite
        client = mirror.client(world)
        with pytest.raises(Error) as info:
            client.resolve(victim.did)
        assert info.value.code == code
        client.close()
