"""A key in force is asked of the DID's history as of the time given, not the clock's: the
remembered history ages by the caller's time (a desk checking a presentation, an issuer's
own clock), as every other question's answer does."""

from __future__ import annotations

from tests.civicid.trust.test_questions import AGENCY, Client, trust_of


def test_a_key_in_force_is_asked_as_of_the_time_given_not_the_clocks() -> None:
    client = Client()
    trust = trust_of(client, clock=0)
    kid = f"{AGENCY}#key-1"
    assert trust.key_in_force(kid, 10, now=5_000, max_age=60) == f"{kid}@10"
    assert trust.key_in_force(kid, 10, now=5_059, max_age=60) == f"{kid}@10"  # remembered
    assert client.asked == [AGENCY]
    assert trust.key_in_force(kid, 10, now=5_060, max_age=60) == f"{kid}@10"  # as old as allowed
    assert client.asked == [AGENCY, AGENCY]
