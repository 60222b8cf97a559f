"""Readiness: whether a service's store answers now, for a load balancer or an orchestrator
deciding where to send requests (``/health`` says only that the process serves).

The store is asked at most once a second, however many probes come, and never waited on
for long: a probe of a store that hangs (a database stopped mid-statement, a disk gone) is
answered ``service_not_ready`` within ``ANSWER_SECONDS``, and the one question in flight is
awaited by every probe meanwhile, never asked again beside it, so probes cannot pile up
threads or connections on a sick store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Final

from civicid.errors import Error, StorageError, declare

SERVICE_NOT_READY = declare(
    "service_not_ready",
    StorageError,
    "the service's store does not answer: send requests elsewhere until it does",
)

# Seconds an answer stands: an orchestrator probing each process every second or two, and
# a load balancer probing many times a second, cost the store one small read a second.
FRESH_SECONDS: Final = 1.0
# Seconds the store has to answer a probe: ours answer a keyed read in milliseconds; a
# store slower than this would fail the requests sent to it too (and the probe's own
# deadline, often a few seconds, is not to be missed).
ANSWER_SECONDS: Final = 2.0


class Readiness:
    """``check()`` returns when the store answered ``ask`` (a cheap read, run in a thread)
    within the last ``fresh`` seconds, and raises ``service_not_ready`` (why in its
    message: the store's own code, or that it did not answer in time) when it did not.
    One per app, on its event loop."""

    # Set on the first check on a loop (the futures are that loop's).
    _loop: asyncio.AbstractEventLoop | None = None
    _answer: asyncio.Future[str | None] | None  # why not ready, or None
    _stale_at: float  # when the answer is to be asked again
    _asking: asyncio.Future[object] | None  # the store's read in flight

    def __init__(
        self,
        ask: Callable[[], object],
        *,
        clock: Callable[[], float] = time.monotonic,
        fresh: float = FRESH_SECONDS,
        bound: float = ANSWER_SECONDS,
    ) -> None:
        self._ask = ask
        self._clock = clock
        self._fresh = fresh
        self._bound = bound

    async def answer(self) -> tuple[int, dict[str, str]]:
        """What a readiness route answers: 200 and ``{"status": "ready"}``, or 503 and the
        refusal's body (``service_not_ready``). Told by the route itself, never by an app's
        error handler that may ask the store again (the issuer's flushes its audit first)."""
        try:
            await self.check()
        except Error as exc:
            return exc.http_status, exc.to_json()
        return 200, {"status": "ready"}

    async def check(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # an app served again, on another loop: asked afresh
            self._loop, self._answer, self._asking, self._stale_at = loop, None, None, 0.0
        answer = self._answer
        stale = answer is not None and answer.done() and self._clock() >= self._stale_at
        if answer is None or stale:
            answer = self._answer = asyncio.ensure_future(self._probe())
        # Shielded: a probe whose client went away leaves the answer to the others.
        why = await asyncio.shield(answer)
        if why is not None:
            raise SERVICE_NOT_READY(why)

    async def _probe(self) -> str | None:
        if self._asking is None or self._asking.done():
            self._asking = asyncio.ensure_future(asyncio.to_thread(self._ask))
            # A read given up on and failing later is not an error nobody retrieved.
            self._asking.add_done_callback(_retrieved)
        try:
            await asyncio.wait_for(asyncio.shield(self._asking), self._bound)
        except TimeoutError:
            why: str | None = f"the store did not answer within {self._bound:g} s"
        except Error as exc:
            why = f"the store failed: {exc.message} [{exc.code}]"
        else:
            why = None
        self._stale_at = self._clock() + self._fresh
        return why


def _retrieved(future: asyncio.Future[object]) -> None:
    if not future.cancelled():
        future.exception()


def readiness_of(state: Any, ask: Callable[[], object]) -> Readiness:
    """The app's one ``Readiness`` (``state``: its ``app.state``), asking ``ask``; made on
    first use, on the event loop: never twice."""
    found: Readiness | None = getattr(state, "readiness", None)
    if found is None:
        found = state.readiness = Readiness(ask)
    return found
