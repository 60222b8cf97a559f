"""A service's hot calls served straight by their route functions: the framework's routing,
dependency solving and per-request middleware cost more CPU than the work of a call
(docs/performance/README.md). Each hot call is a route of the app too: its OpenAPI
description, and any request the dispatch leaves to the framework (one with a query string,
or under a root path, or one a route hands over), are the framework's as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.types import Message, Receive, Scope, Send

from civicid.errors import Error

Route = Callable[[Request], Awaitable[Response]]


class ToFramework(Exception):
    """A direct route leaves its request to the framework, with the body it read."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body


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


class DirectApp(FastAPI):
    """The app, with its hot calls served without the framework's routing: each goes to its
    route function (``direct_route``), and what it raises to the app's own exception handlers
    (the same answer, the same logging), as the framework does. A service's app is the
    shell's FastAPI with its class set to a subclass naming its routes (a method, no state)."""

    def direct_route(self, method: str, path: str) -> Route | None:
        """The route function serving ``method`` on ``path``, or None for the framework."""
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = None
        if scope["type"] == "http" and not scope.get("query_string") and not scope.get("root_path"):
            route = self.direct_route(scope["method"], scope["path"])
        if route is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        request = Request(scope, receive, send)
        try:
            response = await route(request)
        except ToFramework as left:
            await super().__call__(scope, replayed(left.body, receive), send)
            return
        except Exception as exc:
            await self.answer_failure(request, send, exc)
            return
        await response(scope, receive, send)

    async def answer_failure(self, request: Request, send: Send, exc: Exception) -> None:
        """Answer what a direct call raised as the framework does: through the app's own
        exception handlers (the same answer, the same logging); a bug is raised on after its
        answer, for the server to log as well."""
        scope, receive = request.scope, request.receive
        handler = next(
            self.exception_handlers[kind]
            for kind in type(exc).__mro__
            if kind in self.exception_handlers
        )
        try:
            answer = await handler(request, exc)  # type: ignore[misc]  # ours are all async
        except Exception as failure:  # answering failed (a store behind it): a bug's answer
            last = self.exception_handlers[Exception]
            answer = await last(request, failure)  # type: ignore[misc]
            await answer(scope, receive, send)
            raise
        await answer(scope, receive, send)
        if not isinstance(exc, Error):
            raise exc  # a bug: logged by its handler, and by the server (as the framework does)
