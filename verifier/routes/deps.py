"""What the desk's routes share: the open desk and its page templates, as ``Annotated``
dependencies tests can override, and the headers every answer carries."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Final, ParamSpec, TypeVar

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from verifier.service import Verifier

P = ParamSpec("P")
T = TypeVar("T")

# Requests, decisions and QR codes are one person's business: no cache keeps them.
NO_STORE: Final = {"cache-control": "no-store"}
# The desk's calls that may block (a commit waiting for its fsync, a ledger question on a
# cache miss) run on their own threads: as many as the framework's pool allows (anyio's
# default limit), so as many writes as before can wait together for one group commit.
DESK_THREADS: Final = 40
_POOL: Final = ThreadPoolExecutor(DESK_THREADS, thread_name_prefix="desk")


async def in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` on a desk thread, with the caller's context variables, awaited.
    The framework's own hand-off (anyio's worker queue: a Python condition, a capacity
    limiter and a cancel scope per call) costs about twice the CPU; this is a C queue and one
    wake-up of the loop. As with the framework's, a cancelled caller does not stop the call:
    a write commits (or not) as it would have, only its answer is not awaited."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await loop.run_in_executor(_POOL, call)


def verifier_of(request: Request) -> Verifier:
    """The open desk, for a route function called without the framework (``verifier.app``)."""
    verifier: Verifier = request.app.state.verifier
    return verifier


async def get_verifier(request: Request) -> Verifier:
    return verifier_of(request)


async def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


VerifierDep = Annotated[Verifier, Depends(get_verifier)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
