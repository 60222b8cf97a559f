"""A policy naming its issuers refuses a credential from another, even an accredited one."""

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import NATIONAL_ID, World, write_policy
from verifier.policy import load_policies
from verifier.service import Verifier


def test_an_accredited_issuer_the_policy_does_not_name(world: World, verifier: Verifier) -> None:
    other = world.register("agency")
    write_policy(
        world,
        "named",
        f"""title = "Named issuers"\npurpose = "Only one agency's cards"
credential_types = ["{NATIONAL_ID}"]\nissuers = ["{other.did}"]\nrequired_claims = ["resident"]
""",
    )
    verifier.policies = load_policies(world.root / "verifier" / "policies")
    presentation, nonce = fresh(world, verifier, world.credential())
    refused(
        verifier, presentation, "issuer_not_accepted", nonce=nonce, step="issuer", policy="named"
    )
