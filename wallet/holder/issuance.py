"""The OpenID4VCI 1.0 client: pre-authorized code flow with a transaction code, nonce, key
proofs for a batch of copies, each copy verified before the credential is stored.

``review`` does every check that needs no secret (the offer, the issuer's metadata, its DID
and accreditation on the ledger) BEFORE the citizen is asked for anything; ``accept`` then
spends the pre-authorized code and transaction code.

An offer by reference is served once (§4.1.3): once fetched, the wallet holds the only copy
of its code. A reviewed one is kept in the wallet (sealed, like everything else) until it is
redeemed, so declining at the prompt, a wrong transaction code or a lost connection leaves
the same link redeemable later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeVar

from civicid.did import parse_did
from civicid.errors import Error, StorageError, Unavailable
from civicid.http import Answer, HttpClient
from civicid.jose import PrivateKey
from civicid.names import endorsed_names
from civicid.oid4vci import (
    FORMAT_SD_JWT_VC,
    MAX_CODE_CHARS,
    OFFER_INVALID,
    PRE_AUTHORIZED_GRANT,
    RESPONSE_INVALID,
    WELL_KNOWN_AS,
    WELL_KNOWN_ISSUER,
    WELL_KNOWN_JWT_VC_ISSUER,
    AuthorizationServerMetadata,
    CredentialIssuerMetadata,
    CredentialOffer,
    CredentialRequest,
    CredentialResponse,
    ErrorResponse,
    JwtVcIssuerMetadata,
    NonceResponse,
    OfferLink,
    TokenRequest,
    TokenResponse,
    TxCode,
    Wire,
    build_proof_jwt,
    parse_offer_link,
)
from civicid.proven import ProvenType
from civicid.status_uri import base_urls, normalize_uri
from civicid.trust import ANY_AGE
from wallet.errors import (
    WALLET_AUTHORIZATION_SERVER_UNLISTED,
    WALLET_ENDPOINT_UNBOUND,
    WALLET_ISSUANCE_FAILED,
    WALLET_ISSUER_MISMATCH,
    WALLET_ISSUER_UNBOUND,
    WALLET_TX_CODE_MALFORMED,
    WALLET_TX_CODE_REQUIRED,
    WALLET_URI_INVALID,
)
from wallet.holder.credentials import Credential
from wallet.holder.intake import (
    Accepted,
    display_name,
    display_name_in,
    to_record,
    verify_copy,
)
from wallet.holder.links import OFFER, wrong_link

if TYPE_CHECKING:
    from civicid.trust import Trust
    from wallet.holder.holding import Holding

OFFER_SCHEMES: Final = ("openid-credential-offer", "https", "http")
# The copies asked for per credential: enough for a few unlinkable presentations, few enough
# that a batch stays one quick request. The issuer's batch_size caps it further.
DEFAULT_COPIES: Final = 5
Model = TypeVar("Model", bound=Wire)
# Failures worth a retry with the same link: a service that could not be reached or
# answered outside the protocol, a store that could not be written. Any other is a refusal.
TRANSIENT: Final = (Unavailable, StorageError)


@dataclass(frozen=True, slots=True)
class Offered:
    """One credential of an offer, as the ledger describes it."""

    configuration_id: str
    vct: str
    type_name: str | None
    accreditation: str | None  # the issuer's accreditation for this vct, from the ledger
    proven_type: ProvenType | None


@dataclass(frozen=True, slots=True)
class OfferReview:
    """Everything checked before the citizen is asked to accept and type a code."""

    offer: CredentialOffer
    metadata: CredentialIssuerMetadata
    token_endpoint: str
    issuer_did: str
    issuer_name: str | None  # as the agency registered itself on the ledger (None: it did not)
    offered: tuple[Offered, ...]
    tx_code: TxCode | None  # None: the offer needs no transaction code
    offer_uri: str | None = None  # by reference: where it was served (it is kept under it)
    issuer_names: dict[str, str] = field(default_factory=dict)  # language tag -> name

    @property
    def issuer_url(self) -> str:
        return self.offer.credential_issuer

    @property
    def copies(self) -> int:
        return max(1, min(DEFAULT_COPIES, self.metadata.batch_size))


def _fetch(http: HttpClient, method: str, url: str, model: type[Model], **kwargs: Any) -> Model:
    answer = http.request(method, url, **kwargs)
    _raise_for(answer)
    return model.from_json(answer.content)


def _raise_for(answer: Answer) -> None:
    """An OAuth/OpenID4VCI error body becomes our error (the issuer's own code if it is
    ours); any other error answer, and a redirect (not followed), goes through the kernel's
    mapping."""
    if answer.status < 300:
        return
    if answer.status < 400:
        answer.raise_for_error()
    try:
        body = ErrorResponse.from_json(answer.content)
    except Error:
        answer.raise_for_error()
        raise
    raise body.to_error(answer.status)


def offer_link(link: str) -> OfferLink:
    """The offer link's parts, read without asking anyone (an offer by reference is not
    fetched)."""
    scheme = link.strip().split(":", 1)[0].lower()
    if scheme not in OFFER_SCHEMES:
        raise wrong_link(link, OFFER)
    return parse_offer_link(link)


def parse_link(
    link: str, http: HttpClient, kept: Callable[[str], CredentialOffer | None] = lambda _: None
) -> tuple[CredentialOffer, str | None]:
    """An ``openid-credential-offer://`` link (or a wallet endpoint URL with the same query):
    by value, or by reference, as ``kept`` still holds it or else fetched from the issuer;
    with the offer's URI when by reference."""
    parsed = offer_link(link)
    if parsed.offer is not None:
        return parsed.offer, None
    assert parsed.offer_uri is not None
    offer = kept(parsed.offer_uri) or _fetch(http, "GET", parsed.offer_uri, CredentialOffer)
    return offer, parsed.offer_uri


