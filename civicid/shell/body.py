"""A request body's limits, enforced for every route: at most so many bytes, all of them
within so many seconds of the head.

A route that reads its body past either limit gets our error raised from ``receive`` (and
answers it with its code, through the app's error handlers); a route that reads no body is
not waited on. Once the body is complete, ``receive`` is the app's again (it waits there for
a disconnect, which has no deadline).
"""

from __future__ import annotations

import asyncio
from typing import Any

from civicid.shell.errors import (
    REQUEST_BODY_INCOMPLETE,
    REQUEST_BODY_TIMEOUT,
    REQUEST_BODY_TOO_LARGE,
)

Scope = dict[str, Any]
Message = dict[str, Any]


class BodyGuard:
    """ASGI middleware: ``app`` with ``max_bytes`` and ``timeout`` on every request body."""

    def __init__(self, app: Any, *, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, Body(scope, receive, self.max_bytes, self.timeout), send)


class Body:
    """One request's ``receive``, bounded."""

    def __init__(self, scope: Scope, receive: Any, max_bytes: int, timeout: float) -> None:
        self.receive = receive
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.deadline = asyncio.get_running_loop().time() + timeout
        self.received = 0
        self.complete = False
        self.declared = declared_length(scope)
        # uvicorn's request cycle sets this event when body bytes (or a disconnect) wait to
        # be taken: ``receive`` then returns without waiting, and needs no deadline.
        cycle = getattr(receive, "__self__", None)
        self.ready: asyncio.Event | None = getattr(cycle, "message_event", None)

    async def __call__(self) -> Message:
        if self.complete:
            message: Message = await self.receive()
            return message
        if self.declared is not None and self.declared > self.max_bytes:
            raise REQUEST_BODY_TOO_LARGE(f"the request body is over {self.max_bytes} bytes")
        ready = self.ready
        if ready is not None and isinstance(ready, asyncio.Event) and ready.is_set():
            # Arrived already: taken at once (a timer armed and cancelled for each body cost
            # more CPU than the rest of this guard).
            message = await self.receive()
        else:
            remaining = self.deadline - asyncio.get_running_loop().time()
            try:
                async with asyncio.timeout(max(remaining, 0)):
                    message = await self.receive()
            except TimeoutError:
                raise REQUEST_BODY_TIMEOUT(
                    f"the request body took over {self.timeout:g}s"
                ) from None
        if message["type"] != "http.request":
            # The client left, or its body's framing broke (the server then closed): the
            # route is told so with our code, which its error handler answers quietly (the
            # framework's own disconnect error would reach the log as a bug's traceback,
            # one for every client that chose to cut a body short).
            self.complete = True
            raise REQUEST_BODY_INCOMPLETE("the request body ended before it was complete")
        self.received += len(message.get("body", b""))
        if self.received > self.max_bytes:
            raise REQUEST_BODY_TOO_LARGE(f"the request body is over {self.max_bytes} bytes")
        self.complete = not message.get("more_body", False)
        return message


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None
