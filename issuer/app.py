"""The issuer's HTTP service: ``create_app(settings)``. Routes are thin shells over ``Issuer``;
a background thread publishes status lists every ``status_interval`` seconds."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicid.errors import (
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    REQUEST_INVALID,
    ROUTE_NOT_FOUND,
    Error,
)
from issuer.routes import oid4vci as oid4vci_routes
from issuer.routes import staff as staff_routes
from issuer.routes.deps import json_response
from issuer.service import Issuer
from issuer.settings import IssuerSettings

log = logging.getLogger("civicid.issuer")

# How long shutdown waits for a publication in flight to finish.
SHUTDOWN_WAIT: Final = 30.0


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
        opened = (
            issuer
            if issuer is not None
            else Issuer.open(settings or IssuerSettings.load(IssuerSettings().data_dir))
        )
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

    app = FastAPI(
        title="CivicID issuer",
        version="0.1.0",
        description="An agency's issuer: OpenID4VCI 1.0 for wallets, a staff API for clerks.",
        lifespan=lifespan,
    )

    @app.exception_handler(Error)
    async def on_error(request: Request, exc: Error) -> Response:
        # A refusal's audit record is on disk before the refusal is told.
        await asyncio.wrap_future(request.app.state.issuer.barrier())
        path = request.url.path
        if path.startswith(oid4vci_routes.OID4VCI_PATHS):
            return oid4vci_routes.oauth_error(exc, path)
        return json_response(exc.to_json(), exc.http_status)

    @app.exception_handler(Exception)
    async def on_bug(_: Request, exc: Exception) -> JSONResponse:
        # A bug answers like any refusal, with a code; the store refused nothing half-done.
        log.error("unexpected error", exc_info=exc)
        return JSONResponse(INTERNAL_ERROR("an unexpected error; data is intact").to_json(), 500)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        return JSONResponse(REQUEST_INVALID(where[:500]).to_json(), 400)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: ROUTE_NOT_FOUND, 405: METHOD_NOT_ALLOWED}.get(exc.status_code, REQUEST_INVALID)
        body = code(str(exc.detail)).to_json()
        return JSONResponse(body, exc.status_code, headers=exc.headers)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(oid4vci_routes.router)
    app.include_router(staff_routes.router)
    return app