def review(wallet: Holding, link: str) -> OfferReview:
    """Check an offer before consent (``checked``). An offer by reference, served once, is
    kept from the moment it is fetched: when the ledger or the issuer cannot be reached
    the link still works later; an offer refused by a rule is not kept."""
    fetched: list[tuple[str, CredentialOffer]] = []
    try:
        return checked(wallet, link, fetched)
    except Error as exc:
        if isinstance(exc, TRANSIENT) and fetched:
            try:
                wallet.keep_offer(*fetched[0])
            except Error as lost:
                if wallet.kept_offer(fetched[0][0]) is None:
                    # The issuer serves it once and the wallet could not keep it (a full
                    # disk): the link will not work again, and the citizen must know.
                    raise amended(
                        lost,
                        "the issuer serves an offer once and this one could not be kept, so"
                        " the link is spent: ask the agency for a new offer",
                    ) from exc
            raise amended(exc, "the offer is kept and the same link works again") from exc
        offer_uri = kept_uri(wallet, link)
        if offer_uri is not None:
            wallet.forget_offer(offer_uri)
        raise


def kept_uri(wallet: Holding, link: str) -> str | None:
    """The URI of ``link``'s offer by reference if the wallet keeps it."""
    try:
        offer_uri = parse_offer_link(link).offer_uri
    except Error:
        return None
    return offer_uri if offer_uri and wallet.kept_offer(offer_uri) is not None else None


def amended(exc: Error, note: str) -> Error:
    """``exc``, same code, with ``note`` told after its message."""
    return type(exc)(exc.code, f"{exc.message}; {note}", **exc.details)


