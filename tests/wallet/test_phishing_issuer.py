"""Attack: a phishing site serves an offer, metadata and ``/.well-known/jwt-vc-issuer``
naming a real, accredited agency's DID, to collect the citizen's transaction code (and key
proofs). The wallet checks, before it asks for or sends anything, that the offer's issuer
URL is one the agency's DID document on the ledger names; this one is not, so the citizen is
never asked for the code, nothing is sent, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from cli.harness import free_port, serving
from tests.wallet.conftest import Citizen
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.test_cli import refused
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


def heard(stub: RogueIssuer) -> list[str]:
    """What ``stub`` was asked, but for the harness's readiness polls."""
    return [r for r in stub.requests if r != "GET /health"]


# An offer naming the real agency at its real address, but whose secrets would go elsewhere:
# the offer's authorization server, or a metadata endpoint, points at the attacker. The
# attacker must receive nothing at all: not even a metadata request that tells it the link
# was opened.


def test_an_offer_naming_an_authorization_server_the_issuer_does_not_list_is_refused(
    holder: Wallet, issuer_stub: RogueIssuer, phishing: RogueIssuer
) -> None:
    link = issuer_stub.offer(authorization_server=phishing.url)
    error = unchanged(
        holder, "wallet_authorization_server_unlisted", lambda: holder.review_offer(link)
    )
    assert phishing.url in error.message
    assert heard(phishing) == [] and issuer_stub.behaviour.tokens_spent == []


def test_an_authorization_server_listed_by_the_issuer_still_lies_under_the_agency(
    holder: Wallet, issuer_stub: RogueIssuer, phishing: RogueIssuer
) -> None:
    issuer_stub.behaviour.metadata = {"authorization_servers": [issuer_stub.url, phishing.url]}
    for named in (phishing.url, None):
        if named is None:  # the first listed is the default: make it the attacker
            issuer_stub.behaviour.metadata["authorization_servers"].reverse()
        review = partial(holder.review_offer, issuer_stub.offer(authorization_server=named))
        error = unchanged(holder, "wallet_endpoint_unbound", review)
        assert "authorization server" in error.message and phishing.url in error.message
    assert heard(phishing) == []


@pytest.mark.parametrize(
    "member, what",
    [
        ("token_endpoint", "token endpoint"),
        ("nonce_endpoint", "nonce endpoint"),
        ("credential_endpoint", "credential endpoint"),
    ],
)
def test_an_endpoint_outside_the_agency_s_address_is_refused_before_any_secret(
    holder: Wallet,
    issuer_stub: RogueIssuer,
    phishing: RogueIssuer,
    member: str,
    what: str,
) -> None:
    issuer_stub.behaviour.metadata = {member: f"{phishing.url}/{member.split('_')[0]}"}
    link = issuer_stub.offer()
    error = unchanged(holder, "wallet_endpoint_unbound", lambda: holder.review_offer(link))
    assert what in error.message and phishing.url in error.message
    assert heard(phishing) == [] and issuer_stub.behaviour.tokens_spent == []


def test_an_issuer_listing_itself_as_authorization_server_is_received(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    issuer_stub.behaviour.metadata = {"authorization_servers": [issuer_stub.url]}
    link = issuer_stub.offer(authorization_server=issuer_stub.url)
    [held] = holder.receive(link, TX_CODE)
    assert held.issuer == issuer_stub.world.agency.did


def test_the_command_line_never_asks_for_a_code_meant_for_another_server(
    tmp_path: Path,
    ledger_world: LedgerWorld,
    issuer_stub: RogueIssuer,
    phishing: RogueIssuer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = Citizen(tmp_path / "citizen", ledger_world)
    person.run("init", "--ledger", ledger_world.url, "--ledger-key", ledger_world.vkey)
    monkeypatch.setattr(wallet_cli, "has_terminal", lambda: True)
    link = issuer_stub.offer(authorization_server=phishing.url)
    result = person.run("receive", link, ok=False, input=f"y\n{TX_CODE}\n")
    refused(result, "wallet_authorization_server_unlisted")
    assert "Transaction code" not in result.stderr and "Accept this offer" not in result.stderr
    assert heard(phishing) == [] and issuer_stub.behaviour.tokens_spent == []
