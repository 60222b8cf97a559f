"""The OpenID4VP endpoints a wallet uses: the signed request object (fetched by
``request_uri``) and the ``direct_post`` answer."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicid.oid4vp import MAX_RESPONSE_BYTES, OID4VP_RESPONSE_TOO_LARGE, DirectPost
from civicid.oid4vp_form import MAX_FORM_FIELDS as MAX_FORM_FIELDS  # the bound, read here
from civicid.oid4vp_form import check_form_type, parse_form
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import FORM, errors, request_body
from civicid.wire.desk import Answered
from verifier.routes.deps import NO_STORE, VerifierDep, in_thread
from verifier.service import REQUEST_PATH, RESPONSE_PATH

router = APIRouter(route_class=IJsonRoute, tags=["openid4vp"])
REQUEST_MEDIA_TYPE: Final = "application/oauth-authz-req+jwt"  # RFC 9101 §10.2
# The form adds field names and percent-encoding to the vp_token: allow for both.
MAX_FORM_BYTES: Final = 3 * MAX_RESPONSE_BYTES


async def read_form(request: Request) -> dict[str, str]:
    """The direct_post body (``civicid.oid4vp_form``), read no further than the limit."""
    check_form_type(request.headers.get("content-type"))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise OID4VP_RESPONSE_TOO_LARGE(f"the response is over {MAX_FORM_BYTES} bytes")
    return parse_form(bytes(body))


@router.get(
    REQUEST_PATH + "{request_id}",
    summary="The request object",
    response_class=Response,
    responses={
        200: {"content": {REQUEST_MEDIA_TYPE: {"schema": {"type": "string"}}}},
        **errors(404, 410, 503),
    },
)
async def request_object(request_id: str, verifier: VerifierDep) -> Response:
    token = await in_thread(verifier.request_object, request_id)
    return Response(token, media_type=REQUEST_MEDIA_TYPE, headers=NO_STORE)


@router.post(
    RESPONSE_PATH,
    summary="The wallet's direct_post answer",
    response_model=Answered,
    responses=errors(400, 403, 404, 409, 410, 413, 503),
    openapi_extra=request_body(DirectPost, FORM),
)
async def response(request: Request, verifier: VerifierDep) -> Response:
    form = await read_form(request)
    answered = await in_thread(verifier.receive_response, form)
    body = Answered.model_validate(answered.to_json())
    return Response(body.to_bytes(), media_type="application/json", headers=NO_STORE)
