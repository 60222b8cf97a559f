"""The issuer's HTTP service: ``create_app(settings)``. Routes are thin shells over ``Issuer``;
a background thread publishes status lists every ``status_interval`` seconds.

The calls of an issuance skip the framework (``IssuerApp``): the wallet's (token, nonce,
credential, an offer by reference) are answered straight from the scope (``routes/direct.py``),
the clerk's offer and the issuer metadata go straight to their route functions (a
``civicid.shell.dispatch.DirectApp``). The framework's routing, dependency solving, request
and response objects cost more CPU than the issuance's cryptography
(docs/performance/README.md).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.types import Receive, Scope, Send

from civicid.errors import Error
from civicid.oid4vci import WELL_KNOWN_ISSUER
from civicid.shell.app import create_service_app
from civicid.shell.dispatch import DirectApp, Route
from civicid.shell.query import OneValueEach
from issuer.routes import direct
from issuer.routes import health as health_routes
from issuer.routes import oid4vci as oid4vci_routes
from issuer.routes import rules as rule_routes
from issuer.routes import staff as staff_routes
from issuer.routes.deps import issuer_of, json_response
from issuer.rule_requests import check_kept
from issuer.service import Issuer
from issuer.settings import IssuerSettings

# How long shutdown waits for a publication in flight to finish.
SHUTDOWN_WAIT: Final = 30.0


async def render_error(request: Request, exc: Error) -> Response:
    """A refusal's audit record is on disk before the refusal is told; the OpenID4VCI
    endpoints answer in OAuth's error shape, the rest in ours. A store that cannot record
    it is answered instead: a failed disk is the service unavailable (503), not a bug."""
    try:
        await asyncio.wrap_future(request.app.state.issuer.barrier())
    except Error as failure:  # issuer_store_failed
        exc = failure
    path = request.url.path
    if path.startswith(oid4vci_routes.OID4VCI_PATHS):
        return oid4vci_routes.oauth_error(exc, path)
    return json_response(exc.to_json(), exc.http_status)


# The calls every issuance makes, by method and path. Each is a route of the app too: its
# OpenAPI description, and any request this leaves to the framework (one with a query
# string, or under a root path), are the framework's as before.
async def _issuer_metadata(request: Request) -> Response:
    return await oid4vci_routes.issuer_metadata(issuer_of(request))


HOT_ROUTES: Final[dict[tuple[str, str], Route]] = {
    ("POST", "/staff/offers"): staff_routes.create_offer,
    ("GET", WELL_KNOWN_ISSUER): _issuer_metadata,  # a wallet reads it before each credential
}


class IssuerApp(DirectApp):
    """The app, with the wallet's calls of an issuance (token, nonce, credential, an offer by
    reference) answered straight from the scope by ``direct`` (no request or response
    objects), and the clerk's offer and the issuer metadata served straight by their route
    functions. A request with a query string or under a root path is the framework's. What
    a direct answer raises is answered by the app's exception handlers, as the framework
    answers it (a refusal in OAuth's shape; a bug as ``internal_error``, then raised on)."""

    def direct_route(self, method: str, path: str) -> Route | None:
        return HOT_ROUTES.get((method, path))

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = None
        if scope["type"] == "http" and not scope.get("query_string") and not scope.get("root_path"):
            answer = direct.direct_route(scope["method"], scope["path"])
        if answer is None:
            await super().dispatch(scope, receive, send)
            return
        scope["app"] = self
        try:
            status, body, headers = await answer(self.state.issuer, scope, receive)
        except Exception as exc:
            await self.answer_failure(Request(scope, receive, send), send, exc)
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def create_app(
    settings: IssuerSettings | None = None,
    *,
    issuer: Issuer | None = None,
    background: bool = True,
) -> FastAPI:
    """The app; pass ``issuer`` to serve one already open (tests), else it opens one for
    ``settings`` at start-up and closes it at shutdown. ``background``: publish on a timer."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = issuer is None
        serving = (
            issuer.settings
            if issuer is not None
            else settings or IssuerSettings.load(IssuerSettings().data_dir)
        )
        check_kept(serving.store_dir)  # a damaged file of rule requests is told at start
        opened = issuer if issuer is not None else Issuer.open(serving)
        app.state.issuer = opened
        stop = threading.Event()
        worker = None
        if background:
            worker = threading.Thread(
                target=opened.run_background, args=(stop,), name="issuer-publisher", daemon=True
            )
            worker.start()
        try:
            yield
        finally:
            stop.set()
            opened.publish_wanted.set()
            if worker is not None:
                worker.join(SHUTDOWN_WAIT)
            if owned:
                opened.close()

    known = settings or (issuer.settings if issuer is not None else None)
    app = create_service_app(
        title="CivicID issuer",
        description="An agency's issuer: OpenID4VCI 1.0 for wallets, a staff API for clerks.",
        lifespan=lifespan,
        render_error=render_error,
        served_names=None
        if known is None
        else known.served_names(known.public_url),  # opt-in Host check
        served_once=(direct.OFFERS_PREFIX,),  # a HEAD would spend an offer served once
    )
    # The shell's factory makes a FastAPI; this app is that one with the issuance's fast
    # dispatch (IssuerApp adds a method and no state).
    app.__class__ = IssuerApp
    app.include_router(health_routes.router)
    app.include_router(oid4vci_routes.router)
    app.include_router(staff_routes.router, dependencies=[OneValueEach])  # ?limit=1&limit=2
    app.include_router(rule_routes.router)
    return app
