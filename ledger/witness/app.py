"""The witness's HTTP service: ``create_app(settings)`` on the shared service shell."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from civicid.errors import Error
from civicid.shell.app import create_service_app
from civicid.shell.query import OneValueEach
from ledger.witness import routes
from ledger.witness.errors import WITNESS_OLD_SIZE_MISMATCH
from ledger.witness.settings import WitnessSettings
from ledger.witness.setup import open_witness
from ledger.witness.witness import Witness

# tlog-witness: a 409 for a stale old size is that size "in decimal, followed by a newline",
# with this media type, so a log can retry from it.
TLOG_SIZE: Final = "text/x.tlog.size"


async def render(_: Request, error: Error) -> Response:
    if WITNESS_OLD_SIZE_MISMATCH.matches(error):
        # Exactly this type: a text/* media type would get a charset added, which clients
        # comparing the header as the spec writes it would not recognise.
        size = f"{error.details['size']}\n".encode("ascii")
        return Response(size, error.http_status, headers={"content-type": TLOG_SIZE})
    return JSONResponse(error.to_json(), error.http_status)


def create_app(
    settings: WitnessSettings | None = None, *, witness: Witness | None = None
) -> FastAPI:
    """The app; pass ``witness`` to serve one already open (tests), else it opens
    ``settings.data_dir`` at start-up and closes it at shutdown."""
    settings = settings or WitnessSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = witness if witness is not None else open_witness(settings)
        app.state.witness = opened
        app.state.settings = settings
        try:
            yield
        finally:
            if witness is None:
                opened.close()

    app = create_service_app(
        title="CivicID witness",
        description="Cosigns a log's checkpoints (C2SP tlog-witness) only while the log only "
        "grows, and keeps what a log signed that contradicts itself.",
        lifespan=lifespan,
        render_error=render,
    )
    app.include_router(routes.router, dependencies=[OneValueEach])  # ?limit=1&limit=20: refused
    return app
