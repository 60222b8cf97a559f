"""OpenID for Verifiable Presentations 1.0 on the wire, shared by the desk and the wallet:
the signed request object (JAR, §5) of a desk identified by its ledger DID (§5.9.3
``decentralized_identifier``), the ``openid4vp://`` link, the ``direct_post`` response (§8.2)
and the desk's signed receipt of what it received and decided.

Verification is a numbered pipeline; every failure raises its own declared code.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

from pydantic import AfterValidator, Field, model_validator

from civicid.dcql import DCQL_INVALID, DcqlQuery, claim_name, claim_path
from civicid.did import DID, parse_did, split_key_id
from civicid.encoding import parse_json
from civicid.errors import Error, InvalidInput, Refused, TooLarge, VerificationError, declare
from civicid.jose import JWS_ALG_FORBIDDEN, SIGNING_ALGS, CompactJWS, PrivateKey, PublicKey
from civicid.wire.base import Snake

REQUEST_TYP: Final = "oauth-authz-req+jwt"  # §5 (RFC 9101 §10.8)
RECEIPT_TYP: Final = "civicid-receipt+jwt"
CLIENT_ID_PREFIX: Final = "decentralized_identifier:"  # §5.9.3
RESPONSE_TYPE: Final = "vp_token"  # §5.4
RESPONSE_MODE: Final = "direct_post"  # §8.2
# §5.8: with static discovery (our wallets know no wallet issuer) aud is this symbolic string.
STATIC_AUDIENCE: Final = "https://self-issued.me/v2"
SCHEME: Final = "openid4vp"
# §11.1 / B.3.4: what we accept, advertised in client_metadata.vp_formats_supported.
SD_JWT_VC_FORMATS: Final = {
    "dc+sd-jwt": {"sd-jwt_alg_values": list(SIGNING_ALGS), "kb-jwt_alg_values": list(SIGNING_ALGS)}
}
ELIGIBLE: Final = "eligible"
NOT_ELIGIBLE: Final = "not_eligible"
DECISIONS: Final = (ELIGIBLE, NOT_ELIGIBLE)

# §5.2: nonce and state hold only ASCII URL-safe characters. 16 random bytes = 22 characters
# is the floor §8.2's reference design asks for; 128 is far more than anyone sends.
SAFE_PATTERN: Final = re.compile(r"^[A-Za-z0-9._~-]{22,128}$")
NONCE_BYTES: Final = 24
# A signed request object holds a DCQL query and a few URLs; a wallet parses it before
# consent, so it is kept small. A vp_token holds a few SD-JWT presentations.
MAX_REQUEST_OBJECT_BYTES: Final = 64 * 1024
MAX_RESPONSE_BYTES: Final = 1024 * 1024
MAX_RECEIPT_BYTES: Final = 64 * 1024
MAX_URI_CHARS: Final = 2048
MAX_TEXT_CHARS: Final = 1000  # purpose, policy title: a paragraph for the citizen to read
# Clocks drift; a request or receipt a little in the future is not yet an attack.
CLOCK_SKEW: Final = 60
# A request object lives as long as the QR code is on the desk's screen; never a day.
MAX_REQUEST_LIFETIME: Final = 3600

OID4VP_REQUEST_MALFORMED = declare(
    "oid4vp_request_malformed", InvalidInput, "not a valid OpenID4VP request object"
)
OID4VP_REQUEST_TOO_LARGE = declare(
    "oid4vp_request_too_large", TooLarge, "the request object is larger than allowed"
)
OID4VP_REQUEST_TYP_INVALID = declare(
    "oid4vp_request_typ_invalid", VerificationError, "the request object's typ is not allowed"
)
OID4VP_REQUEST_ALG_NOT_ALLOWED = declare(
    "oid4vp_request_alg_not_allowed", VerificationError, "the request object's alg is not allowed"
)
OID4VP_REQUEST_HEADER_FORBIDDEN = declare(
    "oid4vp_request_header_forbidden",
    VerificationError,
    "the request object's header carries a key or a parameter we refuse",
)
OID4VP_REQUEST_KID_MISMATCH = declare(
    "oid4vp_request_kid_mismatch", VerificationError, "the request is not signed by client_id's DID"
)
OID4VP_REQUEST_SIGNATURE_INVALID = declare(
    "oid4vp_request_signature_invalid", VerificationError, "the request object's signature fails"
)
OID4VP_REQUEST_EXPIRED = declare(
    "oid4vp_request_expired", VerificationError, "the request object has expired"
)
OID4VP_REQUEST_NOT_YET_VALID = declare(
    "oid4vp_request_not_yet_valid", VerificationError, "the request object is not valid yet"
)
OID4VP_CLIENT_ID_INVALID = declare(
    "oid4vp_client_id_invalid", InvalidInput, "client_id is not decentralized_identifier:<DID>"
)
OID4VP_UNSUPPORTED = declare(
    "oid4vp_unsupported", Refused, "the request asks for something this wallet does not do"
)
OID4VP_LINK_INVALID = declare(
    "oid4vp_link_invalid", InvalidInput, "not an openid4vp:// link with client_id and request_uri"
)
OID4VP_RESPONSE_MALFORMED = declare(
    "oid4vp_response_malformed", InvalidInput, "not a valid direct_post authorization response"
)
OID4VP_RESPONSE_TOO_LARGE = declare(
    "oid4vp_response_too_large", TooLarge, "the authorization response is larger than allowed"
)
RECEIPT_MALFORMED = declare("receipt_malformed", InvalidInput, "not a valid receipt")
RECEIPT_TYP_INVALID = declare(
    "receipt_typ_invalid", VerificationError, "the receipt's typ is wrong"
)
RECEIPT_SIGNATURE_INVALID = declare(
    "receipt_signature_invalid", VerificationError, "the receipt is not signed by the desk"
)
RECEIPT_NONCE_MISMATCH = declare(
    "receipt_nonce_mismatch", VerificationError, "the receipt is for another request"
)

# kid (a DID URL from the JOSE header) -> the key the DID's document held for it, e.g.
# ``lambda kid: ledger.key_in_force(kid, now, "authentication")``.
KeyResolver = Callable[[str], PublicKey]


def new_nonce() -> str:
    """A fresh nonce or state: 24 random bytes, base64url (§5.2, §8.2 step 1)."""
    return secrets.token_urlsafe(NONCE_BYTES)


def client_id_for(did: str) -> str:
    """The full client identifier of a desk: ``decentralized_identifier:<DID>`` (§5.9.3). The
    KB-JWT's ``aud`` must equal all of it, prefix included (§B.3.6, DESIGN pitfall 1)."""
    return CLIENT_ID_PREFIX + parse_did(did)


