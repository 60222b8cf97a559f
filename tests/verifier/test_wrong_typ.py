"""Attack: a JWT of another type signed by the agency (a status list, a plain JWT) posing as
a credential (pitfall 7)."""

import pytest

from tests.verifier.attacks import fresh, refused, resign
from tests.verifier.world import World
from verifier.service import Verifier


@pytest.mark.parametrize("typ", ["statuslist+jwt", "JWT", "vc+sd-jwt", None])
def test_typ_other_than_dc_sd_jwt(world: World, verifier: Verifier, typ: str | None) -> None:
    credential = resign(world.credential(), world.agency.key, header={"typ": typ})
    presentation, nonce = fresh(world, verifier, credential)
    refused(verifier, presentation, "sdjwt_typ_invalid", nonce=nonce, step="header")
