"""A credential whose status entry points at another agency's list is refused at the desk
(status_list_not_issuers): an agency cannot vouch for another's credentials, however genuine
the list. A status that is not an object is refused by code, not by accident."""

import pytest

from tests.verifier.attacks import fresh, passes, refused
from tests.verifier.world import LIST_URI, NATIONAL_ID, World
from verifier.service import Verifier


def test_a_status_list_of_another_agency_is_refused(world: World, verifier: Verifier) -> None:
    other = world.register("agency")
    world.accredit(other, vcts=[NATIONAL_ID])
    borrowed = {"status_list": {"idx": 0, "uri": LIST_URI}}  # the first agency's list
    credential = world.credential(issuer=other, iat=world.clock.now + 5, status=borrowed)
    presentation, nonce = fresh(world, verifier, credential)
    refused(verifier, presentation, "status_list_not_issuers", nonce=nonce, step="status")
    # Its own list, and the first agency's credential on the first agency's list, pass.
    own = world.credential(issuer=other, iat=world.clock.now + 5)
    presentation, nonce = fresh(world, verifier, own)
    passes(verifier, presentation, nonce=nonce)
    presentation, nonce = fresh(world, verifier, world.credential(status=borrowed))
    passes(verifier, presentation, nonce=nonce)


@pytest.mark.parametrize("status", ["revoked", ["status_list"], 7])
def test_a_status_that_is_not_an_object(world: World, verifier: Verifier, status: object) -> None:
    presentation, nonce = fresh(world, verifier, world.credential(status=status))
    refused(verifier, presentation, "credential_status_invalid", nonce=nonce, step="status")
