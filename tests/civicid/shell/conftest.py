"""A small service served with each request parser the hardened server offers, for the
tests of its guards over raw sockets on 127.0.0.1."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from fastapi import FastAPI, Request

from civicid.shell.app import create_service_app
from civicid.shell.server import PARSERS, server_config
from civicid.shell.settings import ServiceSettings
from cli.harness import free_port, serving
from tests.slow_clients import LIMITS, Target

LARGE: Final = 200 * 1024  # an answer over the size joined with its head into one buffer
BODY_CAP: Final = 1024  # the body cap the service is served with


@contextlib.asynccontextmanager
async def nothing(app: FastAPI) -> Any:
    yield


def small_service() -> FastAPI:
    app = create_service_app(title="t", description="t", lifespan=nothing)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"bytes": len(await request.body())}

    @app.get("/large")
    async def large() -> dict[str, str]:
        return {"a": "x" * LARGE}

    return app


@pytest.fixture(scope="module", params=sorted(PARSERS))
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The small service, served with one parser (each in turn), under ``LIMITS``."""
    settings = ServiceSettings(data_dir=Path(tmp_path_factory.mktemp("svc")), **LIMITS)
    app = small_service()
    config = server_config(settings, app, max_body_bytes=BODY_CAP, parser=request.param)
    with serving(app, free_port(), config=config) as url:
        yield Target(url, post="/echo", too_large="request_body_too_large")
