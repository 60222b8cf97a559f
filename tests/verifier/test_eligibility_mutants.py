"""The eligibility checks at their edges: a status claim that is not an object is refused by
its code at the status step (not read as one, which failed as an internal error); every
optional claim received is named, whichever others are missing; a required claim is named
received only once it was found."""

from __future__ import annotations

import pytest

from civicid.eligibility.checks import asked_and_extra
from tests.verifier.attacks import fresh, refused
from tests.verifier.test_disclosures_along_the_asked_claims import policy
from tests.verifier.world import LIST_URI, World
from verifier.service import Verifier


@pytest.mark.parametrize(
    "status",
    [LIST_URI, [{"status_list": {"idx": 1, "uri": LIST_URI}}], 7],
    ids=["a-string", "a-list", "a-number"],
)
def test_a_status_claim_that_is_not_an_object_is_refused(
    world: World, verifier: Verifier, status: object
) -> None:
    credential = world.credential(status=status)  # type: ignore[arg-type]
    presentation, nonce = fresh(world, verifier, credential)
    refused(verifier, presentation, "credential_status_invalid", nonce=nonce, step="status")


def test_an_optional_claim_is_named_received_after_one_that_is_missing() -> None:
    received, extra = asked_and_extra(
        policy("resident", optional=("given_name", "family_name")),
        {"resident": True, "family_name": "Mustermann"},
        (("resident",), ("family_name",)),
        required_found=True,
    )
    assert received == ("family_name", "resident")
    assert extra == 0


def test_a_required_claim_is_named_received_only_once_found() -> None:
    """A decision refused before step 14 found the required claims: only those there are
    named (the default is not to take them as found)."""
    received, extra = asked_and_extra(
        policy("resident", "birthdate"), {"resident": True}, (("resident",),)
    )
    assert received == ("resident",)
    assert extra == 0
