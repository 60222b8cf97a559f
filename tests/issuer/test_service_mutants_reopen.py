"""An issuer opened again on its own store takes back the offers still in play: one whose time
runs out after the restart has its claims and code dropped like any other (nothing kept that
is not needed), and one already cleared stays out of play."""

from __future__ import annotations

from tests.issuer.conftest import Env
from tests.issuer.test_bad_input import offer, token_request


def test_an_offer_made_before_a_restart_is_expired_after_it(env: Env) -> None:
    created = offer(env, record="REG-9")
    env.reopen()
    env.clock.offset += env.settings.offer_ttl
    assert env.issuer.expire_offers() == 1
    stored = env.store.offer(created.offer.id)
    assert stored is not None and stored.claims is None and stored.code is None


def test_an_offer_made_before_a_restart_is_still_in_play_after_it(env: Env) -> None:
    created = offer(env, record="REG-9")
    env.reopen()
    assert env.issuer.expire_offers() == 0  # its time is not up
    token = env.issuer.token(token_request(created, created.tx_code))
    assert token.access_token
