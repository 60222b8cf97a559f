"""Attack: a genuine credential of another type than the policy accepts (a benefit card for
an identity check), and a type nobody registered on the ledger."""

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import BENEFIT, NATIONAL_ID, World, write_policy
from verifier.service import Verifier


def test_another_type_than_the_policy_accepts(world: World, verifier: Verifier) -> None:
    presentation, nonce = fresh(world, verifier, world.credential(vct=BENEFIT))
    refused(verifier, presentation, "vct_not_accepted", nonce=nonce, step="type")


def test_a_type_not_registered_on_the_ledger(world: World, verifier: Verifier) -> None:
    write_policy(
        world,
        "benefit-check",
        f"""title = "Benefit"\npurpose = "Benefit check"\n
credential_types = ["{BENEFIT}", "{NATIONAL_ID}"]\nrequired_claims = ["resident"]\n""",
    )
    from verifier.policy import load_policies

    verifier.policies = load_policies(world.root / "verifier" / "policies")
    presentation, nonce = fresh(world, verifier, world.credential(vct=BENEFIT))
    refused(verifier, presentation, "vct_unknown", nonce=nonce, step="type", policy="benefit-check")
