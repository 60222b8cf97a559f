"""Attack: iss names one agency, the kid (and signature) another's: the credential would
borrow the first agency's accreditation."""

from tests.verifier.attacks import bind, refused, resign, selected
from tests.verifier.world import World
from verifier.service import Verifier


def test_iss_and_kid_must_name_the_same_did(world: World, verifier: Verifier) -> None:
    other = world.register("agency")
    credential = resign(
        world.credential(issuer=other), other.key, payload={"iss": world.agency.did}
    )
    presentation, nonce = bind(world, verifier, "~".join(selected(world, credential)))
    refused(verifier, presentation, "credential_issuer_invalid", nonce=nonce, step="issuer")


def test_iss_must_be_a_ledger_did(world: World, verifier: Verifier) -> None:
    credential = resign(
        world.credential(), world.agency.key, payload={"iss": "https://agency.example"}
    )
    presentation, nonce = bind(world, verifier, "~".join(selected(world, credential)))
    refused(verifier, presentation, "credential_issuer_invalid", nonce=nonce, step="issuer")
