"""Liveness: the service answers (for the harness's readiness poll and for operators)."""

from __future__ import annotations

from fastapi import APIRouter

from civicid.shell.ijson import IJsonRoute

router = APIRouter(route_class=IJsonRoute, include_in_schema=False)


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
