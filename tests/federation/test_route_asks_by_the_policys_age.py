"""Finding which ledger holds an issuer is a question like any other: asked with the policy's
maximum age of ledger data, so an answer the desk already holds about the issuer serves it
(no second request) while it is young enough."""

from __future__ import annotations

from typing import Any

import pytest

from tests.federation.world import Countries, desk, pin
from tests.verifier.attacks import fresh, passes
from tests.verifier.world import EXAMPLES, write_policy

REMEMBERING = "housing-remembered"


def test_the_route_reuses_what_the_desk_knows_for_the_policys_age(
    countries: Countries, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = countries.home
    housing = (EXAMPLES / "housing-benefit.toml").read_text()
    text = housing.replace("max_ledger_age_seconds = 0 ", "max_ledger_age_seconds = 300 ")
    assert text != housing
    write_policy(home, REMEMBERING, text)
    pin(countries)
    with desk(countries) as verifier:
        now = verifier.clock()
        verifier.trust.history(home.agency.did, now=now, max_age=300)  # known already
        resolve = verifier.trust.client.resolve
        asked: list[str] = []

        def counting(did: str, *args: Any, **kwargs: Any) -> Any:
            asked.append(did)
            return resolve(did, *args, **kwargs)

        monkeypatch.setattr(verifier.trust.client, "resolve", counting)
        presentation, nonce = fresh(home, verifier, home.credential())
        decision = passes(verifier, presentation, nonce=nonce, policy=REMEMBERING)
    assert decision.issuer == home.agency.did
    assert asked.count(home.agency.did) == 0
