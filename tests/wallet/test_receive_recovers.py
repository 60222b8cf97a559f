"""A receive that fails before the issuer takes the offer's code leaves the offer usable:
an unreachable ledger (named by its address), a transaction code of the wrong form (refused
here, so it uses none of the issuer's attempts). Once the issuer has taken the code, the
error says the offer is spent."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicid.errors import Error
from civicid.oid4vci import CredentialOffer, TxCode, parse_offer_link
from cli.harness import free_port
from tests.wallet.conftest import Citizen
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.test_cli import refused
from tests.wallet.test_issuance import unchanged
from tests.wallet.world import LedgerWorld
from wallet.holder.issuance import check_tx_code
from wallet.holder.wallet import Wallet

SPENDING = ("POST /token", "POST /nonce", "POST /credential")


def spent(stub: RogueIssuer) -> list[str]:
    return [r for r in stub.requests if r in SPENDING]


def point_at(holder: Wallet, url: str) -> None:
    """The wallet's ledger is now ``url`` (the same checkpoint key)."""
    holder.settings = holder.settings.model_copy(update={"ledger_url": url})
    holder.reset_ledger_client()


@pytest.mark.parametrize("by_reference", [False, True])
def test_a_ledger_down_at_review_names_its_address_and_keeps_the_offer(
    holder: Wallet,
    issuer_stub: RogueIssuer,
    ledger_world: LedgerWorld,
    by_reference: bool,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    link = issuer_stub.offer(by_reference=by_reference)
    point_at(holder, dead)
    with pytest.raises(Error) as info:
        holder.review_offer(link)
    error = info.value
    assert error.code == "http_unreachable"
    assert dead.removeprefix("http://") in error.message  # the host, not a bare path
    if by_reference:  # served once by the issuer: kept, sealed, for the retry
        assert "same link works again" in error.message
        offer_uri = parse_offer_link(link).offer_uri
        assert offer_uri is not None and holder.kept_offer(offer_uri) is not None
    point_at(holder, ledger_world.url)
    [held] = holder.receive(link, TX_CODE)
    assert held.issuer == ledger_world.agency.did
    assert len(issuer_stub.fetched) == (1 if by_reference else 0)  # served once, kept


def test_a_ledger_down_after_review_sends_nothing_to_the_issuer(
    holder: Wallet, issuer_stub: RogueIssuer, ledger_world: LedgerWorld
) -> None:
    link = issuer_stub.offer(by_reference=True)
    review = holder.review_offer(link)
    point_at(holder, f"http://127.0.0.1:{free_port()}")
    error = unchanged(holder, "http_unreachable", lambda: holder.accept_offer(review, TX_CODE))
    assert "nothing was sent to the issuer" in error.message
    assert spent(issuer_stub) == []
    point_at(holder, ledger_world.url)
    assert len(holder.accept_offer(holder.review_offer(link), TX_CODE)) == 1


def test_a_failure_after_the_code_was_taken_says_the_offer_is_spent(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    issuer_stub.behaviour.garbage_credential = True
    link = issuer_stub.offer(by_reference=True)
    review = holder.review_offer(link)
    with pytest.raises(Error) as info:
        holder.accept_offer(review, TX_CODE)
    error = info.value
    assert error.code == "oid4vci_response_invalid" and holder.credentials() == []
    assert "ask it for a new offer" in error.message
    assert holder.kept_offer(review.offer_uri or "") is None  # nothing left to retry with


def test_the_command_line_names_the_ledger_and_the_link_still_works(
    tmp_path: Path, ledger_world: LedgerWorld, issuer_stub: RogueIssuer
) -> None:
    person = Citizen(tmp_path / "citizen", ledger_world)
    dead = f"http://127.0.0.1:{free_port()}"
    person.run("init", "--ledger", dead, "--ledger-key", ledger_world.vkey)
    link = issuer_stub.offer(by_reference=True)
    result = person.run("receive", link, "--tx-code", TX_CODE, "--yes", ok=False)
    refused(result, "http_unreachable")
    assert dead in result.stderr and "same link works again" in result.stderr
    person.run("config", "--ledger", ledger_world.url)
    person.run("receive", link, "--tx-code", TX_CODE, "--yes")
    assert len(issuer_stub.fetched) == 1 and len(person.json("list")) == 1


@pytest.mark.parametrize(
    "code", ["49353", "4935366", "49353a", "\uff14\uff19\uff13\uff15\uff13\uff16", "", " 493536"]
)
def test_a_tx_code_of_the_wrong_form_is_refused_here(
    holder: Wallet, issuer_stub: RogueIssuer, code: str
) -> None:
    review = holder.review_offer(issuer_stub.offer())
    expected = "wallet_tx_code_required" if not code else "wallet_tx_code_malformed"
    error = unchanged(holder, expected, lambda: holder.accept_offer(review, code))
    if code:
        assert "nothing was sent to the issuer" in error.message
    assert spent(issuer_stub) == []  # none of the issuer's attempts used
    assert len(holder.accept_offer(review, TX_CODE)) == 1


def test_the_command_line_refuses_a_short_code_without_asking_the_issuer(
    tmp_path: Path, ledger_world: LedgerWorld, issuer_stub: RogueIssuer
) -> None:
    person = Citizen(tmp_path / "citizen", ledger_world)
    person.run("init", "--ledger", ledger_world.url, "--ledger-key", ledger_world.vkey)
    link = issuer_stub.offer(by_reference=True)
    result = person.run("receive", link, "--tx-code", "12345", "--yes", ok=False)
    refused(result, "wallet_tx_code_malformed")
    assert "6 digits" in result.stderr
    assert spent(issuer_stub) == []
    person.run("receive", link, "--tx-code", TX_CODE, "--yes")


@pytest.mark.parametrize(
    "described, code, ok",
    [
        ({"input_mode": "text", "length": 4}, "ab1Z", True),
        ({"input_mode": "text", "length": 4}, "ab1", False),
        ({"input_mode": "text"}, "any length at all", True),
        ({"input_mode": "text"}, "a\x1b[2J", False),
        ({}, "0123456789", True),  # numeric by default, any length when none is given
        ({}, "12a", False),
        ({"length": 2}, "123", False),
    ],
)
def test_the_offer_s_description_decides_the_form(
    described: dict[str, object], code: str, ok: bool
) -> None:
    expected = TxCode.from_json(described)
    if ok:
        check_tx_code(expected, code)
    else:
        with pytest.raises(Exception) as info:
            check_tx_code(expected, code)
        assert getattr(info.value, "code", None) == "wallet_tx_code_malformed"


def test_an_offer_by_value_is_unchanged_by_the_checks() -> None:
    offer = CredentialOffer.from_json(
        {
            "credential_issuer": "https://agency.example",
            "credential_configuration_ids": ["x"],
            "grants": {
                "urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                    "pre-authorized_code": "c",
                    "tx_code": {"length": 6},
                }
            },
        }
    )
    assert offer.pre_authorized is not None and offer.pre_authorized.tx_code is not None
