"""What the routes share: the issuer, bounded bodies, the caller's bearer token, JSON answers.

Routes are ``async``. The hot calls (offer, token, credential) run their ``*_begin`` step on
the event loop, which changes memory and queues the change, then await its durability (group
commit) without holding a thread; the rest run in the thread pool.
"""

from __future__ import annotations

import asyncio
import json
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Annotated, Any, Final, TypeVar

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from civicid.encoding import parse_json
from civicid.errors import REQUEST_INVALID, Error
from issuer.errors import BODY_TOO_LARGE
from issuer.service import Issuer

# A credential request with a full batch of proofs (~700 bytes each) or a record's claims fit
# well inside this; anything larger is refused before it is parsed.
MAX_BODY_BYTES: Final = 256 * 1024
NO_STORE: Final = {"Cache-Control": "no-store"}

T = TypeVar("T")


def issuer_of(request: Request) -> Issuer:
    issuer: Issuer = request.app.state.issuer
    return issuer


async def get_issuer(request: Request) -> Issuer:
    return issuer_of(request)


IssuerDep = Annotated[Issuer, Depends(get_issuer)]


async def read_limited(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BODY_TOO_LARGE(f"the request body is over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BODY_TOO_LARGE(f"the request body is over {limit} bytes")
    return bytes(body)


async def read_json(request: Request) -> Any:
    # I-JSON, as every body the framework reads (civicid.shell.ijson): a member named twice
    # is refused, never the last one kept.
    return parse_json(await read_limited(request), code=REQUEST_INVALID)


def bearer(request: Request) -> str | None:
    """RFC 6750 §2.1: ``Authorization: Bearer <token>``."""
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await run_in_threadpool(fn, *args, **kwargs)


class Landing:
    """The store writer's futures, completed on an event loop: one wake-up of the loop for
    all those its writer settles together (a group commit's callers), where
    ``asyncio.wrap_future`` wakes it once for each."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = weakref.ref(loop)  # not kept alive by its entry in _LANDINGS
        self._lock = threading.Lock()
        self._settled: list[tuple[Future[None], asyncio.Future[None]]] = []

    def wait(self, future: Future[None]) -> asyncio.Future[None]:
        loop = self._loop()
        assert loop is not None  # called on it, running
        waiter: asyncio.Future[None] = loop.create_future()
        future.add_done_callback(partial(self._done, waiter))
        return waiter

    def _done(self, waiter: asyncio.Future[None], future: Future[None]) -> None:
        # The writer's thread (or this loop's, for a future already done).
        with self._lock:
            self._settled.append((future, waiter))
            first = len(self._settled) == 1
        loop = self._loop()
        if first and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._land)

    def _land(self) -> None:
        with self._lock:
            settled, self._settled = self._settled, []
        for future, waiter in settled:
            if waiter.done():  # its request was cancelled: the write stays queued
                continue
            failure = future.exception()
            if failure is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(failure)


_LANDINGS: Final[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Landing]] = (
    weakref.WeakKeyDictionary()
)


async def landed(future: Future[None]) -> None:
    """Wait, on the running loop, until the store's ``future`` is settled; its error raised."""
    if future.done():
        future.result()
        return
    loop = asyncio.get_running_loop()
    landing = _LANDINGS.get(loop)
    if landing is None:
        landing = _LANDINGS[loop] = Landing(loop)
    await landing.wait(future)


async def durable(begin: Callable[..., tuple[T, Future[None]]], *args: Any, **kwargs: Any) -> T:
    """Run a ``*_begin`` step here, then wait (without a thread) until it is on disk. On a
    store shared with other processes the step reads the database, so it runs in the thread
    pool, and a change another process beat is run again (``Issuer.retry_after``)."""
    owner = getattr(begin, "__self__", None)
    shared = isinstance(owner, Issuer) and owner.shared
    attempt = 0
    while True:
        if shared:
            value, future = await run_in_threadpool(begin, *args, **kwargs)
        else:
            value, future = begin(*args, **kwargs)
        try:
            await landed(future)
        except Error as exc:
            if isinstance(owner, Issuer) and owner.retry_after(exc, attempt):
                attempt += 1
                continue
            raise
        return value


# Made once: ``json.dumps`` with options makes a new encoder for every answer.
_ANSWER_JSON: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        _ANSWER_JSON.encode(body),
        status,
        media_type="application/json",
        headers=headers,
    )
