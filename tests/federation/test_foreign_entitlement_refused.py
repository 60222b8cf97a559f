"""A single-use entitlement issued under a foreign ledger is refused at the type step even
when the pin names its type: it is redeemed on its own ledger only, never at a desk here."""

from __future__ import annotations

from tests.federation.world import Countries, desk, pin
from tests.rules.world import (
    VOUCHER,
    VOUCHER_POLICY,
    add_types,
    present_voucher,
    voucher,
    voucher_policy_text,
)
from tests.verifier.attacks import refused
from tests.verifier.world import LIST_URI, write_policy


def test_a_foreign_voucher_is_refused(countries: Countries) -> None:
    home, abroad = countries.home, countries.abroad
    add_types(home)  # the desk may ask for a voucher's claims at home
    add_types(abroad)  # the voucher type, single use, registered abroad
    write_policy(home, VOUCHER_POLICY, voucher_policy_text(LIST_URI))
    pin(countries, types=(VOUCHER,))
    with desk(countries) as verifier:
        nonce = "v" * 24
        presentation = present_voucher(
            abroad, voucher(abroad), nonce=nonce, aud=verifier.client_id, iat=verifier.clock()
        )
        decision = refused(
            verifier, presentation, "issuer_not_federated", nonce=nonce,
            policy=VOUCHER_POLICY, step="type",
        )  # fmt: skip
    assert "single-use" in (decision.failed.detail or "")  # type: ignore[union-attr]
