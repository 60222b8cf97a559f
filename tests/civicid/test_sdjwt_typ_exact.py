"""An issuer JWT's typ is matched whole: a part of the typ expected (``sd-jwt`` of
``dc+sd-jwt``) is refused as any other typ, the refusal naming the typ expected."""

from __future__ import annotations

import pytest

from civicid.sdjwt import present
from tests.civicid.sdjwt_fixtures import bind, credential, refused, resign


@pytest.mark.parametrize("typ", ["sd-jwt", "dc+", "jwt", "+", ""])
def test_a_part_of_the_typ_expected_is_refused(typ: str) -> None:
    sd_jwt = resign(credential(), header={"alg": "ES256", "kid": "k", "typ": typ})
    token = bind(present(sd_jwt, disclose=(("given_name",),), holder_key=None))
    error = refused("sdjwt_typ_invalid", token)
    assert "['dc+sd-jwt']" in error.message and repr(typ) in error.message


def test_a_typ_not_among_those_allowed_is_refused_naming_each() -> None:
    sd_jwt = resign(credential(), header={"alg": "ES256", "kid": "k", "typ": "sd-jwt"})
    token = bind(present(sd_jwt, disclose=(("given_name",),), holder_key=None))
    error = refused("sdjwt_typ_invalid", token, typ=("vc+sd-jwt", "dc+sd-jwt"))
    assert "['dc+sd-jwt', 'vc+sd-jwt']" in error.message
