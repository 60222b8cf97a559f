"""The offer book on its own: what an offer carries, who may fetch it by reference, the access
token's lifetime at its boundary, and the pre-authorized code forgotten once redeemed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from civicid.errors import Error
from civicid.oid4vci import TokenRequest, offer_link, offer_link_by_reference
from civicid.wire import staff as wire
from issuer import qr
from issuer.offers import (
    MAX_TX_CODE_ATTEMPTS,
    TX_CODE_DESCRIPTION,
    CreatedOffer,
    OfferBook,
    Redeemed,
    wrong_code_error,
)
from issuer.records import LOCKED, REDEEMED
from issuer.routes.deps import NO_STORE, json_response
from issuer.routes.staff import offer_created

ISSUER = "https://issuer.example"
NOW = 1_750_000_000
TTL = 600
TOKEN_TTL = 300
GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


def made(
    book: OfferBook,
    *,
    tx_code: bool = True,
    record: str = "R-1",
    configuration: str = "national-id",
    clerk: str = "clerk-1",
) -> CreatedOffer:
    created = book.make(
        configuration=configuration,
        vct="https://civicid.example/vct/national-id",
        record=record,
        claims={"given_name": "Ada"},
        clerk=clerk,
        now=NOW,
        ttl=TTL,
        tx_code=tx_code,
    )
    book.put(created.offer)
    return created


def request(created: CreatedOffer, tx_code: str | None) -> TokenRequest:
    code = created.offer.code
    assert code is not None
    return TokenRequest.from_json(
        {"grant_type": GRANT, "pre-authorized_code": code, "tx_code": tx_code}
    )


def test_an_offer_with_a_transaction_code_says_how_to_enter_it() -> None:
    book = OfferBook(ISSUER, 6)
    grant = made(book).credential_offer.to_json()["grants"][GRANT]
    assert grant["tx_code"] == {
        "input_mode": "numeric",
        "length": 6,
        "description": TX_CODE_DESCRIPTION,
    }
    assert "tx_code" not in made(book, tx_code=False).credential_offer.to_json()["grants"][GRANT]


@pytest.mark.parametrize("tx_code", [True, False])
def test_an_offers_link_and_parameters_are_its_models_own(tx_code: bool) -> None:
    """The link and the clerk's answer are written from the parameters, not the model's dumps:
    they are what the model, checked and dumped, gives (members and their order included)."""
    created = made(OfferBook(ISSUER, 6), tx_code=tx_code)
    dumped = created.credential_offer.to_json()
    assert created.credential_offer_json == dumped
    assert list(created.credential_offer_json) == list(dumped)
    assert created.link == created.credential_offer.to_link()


def test_a_locked_offer_is_not_served_by_reference() -> None:
    """Locked by wrong transaction codes, it still holds its code: never handed out again."""
    book = OfferBook(ISSUER, 6)
    created = made(book)
    locked = replace(created.offer, state=LOCKED, attempts=MAX_TX_CODE_ATTEMPTS)
    book.put(locked)
    with pytest.raises(Error) as info:
        book.fetch(locked.id, NOW, locked)
    assert info.value.code == "offer_not_found"


def test_a_redeemed_offer_forgets_its_code_and_its_token_ends_on_time() -> None:
    book = OfferBook(ISSUER, 6)
    created = made(book)
    assert created.tx_code is not None
    redeemed = book.redeem(request(created, created.tx_code), NOW, TOKEN_TTL, None)
    assert isinstance(redeemed, Redeemed)
    assert redeemed.offer.state == REDEEMED and redeemed.offer.code is None
    book.put(redeemed.offer)
    assert book.for_token(redeemed.access_token, NOW + TOKEN_TTL - 1) == redeemed.offer
    assert book.for_token(redeemed.access_token, NOW + TOKEN_TTL) is None
    assert book.for_token("another token", NOW) is None


def test_a_wrong_code_says_how_many_attempts_are_left() -> None:
    book = OfferBook(ISSUER, 6)
    created = made(book)
    assert created.tx_code is not None
    wrong = "0" * 6 if created.tx_code != "0" * 6 else "1" * 6
    changed = book.redeem(request(created, wrong), NOW, TOKEN_TTL, None)
    assert not isinstance(changed, Redeemed) and changed.attempts == 1
    error = wrong_code_error(changed)
    assert error.code == "tx_code_wrong"
    assert error.message == f"wrong transaction code; {MAX_TX_CODE_ATTEMPTS - 1} attempts left"
    last = replace(changed, attempts=MAX_TX_CODE_ATTEMPTS - 1)
    assert wrong_code_error(last).message == "wrong transaction code; 1 attempt left"
    locked = replace(changed, state=LOCKED, attempts=MAX_TX_CODE_ATTEMPTS)
    assert wrong_code_error(locked).code == "offer_locked"


@pytest.mark.parametrize("tx_code", [True, False])
@pytest.mark.parametrize("inline", [True, False])
def test_the_clerks_answer_is_the_models_dump(tx_code: bool, inline: bool) -> None:
    """The answer to a new offer, written from the offer's parts, is what the model would
    have written: members, order, times and escaping (a record with quotes and a backslash,
    an SVG with its own quotes and newlines)."""
    created = made(OfferBook(ISSUER, 6), tx_code=tx_code, record='R-"1"\\x', clerk="clerk 1")
    if inline:
        codes = {"svg": qr.svg(created.link_by_reference), "png": qr.png_data_uri(created.link)}
    else:
        codes = {"svg": "/staff/offers/x/qr?format=svg", "png": "/staff/offers/x/qr?format=png"}
    model = wire.OfferCreated(
        offer=wire.OfferView.model_validate(created.offer.to_json(NOW + 1)),
        credential_offer=created.credential_offer.to_json(),
        link=created.link,
        offer_uri=created.offer_uri,
        link_by_reference=created.link_by_reference,
        tx_code=created.tx_code,
        qr=wire.QrCodes(**codes),
    )
    answer = json_response(offer_created(created, NOW + 1, codes), 201, NO_STORE)
    assert answer.body == model.to_bytes()


def test_every_offers_links_are_made_as_the_first_ones() -> None:
    """Links after the first of their kind are the first's text around the offer's own code
    or id: each is the link made whole from that offer's parameters and address."""
    book = OfferBook(ISSUER, 6)
    for n in range(40):
        configuration = ("national-id", "résidence")[n % 2]
        created = made(book, tx_code=n % 3 != 0, record=f"R-{n}", configuration=configuration)
        assert created.link == offer_link(created.credential_offer_json)
        assert created.link_by_reference == offer_link_by_reference(created.offer_uri)
        assert created.link == created.credential_offer.to_link()


def test_a_link_around_letters_a_link_would_escape_is_made_whole() -> None:
    """Only base64url letters (a code's, an id's) are put into a link's text as they are:
    anything else is made whole, escaped as the link's making escapes it."""
    book = OfferBook(ISSUER, 6)
    made(book)  # the first link of its kind, kept
    kind = ("national-id", True)
    varying = "a%b c/d" + "x" * 36  # a code's length, letters percent-encoding changes
    link = book._link(kind, varying, lambda: f"whole:{varying}")
    assert link == f"whole:{varying}"
