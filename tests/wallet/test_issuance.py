"""Receiving over OpenID4VCI from an issuer on loopback: checks before consent, the batch,
verification of every copy, and the store unchanged by every refusal."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from civicid.errors import Error
from civicid.identity import Identity
from civicid.oid4vci import offer_link_by_reference, parse_offer_link
from tests.wallet.rogue_issuer import TX_CODE, RogueIssuer
from tests.wallet.world import AGENCY_NAMES, CLAIMS, OTHER_TYPE, LedgerWorld
from wallet.errors import WALLET_STORE_WRITE_FAILED
from wallet.holder.credentials import VALID
from wallet.holder.wallet import Wallet


def unchanged(holder: Wallet, code: str, action: Callable[[], object]) -> Error:
    """``action`` raises ``code``; the wallet holds what it held before."""
    before = (holder.store.document(), holder.settings.store_path.read_bytes())
    with pytest.raises(Error) as info:
        action()
    assert info.value.code == code, info.value
    assert (holder.store.document(), holder.settings.store_path.read_bytes()) == before
    return info.value


@pytest.mark.parametrize("by_reference", [False, True])
def test_receive_a_batch_of_verified_copies(
    holder: Wallet, issuer_stub: RogueIssuer, by_reference: bool
) -> None:
    review = holder.review_offer(issuer_stub.offer(by_reference=by_reference))
    assert review.issuer_did == issuer_stub.world.agency.did
    # Its name as governance endorsed it on the ledger, not the one its metadata claims.
    assert review.issuer_name == "Civil Registry" != issuer_stub.behaviour.name
    assert review.issuer_names == AGENCY_NAMES
    assert [o.type_name for o in review.offered] == ["National ID"]
    assert review.offered[0].accreditation is not None
    assert review.tx_code is not None and review.tx_code.length == 6
    assert issuer_stub.behaviour.tokens_spent == []  # nothing spent before consent
    [held] = holder.accept_offer(review, TX_CODE)
    assert held.claims == CLAIMS
    assert held.type_name == "National ID"
    assert (held.issuer_name, held.issuer_names) == ("Civil Registry", AGENCY_NAMES)
    assert held.status(held.received_at) == VALID
    assert len(held.copies) == 3
    keys = {copy.holder_key().public.thumbprint() for copy in held.copies}
    assert len(keys) == 3  # one key per copy
    assert {c.status_idx for c in held.copies} == set(issuer_stub.issued_indices[-3:])
    assert holder.credentials() == [held]
    assert held.label(("given_name",)) == "Given name"


def test_tx_code_is_required_and_checked(holder: Wallet, issuer_stub: RogueIssuer) -> None:
    review = holder.review_offer(issuer_stub.offer())
    unchanged(holder, "wallet_tx_code_required", lambda: holder.accept_offer(review, None))
    unchanged(holder, "invalid_grant", lambda: holder.accept_offer(review, "000000"))
    assert len(holder.accept_offer(review, TX_CODE)) == 1


@pytest.mark.parametrize(
    "link, code",
    [
        ("https://example.org/", "oid4vci_offer_invalid"),
        ("mailto:someone@example.org", "wallet_uri_invalid"),
        ("openid-credential-offer://?credential_offer=%7Bnot%20json", "oid4vci_offer_invalid"),
        (
            "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fevil.example%2Fo",
            "oid4vci_offer_invalid",
        ),
        ("openid4vp://?client_id=x&request_uri=y", "wallet_uri_invalid"),
        ("", "wallet_uri_invalid"),
    ],
)
def test_malformed_or_unsupported_links(holder: Wallet, link: str, code: str) -> None:
    unchanged(holder, code, lambda: holder.review_offer(link))


def test_an_offer_uri_answering_a_redirect_is_told_as_one_not_followed(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    link = issuer_stub.offer(by_reference=True)
    offer_id = parse_offer_link(link).offer_uri.rsplit("/", 1)[-1]  # type: ignore[union-attr]
    moved = offer_link_by_reference(f"{issuer_stub.url}/moved/{offer_id}")
    error = unchanged(holder, "http_response_malformed", lambda: holder.review_offer(moved))
    assert "redirect (HTTP 302 to /offers/" in error.message and "not followed" in error.message
    assert "JSON" not in error.message
    assert issuer_stub.fetched == []  # the redirect was not followed


def test_issuer_not_accredited_for_the_type_is_refused_before_any_question(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    issuer_stub.behaviour.vct = OTHER_TYPE
    unchanged(holder, "issuer_not_accredited", lambda: holder.review_offer(issuer_stub.offer()))
    assert issuer_stub.behaviour.tokens_spent == []


def test_issuer_claiming_an_unaccredited_did_is_refused(
    holder: Wallet, issuer_stub: RogueIssuer, ledger_world: LedgerWorld
) -> None:
    issuer_stub.behaviour.claimed_did = ledger_world.desk.did
    unchanged(holder, "issuer_not_accredited", lambda: holder.review_offer(issuer_stub.offer()))


def test_credential_signed_by_another_key_is_refused(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    issuer_stub.behaviour.sign_with = Identity.create()  # a key not on the ledger for iss
    review = holder.review_offer(issuer_stub.offer())
    error = unchanged(
        holder, "wallet_issuer_mismatch", lambda: holder.accept_offer(review, TX_CODE)
    )
    assert "another DID" in error.message


def test_credential_signed_with_a_wrong_signature_is_refused(
    holder: Wallet, issuer_stub: RogueIssuer, ledger_world: LedgerWorld
) -> None:
    # Claims the agency's kid but is signed by another key: the ledger's key does not verify.
    impostor = Identity.create()
    issuer_stub.behaviour.sign_with = Identity(
        impostor.did, ledger_world.agency.kid, impostor.key, impostor.document
    )
    review = holder.review_offer(issuer_stub.offer())
    unchanged(holder, "sdjwt_signature_invalid", lambda: holder.accept_offer(review, TX_CODE))


def test_credential_bound_to_a_key_the_wallet_never_offered_is_refused(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    issuer_stub.behaviour.bind_to_stranger = True
    review = holder.review_offer(issuer_stub.offer())
    unchanged(holder, "wallet_cnf_mismatch", lambda: holder.accept_offer(review, TX_CODE))


def test_garbage_mid_issuance_stores_nothing(holder: Wallet, issuer_stub: RogueIssuer) -> None:
    issuer_stub.behaviour.garbage_credential = True
    review = holder.review_offer(issuer_stub.offer())
    unchanged(holder, "oid4vci_response_invalid", lambda: holder.accept_offer(review, TX_CODE))


def test_issuer_that_stops_answering_mid_issuance_stores_nothing(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    issuer_stub.behaviour.hang_credential = True
    review = holder.review_offer(issuer_stub.offer())
    unchanged(holder, "http_deadline", lambda: holder.accept_offer(review, TX_CODE))


def test_unreachable_issuer(holder: Wallet) -> None:
    from civicid.oid4vci import CredentialOffer
    from cli.harness import free_port

    offer = CredentialOffer.from_json(
        {
            "credential_issuer": f"http://127.0.0.1:{free_port()}",
            "credential_configuration_ids": ["x"],
            "grants": {
                "urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "c"}
            },
        }
    )
    unchanged(holder, "http_unreachable", lambda: holder.review_offer(offer.to_link()))


def test_an_offer_by_reference_is_kept_until_redeemed(
    holder: Wallet, issuer_stub: RogueIssuer
) -> None:
    link = issuer_stub.offer(by_reference=True)
    holder.review_offer(link)  # then declined, or the connection dropped
    review = holder.review_offer(link)  # the issuer serves it once: the kept one is used
    assert len(issuer_stub.fetched) == 1
    unchanged(holder, "invalid_grant", lambda: holder.accept_offer(review, "000000"))
    [held] = holder.accept_offer(holder.review_offer(link), TX_CODE)
    assert holder.credentials() == [held]
    # Redeemed: no longer kept, and the issuer will not serve it again.
    unchanged(holder, "offer_already_fetched", lambda: holder.review_offer(link))
    assert holder.store.document().get("offers") == {}


def test_an_offer_that_could_not_be_kept_is_told_spent(
    holder: Wallet, issuer_stub: RogueIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk full when an offer served once is kept: the write failure says the link is
    spent (the issuer will not serve it again), never only that the disk is full."""

    def full(*_: object) -> None:
        raise WALLET_STORE_WRITE_FAILED("cannot write wallet.db: No space left on device")

    link = issuer_stub.offer(by_reference=True)
    with monkeypatch.context() as patch:
        patch.setattr(holder, "keep_offer", full)
        error = unchanged(holder, "wallet_store_write_failed", lambda: holder.review_offer(link))
    assert "No space left on device" in error.message
    assert "the link is spent: ask the agency for a new offer" in error.message
    unchanged(holder, "offer_already_fetched", lambda: holder.review_offer(link))
    assert len(issuer_stub.fetched) == 1


def test_a_refused_offer_by_reference_is_not_kept(holder: Wallet, issuer_stub: RogueIssuer) -> None:
    issuer_stub.behaviour.vct = OTHER_TYPE
    link = issuer_stub.offer(by_reference=True)
    unchanged(holder, "issuer_not_accredited", lambda: holder.review_offer(link))


def test_kept_offers_are_bounded(
    holder: Wallet, issuer_stub: RogueIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wallet.holder import wallet as wallet_module

    monkeypatch.setattr(wallet_module, "MAX_KEPT_OFFERS", 2)
    links = [issuer_stub.offer(by_reference=True) for _ in range(3)]
    for link in links:
        holder.review_offer(link)
    kept = holder.store.document()["offers"]
    assert len(kept) == 2
    unchanged(holder, "offer_already_fetched", lambda: holder.review_offer(links[0]))
    assert len(holder.accept_offer(holder.review_offer(links[2]), TX_CODE)) == 1