def checked(wallet: Holding, link: str, fetched: list[tuple[str, CredentialOffer]]) -> OfferReview:
    """Steps before consent, each raising on failure; nothing is stored, and nothing secret
    is sent: the wallet only reads the issuer's metadata until step 6 has passed."""
    with wallet.http() as http:
        # 1. The offer (§4.1), by value or by reference (§4.1.3; kept if fetched before).
        offer, offer_uri = parse_link(link, http, wallet.kept_offer)
        if offer_uri is not None:
            fetched.append((offer_uri, offer))  # served once: kept whatever happens next
        grant = offer.pre_authorized
        if grant is None:
            raise WALLET_URI_INVALID("only pre-authorized offers are supported (§4.1.1)")
        # 2. The issuer's metadata, which must name the same issuer (§12.2.2, §12.2.4).
        base = offer.credential_issuer.rstrip("/")
        metadata = _fetch(http, "GET", base + WELL_KNOWN_ISSUER, CredentialIssuerMetadata)
        if metadata.credential_issuer.rstrip("/") != base:
            raise WALLET_ISSUER_MISMATCH("the metadata is for another credential issuer")
        server = authorization_server(grant.authorization_server, metadata, base)
        # 3. The issuer's DID (SD-JWT VC §4 metadata); the ledger decides what it may issue.
        jwt_vc = _fetch(http, "GET", base + WELL_KNOWN_JWT_VC_ISSUER, JwtVcIssuerMetadata)
    try:
        did = parse_did(jwt_vc.issuer)
    except Error as exc:
        raise WALLET_ISSUER_MISMATCH(f"the issuer names no ledger DID: {exc.message}") from exc
    trust = wallet.trust_for(did)  # its ledger: the wallet's own, or one it pins
    offered = []
    for config_id in offer.credential_configuration_ids:
        config = metadata.credential_configurations_supported.get(config_id)
        if config is None:
            raise OFFER_INVALID(f"{config_id} is not in the issuer's metadata")
        if config.format != FORMAT_SD_JWT_VC or config.vct is None:
            raise WALLET_URI_INVALID(f"{config_id} is a {config.format}, not an SD-JWT VC")
        # 4. Accredited for this type now, from proven grants (before asking for the code).
        standing = trust.issuer_standing(did, config.vct, wallet.clock())
        standing.require()
        try:
            proven: ProvenType | None = trust.credential_type(config.vct)
        except Error:
            proven = None  # no registered metadata: the card shows the vct instead
        named = config.credential_metadata.display if config.credential_metadata else None
        type_name = (
            display_name(proven.metadata.get("display")) if proven is not None else None
        ) or display_name(named)
        offered.append(Offered(config_id, config.vct, type_name, standing.accreditation, proven))
    # 5. The issuer's URL is one the agency's DID names on the ledger: anyone can serve
    #    metadata naming a real, accredited agency's DID, and would collect its codes. So is
    #    every endpoint a secret goes to: the authorization server, whose token endpoint
    #    gets the pre-authorized and transaction codes, and the endpoints that get the
    #    access token and key proofs (a real issuer URL with any of them elsewhere is a
    #    phishing offer all the same).
    bases = agency_bases(trust, did)
    # From the first version, as governance endorsed it (the history just proven will do).
    names = endorsed_names(trust.history(did, max_age=ANY_AGE))
    check_issuer_bound(bases, did, offer.credential_issuer)
    check_endpoint_bound(bases, did, "authorization server", server)
    check_endpoint_bound(bases, did, "credential endpoint", metadata.credential_endpoint)
    if metadata.nonce_endpoint:
        check_endpoint_bound(bases, did, "nonce endpoint", metadata.nonce_endpoint)
    # 6. The authorization server's metadata (RFC 8414 §3), from the checked address only.
    with wallet.http() as http:
        auth = _fetch(http, "GET", server.rstrip("/") + WELL_KNOWN_AS, AuthorizationServerMetadata)
    if auth.issuer.rstrip("/") != server.rstrip("/"):
        raise WALLET_ISSUER_MISMATCH(  # RFC 8414 §3.3
            f"the authorization server at {server} says it is {auth.issuer}"
        )
    check_endpoint_bound(bases, did, "token endpoint", auth.token_endpoint)
    if offer_uri is not None:
        # Served once: kept until it is redeemed, whatever the citizen answers now.
        wallet.keep_offer(offer_uri, offer)
    return OfferReview(
        offer=offer,
        metadata=metadata,
        token_endpoint=auth.token_endpoint,
        issuer_did=did,
        # Its name as governance endorsed it, never the one its own metadata claims.
        issuer_name=display_name_in(names, wallet.languages),
        issuer_names=names,
        offered=tuple(offered),
        tx_code=grant.tx_code,
        offer_uri=offer_uri,
    )