def did_of(client_id: Any) -> DID:
    """The DID a ``decentralized_identifier:`` client identifier names."""
    if not isinstance(client_id, str) or not client_id.startswith(CLIENT_ID_PREFIX):
        raise OID4VP_CLIENT_ID_INVALID(f"client_id must start with {CLIENT_ID_PREFIX!r}")
    try:
        return parse_did(client_id[len(CLIENT_ID_PREFIX) :])
    except InvalidInput as exc:
        raise OID4VP_CLIENT_ID_INVALID(f"client_id names no ledger DID: {exc.message}") from exc


def _uri(value: Any, what: str, code: Callable[..., Error] = OID4VP_REQUEST_MALFORMED) -> str:
    if not isinstance(value, str) or len(value) > MAX_URI_CHARS:
        raise code(f"{what} must be a URL of at most {MAX_URI_CHARS} characters")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise code(f"{what} must be an absolute http(s) URL")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


# The value types of OpenID4VP's messages, as their models declare them.
HttpUrl = Annotated[str, Field(max_length=MAX_URI_CHARS), AfterValidator(_http_url)]
SafeText = Annotated[str, Field(pattern=SAFE_PATTERN.pattern)]  # §5.2: nonce, state, jti
Paragraph = Annotated[str, Field(max_length=MAX_TEXT_CHARS, pattern=r"\S")]  # not blank
NumericDate = Annotated[int, Field(strict=True, ge=0)]  # RFC 7519 §2, never a bool or float


