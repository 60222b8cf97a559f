"""Request bodies read as I-JSON (RFC 7493), as every other JSON this project reads.

The framework reads a JSON body with ``json.loads``, which keeps the last of a member named
twice (``{"policy": "a", "policy": "b"}`` is a request for ``b``), and takes a byte order
mark, NaN and 1e400. Every router of every service is made with ``route_class=IJsonRoute``,
whose requests read their body with ``civicid.encoding.parse_json``: each of those is
``request_invalid``, with what was wrong."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from civicid.encoding import parse_json
from civicid.errors import REQUEST_INVALID


class IJsonRequest(Request):
    """A request whose ``json()`` is I-JSON or ``request_invalid`` (the framework passes our
    error on as the cause of its 400, and the shared handler answers with our code)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body(), code=REQUEST_INVALID)
        return self._json


class IJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def read_as_ijson(request: Request) -> Response:
            return await handler(IJsonRequest(request.scope, request.receive))

        return read_as_ijson
