"""A passing check names the optional claims it received beside the required ones (read from
the disclosed claims the checks processed), and not an optional claim the holder kept back."""

from __future__ import annotations

from civicid.policy import Policy
from tests.verifier.attacks import fresh
from tests.verifier.world import NATIONAL_ID, World
from verifier.service import Verifier


def test_a_pass_names_the_optional_claims_disclosed(world: World, verifier: Verifier) -> None:
    policy = Policy(
        name="resident-with-name",
        title="Resident, named if they wish",
        purpose="a test",
        credential_types=(NATIONAL_ID,),
        issuers=None,
        required_claims=("resident",),
        optional_claims=("given_name", "family_name"),
    )
    presentation, nonce = fresh(
        world, verifier, world.credential(), disclose=[("resident",), ("given_name",)]
    )
    decision = verifier.check(presentation, policy=policy, nonce=nonce)
    assert decision.eligible, decision.to_text()
    assert decision.received == ("given_name", "resident")
    assert decision.over_disclosed == 0