# -- the authorization request ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """The claims of a desk's request object (§5, §8.2). ``policy`` and ``purpose`` are our
    additional parameters (§5: wallets ignore what they do not know): the wallet shows the
    citizen why the desk asks, and the receipt repeats them."""

    client_id: str
    response_uri: str
    nonce: str
    state: str
    dcql_query: DcqlQuery
    iat: int
    exp: int
    policy: str
    purpose: str
    client_metadata: dict[str, Any] = field(
        default_factory=lambda: {"vp_formats_supported": SD_JWT_VC_FORMATS}
    )
    response_type: str = RESPONSE_TYPE
    response_mode: str = RESPONSE_MODE
    aud: str = STATIC_AUDIENCE

    @property
    def did(self) -> DID:
        return did_of(self.client_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "response_type": self.response_type,
            "response_mode": self.response_mode,
            "response_uri": self.response_uri,
            "nonce": self.nonce,
            "state": self.state,
            "dcql_query": self.dcql_query.to_json(),
            "client_metadata": self.client_metadata,
            "policy": self.policy,
            "purpose": self.purpose,
            "aud": self.aud,
            "iat": self.iat,
            "exp": self.exp,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuthorizationRequest:
        """The request's parameters (§5.2-§5.4, §8.2): what this wallet does not do refused
        by name first, then the client identifier, then the claims through their model
        (``RequestObject``; unknown ones ignored, §5), then the DCQL query."""
        refuse_unsupported(data)
        did_of(data.get("client_id"))
        claims = RequestObject.from_json(dict(data), error=OID4VP_REQUEST_MALFORMED)
        try:
            query = DcqlQuery.from_json(claims.dcql_query)
        except Error as exc:
            raise DCQL_INVALID(f"dcql_query: {exc.message}") from exc
        return cls(
            client_id=claims.client_id,
            response_uri=claims.response_uri,
            nonce=claims.nonce,
            state=claims.state,
            dcql_query=query,
            iat=claims.iat,
            exp=claims.exp,
            policy=claims.policy,
            purpose=claims.purpose,
            client_metadata=claims.client_metadata,
        )


def refuse_unsupported(data: Mapping[str, Any]) -> None:
    """A request for what this wallet does not do is refused by name, whatever else it holds:
    another response type or mode, a redirect, transaction data, a query by scope, a request
    fetched otherwise than by GET."""
    if data.get("response_type") != RESPONSE_TYPE:
        raise OID4VP_UNSUPPORTED(f"response_type must be {RESPONSE_TYPE!r} (§5.4)")
    if data.get("response_mode") != RESPONSE_MODE:
        raise OID4VP_UNSUPPORTED(f"response_mode must be {RESPONSE_MODE!r} (§8.2)")
    if "redirect_uri" in data:
        # §8.2: with direct_post, redirect_uri MUST NOT be present (invalid_request).
        raise OID4VP_REQUEST_MALFORMED("redirect_uri is not allowed with direct_post")
    if "transaction_data" in data:
        raise OID4VP_UNSUPPORTED("transaction_data is not supported (§5.1: refuse)")
    if "scope" in data:
        raise OID4VP_UNSUPPORTED("DCQL queries by scope are not supported (§5.6)")
    if "request_uri_method" in data and data["request_uri_method"] != "get":
        raise OID4VP_UNSUPPORTED("only request_uri_method get is supported")


class RequestObject(Snake):
    """§5, §8.2: the claims of a desk's signed request object as they travel, each with the
    form the spec gives it; what the wallet reads them through (``AuthorizationRequest``).
    ``policy`` and ``purpose`` are our additional parameters (§5 lets a wallet ignore what it
    does not know): the citizen reads why the desk asks, and the receipt repeats them."""

    client_id: str = Field(max_length=MAX_URI_CHARS)  # decentralized_identifier:<DID>
    response_type: Literal["vp_token"]  # RESPONSE_TYPE (§5.4)
    response_mode: Literal["direct_post"]  # RESPONSE_MODE (§8.2)
    response_uri: HttpUrl
    nonce: SafeText
    state: SafeText
    dcql_query: dict[str, Any]  # read by civicid.dcql, which names what is wrong in it
    client_metadata: dict[str, Any] = Field(
        default_factory=lambda: {"vp_formats_supported": SD_JWT_VC_FORMATS}
    )
    policy: Paragraph
    purpose: Paragraph
    aud: Literal["https://self-issued.me/v2"] = STATIC_AUDIENCE  # §5.8, static discovery
    iat: NumericDate
    exp: NumericDate


def build_request_object(request: AuthorizationRequest, key: PrivateKey, kid: str) -> str:
    """The request as a JWS (RFC 9101) signed by the desk's DID key ``kid`` (§5.9.3)."""
    if split_key_id(kid)[0] != request.did:
        raise OID4VP_REQUEST_KID_MISMATCH("the signing key is not the client_id DID's")
    payload = json.dumps(request.to_json(), separators=(",", ":")).encode("utf-8")
    return key.sign_compact(payload, {"typ": REQUEST_TYP, "kid": kid})


