"""A policy the desk is not accredited for is refused naming its file, as every other policy
refusal does: a vct damaged in the file (``national-id`` -> ``national,id``) reads as the
desk's accreditation lacking, and the file is where to look."""

import httpx
import pytest

from civicid.errors import Error
from tests.verifier.world import NATIONAL_ID, Clock, World, open_desk, write_policy


def test_a_claim_not_accredited_names_the_policy_file(
    world: World, http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    path = write_policy(
        world,
        "greedy",
        f"""title = "Greedy"\npurpose = "Asks too much"\ncredential_types = ["{NATIONAL_ID}"]
required_claims = ["resident", "address.street_address"]\n""",
    )
    with pytest.raises(Error) as caught:
        open_desk(world, http, desk_clock)
    assert caught.value.code == "policy_not_accredited"
    assert caught.value.message.startswith(f"{path}: policy 'greedy' asks for")


def test_a_damaged_type_names_the_policy_file(
    world: World, http: httpx.BaseTransport, desk_clock: Clock
) -> None:
    damaged = NATIONAL_ID.replace("national-id", "national,id")
    path = write_policy(
        world,
        "damaged",
        f"""title = "Damaged"\npurpose = "A byte flipped"\ncredential_types = ["{damaged}"]
required_claims = ["resident"]\n""",
    )
    with pytest.raises(Error) as caught:
        open_desk(world, http, desk_clock)
    assert caught.value.code == "policy_not_accredited"
    assert caught.value.message.startswith(f"{path}: policy 'damaged'")
    assert damaged in caught.value.message
