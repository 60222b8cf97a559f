"""The desk's own routes: its page, its policies, and the requests it starts and follows
(the JSON API the page polls), plus the service's liveness."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, Final

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from civicid import words
from civicid.errors import Error
from civicid.names import accept_language, display_name
from civicid.policy import Policy
from civicid.quota import client_of
from civicid.readiness import readiness_of
from civicid.shell.handlers import RETRY_AFTER_HEADER
from civicid.shell.ijson import IJsonRoute
from civicid.shell.openapi import errors
from civicid.trust import ANY_AGE
from civicid.wire import ErrorBody, Snake
from civicid.wire import desk as wire
from verifier.errors import POLICY_NOT_NAMED
from verifier.routes.deps import NO_STORE, TemplatesDep, VerifierDep, in_thread
from verifier.service import Verifier

router = APIRouter(route_class=IJsonRoute)
# The desk's page: our own script and style only; nothing framed, nothing from elsewhere.
SECURITY_HEADERS: Final = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


FULL: Final[dict[int | str, dict[str, Any]]] = {
    429: {
        "model": ErrorBody,
        "description": "This client started as many requests as it may for now "
        "(client_requests_full)",
        "headers": RETRY_AFTER_HEADER,
    },
    503: {
        "model": ErrorBody,
        "description": "The desk holds as many requests as it may for now (desk_requests_full), "
        "or its store is unavailable",
        "headers": RETRY_AFTER_HEADER,
    },
}


def answer(model: Snake, status: int = 200) -> Response:
    return Response(model.to_bytes(), status, media_type="application/json", headers=NO_STORE)


def qr_svg(link: str) -> str:
    """The link as a QR code (a standalone SVG: dark on white, a quiet zone) the desk's
    screen shows; error correction M survives a glare or a smudge on the screen."""
    out = io.BytesIO()
    segno.make(link, error="m").save(
        out,
        kind="svg",
        xmldecl=False,
        scale=4,
        border=4,
        dark="#000000",
        light="#ffffff",
        title=link,
    )
    return out.getvalue().decode("utf-8")


def type_labels(verifier: Verifier, policy: Policy) -> dict[str, str]:
    """The labels ``policy``'s credential types give their claims on the ledger ("Date of
    birth"), as the wallet shows them; none from a type the ledger does not answer for now
    (its claims are then worded from their names). The first type's labels win."""
    found: dict[str, str] = {}
    for vct in reversed(policy.credential_types):
        try:
            proven = verifier.trust.credential_type(vct, max_age=ANY_AGE)
        except Error:
            continue
        found.update(words.labels(proven.metadata))
    return found


def page_words(policy: Policy, labels: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """What the page shows for ``policy``'s claims and conditions, in the kernel's words
    (``civicid.words``, which the wallet uses too: "Age 18 or over" on both) and the type's
    labels: each claim by its name on the wire, each condition by the way the checks
    describe it in a decision."""
    return {
        "claims": {name: words.claim(name, labels) for name in policy.requested},
        "conditions": {p.describe(): words.condition(p, labels) for p in policy.predicates},
    }


def desk_words(verifier: Verifier, policies: list[Policy]) -> dict[str, dict[str, dict[str, str]]]:
    return {p.name: page_words(p, type_labels(verifier, p)) for p in policies}


@router.get("/health", tags=["service"], summary="Liveness")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/health/ready",
    tags=["service"],
    summary="Readiness: the desk's store answers",
    responses={503: {"model": ErrorBody, "description": "Not ready (service_not_ready)"}},
)
async def ready(request: Request, verifier: VerifierDep) -> Response:
    store = verifier.store

    def probe() -> object:
        # The store's file still the one opened, and the newest audit record: one row read
        # by the key's index, whatever the trail's length.
        store.require_file()
        return store.audit_trail(1)

    status, body = await readiness_of(request.app.state, probe).answer()
    return JSONResponse(body, status, headers=NO_STORE)


@router.get("/", response_class=HTMLResponse, tags=["desk"], summary="The desk's page")
async def desk_page(request: Request, verifier: VerifierDep, templates: TemplatesDep) -> Response:
    policies = sorted(verifier.policies.values(), key=lambda p: p.title)
    # The desk by the name governance endorsed, in the browser's language (the template
    # escapes it: a name is shown, never read as markup).
    names = await in_thread(verifier.desk_names)
    said = await in_thread(desk_words, verifier, policies)
    languages = (*accept_language(request.headers.get("accept-language", "")), "en")
    response = templates.TemplateResponse(
        request,
        "desk.html",
        {
            "policies": policies,
            "words": said,
            "desk": verifier.desk.did,
            "desk_name": display_name(names, languages, fallback=""),
        },
    )
    response.headers.update(SECURITY_HEADERS)
    return response


@router.get(
    "/policies",
    tags=["desk"],
    summary="The desk's policies",
    response_model=list[wire.PolicyView],
)
async def policies(verifier: VerifierDep) -> list[wire.PolicyView]:
    return [wire.PolicyView.model_validate(p) for p in verifier.policies_json()]


async def policy_named(request: Request) -> None:
    """An empty body is refused in our words before the framework reads it as its model
    (whose refusal would be "body: Field required")."""
    if not await request.body():
        raise POLICY_NOT_NAMED(
            'the body is a JSON object naming one of this desk\'s policies, {"policy": '
            '"<name>"} (GET /policies lists them); nothing was started'
        )


@router.post(
    "/requests",
    tags=["desk"],
    status_code=201,
    summary="Start a request for a policy",
    response_model=wire.Created,
    responses={**errors(400, 404), **FULL},
    dependencies=[Depends(policy_named)],
)
async def new_request(request: Request, body: wire.NewRequest, verifier: VerifierDep) -> Response:
    client = client_of(request.client.host if request.client else None)
    # A bound reached (client_requests_full, desk_requests_full) is answered by the shell,
    # with Retry-After.
    created = await in_thread(verifier.create_request, body.policy, client)
    made = wire.Created(  # the expiry in seconds: written as RFC 3339 once, by the model
        id=created.id,
        transaction_id=created.transaction_id,
        policy=created.policy,
        title=created.title,
        purpose=created.purpose,
        link=created.link,
        request_uri=created.request_uri,
        expires_at=created.expires,
        qr=f"/transactions/{created.transaction_id}/qr.svg",
        status_url=f"/transactions/{created.transaction_id}",
    )
    return answer(made, 201)


@router.get(
    "/transactions/{transaction_id}",
    tags=["desk"],
    summary="A request's status",
    response_model=wire.Transaction,
    responses=errors(404),
)
async def transaction(transaction_id: str, verifier: VerifierDep) -> Response:
    # The model's bytes, written by hand (verifier.poll): the page asks again and again.
    if verifier.store.reads_in_place:  # a read that never waits: no thread hand-off
        body = verifier.poll(transaction_id)
    else:
        body = await in_thread(verifier.poll, transaction_id)
    return Response(body, media_type="application/json", headers=NO_STORE)


@router.get(
    "/transactions/{transaction_id}/qr.svg",
    tags=["desk"],
    summary="The QR code",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {"schema": {"type": "string"}}}}, **errors(404)},
)
async def transaction_qr(transaction_id: str, verifier: VerifierDep) -> Response:
    pending = await in_thread(verifier.store.by_transaction, transaction_id)
    link = verifier.link_for(pending.id)
    return Response(qr_svg(link), media_type="image/svg+xml", headers=NO_STORE)
