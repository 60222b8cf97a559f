"""Liveness (``/health``: the process serves; the harness polls it as a service starts) and
readiness (``/health/ready``: its store answers too, ``civicid.readiness``)."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from civicid.readiness import readiness_of
from civicid.shell.ijson import IJsonRoute
from issuer.routes.deps import NO_STORE, issuer_of, json_response
from issuer.store import GroupCommit, IssuerStore

router = APIRouter(route_class=IJsonRoute, include_in_schema=False)

# What readiness asks the store, after whether its file is still the one it opened: a clerk
# by id, a read of one row by its key (no clerk has an empty id: none is found, and no row
# is read into memory).
PROBE: Final = ""


def probe(store: IssuerStore) -> None:
    """Raises what keeps the store from serving: a file no longer the one it opened (said
    first: the writer's failure that follows it names only its effect), a writer failed for
    good (every write refused until the store is reopened, though reads answer), or a read
    that fails."""
    store.require_file()
    failure = store.failure if isinstance(store, GroupCommit) else None
    if failure is not None:  # a new error of its code: the kept one is not raised again
        raise type(failure)(failure.code, f"writes refused until a restart: {failure.message}")
    store.clerk(PROBE)


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/health/ready")
async def ready(request: Request) -> Response:
    store = issuer_of(request).store
    status, body = await readiness_of(request.app.state, lambda: probe(store)).answer()
    return json_response(body, status, headers=NO_STORE)
