"""The issuer's staff API (``/staff/…``): what a clerk's tools send and are answered, camelCase
on the wire like the ledger API. Never a claim value in an answer, never a secret but the
offer's own link and transaction code, once, to the clerk who made it."""

from __future__ import annotations

from typing import Any, Final

from pydantic import Field, StrictBool

from civicid.wire.base import Camel, Time, optional

# A record reference: 1-128 printable ASCII characters, not starting with a space (the
# issuer's own rule, issuer.offers.RECORD_PATTERN).
RECORD: Final = r"^[\x21-\x7e][\x20-\x7e]{0,127}$"
MAX_RECORD_CHARS: Final = 128
# A credential configuration id as the issuer's settings name one.
MAX_CONFIGURATION_CHARS: Final = 128
# Ids the issuer makes (offers, issuances): short random strings.
MAX_ID_CHARS: Final = 64


class OfferRequest(Camel):
    """``POST /staff/offers``: an offer of ``configuration`` for ``record``, with its claims
    (checked against the type's JSON Schema on the ledger)."""

    configuration: str = Field(min_length=1, max_length=MAX_CONFIGURATION_CHARS)
    record: str = Field(pattern=RECORD, max_length=MAX_RECORD_CHARS)
    claims: dict[str, Any] = Field(min_length=1)
    tx_code: StrictBool = True  # a JSON boolean: "no" is not false here


class OfferView(Camel):
    """An offer as staff see it: no claim values, no secrets."""

    id: str
    record: str
    configuration: str
    vct: str
    state: str
    created: Time
    expires: Time
    tx_code: bool
    credential: str | None
    clerk: str


class QrCodes(Camel):
    """Where the offer's QR codes are (``/staff/offers/{id}/qr``), or, asked inline, the
    SVG text and a PNG data URI."""

    svg: str
    png: str


class OfferCreated(Camel):
    offer: OfferView
    credential_offer: dict[str, Any]  # OpenID4VCI §4.1.1, as the wallet receives it
    link: str
    offer_uri: str
    link_by_reference: str
    tx_code: str | None
    qr: QrCodes


class OfferList(Camel):
    offers: list[OfferView]


class Copy(Camel):
    """One copy of an issuance: its status list and index (and the list's URI, when known)."""

    list: int
    idx: int
    uri: str | None = optional()


class IssuedView(Camel):
    id: str
    record: str
    configuration: str
    vct: str
    status: str
    issued_at: Time
    expires: Time
    copies: list[Copy]
    offer: str
    clerk: str
    status_changed: Time | None = optional()


class StatusChanged(IssuedView):
    """A revocation, suspension or reinstatement: when the ledger will show it."""

    publication: str


class CredentialList(Camel):
    credentials: list[IssuedView]


class ListView(Camel):
    """One of the agency's status lists: where it stands on the ledger."""

    number: int
    uri: str
    size: int
    bits: int
    created: Time
    published_at: Time | None
    ledger_seq: int | None
    pending: bool
    allocated: int | None = optional()


class Lists(Camel):
    lists: list[ListView]


class Published(Camel):
    published: list[ListView]


class AuditEventView(Camel):
    seq: int | None
    at: Time
    actor: str
    action: str
    subject: str | None
    record: str | None
    outcome: str
    detail: dict[str, Any]
    hash: str | None


class AuditLog(Camel):
    events: list[AuditEventView]
