"""The policy's conditions: a minor, a non-resident, too young by birth date."""

import pytest

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import CLAIMS, World
from verifier.service import Verifier


@pytest.mark.parametrize(
    ("claims", "policy", "disclose"),
    [
        ({"age_equal_or_over": {"18": False}}, "housing-benefit", None),
        ({"resident": False}, "housing-benefit", None),
        ({"birthdate": "2015-01-01"}, "identity-check", "who"),
    ],
)
def test_conditions_not_met(
    world: World, verifier: Verifier, claims: dict[str, object], policy: str, disclose: str | None
) -> None:
    who = [("given_name",), ("family_name",), ("birthdate",)]
    credential = world.credential(claims={**CLAIMS, **claims})
    presentation, nonce = fresh(world, verifier, credential, disclose=who if disclose else None)
    decision = refused(
        verifier, presentation, "predicate_failed", nonce=nonce, step="predicates", policy=policy
    )
    assert decision.received  # names, for the receipt; never values
    assert all("False" not in name and "2015" not in name for name in decision.received)
