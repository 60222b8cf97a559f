"""The wallet-facing endpoints of OpenID4VCI 1.0: metadata, offer by reference, token, nonce,
credential; and the status list tokens, for software that reads them from the issuer.

Errors here answer as OAuth does (RFC 6749 §5.2, OpenID4VCI §8.3.1.2): ``error`` is the code
the spec names, ``civicid_error`` our own code for the rule that failed.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Security
from fastapi.responses import PlainTextResponse, Response
from fastapi.security import HTTPBearer

from civicid.errors import Error
from civicid.oid4vci import (
    OAUTH_ERRORS as PROOF_ERRORS,
)
from civicid.oid4vci import (
    TOKEN_REQUEST_INVALID,
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
    TokenRequest,
    TokenResponse,
)
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import ERROR_DESCRIPTIONS, FORM, request_body
from civicid.status_list import TYP as STATUS_LIST_TYP
from issuer import metadata
from issuer.errors import ACCESS_TOKEN_INVALID, OAUTH_ERRORS
from issuer.routes.deps import (
    NO_STORE,
    IssuerDep,
    bearer,
    call,
    durable,
    issuer_of,
    json_response,
    read_limited,
)

router = APIRouter(route_class=IJsonRoute, tags=["OpenID4VCI"])
# RFC 6750: the access token the token endpoint gave (§6.2), as `Authorization: Bearer`.
# Declared for the description only: the issuer checks the token itself.
ACCESS_TOKEN: Final = HTTPBearer(
    scheme_name="accessToken",
    description="The access token from `POST /token` (OpenID4VCI §6.2), as a bearer token.",
    auto_error=False,
)
STATUS_LIST_MEDIA_TYPE: Final = f"application/{STATUS_LIST_TYP}"


def oauth_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for statuses answered with OAuth's error body (RFC 6749 §5.2)."""
    return {
        status: {"model": ErrorResponse, "description": ERROR_DESCRIPTIONS[status]}
        for status in statuses
    }


# Accreditation refusals come with the ledger's codes; a wallet learns it cannot have one.
DENIED: Final = "credential_request_denied"
OID4VCI_PATHS: Final = ("/token", "/credential", "/nonce", "/offers/")


def oauth_error(exc: Error, endpoint: str) -> Response:
    code = OAUTH_ERRORS.get(exc.code) or PROOF_ERRORS.get(exc.code)
    if code is None:
        code = DENIED if endpoint == "/credential" and exc.http_status == 403 else exc.code
    body = ErrorResponse.from_error(exc, code).to_json()
    headers = dict(NO_STORE)
    if exc.http_status == 401:  # RFC 6750 §3
        headers["WWW-Authenticate"] = f'Bearer error="{code}"'
    return json_response(body, exc.http_status, headers)


def token_request(body: bytes) -> TokenRequest:
    """A token request's form body (RFC 6749 §4.1.3), each parameter at most once."""
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise TOKEN_REQUEST_INVALID("the body is not form-encoded UTF-8") from exc
    if any(len(v) > 1 for v in fields.values()):  # RFC 6749 §3.2: no parameter twice
        raise TOKEN_REQUEST_INVALID("a parameter is given twice")
    return TokenRequest.from_form({k: v[0] for k, v in fields.items()})


def credential_request(body: bytes) -> CredentialRequest:
    """A credential request's JSON body (§8.2)."""
    return CredentialRequest.from_json(body)


@router.get(
    WELL_KNOWN_ISSUER,
    summary="Credential Issuer Metadata (OpenID4VCI §12.2)",
    response_model=CredentialIssuerMetadata,
)
async def issuer_metadata(issuer: IssuerDep) -> Response:
    # Built already (every type read): answered here; else the ledger is asked in a thread.
    document = issuer.known_issuer_metadata()
    if document is None:
        document = await call(issuer.issuer_metadata)
    return json_response(document)


@router.get(
    WELL_KNOWN_AS,
    summary="OAuth 2.0 Authorization Server Metadata (RFC 8414)",
    response_model=AuthorizationServerMetadata,
)
async def authorization_server(issuer: IssuerDep) -> Response:
    return json_response(metadata.authorization_server_metadata(issuer.settings).to_json())


@router.get(
    WELL_KNOWN_JWT_VC_ISSUER,
    summary="JWT VC Issuer Metadata (SD-JWT VC §4)",
    response_model=JwtVcIssuerMetadata,
)
async def jwt_vc_issuer(issuer: IssuerDep) -> Response:
    return json_response(metadata.jwt_vc_issuer_metadata(issuer.identity).to_json())


@router.get(
    "/offers/{offer_id}",
    summary="A credential offer by reference, served once (§4.1.3)",
    response_model=CredentialOffer,
    responses=oauth_errors(404, 410),
)
async def offer(offer_id: str, issuer: IssuerDep) -> Response:
    return json_response(await durable(issuer.fetch_offer_begin, offer_id), headers=NO_STORE)


@router.post(
    "/token",
    summary="Token endpoint, pre-authorized code grant (§6)",
    response_model=TokenResponse,
    responses=oauth_errors(400, 413),
    openapi_extra=request_body(TokenRequest, FORM),
)
async def token(request: Request) -> Response:
    issuer = issuer_of(request)  # no dependency injection on the hot path: it costs
    parsed = token_request(await read_limited(request))
    answer = await durable(issuer.token_begin, parsed)
    return json_response(answer.to_json(), headers={**NO_STORE, "Pragma": "no-cache"})


@router.post("/nonce", summary="Nonce endpoint (§7)", response_model=NonceResponse)
async def nonce(request: Request) -> Response:
    issuer = issuer_of(request)
    # Kept in the database when processes share one: not on the event loop then.
    answer = await call(issuer.nonce) if issuer.shared else issuer.nonce()
    return json_response(answer.to_json(), headers=NO_STORE)


@router.post(
    "/credential",
    summary="Credential endpoint (§8), batch by proofs.jwt",
    response_model=CredentialResponse,
    responses=oauth_errors(400, 401, 403, 413, 502, 503),
    dependencies=[Security(ACCESS_TOKEN)],
    openapi_extra=request_body(CredentialRequest),
)
async def credential(request: Request) -> Response:
    issuer = issuer_of(request)
    access_token = bearer(request)
    if access_token is None:  # RFC 6750 §3.1: no token is told before anything else
        raise ACCESS_TOKEN_INVALID("send the access token from the token endpoint")
    parsed = credential_request(await read_limited(request))
    credentials = await durable(issuer.credential_request_begin, access_token, parsed)
    return json_response(
        {"credentials": [{"credential": c} for c in credentials]}, headers=NO_STORE
    )


@router.get(
    "/status/{number}",
    summary="The latest published status list token (§8.1)",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {STATUS_LIST_MEDIA_TYPE: {"schema": {"type": "string"}}}},
        **oauth_errors(400, 404),
    },
)
async def status_list(number: int, issuer: IssuerDep) -> Response:
    token = issuer.status_token(number)
    if token is None:
        return json_response(
            {"error": "status_list_not_found", "error_description": "no such list published"},
            404,
        )
    return PlainTextResponse(token, media_type=STATUS_LIST_MEDIA_TYPE)
