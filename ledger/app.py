"""The ledger's HTTP service: ``create_app(settings)``; routes are thin shells over ``Ledger``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from civicid.shell.app import create_service_app
from civicid.shell.dispatch import ServiceApp
from civicid.shell.query import OneValueEach
from ledger.log import Ledger
from ledger.resolution import Resolver
from ledger.routes import governance as governance_routes
from ledger.routes import issuance as issuance_routes
from ledger.routes import log as log_routes
from ledger.routes import resolution as resolution_routes
from ledger.routes import tiles as tile_routes
from ledger.routes import transparency as transparency_routes
from ledger.settings import LedgerSettings
from ledger.setup import Paths, open_ledger
from ledger.tiles import follow
from ledger.transparency.page import Transparency
from ledger.witnessing import Witnessing, load_policy

# A direct answer: status, body and headers, or None for the framework to answer.
Direct = Callable[[Scope], tuple[int, bytes, list[tuple[bytes, bytes]]] | None]


class LedgerApp(ServiceApp):
    """The app, with DID resolution (the hottest call, a cached answer) answered straight by
    ``resolution_routes.direct``, past the framework's middleware, routing and request
    objects, and the checkpoint key (the barest answer, what resolution is measured against)
    by ``log_routes.direct_checkpoint_key``. A request under a root path is the framework's;
    so is one a direct answer declines (``None``) or fails on (a bug): the framework's route
    answers it again, its error handlers as before; so is a HEAD (``ServiceApp``). Direct
    answers come after the shell's checks (``ServiceApp.__call__``: the Host check of an app
    that names its hosts), as the framework's routes do."""

    async def dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            direct = direct_for(scope["path"])
            if direct is not None:
                scope["app"] = self
                try:
                    answer = direct(scope)
                except Exception:  # a bug: the framework's turn, below
                    answer = None
                if answer is not None:
                    status, body, headers = answer
                    await send(
                        {"type": "http.response.start", "status": status, "headers": headers}
                    )
                    await send({"type": "http.response.body", "body": body})
                    return
        await super().dispatch(scope, receive, send)


def direct_for(path: str) -> Direct | None:
    """The direct answer for a GET of ``path``, if it has one."""
    if path.startswith(resolution_routes.PATH_PREFIX):
        return resolution_routes.direct
    if path == log_routes.CHECKPOINT_KEY_PATH:
        return log_routes.direct_checkpoint_key
    return None


def create_app(
    settings: LedgerSettings | None = None,
    *,
    ledger: Ledger | None = None,
    write_tiles: bool | None = None,
) -> FastAPI:
    """The app; pass ``ledger`` to serve one already open (tests), else it opens
    ``settings.data_dir`` at start-up and closes it at shutdown. With ``settings.tiles`` it
    serves the log's tiles at /tiles/ and, if ``write_tiles`` (default: when it opened the
    ledger itself), writes them as the log grows."""
    settings = settings or LedgerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = ledger is None
        opened = (
            ledger
            if ledger is not None
            else open_ledger(settings.data_dir, database_url=settings.database_url)
        )
        app.state.ledger = opened
        app.state.settings = settings
        app.state.resolver = Resolver(opened)
        app.state.tiles = Paths(settings.data_dir).tiles if settings.tiles else None
        writes = owned if write_tiles is None else write_tiles
        writer = None
        if writes and app.state.tiles is not None and opened.signer and not opened.store.readonly:
            writer = follow(opened, app.state.tiles)
        app.state.tile_writer = writer
        witnessing = start_witnessing(opened, settings)
        app.state.witnessing = witnessing
        app.state.transparency = Transparency()
        freeze_state()
        try:
            yield
        finally:
            if writer is not None:
                writer.stop()
            if witnessing is not None:
                witnessing.close()
            if owned:
                opened.close()

    app = create_service_app(
        title="CivicID ledger",
        description="Append-only Merkle log of public bodies' DIDs, with checkpoints and proofs.",
        lifespan=lifespan,
    )
    # The shell's factory makes a FastAPI; this app is that one with resolution's direct
    # answer (LedgerApp adds a method and no state).
    app.__class__ = LedgerApp
    # Resolution answers a repeated option in its own format (DID Resolution's error).
    app.include_router(log_routes.router, dependencies=[OneValueEach])
    app.include_router(resolution_routes.router)
    app.include_router(governance_routes.router, dependencies=[OneValueEach])
    app.include_router(tile_routes.router)
    app.include_router(issuance_routes.router, dependencies=[OneValueEach])
    app.include_router(transparency_routes.router)
    return app


def freeze_state() -> None:
    """Move everything alive now (the replayed or loaded state, long-lived) out of the
    cyclic collector's reach: left in its generations, every full collection would re-walk
    it (a pause that grows with the log and shows up in tail latency). Only the young
    generations are collected first: a full collection here walked the whole state once
    more for nothing (at 1M entries ~0.9 s of start-up CPU, finding 20 unreachable objects
    from imports), so what the oldest generation holds unreachable is frozen with it."""
    gc.collect(1)
    gc.freeze()


def start_witnessing(ledger: Ledger, settings: LedgerSettings) -> Witnessing | None:
    """Witnessing beside the writer when the settings name a witness policy."""
    path = settings.witness_policy_path()
    if path is None:
        return None
    witnessing = Witnessing(
        ledger,
        load_policy(path),
        interval=settings.checkpoint_interval,
        timeout=settings.witness_timeout,
        pace=settings.witness_pace,
    )
    witnessing.start()
    return witnessing
