"""The staff API: clerks' calls, each authenticated by an API key with a scope and logged.

Offers (create with QR codes and a transaction code, list, show), issued credentials (list,
show, revoke, suspend, reinstate), status publication on demand, the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, Security
from fastapi.responses import Response
from fastapi.security import HTTPBearer
from pydantic import ValidationError

from civicid.errors import REQUEST_INVALID, Code, Error
from civicid.oid4vci import offer_link_by_reference
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import errors, request_body
from civicid.wire import Camel
from civicid.wire import staff as wire
from issuer import qr
from issuer.errors import CLAIMS_INVALID, CLERK_CHANGED, CONFIGURATION_UNKNOWN, RECORD_INVALID
from issuer.offers import CreatedOffer
from issuer.records import SCOPE_ADMIN, SCOPE_ISSUE, SCOPE_REVOKE, STATUS_VALUES, Clerk
from issuer.routes.deps import (
    NO_STORE,
    IssuerDep,
    bearer,
    call,
    durable,
    issuer_of,
    json_response,
    read_json,
)

# RFC 6750 bearer: a clerk's API key (``civicid issuer add-clerk``). Declared for the
# description only (auto_error off): the issuer checks the key and its scope, and logs both.
STAFF_KEY: Final = HTTPBearer(
    scheme_name="staffApiKey",
    bearerFormat="API key",
    description="A clerk's API key, as `Authorization: Bearer <key>`; each route needs a scope"
    " (issue, revoke or admin).",
    auto_error=False,
)
router = APIRouter(
    route_class=IJsonRoute,
    prefix="/staff",
    tags=["staff"],
    dependencies=[Security(STAFF_KEY)],
    responses=errors(401, 403),
)
# What the issuer's own rules refuse in an offer request, by the member that fails.
OFFER_CODES: Final[dict[str, Code]] = {
    "configuration": CONFIGURATION_UNKNOWN,
    "record": RECORD_INVALID,
    "claims": CLAIMS_INVALID,
}


def offer_request(body: Any) -> wire.OfferRequest:
    """The body as an offer request; a member that fails is refused with the issuer's code
    for it (its rules, e.g. the record's form, are the model's constraints)."""
    if not isinstance(body, dict):
        raise REQUEST_INVALID("expected a JSON object")
    try:
        return wire.OfferRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        member = str(first["loc"][0]) if first["loc"] else ""
        code = OFFER_CODES.get(member, REQUEST_INVALID)
        raise code(f"{member}: {first['msg']}") from exc


def answer(model: Camel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(model.to_bytes(), status, media_type="application/json", headers=headers)


Limit = Annotated[int, Query(ge=1, le=500)]
# Far beyond any store's row count, and inside the 64-bit integers SQLite and PostgreSQL
# take: a larger offset was a 500 from the database instead of a 422.
MAX_OFFSET = 2**31 - 1
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
READ_SCOPES: Final = (SCOPE_ISSUE, SCOPE_REVOKE)


async def clerk_for(
    request: Request, issuer: IssuerDep, scopes: tuple[str, ...], action: str
) -> Clerk:
    """The calling clerk, if its key has one of ``scopes`` (or admin); refusals are logged.
    A key seen lately is checked here; a new one (Argon2, slow) in the thread pool."""
    key = bearer(request)
    clerk, _ = issuer.authorize_begin(key, scopes, action)
    if clerk is None:
        clerk = await call(issuer.authorize, key, scopes, action)
    return clerk


@router.post(
    "/offers",
    status_code=201,
    summary="Create a credential offer for a record",
    response_model=wire.OfferCreated,
    responses=errors(400, 413, 502, 503),
    openapi_extra=request_body(wire.OfferRequest),
)
async def create_offer(
    request: Request,
    qr_inline: Annotated[
        bool, Query(alias="qr", description="Put the QR codes (SVG, PNG) in the answer.")
    ] = False,
) -> Response:
    issuer = issuer_of(request)  # no dependency injection on the hot path: it costs
    scopes, action = (SCOPE_ISSUE,), "offer.create"
    # A key verified lately: its clerk's row is read by the offer's write, in its transaction
    # (~40 µs less here than a read on the event loop just after the writer's commits).
    clerk, _ = issuer.authorize_begin(bearer(request), scopes, action, unread=True)
    unread = clerk is not None
    if clerk is None:
        clerk = await clerk_for(request, issuer, scopes, action)
    try:
        asked = offer_request(await read_json(request))
    except Error:
        if unread:  # a clerk removed meanwhile is refused as such, before what it sent
            await clerk_for(request, issuer, scopes, action)
        raise
    offer = {
        "configuration": asked.configuration,
        "record": asked.record,
        "claims": asked.claims,
        "tx_code": asked.tx_code,
    }
    try:
        created = await durable(issuer.create_offer_begin, clerk, unread=unread, **offer)
    except Error as exc:
        if not CLERK_CHANGED.matches(exc):
            raise
        # Removed before the offer's write: authorized again, its row read, the key is
        # refused (and logged) as at any call of a removed clerk; a clerk still there (its
        # row changed otherwise) makes the offer as it is now.
        clerk = await clerk_for(request, issuer, scopes, action)
        created = await durable(issuer.create_offer_begin, clerk, **offer)
    if qr_inline:
        codes = {
            "svg": qr.svg(created.link_by_reference),
            "png": qr.png_data_uri(created.link_by_reference),
        }
    else:  # drawing a QR code costs ~20 ms: linked by default, inline when asked for
        where = f"/staff/offers/{created.offer.id}/qr?format="
        codes = {"svg": where + "svg", "png": where + "png"}
    return json_response(offer_created(created, issuer.clock(), codes), 201, NO_STORE)


def offer_created(created: CreatedOffer, now: int, codes: dict[str, str]) -> dict[str, Any]:
    """``wire.OfferCreated``, as its dump writes it, from the offer's own parts: each is ours
    and of its member's type already, so the model's check and dump of them would only copy
    them again (~50 µs an offer). A test holds the two answers equal, byte for byte."""
    return {
        "offer": created.offer.to_json(now),
        "credentialOffer": created.credential_offer_json,
        "link": created.link,
        "offerUri": created.offer_uri,
        "linkByReference": created.link_by_reference,
        "txCode": created.tx_code,
        "qr": codes,
    }


@router.get(
    "/offers", summary="Offers, newest first", response_model=wire.OfferList, responses=errors(400)
)
async def list_offers(
    request: Request,
    issuer: IssuerDep,
    record: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    await clerk_for(request, issuer, READ_SCOPES, "offer.list")
    now = issuer.clock()
    offers = await call(issuer.list_offers, record=record, limit=limit, offset=offset)
    return answer(wire.OfferList.model_validate({"offers": [o.to_json(now) for o in offers]}))


@router.get(
    "/offers/{offer_id}",
    summary="One offer (no claim values, no secrets)",
    response_model=wire.OfferView,
    responses=errors(404),
)
async def show_offer(offer_id: str, request: Request, issuer: IssuerDep) -> Response:
    await clerk_for(request, issuer, READ_SCOPES, "offer.show")
    found = await call(issuer.offer, offer_id)
    return answer(wire.OfferView.model_validate(found.to_json(issuer.clock())))


@router.get(
    "/offers/{offer_id}/qr",
    summary="The offer's by-reference link as a QR code",
    response_class=Response,
    responses={
        200: {
            "content": {
                "image/svg+xml": {"schema": {"type": "string"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            }
        },
        **errors(400, 404),
    },
)
async def offer_qr(
    offer_id: str,
    request: Request,
    issuer: IssuerDep,
    format: Annotated[str, Query(pattern="^(svg|png)$")] = "svg",
) -> Response:
    await clerk_for(request, issuer, (SCOPE_ISSUE,), "offer.qr")
    found = await call(issuer.offer, offer_id)
    link = offer_link_by_reference(f"{issuer.settings.public_url}/offers/{found.id}")
    if format == "png":
        return Response(qr.png(link), media_type="image/png", headers=NO_STORE)
    return Response(qr.svg(link), media_type="image/svg+xml", headers=NO_STORE)


@router.get(
    "/credentials",
    summary="Issued credentials, newest first",
    response_model=wire.CredentialList,
    responses=errors(400),
)
async def list_credentials(
    request: Request,
    issuer: IssuerDep,
    record: str | None = None,
    status: Annotated[str | None, Query(pattern="^(valid|revoked|suspended)$")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Response:
    await clerk_for(request, issuer, READ_SCOPES, "credential.list")
    found = await call(
        issuer.credentials,
        record=record,
        status=STATUS_VALUES[status] if status else None,
        limit=limit,
        offset=offset,
    )
    uris = issuer.list_uris()
    listed = {"credentials": [c.to_json(uris) for c in found]}
    return answer(wire.CredentialList.model_validate(listed))


@router.get(
    "/credentials/{issued_id}",
    summary="One issued credential",
    response_model=wire.IssuedView,
    responses=errors(404),
)
async def show_credential(issued_id: str, request: Request, issuer: IssuerDep) -> Response:
    await clerk_for(request, issuer, READ_SCOPES, "credential.show")
    found = await call(issuer.credential, issued_id)
    return answer(wire.IssuedView.model_validate(found.to_json(issuer.list_uris())))


async def change_status(
    request: Request, issuer: IssuerDep, issued_id: str, action: str
) -> Response:
    clerk = await clerk_for(request, issuer, (SCOPE_REVOKE,), f"credential.{action}")
    updated = await call(issuer.set_status, clerk, issued_id, action)
    body = updated.to_json(issuer.list_uris())
    body["publication"] = (
        f"with the next status publication (every {issuer.settings.status_interval} s)"
    )
    return answer(wire.StatusChanged.model_validate(body))


CHANGE: Final[dict[str, Any]] = {
    "response_model": wire.StatusChanged,
    "responses": errors(404, 409),
}


@router.post("/credentials/{issued_id}/revoke", summary="Revoke every copy (final)", **CHANGE)
async def revoke(issued_id: str, request: Request, issuer: IssuerDep) -> Response:
    return await change_status(request, issuer, issued_id, "revoke")


@router.post("/credentials/{issued_id}/suspend", summary="Suspend every copy", **CHANGE)
async def suspend(issued_id: str, request: Request, issuer: IssuerDep) -> Response:
    return await change_status(request, issuer, issued_id, "suspend")


@router.post("/credentials/{issued_id}/reinstate", summary="Lift a suspension", **CHANGE)
async def reinstate(issued_id: str, request: Request, issuer: IssuerDep) -> Response:
    return await change_status(request, issuer, issued_id, "reinstate")


@router.post(
    "/publish",
    summary="Publish changed status lists on the ledger now",
    response_model=wire.Published,
    responses=errors(502, 503),
)
async def publish(request: Request, issuer: IssuerDep) -> Response:
    clerk = await clerk_for(request, issuer, (SCOPE_REVOKE, SCOPE_ADMIN), "status.publish")
    published = await call(issuer.publish, clerk.name)
    return answer(wire.Published.model_validate({"published": [r.to_json() for r in published]}))


@router.get("/lists", summary="The agency's status lists", response_model=wire.Lists)
async def lists(request: Request, issuer: IssuerDep) -> Response:
    await clerk_for(request, issuer, READ_SCOPES, "status.list")
    states = list(issuer.lists.lists.values())
    views = [
        {
            **s.record.to_json(),
            "allocated": s.allocator.allocated,
            "pending": s.version > s.published_version,
        }
        for s in states
    ]
    return answer(wire.Lists.model_validate({"lists": views}))


@router.get(
    "/audit", summary="The audit log (admin)", response_model=wire.AuditLog, responses=errors(400)
)
async def audit(
    request: Request, issuer: IssuerDep, after: Offset = 0, limit: Limit = 100
) -> Response:
    await clerk_for(request, issuer, (SCOPE_ADMIN,), "audit.read")
    events = await call(issuer.audit, after=after, limit=limit)
    return answer(wire.AuditLog.model_validate({"events": [e.to_json() for e in events]}))
