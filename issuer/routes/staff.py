"""The staff API: clerks' calls, each authenticated by an API key with a scope and logged.

Offers (create with QR codes and a transaction code, list, show), issued credentials (list,
show, revoke, suspend, reinstate), status publication on demand, the audit log.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from civicid.errors import REQUEST_INVALID
from civicid.oid4vci import offer_link_by_reference
from issuer import qr
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

router = APIRouter(prefix="/staff", tags=["staff"])

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]
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


@router.post("/offers", status_code=201, summary="Create a credential offer for a record")
async def create_offer(
    request: Request,
    qr_inline: Annotated[
        bool, Query(alias="qr", description="Put the QR codes (SVG, PNG) in the answer.")
    ] = False,
) -> Response:
    issuer = issuer_of(request)  # no dependency injection on the hot path: it costs
    clerk = await clerk_for(request, issuer, (SCOPE_ISSUE,), "offer.create")
    body = await read_json(request)
    if not isinstance(body, dict):
        raise REQUEST_INVALID("expected a JSON object")
    created = await durable(
        issuer.create_offer_begin,
        clerk,
        configuration=body.get("configuration"),
        record=body.get("record"),
        claims=body.get("claims"),
        tx_code=body.get("txCode", True) is not False,
    )
    answer = {
        "offer": created.offer.to_json(issuer.clock()),
        "credentialOffer": created.credential_offer.to_json(),
        "link": created.link,
        "offerUri": created.offer_uri,
        "linkByReference": created.link_by_reference,
        "txCode": created.tx_code,
        # Drawing a QR code costs ~20 ms: linked by default, inline when asked for.
        "qr": {
            "svg": f"/staff/offers/{created.offer.id}/qr?format=svg",
            "png": f"/staff/offers/{created.offer.id}/qr?format=png",
        },
    }
    if qr_inline:
        answer["qr"] = {
            "svg": qr.svg(created.link_by_reference),
            "png": qr.png_data_uri(created.link_by_reference),
        }
    return json_response(answer, 201, NO_STORE)


@router.get("/offers", summary="Offers, newest first")
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
    return json_response({"offers": [o.to_json(now) for o in offers]})


@router.get("/offers/{offer_id}", summary="One offer (no claim values, no secrets)")
async def show_offer(offer_id: str, request: Request, issuer: IssuerDep) -> Response:
    await clerk_for(request, issuer, READ_SCOPES, "offer.show")
    found = await call(issuer.offer, offer_id)
    return json_response(found.to_json(issuer.clock()))


@router.get("/offers/{offer_id}/qr", summary="The offer's by-reference link as a QR code")
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


@router.get("/credentials", summary="Issued credentials, newest first")
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
    return json_response({"credentials": [c.to_json(uris) for c in found]})


@router.get("/credentials/{issued_id}", summary="One issued credential")
async def show_credential(issued_id: str, request: Request, issuer: IssuerDep) -> Response:
    await clerk_for(request, issuer, READ_SCOPES, "credential.show")
    found = await call(issuer.credential, issued_id)
    return json_response(found.to_json(issuer.list_uris()))


async def change_status(
    request: Request, issuer: IssuerDep, issued_id: str, action: str
) -> Response:
    clerk = await clerk_for(request, issuer, (SCOPE_REVOKE,), f"credential.{action}")
    updated = await call(issuer.set_status, clerk, issued_id, action)
    body = updated.to_json(issuer.list_uris())
    body["publication"] = (
        f"with the next status publication (every {issuer.settings.status_interval} s)"
    )
    return json_response(body)


@router.post("/credentials/{issued_id}/revoke", summary="Revoke every copy (final)")
async def revoke(issued_id: str, request: Request, issuer: IssuerDep) -> Response:
    return await change_status(request, issuer, issued_id, "revoke")


@router.post("/credentials/{issued_id}/suspend", summary="Suspend every copy")
async def suspend(issued_id: str, request: Request, issuer: IssuerDep) -> Response:
    return await change_status(request, issuer, issued_id, "suspend")


@router.post("/credentials/{issued_id}/reinstate", summary="Lift a suspension")
async def reinstate(issued_id: str, request: Request, issuer: IssuerDep) -> Response:
    return await change_status(request, issuer, issued_id, "reinstate")


@router.post("/publish", summary="Publish changed status lists on the ledger now")
async def publish(request: Request, issuer: IssuerDep) -> Response:
    clerk = await clerk_for(request, issuer, (SCOPE_REVOKE, SCOPE_ADMIN), "status.publish")
    published = await call(issuer.publish, clerk.name)
    return json_response({"published": [r.to_json() for r in published]})


@router.get("/lists", summary="The agency's status lists")
async def lists(request: Request, issuer: IssuerDep) -> Response:
    await clerk_for(request, issuer, READ_SCOPES, "status.list")
    states = list(issuer.lists.lists.values())
    return json_response(
        {
            "lists": [
                {
                    **s.record.to_json(),
                    "allocated": s.allocator.allocated,
                    "pending": s.version > s.published_version,
                }
                for s in states
            ]
        }
    )


@router.get("/audit", summary="The audit log (admin)")
async def audit(
    request: Request, issuer: IssuerDep, after: Offset = 0, limit: Limit = 100
) -> Response:
    await clerk_for(request, issuer, (SCOPE_ADMIN,), "audit.read")
    events = await call(issuer.audit, after=after, limit=limit)
    return json_response({"events": [e.to_json() for e in events]})
