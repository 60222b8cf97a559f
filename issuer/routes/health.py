"""Liveness (``/health``: the process serves; the harness polls it as a service starts) and
readiness (``/health/ready``: its store answers too, ``civicid.readiness``)."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicid.readiness import readiness_of
from civicid.shell.ijson import IJsonRoute
from issuer.routes.deps import NO_STORE, issuer_of, json_response

router = APIRouter(route_class=IJsonRoute, include_in_schema=False)

# What readiness asks the store, after whether its file is still the one it opened: a clerk
# by id, a read of one row by its key (no clerk has an empty id: none is found, and no row
# is read into memory).
PROBE: Final = ""


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/ready")
async def ready(request: Request) -> Response:
    store = issuer_of(request).store

    def probe() -> object:
        store.require_file()
        return store.clerk(PROBE)

    status, body = await readiness_of(request.app.state, probe).answer()
    return json_response(body, status, headers=NO_STORE)
