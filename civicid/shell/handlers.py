"""One set of error handlers for every service: each refusal answers with our JSON error body
(its stable code, a message for people) and its code's status.

Our ``Error`` is answered as it is; a request the framework refuses (bad input, no such
route, wrong method) with the matching code; anything else is a bug, logged here and
answered 500 ``internal_error`` with nothing of its internals.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from civicid.errors import (
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    REQUEST_INVALID,
    ROUTE_NOT_FOUND,
    Error,
)
from civicid.shell.dispatch import ServiceApp

log = logging.getLogger("civicid.service")

# A validation message names the fields that failed; this much of it is plenty.
MAX_WHERE_CHARS = 500

ErrorRenderer = Callable[[Request, Error], Awaitable[Response]]


# The methods a route may have; each is tried against the path to say which it has.
METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """RFC 9110 §10.2.1: every method the path has, across all its routes (the framework
    names only the first route's when two routes share a path, e.g. GET and POST); HEAD
    wherever the app answers it as GET (``ServiceApp``)."""
    app = request.app
    routes = app.router.routes
    allowed = {
        method
        for method in METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    }
    if "GET" in allowed and isinstance(app, ServiceApp) and app.answers_head(request.scope["path"]):
        allowed.add("HEAD")
    return ", ".join(method for method in METHODS if method in allowed)


def install(
    app: FastAPI,
    *,
    render: ErrorRenderer | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Answer every error raised in ``app`` with our body. ``render``: the service's own
    answer to its errors (a protocol's error shape), else the JSON body with ``headers``."""

    async def answer(request: Request, error: Error) -> Response:
        if render is not None:
            return await render(request, error)
        return JSONResponse(error.to_json(), error.http_status, headers=dict(headers or {}))

    async def on_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Error)
        return await answer(request, exc)

    async def on_invalid(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        where = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        error = REQUEST_INVALID(where[:MAX_WHERE_CHARS])
        return JSONResponse(error.to_json(), error.http_status)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if isinstance(exc.__cause__, Error):
            # The framework wrapped our error (a body limit raised while it read the body).
            return await answer(request, exc.__cause__)
        code = {404: ROUTE_NOT_FOUND, 405: METHOD_NOT_ALLOWED}.get(exc.status_code, REQUEST_INVALID)
        error = code(str(exc.detail))
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        if exc.status_code == 405:
            headers["allow"] = allowed_methods(request)
        # The framework's status stands (a 4xx it chose); the body speaks our codes.
        return JSONResponse(error.to_json(), exc.status_code, headers=headers)

    async def on_bug(_: Request, exc: Exception) -> Response:
        log.error("unexpected error", exc_info=exc)
        error = INTERNAL_ERROR()
        return JSONResponse(error.to_json(), error.http_status)

    app.add_exception_handler(Error, on_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_bug)
