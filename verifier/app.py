"""The desk's HTTP service: ``create_app(settings)``. The OpenID4VP endpoints a wallet uses,
the JSON API the desk's page polls, and the page itself (template and static files served
here: no external asset). Routes (``verifier/routes/``) are thin shells over
``verifier.service.Verifier``.

The calls every presentation makes (the request, its request object, the wallet's answer,
the page's poll for the decision) go straight to their route functions (``DeskApp``, a
``civicid.shell.dispatch.DirectApp``): the framework's routing, dependency solving and
per-request middleware cost more CPU than the checks (docs/performance/README.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from civicid.encoding import parse_json
from civicid.errors import REQUEST_INVALID, Error
from civicid.shell.app import create_service_app
from civicid.shell.dispatch import DirectApp, Route, ToFramework
from civicid.wire import desk as wire
from verifier.routes import desk as desk_routes
from verifier.routes import oid4vp as oid4vp_routes
from verifier.routes.deps import NO_STORE, verifier_of
from verifier.service import REQUEST_PATH, RESPONSE_PATH, Verifier
from verifier.settings import VerifierSettings

HERE: Final = Path(__file__).parent
TRANSACTIONS: Final = "/transactions/"

REQUESTS: Final = "/requests"
JSON_TYPE: Final = "application/json"


async def new_request(request: Request) -> Response:
    """``POST /requests`` as the desk's page sends it (a JSON object naming a policy), to its
    route function; anything else is the framework's to answer, from the same bytes."""
    raw = await request.body()
    if request.headers.get("content-type") != JSON_TYPE:
        raise ToFramework(raw)
    try:  # I-JSON, as the framework's routes read it (a policy named twice is not the last)
        body = wire.NewRequest.model_validate(parse_json(raw, code=REQUEST_INVALID))
    except (Error, ValidationError):
        raise ToFramework(raw) from None
    return await desk_routes.new_request(request, body, verifier_of(request))


async def respond(request: Request) -> Response:
    """``POST /oid4vp/response``: the wallet's answer, to its route function."""
    return await oid4vp_routes.response(request, verifier_of(request))


def direct_route(method: str, path: str) -> Route | None:
    """The route function for a presentation's hot calls, with its path parameter (a path
    segment: what the framework's ``{name}`` matches), or None for the framework to route."""
    if method == "POST" and path == REQUESTS:
        return new_request
    if method == "GET" and path.startswith(REQUEST_PATH):
        request_id = path[len(REQUEST_PATH) :]
        if request_id and "/" not in request_id:
            return lambda request: oid4vp_routes.request_object(request_id, verifier_of(request))
    elif method == "POST" and path == RESPONSE_PATH:
        return respond
    elif method == "GET" and path.startswith(TRANSACTIONS):
        transaction_id = path[len(TRANSACTIONS) :]
        if transaction_id and "/" not in transaction_id:
            return lambda request: desk_routes.transaction(transaction_id, verifier_of(request))
    return None


class DeskApp(DirectApp):
    """The app, with a presentation's hot calls served straight by their route functions;
    the shell's app answers only requests whose Host names the desk (``served_names``),
    before the direct dispatch and the framework alike."""

    def direct_route(self, method: str, path: str) -> Route | None:
        return direct_route(method, path)  # looked up when called: tests count its answers


def create_app(
    settings: VerifierSettings | None = None,
    *,
    verifier: Verifier | None = None,
    opener: Callable[[VerifierSettings], Verifier] | None = None,
) -> FastAPI:
    """The app; pass ``verifier`` to serve one already open (tests, demo), else it opens the
    desk of ``settings.data_dir`` at start-up (policies checked against the ledger)."""
    settings = settings or VerifierSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = verifier is None
        opened = verifier if verifier is not None else (opener or Verifier.open)(settings)
        app.state.verifier = opened
        try:
            yield
        finally:
            if owned:
                opened.close()

    app = create_service_app(
        title="CivicID verifier",
        description="A service desk: OpenID4VP requests from eligibility policies, checks "
        "against the ledger, decisions and signed receipts.",
        lifespan=lifespan,
        error_headers=NO_STORE,
        served_names=settings.served_names(settings.base_url),
        # The request object is served once: a HEAD answered as its GET would spend it.
        served_once=(REQUEST_PATH,),
    )
    # The shell's factory makes a FastAPI; this app is that one with the hot calls' direct
    # dispatch (DeskApp adds a method and no state).
    app.__class__ = DeskApp
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(desk_routes.router)
    app.include_router(oid4vp_routes.router)
    return app
