"""The eligibility checks at their edges: a status claim that is not an object is refused by
its code at the status step (not read as one, which failed as an internal error)."""

from __future__ import annotations

import pytest

from tests.verifier.attacks import fresh, refused
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
