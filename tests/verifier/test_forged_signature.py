"""Attack: a claim signed in clear changed after issuance, or the whole JWT signed by another
key under the agency's kid."""

import json

from civicid.encoding import b64url_encode
from civicid.jose import PrivateKey
from tests.verifier.attacks import fresh, refused, resign, split
from tests.verifier.world import World
from verifier.service import Verifier


def test_payload_altered_after_signing(world: World, verifier: Verifier) -> None:
    credential = world.credential()
    jwt, rest = credential.split("~", 1)
    head, _, signature = jwt.split(".")
    _, payload, _ = split(credential)
    payload["exp"] = payload["exp"] + 10 * 365 * 86400
    body = b64url_encode(json.dumps(payload).encode())
    presentation, nonce = fresh(world, verifier, f"{head}.{body}.{signature}~{rest}")
    refused(verifier, presentation, "sdjwt_signature_invalid", nonce=nonce, step="signature")


def test_signed_by_another_key_under_the_agency_kid(world: World, verifier: Verifier) -> None:
    credential = resign(world.credential(), PrivateKey.generate())
    presentation, nonce = fresh(world, verifier, credential)
    refused(verifier, presentation, "sdjwt_signature_invalid", nonce=nonce, step="signature")
