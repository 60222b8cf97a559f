"""A non-DID entry passed off as a resolution: an accredited agency logs a status list publish
whose body also carries a victim's DID and a document holding the agency's key; a rogue
mirror serves that entry, with a valid inclusion proof, as the victim's DID history. The
client checks each version's type and rule, and refuses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from civicid import transaction as tx
from civicid.did import build_document
from civicid.encoding import b64_encode
from civicid.errors import Error
from civicid.identity import Identity
from tests.ledger import trust
from tests.ledger.conftest import World
from tests.ledger.mirror import mirrored


def proven_entry(world: World, seq: int) -> dict[str, Any]:
    size = world.ledger.size
    return {
        "seq": seq,
        "transaction": world.ledger.entry(seq).decode("ascii"),
        "inclusion": [b64_encode(h) for h in world.ledger.inclusion_proof(seq, size)],
    }


@pytest.mark.parametrize("placement", ["as its creation", "as a later version"])
def test_a_status_list_entry_served_as_a_dids_version_is_refused(
    world: World, agency: Identity, placement: str
) -> None:
    victim = world.register("agency")
    document = build_document([("key-1", agency.key.public)], did=victim.did)
    token = trust.token(agency, now=world.clock.now)
    body = {"uri": trust.LIST_URI, "token": token, "did": victim.did, "document": document}
    smuggled = world.submit_as(agency, tx.STATUS_LIST, body).seq

    def rewrite(request: httpx.Request, answer: dict[str, Any]) -> dict[str, Any]:
        proof = answer["didResolutionMetadata"]["proof"]
        fake = proven_entry(world, smuggled)
        proof["versions"] = [fake] if placement == "as its creation" else [*proof["versions"], fake]
        proof.update(fake)
        answer["didDocument"] = document
        return answer

    with mirrored(world) as mirror:
        mirror.rewrites[f"/1.0/identifiers/{victim.did}"] = rewrite
        client = mirror.client(world)
        with pytest.raises(Error) as info:
            client.resolve(victim.did)
        assert info.value.code == "did_history_invalid"
        with pytest.raises(Error) as info:
            client.key_in_force(f"{victim.did}#key-1", world.clock.now)
        assert info.value.code == "did_history_invalid"