def verify_request_object(
    token: str, key_resolver: KeyResolver, *, now: int, skew: int = CLOCK_SKEW
) -> AuthorizationRequest:
    """What a wallet does with the request object it fetched from ``request_uri``."""
    # 1. Size before parsing: the wallet parses this before any consent.
    if not isinstance(token, str) or len(token) > MAX_REQUEST_OBJECT_BYTES:
        raise OID4VP_REQUEST_TOO_LARGE(f"request object over {MAX_REQUEST_OBJECT_BYTES} bytes")
    try:
        parsed = CompactJWS.parse(token)
    except Error as exc:
        raise OID4VP_REQUEST_MALFORMED(f"not a compact JWS: {exc.message}") from exc
    header = parsed.header
    # 2. §5: typ MUST be oauth-authz-req+jwt.
    if header.get("typ") != REQUEST_TYP:
        raise OID4VP_REQUEST_TYP_INVALID(f"typ must be {REQUEST_TYP!r}")
    # 3. alg on our allow-list (no none, no HMAC); no key shipped in the header (§5.9.3: the
    #    key comes from the DID document, named by kid).
    try:
        parsed.check_header(allowed_algs=SIGNING_ALGS, typ=REQUEST_TYP)
    except Error as exc:
        if JWS_ALG_FORBIDDEN.matches(exc):
            raise OID4VP_REQUEST_ALG_NOT_ALLOWED(exc.message) from exc
        raise OID4VP_REQUEST_HEADER_FORBIDDEN(exc.message) from exc
    # 4. Claims, so client_id is known (nothing acted on before the signature is checked).
    try:
        claims = parsed.payload_json(code=OID4VP_REQUEST_MALFORMED)
    except Error as exc:
        raise OID4VP_REQUEST_MALFORMED(exc.message) from exc
    did = did_of(claims.get("client_id"))
    # 5. §5.9.3: kid names a verification method of client_id's DID.
    kid = header.get("kid")
    try:
        kid_did, _ = split_key_id(str(kid))
    except InvalidInput as exc:
        raise OID4VP_REQUEST_KID_MISMATCH(f"kid must be a DID URL: {exc.message}") from exc
    if kid_did != did:
        raise OID4VP_REQUEST_KID_MISMATCH(f"signed by {kid_did}, client_id is {did}")
    # 6. Signature with the key the DID's document holds (resolved on the ledger).
    key = key_resolver(str(kid))
    try:
        parsed.verify_with(key)
    except Error as exc:
        raise OID4VP_REQUEST_SIGNATURE_INVALID(exc.message) from exc
    # 7. Parameters (§5.2-§5.4, §8.2), then lifetime.
    request = AuthorizationRequest.from_json(claims)
    if request.exp <= now:
        raise OID4VP_REQUEST_EXPIRED("the request expired; ask the desk for a new code")
    if request.iat > now + skew:
        raise OID4VP_REQUEST_NOT_YET_VALID("the request's iat is in the future")
    if request.exp - request.iat > MAX_REQUEST_LIFETIME:
        raise OID4VP_REQUEST_MALFORMED(f"a request lives at most {MAX_REQUEST_LIFETIME}s")
    return request


