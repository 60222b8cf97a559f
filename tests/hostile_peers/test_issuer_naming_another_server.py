"""An issuer on 127.0.0.1 whose metadata names another server as the credential issuer
(OpenID4VCI §12.2.2: it must be the issuer the offer named): the wallet refuses before it
sends any code, and holds what it held."""

from __future__ import annotations

from cli.harness import free_port
from tests.wallet.conftest import holder, issuer_stub, ledger_world
from tests.wallet.rogue_issuer import RogueIssuer
from tests.wallet.test_issuance import unchanged
from wallet.holder.wallet import Wallet

__all__ = ["holder", "issuer_stub", "ledger_world"]


def test_metadata_naming_another_credential_issuer_is_refused(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    issuer_stub.behaviour.metadata = {"credential_issuer": f"http://127.0.0.1:{free_port()}"}
    error = unchanged(
        holder, "wallet_issuer_mismatch", lambda: holder.review_offer(issuer_stub.offer())
    )
    assert "another credential issuer" in error.message
    assert not any("token" in r or r.rsplit("/", 1)[-1] == "credential"
                   for r in issuer_stub.requests)  # fmt: skip
