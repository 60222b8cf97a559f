"""OpenID for Verifiable Credential Issuance 1.0 on the wire: the messages an issuer and a
wallet exchange (offer, metadata, token, nonce, credential, errors) as frozen typed models,
and the ``openid4vci-proof+jwt`` key proof (§F.1) both sides build and check.

Models parse strictly what the spec requires and keep, untouched, members they do not know
(the spec says receivers MUST ignore them; keeping them makes ``to_json`` lossless).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Final, Literal, Self
from urllib.parse import parse_qs, quote, urlsplit

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from civicid.encoding import parse_json
from civicid.errors import Code, Error, InvalidInput, Unavailable, VerificationError, declare
from civicid.http import STATUS_ERRORS
from civicid.jose import SIGNING_ALGS, CompactJWS, PrivateKey, PublicKey
from civicid.wire.base import Snake

PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
AUTHORIZATION_CODE_GRANT: Final = "authorization_code"
OFFER_SCHEME: Final = "openid-credential-offer://"  # §12.1.1, when no wallet endpoint is known
FORMAT_SD_JWT_VC: Final = "dc+sd-jwt"  # Appendix A.3.1
PROOF_TYP: Final = "openid4vci-proof+jwt"  # Appendix F.1
PROOF_TYPE_JWT: Final = "jwt"
WELL_KNOWN_ISSUER: Final = "/.well-known/openid-credential-issuer"  # §12.2.2
WELL_KNOWN_AS: Final = "/.well-known/oauth-authorization-server"  # RFC 8414 §3
WELL_KNOWN_JWT_VC_ISSUER: Final = "/.well-known/jwt-vc-issuer"  # SD-JWT VC §4

# A proof JWT is a header with one public JWK and four short claims: ~600 bytes with P-384.
MAX_PROOF_BYTES: Final = 8 * 1024
# A proof older than this was not made for this request (§13.5 proof replay); the c_nonce is
# the real freshness check, this bounds what an unused stolen proof is worth.
PROOF_MAX_AGE: Final = 300
# Wallet clocks drift; §13.5 allows proofs "in the reasonably near future".
PROOF_CLOCK_SKEW: Final = 60
# §8.3.1 batch_size bounds the proofs array; nobody needs more copies than this at once.
MAX_PROOFS: Final = 100
# An offer by value rides in a QR code or a link: kilobytes at most (§4.1.2 suggests by
# reference for large offers). Bounds what a wallet parses from an untrusted link.
MAX_OFFER_LINK_CHARS: Final = 16 * 1024
MAX_CODE_CHARS: Final = 512  # pre-authorized codes, tokens, nonces, identifiers
TX_CODE_MAX_DESCRIPTION: Final = 300  # §4.1.1
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})

OFFER_INVALID = declare("oid4vci_offer_invalid", InvalidInput, "not a valid credential offer")
METADATA_INVALID = declare(
    "oid4vci_metadata_invalid", InvalidInput, "not valid credential issuer metadata"
)
TOKEN_REQUEST_INVALID = declare(
    "oid4vci_token_request_invalid", InvalidInput, "not a valid token request"
)
CREDENTIAL_REQUEST_INVALID = declare(
    "oid4vci_credential_request_invalid", InvalidInput, "not a valid credential request"
)
RESPONSE_INVALID = declare(
    "oid4vci_response_invalid", Unavailable, "the issuer answered outside OpenID4VCI"
)
PROOF_MALFORMED = declare("proof_malformed", InvalidInput, "the key proof is not a proof JWT")
PROOF_TYP_INVALID = declare(
    "proof_typ_invalid", VerificationError, "the key proof's typ is not openid4vci-proof+jwt"
)
PROOF_ALG_NOT_ALLOWED = declare(
    "proof_alg_not_allowed", VerificationError, "the key proof's algorithm is not allowed"
)
PROOF_KEY_UNSUPPORTED = declare(
    "proof_key_unsupported", VerificationError, "the key proof must carry its key as a jwk header"
)
PROOF_KEY_INVALID = declare("proof_key_invalid", VerificationError, "the proof's jwk is not usable")
PROOF_SIGNATURE_INVALID = declare(
    "proof_signature_invalid", VerificationError, "the proof is not signed by its jwk"
)
PROOF_AUD_MISMATCH = declare(
    "proof_aud_mismatch", VerificationError, "the proof is not addressed to this issuer"
)
PROOF_IAT_STALE = declare("proof_iat_stale", VerificationError, "the proof is too old")
PROOF_IAT_FUTURE = declare("proof_iat_future", VerificationError, "the proof is from the future")
PROOF_NONCE_MISSING = declare("proof_nonce_missing", VerificationError, "the proof has no nonce")
PROOF_NONCE_MISMATCH = declare(
    "proof_nonce_mismatch", VerificationError, "the proof's nonce is not a current c_nonce"
)

# The §8.3.1.2 / RFC 6749 §5.2 code a wallet gets for each of our proof and request codes.
OAUTH_ERRORS: Final[dict[str, str]] = {
    TOKEN_REQUEST_INVALID.name: "invalid_request",
    CREDENTIAL_REQUEST_INVALID.name: "invalid_credential_request",
    PROOF_NONCE_MISSING.name: "invalid_proof",
    PROOF_NONCE_MISMATCH.name: "invalid_nonce",
    **{
        code.name: "invalid_proof"
        for code in (
            PROOF_MALFORMED,
            PROOF_TYP_INVALID,
            PROOF_ALG_NOT_ALLOWED,
            PROOF_KEY_UNSUPPORTED,
            PROOF_KEY_INVALID,
            PROOF_SIGNATURE_INVALID,
            PROOF_AUD_MISMATCH,
            PROOF_IAT_STALE,
            PROOF_IAT_FUTURE,
        )
    },
}

Text = Annotated[str, Field(min_length=1, max_length=MAX_CODE_CHARS)]


def check_issuer_url(value: str, what: str = "URL") -> str:
    """§12.2.1: an https URL with no query or fragment. Plain http is accepted only for a
    loopback host, so a service and its wallet can run on one machine without TLS."""
    if len(value) > MAX_ISSUER_URL_CHARS or not _issuer_url(value):  # long: judged unkept
        raise ValueError(f"{what} must be an https URL without query or fragment")
    return value


# Issuer URLs judged lately: an issuer's offers all name its own, checked with each offer.
# Only URLs within MAX_ISSUER_URL_CHARS are judged here, so the memory is 2 MiB at most.
MAX_URLS_JUDGED: Final = 1024
# Longest issuer URL accepted: ample for any real host and path.
MAX_ISSUER_URL_CHARS: Final = 2048


@lru_cache(maxsize=MAX_URLS_JUDGED)
def _issuer_url(value: str) -> bool:
    parts = urlsplit(value)
    secure = parts.scheme == "https" or (
        parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS
    )
    return bool(secure and parts.netloc and not parts.query and not parts.fragment)


class Wire(Snake):
    """A message: the kernel's wire base with the OAuth family's spelling; unknown members
    are kept as they came (lossless ``to_json``), absent ones are not sent as null."""

    model_config = ConfigDict(extra="allow")
    invalid: ClassVar[Code] = OFFER_INVALID

    @classmethod
    def from_json(cls, data: Any, *, error: Code | None = None) -> Self:
        code = error or cls.invalid
        if isinstance(data, str | bytes):
            # I-JSON, as every JSON this project reads: pydantic's own parser keeps the last
            # of a member named twice (an offer read otherwise by another reader), and takes
            # a byte order mark, NaN and 1e400.
            data = parse_json(data, code=code)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0] if exc.errors() else {"msg": str(exc), "loc": ()}
            where = ".".join(str(p) for p in first.get("loc", ())) or "message"
            raise code(f"{where}: {first['msg']}") from exc
        except (ValueError, RecursionError) as exc:
            raise code("not a JSON object") from exc

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# -- credential offer (§4) ------------------------------------------------------------------


class TxCode(Wire):
    """§4.1.1: a transaction code is expected (even if this object is empty)."""

    input_mode: Literal["numeric", "text"] | None = None  # absent means numeric
    length: Annotated[int, Field(ge=1, le=64)] | None = None
    description: Annotated[str, Field(max_length=TX_CODE_MAX_DESCRIPTION)] | None = None


class PreAuthorizedCodeGrant(Wire):
    pre_authorized_code: Text = Field(alias="pre-authorized_code")
    tx_code: TxCode | None = None
    authorization_server: str | None = None


class AuthorizationCodeGrant(Wire):
    issuer_state: str | None = None
    authorization_server: str | None = None


class Grants(Wire):
    authorization_code: AuthorizationCodeGrant | None = None
    pre_authorized_code: PreAuthorizedCodeGrant | None = Field(
        default=None, alias=PRE_AUTHORIZED_GRANT
    )


class CredentialOffer(Wire):
    """§4.1.1 Credential Offer parameters."""

    credential_issuer: str
    credential_configuration_ids: list[Text] = Field(min_length=1, max_length=64)
    grants: Grants | None = None

    @field_validator("credential_issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return check_issuer_url(value, "credential_issuer")

    @field_validator("credential_configuration_ids")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("credential_configuration_ids must be unique")
        return value

    @property
    def pre_authorized(self) -> PreAuthorizedCodeGrant | None:
        return self.grants.pre_authorized_code if self.grants else None

    def to_link(self, base: str = OFFER_SCHEME) -> str:
        """§4.1.2: the offer by value, as a link a wallet opens or a QR code holds."""
        return offer_link(self.to_json(), base)


def offer_link(offer: dict[str, Any], base: str = OFFER_SCHEME) -> str:
    """§4.1.2: a link carrying ``offer``, a Credential Offer as JSON (as ``to_json`` gives it)."""
    compact = json.dumps(offer, separators=(",", ":"), ensure_ascii=False)
    return f"{base}?credential_offer={quote(compact, safe='')}"


def offer_link_by_reference(offer_uri: str, base: str = OFFER_SCHEME) -> str:
    """§4.1.3: a link naming the URL the wallet fetches the offer from."""
    try:
        check_issuer_url(offer_uri.split("?", 1)[0], "credential_offer_uri")
    except ValueError as exc:
        raise OFFER_INVALID(str(exc)) from exc
    return f"{base}?credential_offer_uri={quote(offer_uri, safe='')}"


@dataclass(frozen=True, slots=True)
class OfferLink:
    """A parsed offer link: exactly one of ``offer`` (by value) or ``offer_uri`` (by reference)."""

    offer: CredentialOffer | None
    offer_uri: str | None


def parse_offer_link(link: str) -> OfferLink:
    """Read ``openid-credential-offer://?credential_offer=...`` or ``...credential_offer_uri=``
    (any scheme: a wallet's own offer endpoint is an https URL with the same query)."""
    if not isinstance(link, str) or len(link) > MAX_OFFER_LINK_CHARS:
        raise OFFER_INVALID(f"an offer link is text of at most {MAX_OFFER_LINK_CHARS} characters")
    query = parse_qs(urlsplit(link.strip()).query, keep_blank_values=True)
    by_value, by_reference = query.get("credential_offer"), query.get("credential_offer_uri")
    # §4.1: one of the two, never both, each once.
    if by_value is None and by_reference is None:
        raise OFFER_INVALID(
            "this link carries no credential offer (credential_offer or credential_offer_uri)"
        )
    if by_value is not None and by_reference is not None:
        raise OFFER_INVALID("a link carries credential_offer or credential_offer_uri, not both")
    if by_value is not None:
        if len(by_value) != 1:
            raise OFFER_INVALID("credential_offer is given twice")
        return OfferLink(CredentialOffer.from_json(by_value[0]), None)
    assert by_reference is not None
    if len(by_reference) != 1:
        raise OFFER_INVALID("credential_offer_uri is given twice")
    try:
        check_issuer_url(by_reference[0].split("?", 1)[0], "credential_offer_uri")
    except ValueError as exc:
        raise OFFER_INVALID(str(exc)) from exc
    return OfferLink(None, by_reference[0])


# -- metadata (§12) -------------------------------------------------------------------------


class ProofTypeMetadata(Wire):
    proof_signing_alg_values_supported: list[str] = Field(min_length=1)


class ClaimDescription(Wire):
    """Appendix B.2: a claim's path and how to show it."""

    path: list[str | int | None] = Field(min_length=1)
    mandatory: bool | None = None
    display: list[dict[str, Any]] | None = None


class CredentialMetadata(Wire):
    display: list[dict[str, Any]] | None = None
    claims: list[ClaimDescription] | None = None


class CredentialConfiguration(Wire):
    """§12.2.4 ``credential_configurations_supported`` entry (A.3.2 adds ``vct``)."""

    format: str
    scope: str | None = None
    vct: str | None = None
    credential_signing_alg_values_supported: list[str] | None = None
    cryptographic_binding_methods_supported: list[str] | None = None
    proof_types_supported: dict[str, ProofTypeMetadata] | None = None
    credential_metadata: CredentialMetadata | None = None

    @model_validator(mode="after")
    def _sd_jwt_vc(self) -> Self:
        if self.format == FORMAT_SD_JWT_VC and not self.vct:
            raise ValueError("a dc+sd-jwt configuration names its vct (A.3.2)")
        # §12.2.4: proof types go with binding methods, both present or both absent.
        if (self.cryptographic_binding_methods_supported is None) != (
            self.proof_types_supported is None
        ):
            raise ValueError("proof_types_supported goes with cryptographic_binding_methods")
        return self


class BatchIssuance(Wire):
    batch_size: int = Field(ge=2)  # §12.2.4: "MUST be 2 or greater"


class CredentialIssuerMetadata(Wire):
    """§12.2.4 Credential Issuer Metadata."""

    invalid: ClassVar[Code] = METADATA_INVALID

    credential_issuer: str
    authorization_servers: list[str] | None = Field(default=None, min_length=1)
    credential_endpoint: str
    nonce_endpoint: str | None = None
    deferred_credential_endpoint: str | None = None
    notification_endpoint: str | None = None
    batch_credential_issuance: BatchIssuance | None = None
    display: list[dict[str, Any]] | None = None
    credential_configurations_supported: dict[str, CredentialConfiguration]

    @field_validator("credential_issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        return check_issuer_url(value, "credential_issuer")

    @property
    def batch_size(self) -> int:
        return self.batch_credential_issuance.batch_size if self.batch_credential_issuance else 1


class AuthorizationServerMetadata(Wire):
    """RFC 8414 §2 with §12.3's pre-authorized anonymous access flag."""

    invalid: ClassVar[Code] = METADATA_INVALID

    issuer: str
    token_endpoint: str
    grant_types_supported: list[str] | None = None
    response_types_supported: list[str] | None = None  # §12.3: may be omitted, pre-auth only
    pre_authorized_grant_anonymous_access_supported: bool | None = Field(
        default=None, alias="pre-authorized_grant_anonymous_access_supported"
    )


class JwtVcIssuerMetadata(Wire):
    """SD-JWT VC §4 JWT VC Issuer Metadata: the issuer's keys, for software outside the
    ledger ecosystem (inside it, keys are resolved by DID on the ledger)."""

    invalid: ClassVar[Code] = METADATA_INVALID

    issuer: str
    jwks: dict[str, list[dict[str, Any]]] | None = None
    jwks_uri: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.jwks is None) == (self.jwks_uri is None):
            raise ValueError("exactly one of jwks and jwks_uri (SD-JWT VC §4.2)")
        return self


# -- token, nonce, credential (§6-§8) -------------------------------------------------------


class TokenRequest(Wire):
    """§6.1 Token Request, pre-authorized code grant; sent form-encoded (RFC 6749 §4.1.3)."""

    invalid: ClassVar[Code] = TOKEN_REQUEST_INVALID

    grant_type: Literal["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    pre_authorized_code: Text = Field(alias="pre-authorized_code")
    tx_code: Annotated[str, Field(min_length=1, max_length=64)] | None = None

    @classmethod
    def from_form(cls, form: dict[str, str]) -> TokenRequest:
        return cls.from_json(dict(form))

    def to_form(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.to_json().items()}


class TokenResponse(Wire):
    """§6.2 / RFC 6749 §5.1."""

    invalid: ClassVar[Code] = RESPONSE_INVALID

    access_token: Text
    token_type: str = "Bearer"  # noqa: S105  # RFC 6750 token type name, not a secret
    expires_in: int | None = None
    authorization_details: list[dict[str, Any]] | None = None


class NonceResponse(Wire):
    """§7.2."""

    invalid: ClassVar[Code] = RESPONSE_INVALID

    c_nonce: Text


class Proofs(Wire):
    """§8.2: exactly one proof type; we accept ``jwt`` (Appendix F.1)."""

    invalid: ClassVar[Code] = CREDENTIAL_REQUEST_INVALID

    jwt: list[Annotated[str, Field(min_length=1, max_length=MAX_PROOF_BYTES)]] = Field(
        min_length=1, max_length=MAX_PROOFS
    )

    @model_validator(mode="after")
    def _only_jwt(self) -> Self:
        if self.model_extra:
            raise ValueError(f"proof types {sorted(self.model_extra)} are not supported")
        return self


class CredentialRequest(Wire):
    """§8.2 Credential Request (unencrypted, ``application/json``)."""

    invalid: ClassVar[Code] = CREDENTIAL_REQUEST_INVALID

    credential_configuration_id: Text | None = None
    credential_identifier: Text | None = None
    proofs: Proofs | None = None

    @model_validator(mode="after")
    def _one_id(self) -> Self:
        if (self.credential_configuration_id is None) == (self.credential_identifier is None):
            raise ValueError("exactly one of credential_configuration_id, credential_identifier")
        if "proof" in (self.model_extra or {}):  # the single `proof` of drafts is gone in 1.0
            raise ValueError("use proofs, not proof (OpenID4VCI 1.0 §8.2)")
        return self


class IssuedCredential(Wire):
    credential: str | dict[str, Any]


class CredentialResponse(Wire):
    """§8.3 Credential Response (immediate issuance)."""

    invalid: ClassVar[Code] = RESPONSE_INVALID

    credentials: list[IssuedCredential] | None = Field(default=None, min_length=1)
    transaction_id: str | None = None
    interval: int | None = None
    notification_id: str | None = None

    @model_validator(mode="after")
    def _either(self) -> Self:
        if (self.credentials is None) == (self.transaction_id is None):
            raise ValueError("exactly one of credentials and transaction_id (§8.3)")
        return self


def _ascii_description(text: str) -> str:
    """§8.3.1.2: error_description is %x20-21 / %x23-5B / %x5D-7E only."""
    return "".join(c if 0x20 <= ord(c) <= 0x7E and c not in '"\\' else "?" for c in text)[:500]


class ErrorResponse(Wire):
    """RFC 6749 §5.2 / §8.3.1.2 error body. ``error`` is the code the spec names, so any
    wallet understands it; ``civicid_error`` is our own code naming the rule that failed."""

    invalid: ClassVar[Code] = RESPONSE_INVALID

    error: str
    error_description: str | None = None
    civicid_error: str | None = None

    @classmethod
    def from_error(cls, exc: Error, oauth_code: str | None = None) -> ErrorResponse:
        return cls(
            error=oauth_code or OAUTH_ERRORS.get(exc.code, exc.code),
            error_description=_ascii_description(exc.message),
            civicid_error=exc.code,
        )

    def to_error(self, status: int) -> Error:
        """Our error for this body (a wallet's side): our code when the issuer is ours."""
        kind = STATUS_ERRORS.get(status, Unavailable)
        return kind(self.civicid_error or self.error, self.error_description or self.error)


# -- key proof (Appendix F.1, F.4) ----------------------------------------------------------


def build_proof_jwt(
    holder_key: PrivateKey,
    *,
    aud: str,
    nonce: str | None,
    iat: int,
    iss: str | None = None,
) -> str:
    """F.1: proof of possession of ``holder_key``, its public JWK in the header. ``iss`` is
    omitted for anonymous pre-authorized access, as F.1 requires."""
    claims: dict[str, Any] = {"aud": aud, "iat": iat}
    if nonce is not None:
        claims["nonce"] = nonce
    if iss is not None:
        claims["iss"] = iss
    payload = json.dumps(claims, separators=(",", ":")).encode("utf-8")
    return holder_key.sign_compact(payload, {"typ": PROOF_TYP, "jwk": holder_key.public.to_jwk()})


@dataclass(frozen=True, slots=True)
class VerifiedProof:
    """A key proof that passed every F.4 check: the credential is bound to ``key``."""

    key: PublicKey
    iat: int
    nonce: str | None
    header: dict[str, Any]
    payload: dict[str, Any]


NonceCheck = Callable[[str], None]  # raises PROOF_NONCE_MISMATCH for a nonce it did not issue


def verify_proof_jwt(
    token: str,
    *,
    aud: str,
    now: int,
    nonce: str | NonceCheck | None,
    allowed_algs: tuple[str, ...] = SIGNING_ALGS,
    max_age: int = PROOF_MAX_AGE,
    skew: int = PROOF_CLOCK_SKEW,
) -> VerifiedProof:
    """Appendix F.4, step by step; raises on the first step that fails.

    ``nonce`` is the expected c_nonce, or a check that knows which nonces are current (an
    issuer's nonce store), or None for an issuer with no nonce endpoint.
    """
    # 1. A compact JWS, within bounds.
    try:
        parsed = CompactJWS.parse(token, max_bytes=MAX_PROOF_BYTES)
    except Error as exc:
        raise PROOF_MALFORMED(exc.message) from exc
    header = parsed.header
    # 2. Explicitly typed (F.1, RFC 8725 §3.11).
    if header.get("typ") != PROOF_TYP:
        raise PROOF_TYP_INVALID(f"typ must be {PROOF_TYP!r}, got {header.get('typ')!r}")
    # 3. A registered asymmetric algorithm on our allow-list: never none, never a MAC.
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in allowed_algs:
        raise PROOF_ALG_NOT_ALLOWED(f"algorithm {alg!r} is not allowed for key proofs")
    # 4. The key is the header's jwk (F.1: exactly one of kid, jwk, x5c; we bind to JWKs).
    if "kid" in header or "x5c" in header or "jku" in header or "x5u" in header:
        raise PROOF_KEY_UNSUPPORTED("bind the credential to a jwk, not a kid or certificate")
    if "crit" in header:
        raise PROOF_MALFORMED("no critical header extension is understood")
    if "jwk" not in header:
        raise PROOF_KEY_UNSUPPORTED("the proof carries no jwk header")
    try:
        key = PublicKey.from_jwk(header["jwk"])  # refuses private members (F.4)
    except Error as exc:
        raise PROOF_KEY_INVALID(exc.message) from exc
    # 5. Signed by that key, with an algorithm that fits it (no algorithm confusion).
    try:
        parsed.verify_with(key)
    except Error as exc:
        raise PROOF_SIGNATURE_INVALID(exc.message) from exc
    # 6. Required claims, typed.
    try:
        claims = parsed.payload_json(code=PROOF_MALFORMED)
    except Error as exc:
        raise PROOF_MALFORMED(exc.message) from exc
    iat, proof_aud, proof_nonce = claims.get("iat"), claims.get("aud"), claims.get("nonce")
    if type(iat) is not int:
        raise PROOF_MALFORMED("iat must be an integer (F.1)")
    if proof_nonce is not None and not isinstance(proof_nonce, str):
        raise PROOF_MALFORMED("nonce must be a string (F.1)")
    # 7. Addressed to this issuer: aud is the Credential Issuer Identifier (F.1).
    if proof_aud != aud:
        raise PROOF_AUD_MISMATCH(f"aud must be {aud!r}")
    # 8. Made now (§13.5): not from the future beyond the skew, not older than max_age.
    if iat > now + skew:
        raise PROOF_IAT_FUTURE(f"iat is {iat - now} s ahead of the issuer's clock")
    if iat < now - max_age:
        raise PROOF_IAT_STALE(f"iat is more than {max_age} s old")
    # 9. The server-provided c_nonce (F.4), checked last: a check may consume the nonce.
    if nonce is not None:
        if proof_nonce is None:
            raise PROOF_NONCE_MISSING("the issuer has a nonce endpoint; the proof must use it")
        if callable(nonce):
            nonce(proof_nonce)
        elif proof_nonce != nonce:
            raise PROOF_NONCE_MISMATCH("the nonce is not the one this issuer gave")
    return VerifiedProof(key, iat, proof_nonce, dict(header), claims)


__all__ = [
    "FORMAT_SD_JWT_VC",
    "OFFER_SCHEME",
    "PRE_AUTHORIZED_GRANT",
    "PROOF_TYP",
    "AuthorizationServerMetadata",
    "CredentialConfiguration",
    "CredentialIssuerMetadata",
    "CredentialOffer",
    "CredentialRequest",
    "CredentialResponse",
    "ErrorResponse",
    "IssuedCredential",
    "JwtVcIssuerMetadata",
    "NonceResponse",
    "OfferLink",
    "PreAuthorizedCodeGrant",
    "Proofs",
    "TokenRequest",
    "TokenResponse",
    "TxCode",
    "VerifiedProof",
    "build_proof_jwt",
    "offer_link",
    "offer_link_by_reference",
    "parse_offer_link",
    "verify_proof_jwt",
]
