"""One set of error handlers for every service: each refusal answers with our JSON error body
(its stable code, a message for people) and its code's status.

Our ``Error`` is answered as it is (with ``Retry-After`` when it says when to ask again,
wherever it is raised); a request the framework refuses (bad input, no such
route, wrong method) with the matching code; anything else is a bug, logged here and
answered 500 ``internal_error`` with nothing of its internals.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from civicid.errors import (
    CATALOGUE,
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    REQUEST_INVALID,
    ROUTE_NOT_FOUND,
    Code,
    Error,
)
from civicid.shell.dispatch import ServiceApp

log = logging.getLogger("civicid.service")

# A validation message names the fields that failed; this much of it is plenty.
MAX_WHERE_CHARS = 500

ErrorRenderer = Callable[[Request, Error], Awaitable[Response]]

# A refusal that says when to ask again (a bound on requests reached) carries the seconds in
# this detail; its answer says it in ``Retry-After`` (RFC 9110 §10.2.3).
RETRY_AFTER: Final = "retry_after"
# That header, as a route whose refusals may carry it describes it (OpenAPI ``headers``).
RETRY_AFTER_HEADER: Final[dict[str, Any]] = {
    "Retry-After": {
        "description": "Seconds until the request may be made again",
        "schema": {"type": "integer", "minimum": 1},
    }
}


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


def answered_code(response: Response) -> Code | None:
    """The declared code of the error an answer's JSON body tells (``{"error": code, ...}``),
    if any."""
    try:
        body = json.loads(getattr(response, "body", b""))
    except (ValueError, RecursionError):
        return None
    name = body.get("error") if isinstance(body, dict) else None
    return CATALOGUE.get(name) if isinstance(name, str) else None


def with_retry_after(error: Error, response: Response) -> Response:
    """``response`` with ``Retry-After`` when it answers ``error`` and ``error`` says when to
    ask again (``RETRY_AFTER``, whole seconds), and kept by no cache (the wait is this
    moment's). Only then: a service's renderer may answer another error in its place (the
    issuer's store failing to record the refusal), which says no such thing."""
    wait = error.details.get(RETRY_AFTER)
    answered = answered_code(response)
    if type(wait) is not int or wait < 1 or answered is None or not answered.matches(error):
        return response
    response.headers["retry-after"] = str(wait)
    response.headers["cache-control"] = "no-store"
    return response


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
            return with_retry_after(error, await render(request, error))
        response = JSONResponse(error.to_json(), error.http_status, headers=dict(headers or {}))
        return with_retry_after(error, response)

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
