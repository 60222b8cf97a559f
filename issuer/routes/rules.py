"""Issuance by rule over HTTP (``issuer/by_rule.py``): the wallet asks for a rule's credential
and gets a signed OpenID4VP request; it answers with ``direct_post``; the answer is the
decision, with a ``redirect_uri`` to an OpenID4VCI credential offer when the rule holds."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from civicid.errors import REQUEST_INVALID
from civicid.oid4vp import DirectPost
from civicid.policy import NAME_PATTERN
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import FORM, errors, request_body
from issuer.by_rule import RESPONSE_PATH, RuleIssuance
from issuer.routes.deps import NO_STORE, call, issuer_of, json_response, read_limited

router = APIRouter(route_class=IJsonRoute, tags=["issuance by rule"])

RuleName = Annotated[str, Path(pattern=NAME_PATTERN.pattern, max_length=63)]


def rules_of(request: Request) -> RuleIssuance:
    """The issuer's one rule desk (made on first use, on the event loop: never twice)."""
    found: RuleIssuance | None = getattr(request.app.state, "rule_issuance", None)
    if found is None:
        found = request.app.state.rule_issuance = RuleIssuance(issuer_of(request))
    return found


@router.post(
    "/rules/{rule}/requests",
    summary="Ask for a rule's credential: an OpenID4VP request for the presentation it needs",
    status_code=201,
    responses=errors(400, 403, 404, 410, 502, 503),
)
async def ask(rule: RuleName, request: Request) -> Response:
    asked = await call(rules_of(request).request, rule)
    return json_response(asked.to_json(), 201, headers=NO_STORE)


@router.post(
    RESPONSE_PATH,
    summary="The wallet's direct_post (OpenID4VP §8.2): the rule's decision, and the offer",
    responses=errors(400, 403, 404, 410, 413, 502, 503),
    openapi_extra=request_body(DirectPost, FORM),
)
async def respond(request: Request) -> Response:
    body = await read_limited(request)
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError as exc:
        raise REQUEST_INVALID("the body is not form-encoded UTF-8") from exc
    if any(len(v) > 1 for v in fields.values()):
        raise REQUEST_INVALID("a parameter is given twice")
    form: dict[str, Any] = {k: v[0] for k, v in fields.items()}
    outcome = await call(rules_of(request).respond, form)
    return json_response(outcome.to_json(), headers=NO_STORE)


@router.get("/rules/counts", summary="Decisions per rule and version (counts only)")
async def counts(request: Request) -> Response:
    return json_response({"counts": rules_of(request).counted()})
