"""``civicid verifier|wallet federate list`` counts a pin's issuers in words: "1 issuer",
"2 issuers" (not "issuer(s)")."""

from __future__ import annotations

import dataclasses

from civicid.did import DID
from cli.federate import _line
from tests.federation.world import Countries, pin


def test_a_pins_issuers_are_counted_in_words(countries: Countries) -> None:
    issuer = countries.abroad.genesis.governance.did
    one = pin(countries, issuers=(issuer,))
    assert _line(one).endswith(" from 1 issuer")
    two = dataclasses.replace(one, issuers=(DID(issuer), DID(issuer.replace("a", "b", 1))))
    assert _line(two).endswith(" from 2 issuers")
    assert _line(dataclasses.replace(one, issuers=None)).endswith(" from any accredited issuer")
