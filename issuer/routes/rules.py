"""Issuance by rule over HTTP (``issuer/by_rule.py``): the wallet asks for a rule's credential
and gets a signed OpenID4VP request; it answers with ``direct_post``; the answer is the
decision, with a ``redirect_uri`` to an OpenID4VCI credential offer when the rule holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import Response

from civicid.oid4vp import DirectPost
from civicid.oid4vp_form import read_form
from civicid.policy import NAME_PATTERN
from civicid.quota import client_of
from civicid.shell.handlers import RETRY_AFTER_HEADER
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import FORM, errors, request_body
from civicid.wire import ErrorBody
from issuer.by_rule import RESPONSE_PATH, RuleIssuance
from issuer.routes.deps import NO_STORE, call, issuer_of, json_response


@asynccontextmanager
async def rule_desk_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The rule desk's file of requests closed at shutdown, before the issuer is (merged
    into the app's lifespan, inside it, by ``include_router``); an app served again makes
    its desk anew."""
    try:
        yield
    finally:
        found: RuleIssuance | None = getattr(app.state, "rule_issuance", None)
        app.state.rule_issuance = None
        if found is not None:
            found.requests.close()


router = APIRouter(route_class=IJsonRoute, tags=["issuance by rule"], lifespan=rule_desk_lifespan)

# 429: this client asked for its share of rule requests; 503: the issuer holds as many as it
# may (rule_requests_full), or its store is unavailable. Each full answer says when to ask again.
FULL: Final[dict[int | str, dict[str, Any]]] = {
    429: {
        "model": ErrorBody,
        "description": "This client asked for as many rule requests as it may for now "
        "(client_requests_full)",
        "headers": RETRY_AFTER_HEADER,
    },
    503: {
        "model": ErrorBody,
        "description": "The issuer holds as many rule requests as it may for now "
        "(rule_requests_full), or a service it needs is unavailable",
        "headers": RETRY_AFTER_HEADER,
    },
}

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
    responses={**errors(400, 403, 404, 410, 502), **FULL},
)
async def ask(rule: RuleName, request: Request) -> Response:
    # A bound reached (client_requests_full, rule_requests_full) is answered by the shell,
    # with Retry-After.
    client = client_of(request.client.host if request.client else None)
    asked = await call(rules_of(request).request, rule, client)
    return json_response(asked.to_json(), 201, headers=NO_STORE)


@router.post(
    RESPONSE_PATH,
    summary="The wallet's direct_post (OpenID4VP §8.2): the rule's decision, and the offer",
    responses=errors(400, 403, 404, 410, 413, 502, 503),
    openapi_extra=request_body(DirectPost, FORM),
)
async def respond(request: Request) -> Response:
    # Read as the desk reads its direct_post: the same limit and refusals, the same answers.
    form = await read_form(request.headers.get("content-type"), request.stream())
    outcome = await call(rules_of(request).respond, form)
    return json_response(outcome.to_json(), headers=NO_STORE)


@router.get("/rules/counts", summary="Decisions per rule and version (counts only)")
async def counts(request: Request) -> Response:
    return json_response({"counts": rules_of(request).counted()})