def authorization_server(named: str | None, metadata: CredentialIssuerMetadata, base: str) -> str:
    """The authorization server to use: the issuer itself unless its metadata lists others
    (§12.2.4 ``authorization_servers``); an offer's ``authorization_server`` only picks one
    of those (§4.1.1: it "MUST match" one of them, and the wallet "MUST NOT proceed" when it
    does not). An offer is any link anyone can make; the issuer's metadata is the issuer's."""
    listed = metadata.authorization_servers
    if named is None:
        return (listed or [base])[0]
    if listed is None or named.rstrip("/") not in {s.rstrip("/") for s in listed}:
        raise WALLET_AUTHORIZATION_SERVER_UNLISTED(
            f"the offer sends the codes to {named}, which {base} does not list as its "
            "authorization server: nothing was sent"
        )
    return named


def agency_bases(trust: Trust, did: str) -> tuple[str, ...]:
    """The base URLs that services of ``did``'s first DID document name: the document
    governance endorsed when it admitted the agency, so neither a phishing site nor a later
    update can add an address (``civicid/status_uri.py``)."""
    first = trust.history(did).versions[0].document
    return base_urls(first.data if first is not None else {})


def under(url: str, bases: tuple[str, ...]) -> bool:
    """Whether ``url`` (in its normal form) lies under one of ``bases``."""
    try:
        normal = normalize_uri(url)
    except Error:
        return False
    normal = normal if normal.endswith("/") else normal + "/"
    return any(normal.startswith(base) for base in bases)


def check_issuer_bound(bases: tuple[str, ...], did: str, issuer_url: str) -> None:
    """``issuer_url`` lies under one of the agency's ``bases``."""
    if not under(issuer_url, bases):
        raise WALLET_ISSUER_UNBOUND(
            f"{issuer_url} offers credentials of {did}, but that agency's DID on the ledger "
            f"names {', '.join(bases) or 'no address'}: nothing was sent to it"
        )


def check_endpoint_bound(bases: tuple[str, ...], did: str, what: str, url: str) -> None:
    """An endpoint the wallet would send a secret to lies under one of the agency's
    ``bases``, as its issuer URL does."""
    if not under(url, bases):
        raise WALLET_ENDPOINT_UNBOUND(
            f"the {what} {url} is not under an address {did} names on the ledger "
            f"({', '.join(bases) or 'none'}): nothing was sent"
        )


@dataclass(slots=True)
class Progress:
    redeemed: bool = False  # the issuer took the pre-authorized code: it is spent


def accept(wallet: Holding, reviewed: OfferReview, tx_code: str | None) -> list[Credential]:
    """Redeem the offer, once everything that can fail before is checked: the transaction
    code's form (§4.1.1: a wrong one would use up one of the issuer's attempts) and the
    ledger, which must be reachable now to verify what the issuer sends. Until the issuer
    takes the code, a failure leaves the offer as it was; after, it is spent, and the error
    says so."""
    if reviewed.tx_code is not None:
        check_tx_code(reviewed.tx_code, tx_code)
    try:
        wallet.ledger.checkpoint()
    except Error as exc:
        raise amended(exc, "nothing was sent to the issuer: the same link works again") from exc
    progress = Progress()
    try:
        return redeem(wallet, reviewed, tx_code, progress)
    except Error as exc:
        if not progress.redeemed:
            if isinstance(exc, TRANSIENT):
                raise amended(exc, "the offer was not used: the same link works again") from exc
            raise
        if reviewed.offer_uri is not None:
            wallet.forget_offer(reviewed.offer_uri)
        raise amended(exc, "the issuer has taken the offer's code: ask it for a new offer") from exc


