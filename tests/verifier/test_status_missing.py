"""A credential without a status list entry cannot be checked for revocation; refused unless
a policy says it does not need one. A malformed status reference is refused by code."""

import pytest

from tests.verifier.attacks import fresh, refused
from tests.verifier.world import World
from verifier.service import Verifier


def test_no_status_entry(world: World, verifier: Verifier) -> None:
    presentation, nonce = fresh(world, verifier, world.credential(with_status=False))
    refused(verifier, presentation, "status_missing", nonce=nonce, step="status")


@pytest.mark.parametrize(
    "status",
    [
        {"status_list": {"idx": 1}},
        {"status_list": {"idx": 1, "uri": 5}},
        {"status_list": {"idx": 1, "uri": ""}},
        {"status_list": "https://issuer.example/lists/1"},
    ],
)
def test_malformed_status_reference(world: World, verifier: Verifier, status: object) -> None:
    credential = world.credential(status=status)
    presentation, nonce = fresh(world, verifier, credential)
    refused(verifier, presentation, "credential_status_invalid", nonce=nonce, step="status")


def test_index_out_of_range(world: World, verifier: Verifier) -> None:
    from tests.verifier.world import LIST_URI

    credential = world.credential(status={"status_list": {"idx": 10**6, "uri": LIST_URI}})
    presentation, nonce = fresh(world, verifier, credential)
    refused(verifier, presentation, "status_index_out_of_range", nonce=nonce, step="status")
