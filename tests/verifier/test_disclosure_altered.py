"""Attack: a disclosure's value changed (resident: false → true); its digest no longer
matches any the issuer signed."""

import json

from civicid.encoding import b64url_decode, b64url_encode
from tests.verifier.attacks import bind, refused, selected
from tests.verifier.world import CLAIMS, World
from verifier.service import Verifier


def test_an_altered_disclosure_matches_no_digest(world: World, verifier: Verifier) -> None:
    credential = world.credential(claims={**CLAIMS, "resident": False})
    parts = selected(world, credential)
    for index, text in enumerate(parts[1:-1], start=1):
        item = json.loads(b64url_decode(text))
        if item[1] == "resident":
            item[2] = True
            parts[index] = b64url_encode(json.dumps(item).encode())
    presentation, nonce = bind(world, verifier, "~".join(parts))
    refused(
        verifier, presentation, "sdjwt_disclosure_unreferenced", nonce=nonce, step="disclosures"
    )
