"""A foreign credential's checks ask both ledgers as of the check's own time, never a clock:
the route to the issuer's ledger and every later question are judged then, throughout."""

from __future__ import annotations

from civicid.eligibility.checks import check_presentation
from civicid.trust import Trust
from civicid.trust.federation import Federation
from tests.federation.world import Countries, desk, pin
from tests.verifier.attacks import fresh


def never() -> int:
    raise AssertionError("a check asked a ledger as of the clock, not of its own time")


def test_a_foreign_credential_is_routed_and_checked_at_the_time_given(
    countries: Countries,
) -> None:
    abroad = countries.abroad
    pin(countries)
    with desk(countries) as verifier:
        assert verifier.federation is not None
        foreign = [(p, Trust(t.client, clock=never)) for p, t in verifier.federation.foreign]
        federation = Federation(Trust(verifier.trust.client, clock=never), foreign, clock=never)
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        decision = check_presentation(
            presentation,
            policy=verifier.policy("housing-benefit"),
            nonce=nonce,
            client_id=verifier.client_id,
            trust=federation.local,
            now=verifier.clock(),
            federation=federation,
        )
    assert decision.eligible, decision.to_text()
    assert decision.issuer == abroad.agency.did
    issuer = next(o for o in decision.outcomes if o.step == "issuer")
    assert issuer.detail == f"{abroad.agency.did} (ledger abroad)"
