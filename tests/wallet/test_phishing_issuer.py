"""Attack: a phishing site serves an offer, metadata and ``/.well-known/jwt-vc-issuer``
naming a real, accredited agency's DID, to collect the citizen's transaction code (and key
proofs). The wallet checks, before it asks for or sends anything, that the offer's issuer
URL is one the agency's DID document on the ledger names; this one is not, so the citizen is
never asked for the code, nothing is sent, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.harness import free_port, serving
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.test_cli import Citizen, refused
from tests.wallet.test_issuance import unchanged
from tests.wallet.world import LedgerWorld
from wallet import cli as wallet_cli
from wallet.holder.wallet import Wallet

SPENDING = ("POST /token", "POST /nonce", "POST /credential")


@pytest.fixture
def phishing(ledger_world: LedgerWorld) -> Iterator[RogueIssuer]:
    """An issuer claiming the world's agency (its DID, accredited for the national ID) at an
    address that agency never named."""
    stub = RogueIssuer(ledger_world)
    with serving(stub.app(), free_port()) as url:
        stub.url = url
        yield stub
        stub.released.set()


@pytest.mark.parametrize("by_reference", [False, True])
def test_a_phishing_issuer_gets_no_code_and_no_proof(
    holder: Wallet, phishing: RogueIssuer, by_reference: bool
) -> None:
    link = phishing.offer(by_reference=by_reference)
    error = unchanged(holder, "wallet_issuer_unbound", lambda: holder.review_offer(link))
    assert phishing.url in error.message and phishing.world.agency.did in error.message
    assert not [r for r in phishing.requests if r in SPENDING]
    assert holder.credentials() == []


def test_the_same_agency_at_the_address_it_named_is_received(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    [held] = holder.receive(issuer_stub.offer(by_reference=True), TX_CODE)
    assert held.issuer == issuer_stub.world.agency.did


def test_the_command_line_never_asks_a_phishing_issuer_s_code(
    tmp_path: Path,
    ledger_world: LedgerWorld,
    phishing: RogueIssuer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = Citizen(tmp_path / "citizen", ledger_world)
    person.run("init", "--ledger", ledger_world.url, "--ledger-key", ledger_world.vkey)
    monkeypatch.setattr(wallet_cli, "has_terminal", lambda: True)
    result = person.run("receive", phishing.offer(), ok=False, input=f"y\n{TX_CODE}\n")
    refused(result, "wallet_issuer_unbound")
    assert "Transaction code" not in result.stderr and "Accept this offer" not in result.stderr
    assert not [r for r in phishing.requests if r in SPENDING]
