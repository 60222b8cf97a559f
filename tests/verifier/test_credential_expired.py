"""Attack: a credential past its exp, or not valid yet (nbf), read after disclosures are
processed (pitfall 9)."""

import pytest

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import World
from verifier.service import Verifier


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"exp": 1_780_000_050}, "sdjwt_expired"),
        ({"nbf": 1_780_009_000}, "sdjwt_not_yet_valid"),
    ],
)
def test_outside_the_validity_period(
    world: World, verifier: Verifier, claims: dict[str, int], code: str
) -> None:
    presentation, nonce = fresh(world, verifier, world.credential(**claims))
    refused(verifier, presentation, code, nonce=nonce, step="validity")


def test_issued_longer_ago_than_the_policy_accepts(world: World, verifier: Verifier) -> None:
    credential = world.credential(exp=world.clock.now + 9000 * 86400)
    verifier.clock = lambda: world.clock.now + 3651 * 86400  # type: ignore[method-assign]
    presentation, nonce = fresh(world, verifier, credential)
    refused(verifier, presentation, "credential_too_old", nonce=nonce, step="validity")


def test_a_credential_exactly_as_old_as_the_policy_accepts_passes(
    world: World, verifier: Verifier
) -> None:
    """housing-benefit accepts credentials issued up to 3650 days ago: at that age exactly the
    validity step passes, one second later it refuses."""
    issued = world.clock.now
    credential = world.credential(iat=issued, exp=issued + 9000 * 86400)
    for age, status in ((3650 * 86400, "passed"), (3650 * 86400 + 1, "failed")):
        verifier.clock = lambda age=age: issued + age  # type: ignore[method-assign,misc]
        presentation, nonce = fresh(world, verifier, credential)
        decision = verifier.check(
            presentation, policy=verifier.policy("housing-benefit"), nonce=nonce
        )
        [validity] = [o for o in decision.outcomes if o.step == "validity"]
        assert validity.status == status, decision.to_text()
    assert validity.code == "credential_too_old"
