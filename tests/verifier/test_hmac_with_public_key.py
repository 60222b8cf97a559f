"""Attack: HS256 keyed with the issuer's public key, so anyone can "sign" (pitfall 8)."""

import hashlib
import hmac
import json

from civicid.encoding import b64url_encode
from tests.verifier.attacks import fresh, refused, split
from tests.verifier.world import World
from verifier.service import Verifier


def test_hmac_keyed_with_the_public_key_is_refused(world: World, verifier: Verifier) -> None:
    header, payload, disclosures = split(world.credential())
    head = b64url_encode(json.dumps({**header, "alg": "HS256"}).encode())
    body = b64url_encode(json.dumps(payload).encode())
    secret = json.dumps(world.agency.key.public.to_jwk(), sort_keys=True).encode()
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    forged = "~".join([f"{head}.{body}.{b64url_encode(mac)}", *disclosures, ""])
    presentation, nonce = fresh(world, verifier, forged)
    refused(verifier, presentation, "sdjwt_alg_not_allowed", nonce=nonce, step="header")
