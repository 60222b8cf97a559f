"""The ledger's HTTP service: ``create_app(settings)``; routes are thin shells over ``Ledger``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from civicid.errors import METHOD_NOT_ALLOWED, REQUEST_INVALID, ROUTE_NOT_FOUND, Error
from ledger.log import Ledger
from ledger.resolution import Resolver
from ledger.routes import docs as docs_routes
from ledger.routes import governance as governance_routes
from ledger.routes import log as log_routes
from ledger.routes import openapi
from ledger.routes import resolution as resolution_routes
from ledger.settings import LedgerSettings
from ledger.setup import open_ledger


def create_app(settings: LedgerSettings | None = None, *, ledger: Ledger | None = None) -> FastAPI:
    """The app; pass ``ledger`` to serve one already open (tests), else it opens
    ``settings.data_dir`` at start-up and closes it at shutdown."""
    settings = settings or LedgerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = ledger is None
        opened = ledger if ledger is not None else open_ledger(settings.data_dir)
        app.state.ledger = opened
        app.state.settings = settings
        app.state.resolver = Resolver(opened)
        # The replayed state is long-lived: keep the cyclic GC from re-walking it on every
        # full collection (a pause that grows with the log and shows up in tail latency).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if owned:
                opened.close()

    app = FastAPI(
        title="CivicID ledger",
        version="0.1.0",
        description="Append-only Merkle log of public bodies' DIDs, with checkpoints and proofs.",
        lifespan=lifespan,
        # Served below from local files: the defaults load Swagger UI from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    openapi.install(app)

    @app.exception_handler(Error)
    async def on_error(_: Request, exc: Error) -> JSONResponse:
        return JSONResponse(exc.to_json(), status_code=exc.http_status)

    # Errors raised by the framework itself answer in the same shape, with a code.
    @app.exception_handler(RequestValidationError)
    async def on_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        error = REQUEST_INVALID(where[:500])
        return JSONResponse(error.to_json(), error.http_status)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: ROUTE_NOT_FOUND, 405: METHOD_NOT_ALLOWED}.get(exc.status_code, REQUEST_INVALID)
        error = code(str(exc.detail))
        # The framework's status stands (a 4xx it chose); the body speaks our codes.
        return JSONResponse(error.to_json(), exc.status_code, headers=exc.headers)

    app.include_router(docs_routes.router)
    app.include_router(log_routes.router)
    app.include_router(resolution_routes.router)
    app.include_router(governance_routes.router)
    return app
