"""Attack: a desk's policy asks for more than the ledger accredits it for (an address, a name
for an age check); the desk refuses to load it, naming the claim."""

import httpx
import pytest

from civicid.errors import Error
from tests.verifier.world import NATIONAL_ID, Clock, World, open_desk, write_policy


def test_a_claim_the_desk_is_not_accredited_for(
    world: World, http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    write_policy(
        world,
        "greedy",
        f"""title = "Greedy"\npurpose = "Asks too much"\ncredential_types = ["{NATIONAL_ID}"]
required_claims = ["resident", "address.street_address"]\n""",
    )
    with pytest.raises(Error) as caught:
        open_desk(world, http, desk_clock)
    assert caught.value.code == "policy_not_accredited"
    assert "address.street_address" in caught.value.message
    assert caught.value.details["claim"] == "address.street_address"


def test_a_type_the_desk_is_not_accredited_for(
    world: World, http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    write_policy(
        world,
        "other-type",
        """title = "Other"\npurpose = "Another type"
credential_types = ["https://civicid.example/vct/benefit-eligibility"]
required_claims = ["resident"]\n""",
    )
    with pytest.raises(Error) as caught:
        open_desk(world, http, desk_clock)
    assert caught.value.code == "policy_not_accredited"
    assert caught.value.details["claim"] == "resident"
