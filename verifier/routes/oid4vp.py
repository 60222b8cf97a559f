"""The OpenID4VP endpoints a wallet uses: the signed request object (fetched by
``request_uri``) and the ``direct_post`` answer."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicid.oid4vp import DirectPost
from civicid.oid4vp_form import MAX_FORM_FIELDS as MAX_FORM_FIELDS  # the bound, read here
from civicid.oid4vp_form import read_form
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import FORM, errors, request_body
from civicid.wire.desk import Answered
from verifier.routes.deps import NO_STORE, VerifierDep, in_thread
from verifier.service import REQUEST_PATH, RESPONSE_PATH

router = APIRouter(route_class=IJsonRoute, tags=["openid4vp"])
REQUEST_MEDIA_TYPE: Final = "application/oauth-authz-req+jwt"  # RFC 9101 §10.2


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
    form = await read_form(request.headers.get("content-type"), request.stream())
    answered = await in_thread(verifier.receive_response, form)
    body = Answered.model_validate(answered.to_json())
    return Response(body.to_bytes(), media_type="application/json", headers=NO_STORE)
