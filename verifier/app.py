"""The desk's HTTP service: ``create_app(settings)``. The OpenID4VP endpoints a wallet uses,
the JSON API the desk's page polls, and the page itself (template and static files served
here: no external asset). Routes (``verifier/routes/``) are thin shells over
``verifier.service.Verifier``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from civicid.shell.app import create_service_app
from verifier.routes import desk as desk_routes
from verifier.routes import oid4vp as oid4vp_routes
from verifier.routes.deps import NO_STORE
from verifier.service import Verifier
from verifier.settings import VerifierSettings

HERE: Final = Path(__file__).parent


def create_app(
    settings: VerifierSettings | None = None,
    *,
    verifier: Verifier | None = None,
    opener: Callable[[VerifierSettings], Verifier] | None = None,
) -> FastAPI:
    """The app; pass ``verifier`` to serve one already open (tests, demo), else it opens the
    desk of ``settings.data_dir`` at start-up (policies checked against the ledger)."""
    settings = settings or VerifierSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = verifier is None
        opened = verifier if verifier is not None else (opener or Verifier.open)(settings)
        app.state.verifier = opened
        try:
            yield
        finally:
            if owned:
                opened.close()

    app = create_service_app(
        title="CivicID verifier",
        description="A service desk: OpenID4VP requests from eligibility policies, checks "
        "against the ledger, decisions and signed receipts.",
        lifespan=lifespan,
        error_headers=NO_STORE,
    )
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(desk_routes.router)
    app.include_router(oid4vp_routes.router)
    return app
