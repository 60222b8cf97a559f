"""Credential offers and the pre-authorized code grant (OpenID4VCI §4, §6): making an offer
for a record, serving it once by reference, and trading its code (with the transaction code
handed over out of band) for a short-lived access token.

Codes and tokens are bearer secrets: only their SHA-256 is kept (a pre-authorized code in
clear only until the offer is fetched or redeemed). Not thread-safe on its own: the issuer
calls it under its state lock.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Final

from civicid.errors import Error
from civicid.oid4vci import (
    PRE_AUTHORIZED_GRANT,
    CredentialOffer,
    TokenRequest,
    offer_link,
    offer_link_by_reference,
)
from issuer.entropy import ENTROPY
from issuer.errors import (
    GRANT_EXPIRED,
    GRANT_UNKNOWN,
    GRANT_USED,
    OFFER_ALREADY_FETCHED,
    OFFER_EXPIRED,
    OFFER_LOCKED,
    OFFER_NOT_FOUND,
    RECORD_INVALID,
    TX_CODE_MISSING,
    TX_CODE_UNEXPECTED,
    TX_CODE_WRONG,
)
from issuer.records import ISSUED, LOCKED, OFFERED, REDEEMED, Offer

# "5 wrong transaction codes lock the offer": a 6-digit code then holds against guessing.
MAX_TX_CODE_ATTEMPTS: Final = 5
# The agency's own reference (a registry number): printable, short, never a claim value.
RECORD_PATTERN: Final = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,127}$")
TX_CODE_DESCRIPTION: Final = "The code the agency gave you with this offer"
# What codes and ids are made of (``ENTROPY.token``): letters neither JSON nor a link escapes.
BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]+")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def hash_tx_code(code: str, salt: str | None = None) -> str:
    """Salted: a transaction code is a few digits, so its plain hash would be a lookup away."""
    salt = salt or ENTROPY(16).hex()
    return f"{salt}${hashlib.sha256((salt + code).encode()).hexdigest()}"


def tx_code_matches(stored: str, code: str) -> bool:
    salt, _ = stored.split("$", 1)
    return hmac.compare_digest(stored, hash_tx_code(code, salt))


@dataclass(frozen=True, slots=True)
class CreatedOffer:
    """What the clerk hands over: the offer (link or QR) and, separately, the tx code."""

    offer: Offer
    credential_offer_json: dict[str, Any]  # as the wallet receives it (§4.1.1)
    link: str  # by value: openid-credential-offer://?credential_offer=...
    offer_uri: str  # by reference: fetched once by the wallet
    link_by_reference: str
    tx_code: str | None

    @property
    def credential_offer(self) -> CredentialOffer:
        """The offer's parameters as the model, read when asked for: the clerk's answer and
        the links are written from ``credential_offer_json`` (~15 µs an offer saved)."""
        return CredentialOffer.from_json(self.credential_offer_json)


@dataclass(frozen=True, slots=True)
class Redeemed:
    offer: Offer
    access_token: str


def credential_offer(offer: Offer, code: str, issuer_url: str, tx_length: int) -> CredentialOffer:
    return CredentialOffer.from_json(credential_offer_json(offer, code, issuer_url, tx_length))


def credential_offer_json(
    offer: Offer, code: str, issuer_url: str, tx_length: int
) -> dict[str, Any]:
    """§4.1.1: the offer's parameters, members in the order ``CredentialOffer.to_json`` gives
    them (the model, made from them, checks them; its dump is the same dict)."""
    grant: dict[str, Any] = {"pre-authorized_code": code}
    if offer.tx_code_hash is not None:
        grant["tx_code"] = {
            "input_mode": "numeric",
            "length": tx_length,
            "description": TX_CODE_DESCRIPTION,
        }
    return {
        "credential_issuer": issuer_url,
        "credential_configuration_ids": [offer.configuration],
        "grants": {PRE_AUTHORIZED_GRANT: grant},
    }


class OfferBook:
    """The offers still in play (offered or redeemed, not expired), indexed three ways."""

    def __init__(self, issuer_url: str, tx_code_length: int) -> None:
        self.issuer_url = issuer_url
        self.tx_code_length = tx_code_length
        self.by_id: dict[str, Offer] = {}
        self.by_code: dict[str, str] = {}
        self.by_token: dict[str, str] = {}
        # Each link split around its offer's code or id, by what the rest depends on: one
        # entry per configuration the settings offer (with and without a transaction code).
        self._links: dict[tuple[str, bool] | None, tuple[str, str, int]] = {}

    def put(self, offer: Offer) -> None:
        old = self.by_id.get(offer.id)
        if old is not None and old.token_hash and old.token_hash != offer.token_hash:
            self.by_token.pop(old.token_hash, None)
        if offer.state in (OFFERED, REDEEMED):
            self.by_id[offer.id] = offer
            self.by_code[offer.code_hash] = offer.id
            if offer.token_hash:
                self.by_token[offer.token_hash] = offer.id
        else:
            self.drop(offer)

    def drop(self, offer: Offer) -> None:
        self.by_id.pop(offer.id, None)
        self.by_code.pop(offer.code_hash, None)
        if offer.token_hash:
            self.by_token.pop(offer.token_hash, None)

    def make(
        self,
        *,
        configuration: str,
        vct: str,
        record: str,
        claims: dict[str, Any],
        clerk: str,
        now: int,
        ttl: int,
        tx_code: bool,
    ) -> CreatedOffer:
        if not isinstance(record, str) or not RECORD_PATTERN.fullmatch(record):
            raise RECORD_INVALID("a record reference is 1-128 printable ASCII characters")
        code = ENTROPY.token(32)
        pin = ENTROPY.digits(self.tx_code_length)
        offer = Offer(
            id=ENTROPY.ident(16),
            record=record,
            configuration=configuration,
            vct=vct,
            claims=claims,
            code_hash=digest(code),
            code=code,
            tx_code_hash=hash_tx_code(pin) if tx_code else None,
            created=now,
            expires=now + ttl,
            clerk=clerk,
        )
        offer_uri = f"{self.issuer_url}/offers/{offer.id}"
        # The link and the clerk's answer are written from the parameters the model was made
        # from (its dump is the same dict), not from dumps of the model.
        parameters = credential_offer_json(offer, code, self.issuer_url, self.tx_code_length)
        by_value = (configuration, tx_code)

        def by_reference() -> str:
            return offer_link_by_reference(offer_uri)

        return CreatedOffer(
            offer=offer,
            credential_offer_json=parameters,
            link=self._link(by_value, code, lambda: offer_link(parameters)),
            offer_uri=offer_uri,
            link_by_reference=self._link(None, offer.id, by_reference),
            tx_code=pin if tx_code else None,
        )

    def _link(self, kind: tuple[str, bool] | None, varying: str, make: Callable[[], str]) -> str:
        """``make()``, a link in which only ``varying`` (a code or an id: base64url, which
        neither JSON nor percent-encoding escapes, of one length for every offer) differs from
        one offer of this ``kind`` to the next: made whole once, then the same text around
        each offer's own. The first is made whole, with every check of its making (the
        offer URI's), which the others, differing in those letters only, would pass alike."""
        parts = self._links.get(kind)
        if parts is not None and len(varying) == parts[2] and BASE64URL.fullmatch(varying):
            return parts[0] + varying + parts[1]
        link = make()
        if kind not in self._links and link.count(varying) == 1:
            before, after = link.split(varying)
            self._links[kind] = (before, after, len(varying))
        return link

    def fetch(self, offer_id: str, now: int, stored: Offer | None) -> tuple[Offer, CredentialOffer]:
        """§4.1.3: the offer by reference, once; the code leaves our store with it.
        ``stored`` is the store's offer when it is no longer in play."""
        offer = self.by_id.get(offer_id) or stored
        if offer is None:
            raise OFFER_NOT_FOUND("no offer waits at this address")
        if offer.fetched:
            raise OFFER_ALREADY_FETCHED("the offer was already fetched; it is served once")
        if offer.state != OFFERED or offer.code is None:
            raise OFFER_NOT_FOUND("this offer was used or withdrawn")
        if now >= offer.expires:
            raise OFFER_EXPIRED("the offer has expired; ask the agency for a new one")
        body = credential_offer(offer, offer.code, self.issuer_url, self.tx_code_length)
        return replace(offer, fetched=True, code=None), body

    def redeem(
        self, request: TokenRequest, now: int, token_ttl: int, stored: Offer | None
    ) -> Offer | Redeemed:
        """§6.1 with the pre-authorized code: a Redeemed (token issued), or the offer changed by
        a wrong transaction code (to be stored, then refused). ``stored`` is the store's offer
        for the code when it is not in play (to tell "used" and "expired" from "unknown")."""
        code_hash = digest(request.pre_authorized_code)
        offer_id = self.by_code.get(code_hash)
        offer = self.by_id.get(offer_id) if offer_id else None
        if offer is None:
            if stored is None:
                raise GRANT_UNKNOWN("no offer has this pre-authorized code")
            if stored.state == LOCKED:
                raise OFFER_LOCKED("too many wrong transaction codes: ask for a new offer")
            if stored.state in (REDEEMED, ISSUED):
                raise GRANT_USED("the pre-authorized code was already used")
            raise GRANT_EXPIRED("the pre-authorized code has expired")
        if now >= offer.expires:
            raise GRANT_EXPIRED("the pre-authorized code has expired")
        if offer.state != OFFERED:
            raise GRANT_USED("the pre-authorized code was already used")
        if offer.tx_code_hash is None:
            if request.tx_code is not None:
                raise TX_CODE_UNEXPECTED("this offer has no transaction code")
        elif request.tx_code is None:
            raise TX_CODE_MISSING("send the transaction code given with the offer (tx_code)")
        elif not tx_code_matches(offer.tx_code_hash, request.tx_code):
            attempts = offer.attempts + 1
            return replace(
                offer,
                attempts=attempts,
                state=LOCKED if attempts >= MAX_TX_CODE_ATTEMPTS else OFFERED,
            )
        token = ENTROPY.token(32)
        redeemed = replace(
            offer,
            state=REDEEMED,
            code=None,
            token_hash=digest(token),
            token_expires=now + token_ttl,
        )
        return Redeemed(redeemed, token)

    def for_token(self, access_token: str | None, now: int) -> Offer | None:
        if not access_token:
            return None
        offer_id = self.by_token.get(digest(access_token))
        offer = self.by_id.get(offer_id) if offer_id else None
        if offer is None or offer.state != REDEEMED or (offer.token_expires or 0) <= now:
            return None
        return offer if offer.claims is not None else None

    def expired(self, now: int) -> list[Offer]:
        """Offers past their time, and past their access token's if one was given."""
        return [
            o for o in self.by_id.values() if now >= o.expires and now >= (o.token_expires or 0)
        ]


def wrong_code_error(offer: Offer) -> Error:
    if offer.state == LOCKED:
        return OFFER_LOCKED(f"{MAX_TX_CODE_ATTEMPTS} wrong transaction codes: the offer is locked")
    left = MAX_TX_CODE_ATTEMPTS - offer.attempts
    return TX_CODE_WRONG(f"wrong transaction code; {left} attempt{'' if left == 1 else 's'} left")
