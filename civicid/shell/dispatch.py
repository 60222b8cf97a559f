"""How a request reaches its answer in every service's app (``ServiceApp``): the Host check
of a service that names its hosts, HEAD answered wherever GET is, then the service's own
dispatch. A service's hot calls are served straight by their route functions (``DirectApp``):
the framework's routing, dependency solving and per-request middleware cost more CPU than the
work of a call (docs/performance/README.md). Each hot call is a route of the app too: its
OpenAPI description, and any request the dispatch leaves to the framework (one with a query
string, or under a root path, or one a route hands over, or a HEAD), are the framework's as
before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.types import Message, Receive, Scope, Send

from civicid.errors import Error
from civicid.shell.errors import HOST_NOT_ALLOWED
from civicid.shell.hosts import host_named

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


def without_body(send: Send) -> Send:
    """``send`` for a HEAD request (RFC 9110 §9.3.2): the answer's status and header fields as
    GET's (its Content-Length among them), its body dropped."""

    async def head_only(message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body" or kind == "http.response.pathsend":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return head_only


class ServiceApp(FastAPI):
    """Every service's app (``create_service_app``): a request whose Host names none of the
    ``served_names`` is refused 400 ``host_not_allowed`` before anything else (a service
    that names none checks nothing); a HEAD is answered as the framework answers a GET of
    its path, without the body, except on the paths ``served_once`` names (a GET spends the
    resource: a HEAD would too), refused 405 as the framework refuses a method a route lacks;
    anything else goes to ``dispatch``. A service with hot calls overrides ``dispatch``."""

    served_names: frozenset[str] | None = None
    served_once: tuple[str, ...] = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            head = scope["method"] == "HEAD"
            if head:
                send = without_body(send)
            names = self.served_names
            if names is not None and host_named(scope["headers"]) not in names:
                scope["app"] = self
                refusal = HOST_NOT_ALLOWED(
                    "this service does not answer to the name in the request's Host header; "
                    "a reverse proxy's name belongs in its allowed_hosts setting"
                )
                await self.answer_failure(Request(scope, receive, send), send, refusal)
                return
            if head:
                if not self.answers_head(scope["path"]):
                    await super().__call__(scope, receive, send)  # 405, the route's Allow
                    return
                await super().__call__({**scope, "method": "GET"}, receive, send)
                return
        await self.dispatch(scope, receive, send)

    def answers_head(self, path: str) -> bool:
        """Whether a HEAD of ``path`` is answered as its GET: not where a GET spends what it
        reads."""
        return not path.startswith(self.served_once)

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a request the checks let through: the framework's, unless overridden."""
        await super().__call__(scope, receive, send)

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


class DirectApp(ServiceApp):
    """The app, with its hot calls served without the framework's routing: each goes to its
    route function (``direct_route``), and what it raises to the app's own exception handlers
    (the same answer, the same logging), as the framework does. A service's app is the
    shell's app with its class set to a subclass naming its routes (a method, no state)."""

    def direct_route(self, method: str, path: str) -> Route | None:
        """The route function serving ``method`` on ``path``, or None for the framework."""
        return None

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = None
        if scope["type"] == "http" and not scope.get("query_string") and not scope.get("root_path"):
            route = self.direct_route(scope["method"], scope["path"])
        if route is None:
            await super().dispatch(scope, receive, send)
            return
        scope["app"] = self
        request = Request(scope, receive, send)
        try:
            response = await route(request)
        except ToFramework as left:
            await super().dispatch(scope, replayed(left.body, receive), send)
            return
        except Exception as exc:
            await self.answer_failure(request, send, exc)
            return
        await response(scope, receive, send)
