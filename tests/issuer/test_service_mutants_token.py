"""The token answer (§6.2, RFC 6749 §5.1) says the token's type and how long it lasts: the
issuer's token lifetime, after which the token no longer gets a credential."""

from __future__ import annotations

import pytest

from civicid.errors import Error
from issuer.errors import ACCESS_TOKEN_INVALID
from tests.issuer.conftest import Env
from tests.issuer.test_bad_input import credential_request, good_proof, offer, token_request


def test_the_token_answer_says_how_long_the_token_lasts(env: Env) -> None:
    created = offer(env)
    answer = env.issuer.token(token_request(created, created.tx_code))
    assert answer.token_type == "Bearer"
    assert answer.expires_in == env.settings.token_ttl
    assert answer.to_json()["expires_in"] == env.settings.token_ttl

    env.clock.offset += answer.expires_in  # the token's time is up
    with pytest.raises(Error) as caught:
        env.issuer.credential_request(answer.access_token, credential_request([good_proof(env)]))
    assert caught.value.code == ACCESS_TOKEN_INVALID.name
