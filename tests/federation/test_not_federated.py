"""A foreign issuer or type the desk's pin does not name is refused with its own code, at the
step that finds it; a single-use entitlement of another ledger is never redeemed here."""

from __future__ import annotations

from tests.federation.world import Countries, desk, pin
from tests.verifier.attacks import fresh, refused
from tests.verifier.world import BENEFIT, NATIONAL_ID


def test_an_issuer_the_pin_does_not_name_is_refused(countries: Countries) -> None:
    abroad = countries.abroad
    other = abroad.register("agency")
    abroad.accredit(other, vcts=[NATIONAL_ID])
    pin(countries, issuers=(other.did,))
    with desk(countries) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        decision = refused(verifier, presentation, "issuer_not_federated", nonce=nonce,
                           step="issuer")  # fmt: skip
    assert "abroad" in (decision.failed.detail or "")  # type: ignore[union-attr]


def test_a_named_issuer_is_accepted(countries: Countries) -> None:
    abroad = countries.abroad
    pin(countries, issuers=(abroad.agency.did,))
    with desk(countries) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        decision = verifier.check(presentation, policy=verifier.policy("housing-benefit"),
                                  nonce=nonce)  # fmt: skip
    assert decision.eligible, decision.to_text()


def test_a_type_the_pin_does_not_name_is_refused(countries: Countries) -> None:
    abroad = countries.abroad
    pin(countries, types=(BENEFIT,))
    with desk(countries) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        refused(verifier, presentation, "issuer_not_federated", nonce=nonce, step="type")


def test_a_pin_with_no_type_accepts_nothing(countries: Countries) -> None:
    abroad = countries.abroad
    pin(countries, types=())
    with desk(countries) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential())
        refused(verifier, presentation, "issuer_not_federated", nonce=nonce, step="type")


def test_an_issuer_not_accredited_abroad_is_refused(countries: Countries) -> None:
    abroad = countries.abroad
    stranger = abroad.register("agency")  # on the foreign ledger, never accredited there
    pin(countries)
    with desk(countries) as verifier:
        presentation, nonce = fresh(abroad, verifier, abroad.credential(issuer=stranger))
        refused(verifier, presentation, "issuer_not_accredited", nonce=nonce,
                step="accreditation")  # fmt: skip
