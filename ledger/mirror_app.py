"""A mirror's HTTP service: the ledger's public read API (the same routers, the same
answers and proofs) over the mirror's verified copy; a write is refused."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from civicid.settings import MIRROR_PORT
from civicid.shell.app import create_service_app
from civicid.shell.openapi import errors
from civicid.shell.query import OneValueEach
from civicid.shell.settings import ServiceSettings, WitnessedLedger
from civicid.wire import Wire
from ledger.app import LedgerApp
from ledger.errors import MIRROR_READ_ONLY, MIRROR_SETTINGS_INVALID
from ledger.mirror import DEFAULT_INTERVAL, MIRROR_NOT_READY, Follower, Mirror, Served
from ledger.routes import governance as governance_routes
from ledger.routes import log as log_routes
from ledger.routes import resolution as resolution_routes
from ledger.routes import tiles as tile_routes
from ledger.routes import transparency as transparency_routes
from ledger.routes.log import answer

# The fastest a mirror asks its ledger: more often only loads the ledger.
MIN_INTERVAL: Final = 0.05


class MirrorSettings(ServiceSettings, WitnessedLedger):
    model_config = SettingsConfigDict(env_prefix="CIVICID_MIRROR_")
    part = "mirror"
    invalid = MIRROR_SETTINGS_INVALID

    port: int = Field(default=MIRROR_PORT, ge=0, le=65535)  # 0: any free port
    # Seconds between two rounds of following the ledger.
    interval: float = Field(default=DEFAULT_INTERVAL, ge=MIN_INTERVAL)


class MirrorError(Wire):
    code: str
    message: str


class MirrorStatus(Wire):
    """How far the mirror is, and why its last round refused to advance, if it did."""

    size: int
    checkpoint: str | None = None
    last_round: float | None = None
    fetched: int = 0
    error: MirrorError | None = None


class NotReady:
    """Stands in for the copy until the mirror has verified one: any use of it answers
    ``mirror_not_ready`` (503), so a client goes on to another server."""

    def __getattr__(self, name: str) -> Any:
        raise MIRROR_NOT_READY("the mirror has not verified a copy of the ledger yet")


def show(app: FastAPI, served: Served | None) -> None:
    """Point the ledger's routes at ``served`` (they read ``app.state``, as in the ledger's
    own service: nothing is looked up per request beyond what the ledger does)."""
    app.state.ledger = served.ledger if served is not None else NotReady()
    app.state.resolver = served.resolver if served is not None else NotReady()


def status_of(mirror: Mirror) -> MirrorStatus:
    last, served = mirror.last, mirror.served
    error = last.error if last is not None else None
    return MirrorStatus(
        size=mirror.size,
        checkpoint=served.ledger.checkpoint if served is not None else None,
        last_round=last.at if last is not None else None,
        fetched=last.fetched if last is not None else 0,
        error=MirrorError(code=error.code, message=error.message) if error else None,
    )


async def refuse_write(request: Request) -> Response:
    """Transactions go to the ledger: a mirror holds what the ledger logged, nothing else."""
    raise MIRROR_READ_ONLY("this is a mirror: submit transactions to the ledger itself")


async def status(request: Request) -> Response:
    return answer(status_of(request.app.state.mirror))


def create_mirror_app(mirror: Mirror, *, interval: float | None = DEFAULT_INTERVAL) -> FastAPI:
    """The app over ``mirror``; with ``interval``, it follows the ledger while it serves."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        follower = Follower(mirror, interval).start() if interval is not None else None
        try:
            yield
        finally:
            if follower is not None:
                follower.stop()

    app = create_service_app(
        title="CivicID ledger mirror",
        description="A verified copy of a CivicID ledger, serving its public read API.",
        lifespan=lifespan,
    )
    # The ledger's app: resolution and the checkpoint key answered past the framework, as
    # the ledger answers them (until the copy is ready, the framework's routes answer 503).
    app.__class__ = LedgerApp
    app.state.mirror = mirror
    app.state.tiles = mirror.tiles.directory if mirror.tiles is not None else None
    # Read by ``/health``, as the ledger's: tiles that stopped make the mirror "degraded".
    app.state.tile_writer = mirror.tiles
    show(app, mirror.served)
    mirror.listeners.append(functools.partial(show, app))
    # Before the ledger's routers: the first route that matches answers.
    app.add_api_route(
        "/transactions",
        refuse_write,
        methods=["POST"],
        tags=["log"],
        summary="Refused: a mirror takes no writes",
        responses=errors(403),
    )
    app.add_api_route(
        "/mirror",
        status,
        methods=["GET"],
        tags=["mirror"],
        summary="How far the mirror is, and why its last round refused, if it did",
        response_model=MirrorStatus,
    )
    # As the ledger: a query parameter given twice is refused; resolution answers a repeated
    # option in its own format.
    app.include_router(log_routes.router, dependencies=[OneValueEach])
    app.include_router(resolution_routes.router)
    app.include_router(governance_routes.router, dependencies=[OneValueEach])
    app.include_router(tile_routes.router)
    app.include_router(transparency_routes.router)
    return app