# -- the link a QR code carries -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestLink:
    """``openid4vp://?client_id=...&request_uri=...`` (§5.7 request by reference, §13.1.2)."""

    client_id: str
    request_uri: str

    def to_uri(self) -> str:
        query = urlencode({"client_id": self.client_id, "request_uri": self.request_uri})
        return f"{SCHEME}://?{query}"

    @classmethod
    def parse(cls, uri: str) -> RequestLink:
        if not isinstance(uri, str) or len(uri) > MAX_URI_CHARS:
            raise OID4VP_LINK_INVALID(f"a link is at most {MAX_URI_CHARS} characters")
        parts = urlsplit(uri.strip())
        if parts.scheme != SCHEME:
            raise OID4VP_LINK_INVALID(f"the link must start with {SCHEME}://")
        params: dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if name in params:
                raise OID4VP_LINK_INVALID(f"{name} appears twice")
            params[name] = value
        if "request" in params:
            raise OID4VP_UNSUPPORTED("requests by value are not accepted: sign and refer")
        client_id = params.get("client_id")
        did_of(client_id)
        request_uri = _uri(params.get("request_uri"), "request_uri", OID4VP_LINK_INVALID)
        if params.get("request_uri_method", "get") != "get":
            raise OID4VP_UNSUPPORTED("only request_uri_method get is supported")
        return cls(str(client_id), request_uri)


def build_link(client_id: str, request_uri: str) -> str:
    return RequestLink(client_id, request_uri).to_uri()


def parse_link(uri: str) -> RequestLink:
    return RequestLink.parse(uri)


# -- the direct_post response -------------------------------------------------------------


class DirectPost(Snake):
    """§8.2: the wallet's answer as its form carries it: the presentations by credential
    query id (a JSON object's text) and the request's state; or, refusing, an error and the
    state. What the desk's API declares; ``AuthorizationResponse.from_form`` reads it."""

    state: str = Field(pattern=SAFE_PATTERN.pattern)  # §5.2: 22-128 URL-safe characters
    vp_token: str | None = Field(
        default=None, pattern=r"^[ \t\n\r]*\{", max_length=MAX_RESPONSE_BYTES
    )
    error: str | None = Field(default=None, pattern=r"^[\x00-\x7f]*$")
    error_description: str | None = None

    @model_validator(mode="after")
    def _one_answer(self) -> Self:
        if self.error is not None and self.vp_token is not None:
            raise ValueError("an error response carries no vp_token")
        return self


@dataclass(frozen=True, slots=True)
class AuthorizationResponse:
    """§8.1/§8.2: ``vp_token`` (a JSON object keyed by DCQL credential query id, each value
    an array of presentations) and ``state``, sent as a form; or an error and ``state``."""

    state: str
    vp_token: dict[str, list[str]] | None = None
    error: str | None = None
    error_description: str | None = None

    def to_form(self) -> dict[str, str]:
        form = {"state": self.state}
        if self.vp_token is not None:
            form["vp_token"] = json.dumps(self.vp_token, separators=(",", ":"))
        if self.error is not None:
            form["error"] = self.error
            if self.error_description is not None:
                form["error_description"] = self.error_description
        return form

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> AuthorizationResponse:
        """Parse a received form strictly: sizes, then its form (``DirectPost``, the model the
        desk's API declares: state syntax, vp_token or error), then vp_token's shape."""
        if sum(len(str(v)) for v in form.values()) > MAX_RESPONSE_BYTES:
            raise OID4VP_RESPONSE_TOO_LARGE(f"response over {MAX_RESPONSE_BYTES} bytes")
        post = DirectPost.from_json(dict(form), error=OID4VP_RESPONSE_MALFORMED)
        if post.error is not None:
            description = post.error_description
            return cls(
                state=post.state,
                error=post.error[:64],
                error_description=description[:MAX_TEXT_CHARS] if description else None,
            )
        raw = post.vp_token
        if raw is None:
            raise OID4VP_RESPONSE_MALFORMED("vp_token is missing")
        state = post.state
        try:  # I-JSON: a query id named twice would be read as its last (§8.1 keys it once)
            token = parse_json(raw, code=OID4VP_RESPONSE_MALFORMED)
        except Error as exc:
            raise OID4VP_RESPONSE_MALFORMED(f"vp_token is not I-JSON: {exc.message}") from exc
        if not isinstance(token, dict) or not token:
            raise OID4VP_RESPONSE_MALFORMED("vp_token must be a non-empty JSON object (§8.1)")
        for query_id, items in token.items():
            if not isinstance(items, list) or not items:
                raise OID4VP_RESPONSE_MALFORMED(f"vp_token[{query_id!r}] must be a non-empty list")
            if not all(isinstance(item, str) for item in items):
                raise OID4VP_RESPONSE_MALFORMED("SD-JWT presentations are strings (§B.3.6)")
        return cls(state=state, vp_token=token)


