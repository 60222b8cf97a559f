"""Attack: a presentation made for another desk (or for this desk's DID without the client
identifier prefix) replayed here: aud must be the full client_id (pitfall 1)."""

import pytest

from tests.verifier.attacks import bind, refused, selected
from tests.verifier.world import World
from verifier.service import Verifier


@pytest.mark.parametrize("which", ["other desk", "bare DID", "prefix with another DID"])
def test_aud_must_be_the_full_client_id(world: World, verifier: Verifier, which: str) -> None:
    aud = {
        "other desk": "decentralized_identifier:did:civicid:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "bare DID": verifier.desk.did,
        "prefix with another DID": "redirect_uri:https://desk.example/cb",
    }[which]
    sd_jwt = "~".join(selected(world, world.credential()))
    presentation, nonce = bind(world, verifier, sd_jwt, aud=aud)
    refused(verifier, presentation, "kb_aud_mismatch", nonce=nonce, step="key_binding")
