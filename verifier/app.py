"""The desk's HTTP service: ``create_app(settings)``. The OpenID4VP endpoints a wallet uses,
the JSON API the desk's page polls, and the page itself (template and static files served
here: no external asset). Routes (``verifier/routes/``) are thin shells over
``verifier.service.Verifier``.

The calls every presentation makes (the request, its request object, the wallet's answer,
the page's poll for the decision) go straight to their route functions (``DeskApp``): the
framework's routing, dependency solving and per-request middleware cost more CPU than the
checks (docs/performance/README.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.types import Message, Receive, Scope, Send

from civicid.errors import Error
from civicid.shell.app import create_service_app
from civicid.wire import desk as wire
from verifier.routes import desk as desk_routes
from verifier.routes import oid4vp as oid4vp_routes
from verifier.routes.deps import NO_STORE
from verifier.service import REQUEST_PATH, RESPONSE_PATH, Verifier
from verifier.settings import VerifierSettings

HERE: Final = Path(__file__).parent
TRANSACTIONS: Final = "/transactions/"

REQUESTS: Final = "/requests"
JSON_TYPE: Final = "application/json"

Direct = Callable[[Request, Verifier], Awaitable[Response]]


class ToFramework(Exception):
    """A direct route leaves its request to the framework, with the body it read."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body


async def new_request(request: Request, desk: Verifier) -> Response:
    """``POST /requests`` as the desk's page sends it (a JSON object naming a policy), to its
    route function; anything else is the framework's to answer, from the same bytes."""
    raw = await request.body()
    if request.headers.get("content-type") != JSON_TYPE:
        raise ToFramework(raw)
    try:
        body = wire.NewRequest.model_validate_json(raw)
    except ValidationError:
        raise ToFramework(raw) from None
    return await desk_routes.new_request(body, desk)


def replayed(body: bytes, receive: Receive) -> Receive:
    """``receive`` giving ``body`` first (read already), then what the client sends next."""
    given = False

    async def again() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


def direct_route(method: str, path: str) -> Direct | None:
    """The route function for a presentation's hot calls, with its path parameter (a path
    segment: what the framework's ``{name}`` matches), or None for the framework to route."""
    if method == "POST" and path == REQUESTS:
        return new_request
    if method == "GET" and path.startswith(REQUEST_PATH):
        request_id = path[len(REQUEST_PATH) :]
        if request_id and "/" not in request_id:
            return lambda _, desk: oid4vp_routes.request_object(request_id, desk)
    elif method == "POST" and path == RESPONSE_PATH:
        return oid4vp_routes.response
    elif method == "GET" and path.startswith(TRANSACTIONS):
        transaction_id = path[len(TRANSACTIONS) :]
        if transaction_id and "/" not in transaction_id:
            return lambda _, desk: desk_routes.transaction(transaction_id, desk)
    return None


class DeskApp(FastAPI):
    """The app, with a flow's hot calls served without the framework's routing: each
    goes to its route function, and what it raises to the app's own exception handlers (the
    same answer, the same logging), as the framework does. Each is a route of the app too:
    its OpenAPI description, and any request this leaves to the framework (one with a query
    string, or under a root path), are the framework's as before."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = None
        if scope["type"] == "http" and not scope.get("query_string") and not scope.get("root_path"):
            route = direct_route(scope["method"], scope["path"])
        if route is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        request = Request(scope, receive, send)
        try:
            response = await route(request, self.state.verifier)
        except ToFramework as left:
            await super().__call__(scope, replayed(left.body, receive), send)
            return
        except Exception as exc:
            handler = next(
                self.exception_handlers[kind]
                for kind in type(exc).__mro__
                if kind in self.exception_handlers
            )
            answer = await handler(request, exc)  # type: ignore[misc]  # ours are all async
            await answer(scope, receive, send)
            if not isinstance(exc, Error):
                raise  # a bug: logged by its handler, and by the server (as the framework does)
            return
        await response(scope, receive, send)


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
    )
    # The shell's factory makes a FastAPI; this app is that one with the hot calls' direct
    # dispatch (DeskApp adds a method and no state).
    app.__class__ = DeskApp
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(desk_routes.router)
    app.include_router(oid4vp_routes.router)
    return app
