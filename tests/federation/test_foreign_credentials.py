"""A desk at home accepts a national ID issued under a foreign ledger it pins, proven on that
ledger exactly as a local one; a revocation there is seen here; the local ledger's own
issuers are unaffected; nothing foreign is written to the local log."""

from __future__ import annotations

from civicid.status_list import STATUS_INVALID
from tests.federation.world import Countries, desk, pin
from tests.verifier.attacks import fresh, passes, refused
from tests.verifier.world import REVOKED


def test_a_foreign_national_id_is_eligible_at_home(countries: Countries) -> None:
    abroad = countries.abroad
    pin(countries)
    home_size = countries.home.ledger.size
    with desk(countries) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        decision = passes(verifier, presentation, nonce=nonce)
    assert decision.issuer == abroad.agency.did
    issuer_step = next(o for o in decision.outcomes if o.step == "issuer")
    assert "ledger abroad" in (issuer_step.detail or "")
    assert countries.home.ledger.size == home_size  # nothing foreign copied into the log


def test_a_revocation_abroad_is_seen_at_home(countries: Countries) -> None:
    abroad = countries.abroad
    pin(countries)
    credential = abroad.credential(index=11)
    with desk(countries) as verifier:
        presentation, nonce = fresh(abroad, verifier, credential)
        passes(verifier, presentation, nonce=nonce)
        abroad.clock.now += 10
        abroad.status.set(11, STATUS_INVALID)
        abroad.publish_status()
        presentation, nonce = fresh(abroad, verifier, credential)
        refused(verifier, presentation, "status_revoked", nonce=nonce, step="status")


def test_a_credential_revoked_before_is_refused(countries: Countries) -> None:
    abroad = countries.abroad
    pin(countries)
    with desk(countries) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential(index=REVOKED))
        refused(verifier, presentation, "status_revoked", nonce=nonce, step="status")


def test_a_local_issuer_is_unaffected(countries: Countries) -> None:
    home = countries.home
    pin(countries)
    with desk(countries) as verifier:
        presentation, nonce = fresh(home, verifier, home.credential())
        decision = passes(verifier, presentation, nonce=nonce)
    issuer_step = next(o for o in decision.outcomes if o.step == "issuer")
    assert issuer_step.detail == home.agency.did


def test_a_local_issuer_is_unaffected_by_a_foreign_ledger_that_lies(
    countries: Countries,
) -> None:
    home, abroad = countries.home, countries.abroad
    pin(countries, governance=home.genesis.governance.did)  # a pin that never verifies
    with desk(countries) as verifier:
        presentation, nonce = fresh(home, verifier, home.credential())
        passes(verifier, presentation, nonce=nonce)
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        refused(verifier, presentation, "ledger_governance_mismatch", nonce=nonce,
                step="issuer")  # fmt: skip


def test_an_unpinned_foreign_ledger_is_not_asked(countries: Countries) -> None:
    abroad = countries.abroad
    with desk(countries) as verifier:
        assert verifier.federation is None
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        refused(verifier, presentation, "credential_key_not_in_force", nonce=nonce,
                step="issuer_key")  # fmt: skip