def check_tx_code(expected: TxCode, tx_code: str | None) -> None:
    """The transaction code as the offer describes it (§4.1.1 ``input_mode``, ``length``),
    refused here rather than by the issuer, which counts every wrong code."""
    hint = expected.description or "the issuer sent a transaction code separately"
    if not tx_code:
        raise WALLET_TX_CODE_REQUIRED(hint)
    numeric = expected.input_mode in (None, "numeric")  # absent means numeric
    if numeric and not (tx_code.isascii() and tx_code.isdigit()):
        raise WALLET_TX_CODE_MALFORMED(
            f"the transaction code is digits only ({hint}); nothing was sent to the issuer"
        )
    if expected.length is not None and len(tx_code) != expected.length:
        raise WALLET_TX_CODE_MALFORMED(
            f"the transaction code has {expected.length} "
            f"{'digits' if numeric else 'characters'}, not {len(tx_code)} ({hint}); "
            "nothing was sent to the issuer"
        )
    if len(tx_code) > MAX_CODE_CHARS or not tx_code.isprintable():
        raise WALLET_TX_CODE_MALFORMED("the transaction code is not one the issuer could send")


def redeem(
    wallet: Holding, reviewed: OfferReview, tx_code: str | None, progress: Progress
) -> list[Credential]:
    """Spend the code: token, then per credential a nonce and a batch of key proofs; verify
    every copy; store the credentials only when all of them passed."""
    grant = reviewed.offer.pre_authorized
    assert grant is not None
    metadata = reviewed.metadata
    with wallet.http() as http:
        # 6. Token (§6), pre-authorized code grant with the transaction code.
        request = TokenRequest(
            grant_type=PRE_AUTHORIZED_GRANT,
            pre_authorized_code=grant.pre_authorized_code,
            tx_code=tx_code if reviewed.tx_code is not None else None,
        )
        token = _fetch(http, "POST", reviewed.token_endpoint, TokenResponse, data=request.to_form())
        progress.redeemed = True
        bearer = {"authorization": f"Bearer {token.access_token}"}
        records = []
        for offered in reviewed.offered:
            # 7. A fresh c_nonce (§7) for the proofs of this request.
            nonce = None
            if metadata.nonce_endpoint:
                nonce = _fetch(http, "POST", metadata.nonce_endpoint, NonceResponse).c_nonce
            keys = [PrivateKey.generate() for _ in range(reviewed.copies)]
            now = wallet.clock()
            proofs = [
                build_proof_jwt(k, aud=metadata.credential_issuer, nonce=nonce, iat=now)
                for k in keys
            ]
            # 8. The batch (§8), one proof per copy, one key per copy.
            body = CredentialRequest.model_validate(
                {
                    "credential_configuration_id": offered.configuration_id,
                    "proofs": {"jwt": proofs},
                }
            )
            response = _fetch(
                http,
                "POST",
                metadata.credential_endpoint,
                CredentialResponse,
                json=body.to_json(),
                headers=bearer,
            )
            if not response.credentials:
                raise WALLET_ISSUANCE_FAILED("deferred issuance is not supported by this wallet")
            # 9. Each copy verified with the issuer key from the ledger, bound to one of ours.
            accepted: list[Accepted] = []
            for item in response.credentials:
                if not isinstance(item.credential, str):
                    raise RESPONSE_INVALID("an SD-JWT VC is a string (A.3.4)")
                copy = verify_copy(
                    wallet.trust_for(reviewed.issuer_did),
                    item.credential,
                    issuer=reviewed.issuer_did,
                    vct=offered.vct,
                    keys=keys,
                    now=wallet.clock(),
                )
                if any(a.key is copy.key for a in accepted):
                    raise WALLET_ISSUANCE_FAILED("two copies are bound to the same key")
                accepted.append(copy)
            records.append(
                to_record(
                    wallet.trust_for(reviewed.issuer_did),
                    accepted,
                    proven_type=offered.proven_type,
                    issuer_names=reviewed.issuer_names,
                    languages=wallet.languages,
                    now=wallet.clock(),
                )
            )
    # 10. Stored together, once everything verified; a kept offer is spent now.
    for record in records:
        wallet.add(record)
    if reviewed.offer_uri is not None:
        wallet.forget_offer(reviewed.offer_uri)
    return records