# -- the receipt --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceivedClaims:
    """One presentation's worth of what the desk received: the type, its issuer, and the
    claim names (``dcql.claim_name``), never their values."""

    vct: str
    issuer: str
    claims: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"vct": self.vct, "issuer": self.issuer, "claims": list(self.claims)}

    @classmethod
    def from_json(cls, data: Any) -> ReceivedClaims:
        return cls.from_model(ReceivedModel.from_json(data, error=RECEIPT_MALFORMED))

    @classmethod
    def from_model(cls, model: ReceivedModel) -> ReceivedClaims:
        for name in model.claims:
            claim_path(name)
        return cls(vct=model.vct, issuer=model.issuer, claims=tuple(model.claims))


class ReceivedModel(Snake):
    """One entry of a receipt's ``received``: a type, its issuer, the claim names."""

    vct: Paragraph
    issuer: Paragraph
    claims: list[str]


class ReceiptClaims(Snake):
    """The claims of a desk's signed receipt as they travel (``Receipt`` reads them)."""

    iss: str = Field(max_length=MAX_URI_CHARS)  # the desk's DID
    client_id: str = Field(max_length=MAX_URI_CHARS)
    policy: Paragraph
    purpose: Paragraph
    received: list[ReceivedModel]
    decision: Literal["eligible", "not_eligible"]  # DECISIONS
    iat: NumericDate
    nonce: SafeText
    jti: SafeText
    failed_step: str | None = None  # the failing step's code, when not eligible
    failed_condition: Paragraph | None = None  # which condition, in the policy's words


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the desk tells the citizen it received and decided, signed by its DID key."""

    iss: str  # the desk's DID
    client_id: str
    policy: str
    purpose: str
    received: tuple[ReceivedClaims, ...]
    decision: str  # "eligible" / "not_eligible"
    iat: int
    nonce: str
    jti: str = field(default_factory=new_nonce)
    failed_step: str | None = None  # the failing step's code, when not eligible
    # Which of the policy's conditions was not met, or which of its claims was not shared,
    # in the policy's own words ("Not met: Resident must be yes"): never a shared value.
    failed_condition: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "iss": self.iss,
            "client_id": self.client_id,
            "policy": self.policy,
            "purpose": self.purpose,
            "received": [r.to_json() for r in self.received],
            "decision": self.decision,
            "iat": self.iat,
            "nonce": self.nonce,
            "jti": self.jti,
        }
        if self.failed_step is not None:
            data["failed_step"] = self.failed_step
        if self.failed_condition is not None:
            data["failed_condition"] = self.failed_condition
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Receipt:
        """The receipt's claims through their model (``ReceiptClaims``); client_id must name
        the desk that issued it."""
        claims = ReceiptClaims.from_json(dict(data), error=RECEIPT_MALFORMED)
        try:
            iss = parse_did(claims.iss)
        except InvalidInput as exc:
            raise RECEIPT_MALFORMED(f"iss is not a ledger DID: {exc.message}") from exc
        if did_of(claims.client_id) != iss:
            raise RECEIPT_MALFORMED("client_id and iss name different desks")
        return cls(
            iss=iss,
            client_id=claims.client_id,
            policy=claims.policy,
            purpose=claims.purpose,
            received=tuple(ReceivedClaims.from_model(r) for r in claims.received),
            decision=claims.decision,
            iat=claims.iat,
            nonce=claims.nonce,
            jti=claims.jti,
            failed_step=claims.failed_step,
            failed_condition=claims.failed_condition,
        )

    @property
    def claim_names(self) -> tuple[str, ...]:
        return tuple(name for r in self.received for name in r.claims)


def receipt_for(
    request: AuthorizationRequest,
    received: tuple[ReceivedClaims, ...],
    *,
    eligible: bool,
    now: int,
    failed_step: str | None = None,
) -> Receipt:
    return Receipt(
        iss=request.did,
        client_id=request.client_id,
        policy=request.policy,
        purpose=request.purpose,
        received=received,
        decision=ELIGIBLE if eligible else NOT_ELIGIBLE,
        iat=now,
        nonce=request.nonce,
        failed_step=failed_step,
    )


def build_receipt(receipt: Receipt, key: PrivateKey, kid: str) -> str:
    if split_key_id(kid)[0] != receipt.iss:
        raise RECEIPT_SIGNATURE_INVALID("the signing key is not the desk DID's")
    payload = json.dumps(receipt.to_json(), separators=(",", ":")).encode("utf-8")
    return key.sign_compact(payload, {"typ": RECEIPT_TYP, "kid": kid})


def verify_receipt(
    token: str, key_resolver: KeyResolver, *, nonce: str | None = None, client_id: str | None = None
) -> Receipt:
    """What a wallet does with the receipt the desk answered its direct_post with."""
    # 1. Size and shape.
    if not isinstance(token, str) or len(token) > MAX_RECEIPT_BYTES:
        raise RECEIPT_MALFORMED(f"a receipt is a JWS of at most {MAX_RECEIPT_BYTES} bytes")
    try:
        parsed = CompactJWS.parse(token)
    except Error as exc:
        raise RECEIPT_MALFORMED(exc.message) from exc
    # 2. typ, so no other token of the desk (a request object) passes as a receipt.
    if parsed.header.get("typ") != RECEIPT_TYP:
        raise RECEIPT_TYP_INVALID(f"typ must be {RECEIPT_TYP!r}")
    try:
        parsed.check_header(allowed_algs=SIGNING_ALGS, typ=RECEIPT_TYP)
    except Error as exc:
        raise RECEIPT_SIGNATURE_INVALID(exc.message) from exc
    # 3. Claims; kid must be a key of the issuing desk.
    try:
        receipt = Receipt.from_json(parsed.payload_json(code=RECEIPT_MALFORMED))
    except Error as exc:
        if RECEIPT_MALFORMED.matches(exc):
            raise
        raise RECEIPT_MALFORMED(exc.message) from exc
    kid = str(parsed.header.get("kid"))
    try:
        kid_did, _ = split_key_id(kid)
    except InvalidInput as exc:
        raise RECEIPT_SIGNATURE_INVALID("kid must be a DID URL") from exc
    if kid_did != receipt.iss:
        raise RECEIPT_SIGNATURE_INVALID(f"signed by {kid_did}, issued as {receipt.iss}")
    if client_id is not None and receipt.client_id != client_id:
        raise RECEIPT_SIGNATURE_INVALID("the receipt is from another desk")
    # 4. Signature with the desk's key from its DID document.
    try:
        parsed.verify_with(key_resolver(kid))
    except VerificationError as exc:
        raise RECEIPT_SIGNATURE_INVALID(exc.message) from exc
    # 5. Bound to the request the wallet answered.
    if nonce is not None and receipt.nonce != nonce:
        raise RECEIPT_NONCE_MISMATCH("the receipt answers another request")
    return receipt


def received_from(vct: str, issuer: str, paths: tuple[Any, ...]) -> ReceivedClaims:
    """A ``ReceivedClaims`` naming each disclosed path as accreditations do."""
    return ReceivedClaims(vct, issuer, tuple(claim_name(p) for p in paths))


__all__ = [
    "CLIENT_ID_PREFIX",
    "ELIGIBLE",
    "NOT_ELIGIBLE",
    "RECEIPT_TYP",
    "REQUEST_TYP",
    "AuthorizationRequest",
    "AuthorizationResponse",
    "KeyResolver",
    "Receipt",
    "ReceivedClaims",
    "RequestLink",
    "build_link",
    "build_receipt",
    "build_request_object",
    "client_id_for",
    "did_of",
    "new_nonce",
    "parse_link",
    "receipt_for",
    "received_from",
    "verify_receipt",
    "verify_request_object",
]
