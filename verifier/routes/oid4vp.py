"""The OpenID4VP endpoints a wallet uses: the signed request object (fetched by
``request_uri``) and the ``direct_post`` answer."""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicid.oid4vp import (
    MAX_RESPONSE_BYTES,
    OID4VP_RESPONSE_MALFORMED,
    OID4VP_RESPONSE_TOO_LARGE,
    DirectPost,
)
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import FORM, errors, request_body
from civicid.wire.desk import Answered
from verifier.routes.deps import NO_STORE, VerifierDep, in_thread
from verifier.service import REQUEST_PATH, RESPONSE_PATH

router = APIRouter(route_class=IJsonRoute, tags=["openid4vp"])
REQUEST_MEDIA_TYPE: Final = "application/oauth-authz-req+jwt"  # RFC 9101 §10.2
FORM_MEDIA_TYPE: Final = "application/x-www-form-urlencoded"
# The form adds field names and percent-encoding to the vp_token: allow for both.
MAX_FORM_BYTES: Final = 3 * MAX_RESPONSE_BYTES
# A direct_post carries state and vp_token, or error and error_description (OpenID4VP §8.2),
# perhaps a few more a wallet adds: past this many fields the form is refused unparsed (a
# megabyte of empty fields held the event loop for over a second each time, split and kept).
MAX_FORM_FIELDS: Final = 16


async def read_form(request: Request) -> dict[str, str]:
    """The direct_post body (OpenID4VP §8.2: application/x-www-form-urlencoded, UTF-8), read
    no further than the limit; a parameter given twice is refused."""
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_MEDIA_TYPE:
        raise OID4VP_RESPONSE_MALFORMED(f"the response must be {FORM_MEDIA_TYPE}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise OID4VP_RESPONSE_TOO_LARGE(f"the response is over {MAX_FORM_BYTES} bytes")
    if body.count(b"&") >= MAX_FORM_FIELDS:
        raise OID4VP_RESPONSE_MALFORMED(f"the response has more than {MAX_FORM_FIELDS} fields")
    try:
        pairs = parse_qsl(bytes(body).decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise OID4VP_RESPONSE_MALFORMED("the body is not a UTF-8 form") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise OID4VP_RESPONSE_MALFORMED(f"{name} appears twice")
        form[name] = value
    return form


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
